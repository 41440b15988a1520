#include "loop_core.hpp"

#include <eddy/loop.hpp>

namespace eddy {

Loop::Loop(LoopOptions options) : core_(std::make_unique<detail::LoopCore>(*this, options)) { core_->start_wakeup(); }

Loop::~Loop() { core_->shutdown(); }

void Loop::run() { core_->run(); }

bool Loop::run_once(std::optional<Duration> max_wait) { return core_->run_once(max_wait); }

void Loop::stop() { core_->stop(); }

TimePoint Loop::now() const noexcept { return core_->now(); }

void Loop::post(Task task) { core_->post(std::move(task)); }

void Loop::defer(Task task) { core_->defer(std::move(task)); }

void Loop::adopt_thread() noexcept { core_->adopt_thread(); }

std::string_view Loop::backend_name() const noexcept { return core_->backend_name(); }

BlockPool& Loop::block_pool() noexcept { return core_->block_pool(); }

std::size_t Loop::active_count() const noexcept { return core_->active_count(); }

void Loop::reinit_after_fork() { core_->reinit_after_fork(); }

}  // namespace eddy
