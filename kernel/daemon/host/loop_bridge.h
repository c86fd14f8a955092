#pragma once
// The doorway into the loop from other threads (post: one uv_async, a
// mutex-protected queue drained in one callback, so many posts share one
// wake-up) and the way out of it for blocking work (queue_work:
// uv_queue_work, done runs back on the loop).
#include <ferry/status.h>
#include <uv.h>

#include <cstddef>
#include <functional>
#include <mutex>
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
  uv_loop_t* loop_;
  uv_async_t async_{};
  std::mutex mu_;
  std::vector<std::function<void()>> queue_;  // guarded by mu_
  bool closed_ = false;                       // guarded by mu_
  size_t work_in_flight_ = 0;                 // loop only
};

}  // namespace ferry::host
