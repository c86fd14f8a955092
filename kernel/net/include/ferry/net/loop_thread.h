#pragma once
// LoopThread: a libuv loop on its own std::thread, for the SDK's I/O thread
// and for tests. post() is thread-safe and batched (one wake-up for many
// posts). stop() lets the loop end: objects on the loop (Server, Client)
// must be closed first — stop() returns false when it had to force-close
// handles someone left open, which is a bug in the caller.
// busy_poll_us > 0 runs the loop with run_loop's bounded busy-poll
// (ferry/net/busy_poll.h); 0, the default, is plain uv_run.
#include <uv.h>

#include <cstdint>
#include <functional>
#include <future>
#include <stdexcept>
#include <memory>
#include <thread>

#include "ferry/net/async_queue.h"

namespace ferry::net {

class LoopThread {
 public:
  using Task = std::function<void()>;

  explicit LoopThread(uint32_t busy_poll_us = 0);
  // Calls stop() if needed.
  ~LoopThread();
  LoopThread(const LoopThread&) = delete;
  LoopThread& operator=(const LoopThread&) = delete;

  uv_loop_t* loop() { return &loop_; }
  std::thread::id thread_id() const { return thread_.get_id(); }
  bool in_loop_thread() const { return std::this_thread::get_id() == thread_.get_id(); }

  // [any] Runs task on the loop thread soon. False after stop(). A task that
  // throws is dropped (nothing unwinds through libuv); run_sync() hands the
  // exception back to its caller instead.
  bool post(Task task);
  // [any, not the loop thread] Runs fn on the loop and waits for its result.
  template <class Fn>
  auto run_sync(Fn fn) -> decltype(fn()) {
    using R = decltype(fn());
    std::packaged_task<R()> pt(std::move(fn));
    auto fut = pt.get_future();
    auto shared = std::make_shared<std::packaged_task<R()>>(std::move(pt));
    if (!post([shared] { (*shared)(); })) throw std::runtime_error("loop thread stopped");
    return fut.get();
  }

  // [any, not the loop thread] Closes the task queue, waits for the loop to
  // run out of handles, closes it and joins. True when the loop ended clean
  // (uv_loop_close returned 0 without force-closing anything). Idempotent.
  bool stop();

 private:
  void run();

  uv_loop_t loop_{};
  std::shared_ptr<AsyncQueue<Task>> tasks_;
  std::thread thread_;
  uint32_t busy_poll_us_ = 0;
  bool stopped_ = false;
  bool clean_ = true;
};

}  // namespace ferry::net
