#include "host/timers.h"

namespace ferry::host {

ferry_status TimerSet::start(uint64_t delay_ms, uint64_t repeat_ms, ferry_timer_fn fn,
                             void* user_data, ferry_timer** out) {
  if (fn == nullptr || out == nullptr) return FERRY_E_INVALID_ARGUMENT;
  auto t = std::make_unique<ferry_timer>();
  t->fn = fn;
  t->user_data = user_data;
  if (uv_timer_init(loop_, &t->handle) != 0) return FERRY_E_INTERNAL;
  t->handle.data = t.get();
  uv_timer_start(
      &t->handle, [](uv_timer_t* h) {
        auto* timer = static_cast<ferry_timer*>(h->data);
        timer->fn(timer->user_data);
      },
      delay_ms, repeat_ms);
  *out = t.get();
  live_.emplace(t.get(), std::move(t));
  return FERRY_OK;
}

void TimerSet::stop(ferry_timer* t) {
  auto it = live_.find(t);
  if (it == live_.end()) return;
  std::unique_ptr<ferry_timer> owned = std::move(it->second);
  live_.erase(it);
  close_and_free(std::move(owned));
}

void TimerSet::stop_all() {
  for (auto& [raw, owned] : live_) close_and_free(std::move(owned));
  live_.clear();
}

void TimerSet::close_and_free(std::unique_ptr<ferry_timer> t) {
  uv_timer_stop(&t->handle);
  ferry_timer* raw = t.release();  // freed by the close callback
  uv_close(reinterpret_cast<uv_handle_t*>(&raw->handle), [](uv_handle_t* h) {
    std::unique_ptr<ferry_timer> free_me(static_cast<ferry_timer*>(h->data));
  });
}

}  // namespace ferry::host
