// FifoRing (the core's queue of sends waiting for their watermark): first in,
// first out across wrap-around and growth, with move-only values.
#include "core/fifo_ring.h"

#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <random>

namespace ferry::core {
namespace {

TEST(FifoRing, KeepsOrderAcrossWrapAndGrowthWithMoveOnlyValues) {
  FifoRing<std::unique_ptr<int>> ring;
  std::deque<int> model;
  std::mt19937 rng(7);
  int next = 0;
  for (int step = 0; step < 20000; ++step) {
    // Mostly pushes early, mostly takes late: the ring grows, wraps, drains.
    bool push = model.empty() || rng() % 100 < (step < 10000 ? 60u : 40u);
    if (push) {
      ring.push_back(std::make_unique<int>(next));
      model.push_back(next++);
    } else {
      ASSERT_EQ(*ring.front(), model.front());
      std::unique_ptr<int> v = ring.take_front();
      ASSERT_TRUE(v);
      EXPECT_EQ(*v, model.front());
      model.pop_front();
    }
    ASSERT_EQ(ring.size(), model.size());
    ASSERT_EQ(ring.empty(), model.empty());
  }
  while (!ring.empty()) {
    EXPECT_EQ(*ring.take_front(), model.front());
    model.pop_front();
  }
  EXPECT_TRUE(model.empty());
}

}  // namespace
}  // namespace ferry::core
