#include "loop_core.hpp"

#include "buffer_blocks.hpp"
#include "sys/fd.hpp"

#include <eddy/signal_watcher.hpp>
#include <eddy/timer.hpp>

#include <cstdio>
#include <cerrno>
#include <cstdlib>
#include <string_view>
#include <stdexcept>

namespace eddy::detail {

LoopCore::LoopCore(Loop& loop, const LoopOptions& options)
    : loop_(loop), poller_(make_poller(options.backend)), now_(Clock::now()) {
  attach_completions();
}

void LoopCore::attach_completions() {
  completions_ = nullptr;
  const char* wanted = std::getenv("EDDY_URING_COMPLETIONS");
  if (wanted != nullptr && std::string_view(wanted) == "0") {
    return;
  }
  if (CompletionIo* io = poller_->completions(); io != nullptr && io->use_pool(block_pool_)) {
    completions_ = io;
  }
}

void LoopCore::start_wakeup() {
  wakeup_watcher_.emplace(loop_, posts_.wakeup_fd(), [this](unsigned) { sys::eventfd_drain(posts_.wakeup_fd()); });
  make_internal(*wakeup_watcher_);
  wakeup_watcher_->start(kReadable);
}

LoopCore::~LoopCore() = default;

void LoopCore::shutdown() noexcept {
  if (active_watchers_ != 0 && thread_checks_enabled()) {
    std::fprintf(stderr,
                 "eddy: Loop destroyed while %zu watcher(s) are still active; stop or destroy every watcher "
                 "before its Loop\n",
                 active_watchers_);
    std::abort();
  }
  owner_.claim();  // a loop may be destroyed by another thread once its own has finished
  signals_.reset();
  wakeup_watcher_.reset();
}

void LoopCore::reinit_after_fork() {
  check_thread("Loop::reinit_after_fork");
  if (running_) {
    throw std::logic_error("Loop::reinit_after_fork called from inside one of the loop's callbacks");
  }
  // The fresh poller goes in first: from here on no epoll_ctl reaches the
  // instance the parent still waits on (removing the wakeup watcher below
  // would otherwise unregister the parent's eventfd).
  //
  // Connections on completions had their requests on the parent's ring:
  // their receives start again on the new one (each is told its receive
  // ended, as if cancelled). A send in flight at the fork is the parent's.
  sends_kept_.clear();
  completions_ = nullptr;
  poller_ = make_poller(poller_->name());
  attach_completions();
  wakeup_watcher_.reset();
  posts_.renew_wakeup();
  std::vector<IoHandle*> on_completions;
  io_table_.for_each([&](IoHandle& handle, std::uint64_t token) {
    if ((handle.events_ & kCompletionHandle) != 0U) {
      on_completions.push_back(&handle);
      return;
    }
    if (std::error_code ec = poller_->add(handle.fd_, handle.events_, token)) {
      throw std::system_error(ec, std::string(poller_->name()) + " re-registration after fork");
    }
  });
  start_wakeup();
  for (IoHandle* handle : on_completions) {
    const Completion ended{io_table_.token(handle->slot_), kRecvDone | kRecvEnded, -ECANCELED};
    completion_ = &ended;
    handle->on_ready_(*handle, ended.events);
  }
}

std::size_t LoopCore::active_count() const noexcept {
  return active_watchers_ + deferred_.size() + (defer_batch_.size() - defer_cursor_) +
         (post_batch_.size() - post_cursor_) + posts_.pending();
}

bool LoopCore::has_work() const noexcept { return active_count() != 0; }

// Marks the loop as running for one run()/run_once() call, and clears the
// marks again however the call ends (a callback may throw through it).
class LoopCore::RunScope {
 public:
  explicit RunScope(LoopCore& core) : core_(core) {
    if (core_.running_) {
      throw std::logic_error("Loop::run called from inside one of the loop's callbacks");
    }
    core_.owner_.claim();
    core_.now_ = Clock::now();
    core_.running_ = true;
  }
  ~RunScope() {
    core_.running_ = false;
    core_.stop_requested_ = false;
  }
  RunScope(const RunScope&) = delete;
  RunScope& operator=(const RunScope&) = delete;

 private:
  LoopCore& core_;
};

void LoopCore::run() {
  RunScope scope(*this);
  while (has_work()) {
    iterate(std::nullopt);
    if (stop_requested_) {
      break;
    }
  }
}

bool LoopCore::run_once(std::optional<Duration> max_wait) {
  RunScope scope(*this);
  iterate(max_wait);
  return has_work();
}

void LoopCore::stop() noexcept {
  check_thread("Loop::stop");
  stop_requested_ = true;
}

void LoopCore::defer(Task task) {
  check_thread("Loop::defer");
  deferred_.push_back(std::move(task));
}

std::optional<Duration> LoopCore::wait_timeout(std::optional<Duration> max_wait) const noexcept {
  if (stop_requested_ || posts_.pending() != 0 || !deferred_.empty()) {
    return Duration::zero();
  }
  std::optional<Duration> timeout = max_wait;
  if (!timers_.empty()) {
    // Measured from a fresh clock reading: callbacks since the last wait may
    // have taken a while, and waiting the full interval would fire late.
    Duration until = timers_.top_key() - Clock::now();
    if (until < Duration::zero()) {
      until = Duration::zero();
    }
    if (!timeout || until < *timeout) {
      timeout = until;
    }
  }
  return timeout;
}

void LoopCore::iterate(std::optional<Duration> max_wait) {
  ready_.clear();
  const std::error_code error = poller_->wait(wait_timeout(max_wait), ready_);
  if (error) {
    // EBADF/EINVAL here mean the backend's own fd is broken: nothing can
    // continue safely, and spinning would hide it.
    throw std::system_error(error, std::string(poller_->name()) + " wait");
  }
  now_ = Clock::now();
  run_timers();
  run_ready();
  // A batch is empty unless a task threw in the last iteration; then its
  // rest runs first. The post queue's mutex is taken only when something
  // was posted (a push racing with the check wakes the next iteration
  // through the eventfd).
  if (post_batch_.empty() && posts_.pending() != 0) {
    posts_.take(post_batch_);
  }
  run_tasks(post_batch_, post_cursor_);
  if (defer_batch_.empty()) {
    defer_batch_.swap(deferred_);
  }
  run_tasks(defer_batch_, defer_cursor_);
}

void LoopCore::run_tasks(std::vector<Task>& batch, std::size_t& cursor) {
  // The cursor advances before each call, so a task that throws is not run
  // again and the rest of its batch runs on the next iteration.
  while (cursor < batch.size()) {
    Task& task = batch[cursor++];
    task();
  }
  batch.clear();
  cursor = 0;
}

void LoopCore::run_timers() {
  while (!timers_.empty() && timers_.top_key() <= now_) {
    TimerNode& timer = timers_.top();
    if (timer.due_ > now_) {
      // Postponed by refresh() since it was scheduled: look again later.
      timers_.rekey(timer, timer.due_);
      continue;
    }
    // Out of the heap before its function runs: a repeating Timer schedules
    // itself again there, and any node may be restarted or destroyed.
    timers_.remove(timer);
    --active_watchers_;
    timer.on_expire_(timer);  // may destroy `timer`: not touched below
  }
}

void LoopCore::run_ready() {
  // Completions first: what a receive brought is what a read on readiness
  // would have found, and reads come before writes on one fd (a compat
  // socket bufferevent that is connecting receives by completion and
  // waits for writability by poll; libevent runs its read callback first).
  if (completions_ != nullptr) {
    run_completed();
  }
  for (const ReadyEvent& event : ready_) {
    IoHandle* handle = io_table_.find(event.token);
    if (handle == nullptr) {
      continue;  // stopped, destroyed or re-registered since the wait
    }
    const unsigned events = event.events & (handle->events_ | kError | kHangup);
    if (events != kNone) {
      handle->on_ready_(*handle, events);
    }
  }
}

void LoopCore::run_completed() {
  std::vector<Completion>& completed = completions_->completed();
  // By index, and cleared at the end even if a callback throws: a
  // callback's requests complete in a later wait, never into this batch.
  struct Clear {
    std::vector<Completion>& batch;
    ~Clear() { batch.clear(); }
  } clear{completed};
  for (std::size_t i = 0; i < completed.size(); ++i) {
    const Completion& done = completed[i];
    IoHandle* handle = io_table_.find(done.token);
    if (handle == nullptr || (handle->events_ & kCompletionHandle) == 0U) {
      drop_completion(done);  // its handle stopped since the wait
      continue;
    }
    completion_ = &done;
    handle->on_ready_(*handle, done.events);
  }
}

// A completion whose handle is gone: its blocks go back to the pool, a
// send's kept output is freed now that the kernel is done with it, and a
// socket accepted after its listener stopped is closed (its peer sees the
// close, as one left in the backlog of a closed listener would).
void LoopCore::drop_completion(const Completion& done) noexcept {
  if ((done.events & kAcceptDone) != 0U && done.result >= 0) {
    const UniqueFd unwanted(done.result);  // closes it
  }
  release_blocks(done.block);
  if ((done.events & kSendDone) != 0U) {
    for (auto it = sends_kept_.begin(); it != sends_kept_.end(); ++it) {
      if (it->first == done.token) {
        sends_kept_.erase(it);
        break;
      }
    }
  }
}

void LoopCore::release_blocks(Block* chain) noexcept {
  while (chain != nullptr) {
    Block* next = chain->next;
    block_pool_.release(chain);
    chain = next;
  }
}

void LoopCore::keep_until_sent(std::uint64_t token, Buffer&& output) {
  sends_kept_.emplace_back(token, std::move(output));
}

std::error_code LoopCore::completion_start(IoHandle& handle, const char* operation) noexcept {
  return completion_register(handle, operation, false);
}

std::error_code LoopCore::completion_start_beside(IoHandle& handle, const char* operation) noexcept {
  return completion_register(handle, operation, true);
}

std::error_code LoopCore::completion_register(IoHandle& handle, const char* operation, bool beside) noexcept {
  check_thread(operation);
  std::uint32_t slot = 0;
  if (std::error_code ec = io_table_.acquire(&handle, handle.fd_, slot, !beside)) {
    return ec;
  }
  handle.beside_ = beside;
  handle.slot_ = slot;
  handle.events_ = kCompletionHandle;
  if (handle.counted_) {
    ++active_watchers_;
  }
  return {};
}

std::error_code LoopCore::io_start(IoHandle& watcher, unsigned events) noexcept {
  check_thread("IoWatcher::start");
  events &= kReadable | kWritable | kPeerClosed | kEdgeTriggered | kExclusive;
  if ((events & (kReadable | kWritable | kPeerClosed)) == kNone) {
    io_stop(watcher);
    return {};
  }
  if (watcher.events_ != kNone) {
    if (events == watcher.events_) {
      return {};
    }
    const std::uint64_t token = io_table_.token(watcher.slot_);
    if (((events | watcher.events_) & kExclusive) != 0U) {
      // An exclusive registration cannot be modified in place (epoll_ctl(2),
      // EPOLLEXCLUSIVE): register it anew, or as it was if that fails.
      poller_->remove(watcher.fd_);
      if (std::error_code ec = poller_->add(watcher.fd_, events, token)) {
        (void)poller_->add(watcher.fd_, watcher.events_, token);
        return ec;
      }
    } else if (std::error_code ec = poller_->modify(watcher.fd_, events, token)) {
      return ec;
    }
    watcher.events_ = static_cast<std::uint8_t>(events);
    return {};
  }
  std::uint32_t slot = 0;
  if (std::error_code ec = io_table_.acquire(&watcher, watcher.fd_, slot)) {
    return ec;
  }
  if (std::error_code ec = poller_->add(watcher.fd_, events, io_table_.token(slot))) {
    io_table_.release(slot, watcher.fd_);
    return ec;
  }
  watcher.slot_ = slot;
  watcher.events_ = static_cast<std::uint8_t>(events);
  if (watcher.counted_) {
    ++active_watchers_;
  }
  return {};
}

void LoopCore::io_stop(IoHandle& watcher) noexcept {
  // Stopping an inactive watcher touches nothing shared, so it is allowed
  // from any thread (a destructor running after the loop's thread is gone).
  if (watcher.events_ == kNone) {
    return;
  }
  check_thread("IoWatcher::stop");
  if ((watcher.events_ & kCompletionHandle) != 0U) {
    // null only after a fork whose child got no ring: nothing to cancel there
    if (completions_ != nullptr && watcher.beside_) {
      completions_->cancel_now(io_table_.token(watcher.slot_));  // the fd's polls are the watcher's
    } else if (completions_ != nullptr) {
      completions_->cancel_all(watcher.fd_);
    }
  } else {
    poller_->remove(watcher.fd_);
  }
  io_table_.release(watcher.slot_, watcher.fd_, !watcher.beside_);
  watcher.events_ = kNone;
  if (watcher.counted_) {
    --active_watchers_;
  }
}

void LoopCore::timer_schedule(TimerNode& timer, TimePoint due) {
  check_thread("Timer::start");
  if (!timer.is_active()) {
    ++active_watchers_;
  }
  timer.due_ = due;
  try {
    timers_.schedule(timer, due);
  } catch (...) {
    --active_watchers_;
    throw;
  }
}

void LoopCore::timer_postpone(TimerNode& timer, TimePoint due) {
  check_thread("Timer::refresh");
  if (timer.is_active() && due >= timer.due_) {
    timer.due_ = due;  // the heap entry is earlier; run_timers() re-keys it
    return;
  }
  timer_schedule(timer, due);
}

void LoopCore::timer_cancel(TimerNode& timer) noexcept {
  if (timer.is_active()) {
    check_thread("Timer::stop");
    timers_.remove(timer);
    --active_watchers_;
  }
}

void LoopCore::signal_start(SignalWatcher& watcher) {
  check_thread("SignalWatcher::start");
  if (watcher.is_active()) {
    return;
  }
  if (!signals_) {
    signals_ = std::make_unique<SignalDispatcher>(loop_);
  }
  signals_->start(watcher);
  ++active_watchers_;
}

void LoopCore::signal_stop(SignalWatcher& watcher) noexcept {
  if (!watcher.is_active()) {
    return;
  }
  check_thread("SignalWatcher::stop");
  signals_->stop(watcher);
  --active_watchers_;
}

}  // namespace eddy::detail
