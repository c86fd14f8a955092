// The latency histogram: bucket arithmetic tiles the value range, every
// value is reported within 1/64 of itself, quantiles match exact ones.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <thread>
#include <vector>

#include "histogram.h"

namespace ferry::bench {
namespace {

TEST(Histogram, BucketsTileTheRangeWithoutGaps) {
  EXPECT_EQ(0u, Histogram::bucket_of(0));
  EXPECT_EQ(Histogram::kBuckets - 1, Histogram::bucket_of(Histogram::kMaxValue));
  for (size_t b = 0; b + 1 < Histogram::kBuckets; ++b) {
    ASSERT_LE(Histogram::bucket_low(b), Histogram::bucket_high(b)) << b;
    ASSERT_EQ(Histogram::bucket_high(b) + 1, Histogram::bucket_low(b + 1)) << b;
  }
  EXPECT_EQ(Histogram::kMaxValue, Histogram::bucket_high(Histogram::kBuckets - 1));
}

TEST(Histogram, EveryValueLandsInABucketWithinOneSixtyFourth) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 200000; ++i) {
    uint64_t v = rng() >> (rng() % 64);
    if (v > Histogram::kMaxValue) v = Histogram::kMaxValue;
    size_t b = Histogram::bucket_of(v);
    ASSERT_LE(Histogram::bucket_low(b), v);
    ASSERT_GE(Histogram::bucket_high(b), v);
    ASSERT_LE(static_cast<double>(Histogram::bucket_high(b) - Histogram::bucket_low(b)),
              static_cast<double>(v) / 64.0 + 1e-9) << v;
  }
}

TEST(Histogram, EmptyAnswersZero) {
  Histogram h;
  EXPECT_EQ(0u, h.count());
  EXPECT_EQ(0u, h.quantile(0.5));
  EXPECT_EQ(0u, h.min());
  EXPECT_EQ(0u, h.max());
  EXPECT_EQ(0.0, h.mean());
}

TEST(Histogram, QuantilesMatchExactOnesWithinPrecision) {
  Histogram h;
  std::vector<uint64_t> all;
  std::mt19937_64 rng(11);
  std::lognormal_distribution<double> lat(12.0, 1.0);  // ~160 us median, long tail
  for (int i = 0; i < 100000; ++i) {
    auto v = static_cast<uint64_t>(lat(rng));
    h.record(v);
    all.push_back(v);
  }
  std::sort(all.begin(), all.end());
  for (double q : {0.5, 0.9, 0.99, 0.999}) {
    auto exact = static_cast<double>(all[static_cast<size_t>(q * all.size()) - 1]);
    auto got = static_cast<double>(h.quantile(q));
    EXPECT_GE(got, exact) << q;  // reported as the bucket's upper bound
    EXPECT_LE(got, exact * (1 + 1.0 / 64) + 1) << q;
  }
  EXPECT_EQ(all.front(), h.min());
  EXPECT_EQ(all.back(), h.max());
  EXPECT_EQ(all.back(), h.quantile(1.0));
  EXPECT_EQ(100000u, h.count());
}

TEST(Histogram, ClampsHugeValuesAndMerges) {
  Histogram a, b;
  a.record(UINT64_MAX);
  b.record(5);
  b.record(7);
  a.merge(b);
  EXPECT_EQ(3u, a.count());
  EXPECT_EQ(5u, a.min());
  EXPECT_EQ(Histogram::kMaxValue, a.max());
  EXPECT_EQ(7u, a.quantile(0.6));
  a.reset();
  EXPECT_EQ(0u, a.count());
  EXPECT_EQ(0u, a.quantile(0.99));
}

TEST(Histogram, ConcurrentRecordsAreAllCounted) {
  Histogram h;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&h, t] {
      for (uint64_t i = 0; i < 50000; ++i) h.record(i * (t + 1));
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(200000u, h.count());
  EXPECT_EQ(0u, h.min());
  EXPECT_EQ(49999u * 4, h.max());
}

}  // namespace
}  // namespace ferry::bench
