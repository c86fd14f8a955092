#pragma once
// The doorway into the loop from other threads (post: one uv_async, a
// mutex-protected queue drained in one callback, so many posts share one
// wake-up) and the way out of it for blocking work (queue_work:
// uv_queue_work, done runs back on the loop). defer is post's loop-thread
// twin: it runs fn at the end of this turn (check phase) with no syscall, so
// the loop does not wake itself through its own eventfd once per turn.
#include <ferry/status.h>
#include <uv.h>

#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace ferry::host {

class LoopBridge {
 public:
  explicit LoopBridge(uv_loop_t* loop);  // [loop]
  ~LoopBridge();                         // after close() completed
  LoopBridge(const LoopBridge&) = delete;
  LoopBridge& operator=(const LoopBridge&) = delete;

  // Queue fn for the loop. FERRY_E_SHUTTING_DOWN after close(): fn is then
  // never called. [any], does not block (a short lock).
  ferry_status post(std::function<void()> fn);
  // Run fn at the end of the current loop turn; queued from a deferred fn,
  // in the same check phase after it (up to a few rounds deep, then the next
  // turn's: the loop does not block in poll meanwhile).
  // Posts after close() are dropped like post's. [loop]
  void defer(std::function<void()> fn);
  // True on the thread that created the bridge (the loop's). [any]
  bool on_loop() const { return std::this_thread::get_id() == loop_thread_; }
  // Run what is queued now, on the loop (used at shutdown between stop and
  // destroy). [loop]
  void drain();
  // Refuse further posts, run what is queued, close the async handle. [loop]
  void close();

  // work on a libuv worker thread, then done on the loop. [loop]
  ferry_status queue_work(std::function<void()> work, std::function<void()> done);
  size_t work_in_flight() const { return work_in_flight_; }

 private:
  static void on_async(uv_async_t* handle);
  static void on_check(uv_check_t* handle);
  void run_deferred();
  uv_loop_t* loop_;
  std::thread::id loop_thread_ = std::this_thread::get_id();
  uv_async_t async_{};
  uv_check_t check_{};  // runs deferred_ at the turn's end
  uv_idle_t idle_{};    // keeps poll from blocking while deferred_ is not empty
  std::vector<std::function<void()>> deferred_, deferred_run_;  // loop only
  bool check_started_ = false;                                  // loop only
  std::mutex mu_;
  std::vector<std::function<void()>> queue_;  // guarded by mu_
  bool closed_ = false;                       // guarded by mu_
  size_t work_in_flight_ = 0;                 // loop only
};

}  // namespace ferry::host
