#include "callback_thread.h"

#include <pthread.h>

namespace ferry::sdk {

Workers::Workers(size_t threads, ThreadPolicy policy, std::function<void(int)> refused)
    : policy_(policy), refused_(std::move(refused)) {
  for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { run(); });
}

Workers::~Workers() { stop(); }

bool Workers::post(Task t) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return false;
    tasks_.push_back(std::move(t));
  }
  cv_.notify_one();
  return true;
}

void Workers::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

bool Workers::on_worker() const {
  auto me = std::this_thread::get_id();
  for (const auto& t : threads_)
    if (t.get_id() == me) return true;
  return false;
}

void Workers::run() {
  ::pthread_setname_np(::pthread_self(), "ferry-callback");  // for top -H, perf, gdb
  if (int err = apply_thread_policy(policy_); err != 0 && refused_ && !refusal_reported_.exchange(true)) refused_(err);
  for (;;) {
    Task t;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !tasks_.empty(); });
      if (tasks_.empty()) return;  // stopping and drained
      t = std::move(tasks_.front());
      tasks_.pop_front();
    }
    try {
      t();
    } catch (...) {
      // A task must not take the thread down; callers guard their own.
    }
  }
}

}  // namespace ferry::sdk
