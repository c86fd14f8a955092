#pragma once
// Latency histogram in the HDR style: log-linear buckets (each power of two
// split into 64 linear sub-buckets, so any recorded value is reported within
// 1/64 ≈ 1.6 % of itself), fixed memory, record() is one relaxed atomic add
// per field — no allocation, no lock, safe from any number of threads.
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace ferry::bench {

class Histogram {
 public:
  // Values are clamped to [0, kMaxValue] (2^40 - 1: about 18 minutes in ns).
  static constexpr uint64_t kMaxValue = (uint64_t{1} << 40) - 1;
  static constexpr unsigned kSubBits = 6;  // 64 sub-buckets per power of two
  static constexpr size_t kBuckets = (40 - kSubBits - 1) * (size_t{1} << kSubBits) + (size_t{1} << (kSubBits + 1));

  void record(uint64_t value);
  // Adds another histogram's counts (for per-interval or per-thread sums).
  void merge(const Histogram& other);
  void reset();

  uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  uint64_t min() const;  // 0 when empty
  uint64_t max() const { return max_.load(std::memory_order_relaxed); }
  double mean() const;
  // Smallest bucket upper bound with at least q (0..1] of the samples at or
  // below it, capped at max(); 0 when empty.
  uint64_t quantile(double q) const;

  // Bucket arithmetic, public for the unit test.
  static size_t bucket_of(uint64_t value);
  static uint64_t bucket_low(size_t bucket);
  static uint64_t bucket_high(size_t bucket);

 private:
  std::array<std::atomic<uint64_t>, kBuckets> counts_{};
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_{0};
  std::atomic<uint64_t> min_{UINT64_MAX};
  std::atomic<uint64_t> max_{0};
};

}  // namespace ferry::bench
