#pragma once
// What every compare-* load generator shares: one command line, counters and
// a latency histogram (ferry-bench's), the body stamp ferry-bench writes, a
// fixed-schedule pacer, and one JSON summary line in ferry-bench's shape so
// tools/compare/table.py reads every system's output the same way.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>

#include "histogram.h"

namespace ferry::compare {

struct GenOptions {
  std::string host = "127.0.0.1";
  int port = 0;
  std::string mode = "sync";  // per tool: sync | async | batch | consume | e2e
  std::string stream = "bench";
  size_t size = 1024;
  double duration_s = 5;      // always bounds the run
  uint64_t count = 0;         // 0: until duration
  uint32_t window = 256;      // async: requests in flight per connection
  uint32_t batch = 64;        // batch: messages per request
  uint32_t threads = 1;       // connections, one thread each
  uint64_t rate = 0;          // messages/s over all threads, 0 = unlimited
  bool create = false;        // create the stream first
};

// Parses argv into `o`; returns -1 to go on, or the exit code (usage: 2).
int parse_options(int argc, char** argv, const char* tool, const char* modes, GenOptions& o);

inline uint64_t now_ns() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

// ferry-bench's body layout: "FRYB" + 4 zero bytes + send time (u64, host
// order, CLOCK_MONOTONIC) + filler, so end-to-end latency means one thing.
constexpr size_t kStampBytes = 16;
void stamp_body(std::string& body, uint64_t t_ns);
uint64_t read_stamp(const void* body, size_t len);  // 0: not stamped

struct Counters {
  std::atomic<uint64_t> ok{0};
  std::atomic<uint64_t> failed{0};
  std::atomic<uint64_t> bytes{0};
  bench::Histogram latency_ns;
  // n messages acknowledged together: one latency sample.
  void success(uint64_t n, uint64_t body_bytes, uint64_t latency) {
    ok.fetch_add(n, std::memory_order_relaxed);
    bytes.fetch_add(body_bytes, std::memory_order_relaxed);
    latency_ns.record(latency);
  }
  void failure(uint64_t n = 1) { failed.fetch_add(n, std::memory_order_relaxed); }
};

// Splits --count among senders: how many of `want` this caller may still
// send (0 once the budget is spent). Unlimited when count == 0.
class Budget {
 public:
  explicit Budget(uint64_t count) : count_(count) {}
  uint64_t claim(uint64_t want) {
    if (count_ == 0) return want;
    uint64_t before = issued_.fetch_add(want);
    if (before >= count_) return 0;
    return want < count_ - before ? want : count_ - before;
  }

 private:
  uint64_t count_;
  std::atomic<uint64_t> issued_{0};
};

// One thread's share of --rate as a fixed schedule from its start (sends
// are not pushed back when one is late, so latency includes queueing).
class Pacer {
 public:
  Pacer(uint64_t rate, uint32_t threads)
      : interval_ns_(rate ? 1e9 * threads / static_cast<double>(rate) : 0), start_(now_ns()) {}
  // Whether wait(seq) would sleep: a pipelining caller flushes first.
  bool early(uint64_t seq) const { return interval_ns_ > 0 && due(seq) > now_ns(); }
  void wait(uint64_t seq) const {
    if (interval_ns_ <= 0) return;
    uint64_t now = now_ns();
    if (due(seq) > now) std::this_thread::sleep_for(std::chrono::nanoseconds(due(seq) - now));
  }

 private:
  uint64_t due(uint64_t seq) const { return start_ + static_cast<uint64_t>(interval_ns_ * static_cast<double>(seq)); }
  double interval_ns_;
  uint64_t start_;
};

// The run's deadline from --duration.
inline uint64_t deadline_ns(const GenOptions& o) { return now_ns() + static_cast<uint64_t>(o.duration_s * 1e9); }

// One JSON object on stdout (keys as ferry-bench --json, plus cpu_s: this
// process's user + system seconds) and the exit code: 0 all ok, 1 failures
// or --count not reached, 3 nothing succeeded.
int print_summary(const char* tool, const GenOptions& o, const Counters& c, double elapsed_s,
                  const std::string& note);

// Deliveries of an e2e run still on their way after the publisher stopped:
// waits at most 3 s for `target` of them, then counts the missing as failures.
void await_deliveries(Counters& counters, uint64_t target);

// A generator's three runs; each returns an exit code, or -1 for "print the
// summary of these counters".
using RunFn = int (*)(const GenOptions&, Counters&, double& elapsed_s);
struct GenRuns {
  RunFn publish, consume, e2e;
};

// The whole main() of a generator: options, the run its --mode names, the
// first error (read once every thread of the run is joined) and the summary.
int generator_main(const char* tool, int argc, char** argv, const GenRuns& runs, const std::string& first_error);

}  // namespace ferry::compare
