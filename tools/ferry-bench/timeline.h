#pragma once
// consume --timeline: each timed message's send stamp and receipt
// (CLOCK_MONOTONIC ns, the clock `perf record -k CLOCK_MONOTONIC` uses), kept
// in a buffer sized before the run and written after it, to line a run's slow
// messages up with broker events (docs/tools.md). Lock-free: one relaxed
// fetch_add per message while enabled; a full buffer drops the rest.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace ferry::bench {

class Timeline {
 public:
  // Sizes the buffer (capacity 0: off, record() does nothing).
  void enable(size_t capacity);
  bool enabled() const { return cap_ != 0; }
  void record(uint64_t sent_ns, uint64_t recv_ns) {
    size_t i = n_.fetch_add(1, std::memory_order_relaxed);
    if (i < cap_) rows_[i] = {sent_ns, recv_ns};
  }
  // After the run (no record() running): "send_ns,recv_ns" lines; false when
  // the file cannot be written. *dropped = messages past the capacity.
  bool write(const std::string& path, uint64_t* dropped) const;

 private:
  struct Row {
    uint64_t sent_ns, recv_ns;
  };
  std::unique_ptr<Row[]> rows_;
  size_t cap_ = 0;
  std::atomic<size_t> n_{0};
};

}  // namespace ferry::bench
