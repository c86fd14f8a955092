#pragma once
// Timers of one plugin instance on the loop. Each ferry_timer owns its
// uv_timer_t; memory is freed only in the handle's close callback (libuv's
// rule). Whatever the plugin did not stop is stopped when it is destroyed.
#include <ferry/host.h>
#include <uv.h>

#include <memory>
#include <unordered_map>

struct ferry_timer {
  uv_timer_t handle{};
  ferry_timer_fn fn = nullptr;
  void* user_data = nullptr;
};

namespace ferry::host {

class TimerSet {
 public:
  explicit TimerSet(uv_loop_t* loop) : loop_(loop) {}
  ~TimerSet() { stop_all(); }
  TimerSet(const TimerSet&) = delete;
  TimerSet& operator=(const TimerSet&) = delete;

  ferry_status start(uint64_t delay_ms, uint64_t repeat_ms, ferry_timer_fn fn, void* user_data,
                     ferry_timer** out);  // [loop]
  // fn is not called after this returns. Unknown timers are ignored. [loop]
  void stop(ferry_timer* t);
  void stop_all();
  size_t size() const { return live_.size(); }

 private:
  static void close_and_free(std::unique_ptr<ferry_timer> t);
  uv_loop_t* loop_;
  std::unordered_map<ferry_timer*, std::unique_ptr<ferry_timer>> live_;
};

}  // namespace ferry::host
