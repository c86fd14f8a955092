#pragma once
// What every client handle shares: settings, the I/O thread, the callback
// thread, its lifecycle state, and a way for user threads to wait for the
// I/O thread's answer.
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>

#include "callback_thread.h"
#include "config.h"
#include "io.h"

namespace ferry::sdk {

enum class HandleState { kNew, kStarted, kClosed };

// A one-shot result the I/O thread fills and a user thread waits for.
template <class T>
class Promise {
 public:
  void set(Error e, T value = T{}) {
    {
      std::lock_guard lock(mu_);
      if (done_) return;
      done_ = true;
      err_ = std::move(e);
      value_ = std::move(value);
      ready_.store(true, std::memory_order_release);
    }
    cv_.notify_all();
  }
  // False on timeout (err/value untouched). Checks for the answer for up to
  // spin_us before sleeping: a quick answer then costs no wake-up.
  bool wait(uint64_t timeout_ms, Error* err, T* value, uint32_t spin_us = 0) {
    if (spin_us > 0) {
      auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(spin_us);
      while (!ready_.load(std::memory_order_acquire) && std::chrono::steady_clock::now() < until) {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
      }
    }
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return done_; })) return false;
    *err = err_;
    if (value) *value = std::move(value_);
    return true;
  }
  // For reuse (a pooled send op): REQUIRES no thread waits or sets.
  void reset() {
    std::lock_guard lock(mu_);
    done_ = false;
    ready_.store(false, std::memory_order_relaxed);
    err_ = Error{};
    value_ = T{};
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<bool> ready_{false};  // done_, readable without the lock
  bool done_ = false;
  Error err_;
  T value_{};
};

struct Handle {
  Settings s;
  std::unique_ptr<Io> io;
  std::unique_ptr<Workers> callbacks;  // one thread: completions in order
  std::atomic<HandleState> state{HandleState::kNew};
  std::mutex life_mu;  // serialises start/shutdown

  ferry_status check_running(char* errbuf, size_t errlen) const {
    HandleState st = state.load();
    if (st == HandleState::kClosed) return fail(errbuf, errlen, FERRY_E_CLOSED, "handle was shut down");
    if (st == HandleState::kNew) return fail(errbuf, errlen, FERRY_E_STATE, "handle not started (call _start first)");
    return FERRY_OK;
  }
  // Starts io + callback thread.
  ferry_status start_threads(char* errbuf, size_t errlen) {
    std::string why;
    ferry_status st = io->start(&why);
    if (st != FERRY_OK) return fail(errbuf, errlen, st, why);
    Io* i = io.get();
    callbacks = std::make_unique<Workers>(1, io->settings().thread_policy,
                                          [i](int err) { i->log_policy_refused("ferry-callback", err); });
    return FERRY_OK;
  }
  bool on_callback_thread() const { return callbacks && callbacks->on_worker(); }
  // On a thread this handle runs user code on (its callback thread, or its
  // I/O thread with consume_on_io_thread / callback_on_io_thread), where a
  // call that waits for the handle would wait for itself.
  bool on_own_thread() const { return on_callback_thread() || (io && io->in_loop()); }
  // Runs fn on the loop and waits (bounded); Error on failure. Refused on
  // the loop itself (user code run there by consume_on_io_thread or
  // callback_on_io_thread): the loop would wait for its own turn until the
  // timeout.
  template <class T, class Fn>
  Error call(uint64_t timeout_ms, Fn fn, T* out) {
    if (io->in_loop()) return Error{FERRY_E_STATE, "called on this handle's own I/O thread (from a listener or callback run there)"};
    auto p = std::make_shared<Promise<T>>();
    if (!io->post([p, fn = std::move(fn)]() mutable { fn(p); }))
      return Error{FERRY_E_CLOSED, "handle was shut down"};
    Error e;
    if (!p->wait(timeout_ms, &e, out)) return Error{FERRY_E_TIMEOUT, "no answer within " + std::to_string(timeout_ms) + " ms"};
    return e;
  }
};

// Heartbeat payload: producer and/or consumer groups.
std::vector<uint8_t> encode_unregister(const std::string& client_id);

// Sends UNREGISTER_CLIENT to every known broker and waits (bounded).
void unregister_everywhere(Handle& h);

}  // namespace ferry::sdk
