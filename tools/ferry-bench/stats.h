#pragma once
// Counters one run shares between its worker threads and the once-a-second
// reporter: totals, a whole-run latency histogram, and interval figures the
// reporter takes and zeroes each second. All lock-free.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include "histogram.h"
#include "timeline.h"

namespace ferry::bench {

struct Stats {
  std::atomic<uint64_t> ok{0};
  std::atomic<uint64_t> failed{0};
  std::atomic<uint64_t> bytes{0};
  std::atomic<uint64_t> foreign{0};  // consumed bodies without our timestamp
  Histogram latency_ns;
  // consume --split: at receipt, the age since the SDK's send call (born)
  // and since the broker stored it, on the wall clock (ms resolution).
  bool split = false;
  Histogram born_age_ns, store_age_ns;
  // consume --timeline: (send stamp, receipt) per timed message.
  Timeline timeline;
  // Since the reporter's last line.
  std::atomic<uint64_t> iv_count{0};
  std::atomic<uint64_t> iv_sum_ns{0};
  std::atomic<uint64_t> iv_max_ns{0};

  void success(uint64_t body_bytes, uint64_t latency) {
    ok.fetch_add(1, std::memory_order_relaxed);
    bytes.fetch_add(body_bytes, std::memory_order_relaxed);
    latency_ns.record(latency);
    iv_count.fetch_add(1, std::memory_order_relaxed);
    iv_sum_ns.fetch_add(latency, std::memory_order_relaxed);
    uint64_t cur = iv_max_ns.load(std::memory_order_relaxed);
    while (latency > cur && !iv_max_ns.compare_exchange_weak(cur, latency, std::memory_order_relaxed)) {
    }
  }
  // A batch of n messages acknowledged together: one latency sample.
  void success_n(uint64_t n, uint64_t body_bytes, uint64_t latency) {
    ok.fetch_add(n - 1, std::memory_order_relaxed);
    success(body_bytes, latency);
  }
  void failure(uint64_t n = 1) { failed.fetch_add(n, std::memory_order_relaxed); }
};

// Monotonic nanoseconds (CLOCK_MONOTONIC: one clock for every process on the
// host, so a consumer can subtract a producer's stamp).
inline uint64_t now_ns() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

// Body layout: "FRYB" + 4 zero bytes + send time (u64, host order) + filler.
constexpr size_t kStampBytes = 16;
void stamp_body(std::string& body, uint64_t t_ns);
// The stamp's time, or 0 when the body was not written by ferry-bench.
uint64_t read_stamp(const void* body, size_t len);

}  // namespace ferry::bench
