#pragma once
// Shared by both sides of the transport benchmark: what a run measures and
// how it is summarised.
#include <time.h>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace ferry::net::bench {

struct Scenario {
  int connections;
  int window;  // requests in flight per connection
};

struct RunResult {
  double seconds = 0;
  uint64_t completed = 0;
  std::vector<uint32_t> rtt_ns;  // one per completed request
  double rate() const { return seconds > 0 ? completed / seconds : 0; }
  double percentile_us(double p) {
    if (rtt_ns.empty()) return 0;
    const size_t k = std::min(rtt_ns.size() - 1, static_cast<size_t>(p * rtt_ns.size()));
    std::nth_element(rtt_ns.begin(), rtt_ns.begin() + static_cast<long>(k), rtt_ns.end());
    return rtt_ns[k] / 1000.0;
  }
};

inline uint64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
}

}  // namespace ferry::net::bench
