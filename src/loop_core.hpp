#pragma once

#include "io_table.hpp"
#include "poller/poller.hpp"
#include "post_queue.hpp"
#include "signal_dispatcher.hpp"
#include "thread_owner.hpp"
#include "timer_heap.hpp"

#include <eddy/io_watcher.hpp>
#include <eddy/loop.hpp>

#include <eddy/buffer.hpp>

#include <memory>
#include <utility>
#include <optional>
#include <system_error>
#include <vector>

namespace eddy::detail {

// The state behind eddy::Loop and the code of one iteration. Watchers reach
// it through Loop::core(); everything here runs on the loop's thread except
// post().
class LoopCore {
 public:
  using Task = Loop::Task;

  LoopCore(Loop& loop, const LoopOptions& options);
  ~LoopCore();

  LoopCore(const LoopCore&) = delete;
  LoopCore& operator=(const LoopCore&) = delete;

  void run();
  bool run_once(std::optional<Duration> max_wait);
  void stop() noexcept;
  TimePoint now() const noexcept { return now_; }
  // Inside run() or run_once(): the loop enters the kernel again once the
  // callback on the stack returns.
  bool running() const noexcept { return running_; }
  void post(Task task) { posts_.push(std::move(task)); }
  void defer(Task task);
  std::string_view backend_name() const noexcept { return poller_->name(); }
  std::size_t active_count() const noexcept;
  BlockPool& block_pool() noexcept { return block_pool_; }

  // Registers the wakeup eventfd; called by Loop once core() is reachable.
  void start_wakeup();
  // Stops the loop's own watchers; called by ~Loop before the core goes.
  void shutdown() noexcept;
  void reinit_after_fork();

  void check_thread(const char* operation) const noexcept { owner_.check(operation); }
  void adopt_thread() noexcept { owner_.claim(); }
  bool on_owner_thread() const noexcept { return owner_.is_current(); }

  // IoWatcher and the handles embedded in connections
  std::error_code io_start(IoHandle& handle, unsigned events) noexcept;
  void io_stop(IoHandle& handle) noexcept;

  // Socket I/O by completion (the uring backend), or nullptr. A handle that
  // uses it is registered by completion_start() instead of io_start(), and
  // its requests report through its ReadyFunction with CompletionEvents
  // bits; completion() is the event being reported. io_stop() cancels its
  // requests. Off with EDDY_URING_COMPLETIONS=0 (readiness only).
  CompletionIo* completions() const noexcept { return completions_; }
  // `operation` names the caller for the thread check.
  std::error_code completion_start(IoHandle& handle, const char* operation) noexcept;
  // The same for a handle whose requests are receives and sends, on an fd
  // that a readiness watcher may hold too (the compat layer's socket
  // bufferevents, whose connect waits for readiness): it does not claim
  // the fd, and io_stop() cancels its own requests alone, at once.
  std::error_code completion_start_beside(IoHandle& handle, const char* operation) noexcept;
  const Completion& completion() const noexcept { return *completion_; }
  std::uint64_t token_of(const IoHandle& handle) const noexcept { return io_table_.token(handle.slot_); }
  // Keeps `output` until the send in flight under `token` completes: its
  // owner is going away, and the kernel may still be reading from it.
  void keep_until_sent(std::uint64_t token, Buffer&& output);
  // Gives a chain of blocks (through Block::next) back to the pool: what a
  // receive brought for a handle that no longer wants it.
  void release_blocks(Block* chain) noexcept;
  // Marks one of the loop's own watchers: it does not keep run() going.
  void make_internal(IoHandle& handle) noexcept { handle.counted_ = false; }

  // Timer and the nodes embedded in connections
  void timer_schedule(TimerNode& timer, TimePoint due);
  void timer_postpone(TimerNode& timer, TimePoint due);
  void timer_cancel(TimerNode& timer) noexcept;

  // SignalWatcher
  void signal_start(SignalWatcher& watcher);
  void signal_stop(SignalWatcher& watcher) noexcept;

 private:
  class RunScope;
  bool has_work() const noexcept;
  void iterate(std::optional<Duration> max_wait);
  std::optional<Duration> wait_timeout(std::optional<Duration> max_wait) const noexcept;
  void run_timers();
  void run_ready();
  static void run_tasks(std::vector<Task>& batch, std::size_t& cursor);
  void attach_completions();
  std::error_code completion_register(IoHandle& handle, const char* operation, bool beside) noexcept;
  void run_completed();
  void drop_completion(const Completion& done) noexcept;

  Loop& loop_;
  ThreadOwner owner_;
  BlockPool block_pool_;  // declared early: buffers of the loop's objects give blocks back until the end
  // Outputs whose sends are in flight after their connections went (by
  // token). Declared before the poller: the ring ends their sends first.
  std::vector<std::pair<std::uint64_t, Buffer>> sends_kept_;
  std::unique_ptr<Poller> poller_;
  CompletionIo* completions_ = nullptr;
  const Completion* completion_ = nullptr;
  IoTable io_table_;
  TimerHeap timers_;
  PostQueue posts_;
  std::vector<ReadyEvent> ready_;
  std::vector<Task> post_batch_;
  std::size_t post_cursor_ = 0;
  std::vector<Task> deferred_;
  std::vector<Task> defer_batch_;
  std::size_t defer_cursor_ = 0;
  TimePoint now_;
  std::size_t active_watchers_ = 0;
  bool running_ = false;
  bool stop_requested_ = false;
  // Declared last: their destructors unregister from the members above.
  std::optional<IoWatcher> wakeup_watcher_;
  std::unique_ptr<SignalDispatcher> signals_;  // created on the first SignalWatcher::start
};

}  // namespace eddy::detail
