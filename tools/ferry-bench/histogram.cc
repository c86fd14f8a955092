#include "histogram.h"

#include <bit>

namespace ferry::bench {

namespace {
constexpr uint64_t kSub = uint64_t{1} << Histogram::kSubBits;  // 64
}

// Values below 2*kSub map to themselves; above, a value with its top bit at
// position m keeps its top kSubBits+1 bits: bucket = shift*kSub + (v >> shift),
// shift = m - kSubBits. Consecutive shifts tile the index range exactly.
size_t Histogram::bucket_of(uint64_t v) {
  if (v > kMaxValue) v = kMaxValue;
  if (v < 2 * kSub) return static_cast<size_t>(v);
  unsigned shift = static_cast<unsigned>(std::bit_width(v)) - 1 - kSubBits;
  return static_cast<size_t>(shift * kSub + (v >> shift));
}

uint64_t Histogram::bucket_low(size_t b) {
  if (b < 2 * kSub) return b;
  uint64_t shift = b / kSub - 1;
  return (b - shift * kSub) << shift;
}

uint64_t Histogram::bucket_high(size_t b) {
  if (b < 2 * kSub) return b;
  uint64_t shift = b / kSub - 1;
  return ((b - shift * kSub + 1) << shift) - 1;
}

void Histogram::record(uint64_t v) {
  if (v > kMaxValue) v = kMaxValue;
  counts_[bucket_of(v)].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
  uint64_t cur = min_.load(std::memory_order_relaxed);
  while (v < cur && !min_.compare_exchange_weak(cur, v, std::memory_order_relaxed)) {
  }
  cur = max_.load(std::memory_order_relaxed);
  while (v > cur && !max_.compare_exchange_weak(cur, v, std::memory_order_relaxed)) {
  }
}

void Histogram::merge(const Histogram& o) {
  for (size_t i = 0; i < kBuckets; ++i) {
    uint64_t c = o.counts_[i].load(std::memory_order_relaxed);
    if (c) counts_[i].fetch_add(c, std::memory_order_relaxed);
  }
  count_.fetch_add(o.count(), std::memory_order_relaxed);
  sum_.fetch_add(o.sum_.load(std::memory_order_relaxed), std::memory_order_relaxed);
  uint64_t omin = o.min_.load(std::memory_order_relaxed);
  uint64_t cur = min_.load(std::memory_order_relaxed);
  while (omin < cur && !min_.compare_exchange_weak(cur, omin, std::memory_order_relaxed)) {
  }
  uint64_t omax = o.max();
  cur = max_.load(std::memory_order_relaxed);
  while (omax > cur && !max_.compare_exchange_weak(cur, omax, std::memory_order_relaxed)) {
  }
}

void Histogram::reset() {
  for (auto& c : counts_) c.store(0, std::memory_order_relaxed);
  count_.store(0, std::memory_order_relaxed);
  sum_.store(0, std::memory_order_relaxed);
  min_.store(UINT64_MAX, std::memory_order_relaxed);
  max_.store(0, std::memory_order_relaxed);
}

uint64_t Histogram::min() const {
  uint64_t m = min_.load(std::memory_order_relaxed);
  return m == UINT64_MAX ? 0 : m;
}

double Histogram::mean() const {
  uint64_t n = count();
  return n ? static_cast<double>(sum_.load(std::memory_order_relaxed)) / static_cast<double>(n) : 0.0;
}

uint64_t Histogram::quantile(double q) const {
  uint64_t n = count();
  if (n == 0) return 0;
  if (q <= 0) return min();
  if (q > 1) q = 1;
  // Rank of the sample wanted, 1-based, rounded up (p100 = the last one).
  auto rank = static_cast<uint64_t>(q * static_cast<double>(n));
  if (static_cast<double>(rank) < q * static_cast<double>(n)) ++rank;
  if (rank == 0) rank = 1;
  uint64_t seen = 0;
  for (size_t i = 0; i < kBuckets; ++i) {
    seen += counts_[i].load(std::memory_order_relaxed);
    if (seen >= rank) {
      uint64_t hi = bucket_high(i);
      return hi < max() ? hi : max();
    }
  }
  return max();
}

}  // namespace ferry::bench
