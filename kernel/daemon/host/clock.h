#pragma once
// The kernel's clock, behind an interface the kernel is constructed with, so
// tests can substitute a ManualClock for api->now_ms / api->monotonic_ns.
// (Timers run on the libuv loop's own monotonic time.)
#include <atomic>
#include <chrono>
#include <cstdint>

namespace ferry::host {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t now_ms() const = 0;         // wall clock, Unix epoch
  virtual uint64_t monotonic_ns() const = 0;  // [any]
};

class SystemClock final : public Clock {
 public:
  int64_t now_ms() const override {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  }
  uint64_t monotonic_ns() const override {
    using namespace std::chrono;
    return static_cast<uint64_t>(
        duration_cast<nanoseconds>(steady_clock::now().time_since_epoch()).count());
  }
};

// A clock that moves only when told to. [any]
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t start_ms = 1'700'000'000'000) : ms_(start_ms) {}
  int64_t now_ms() const override { return ms_.load(); }
  uint64_t monotonic_ns() const override { return static_cast<uint64_t>(ms_.load()) * 1'000'000; }
  void advance_ms(int64_t d) { ms_.fetch_add(d); }

 private:
  std::atomic<int64_t> ms_;
};

}  // namespace ferry::host
