// The visibility rule of DESIGN.md "Durability by watermarks".
#include "host/watermarks.h"

#include <gtest/gtest.h>

namespace ferry::host {
namespace {

TEST(Watermarks, WithoutFlushOrReplicationVisibleIsTheWritePosition) {
  Watermarks w;
  w.configure(/*sync_flush=*/false, /*replicated=*/false);
  w.advance(FERRY_WATERMARK_WRITE, 1000);
  EXPECT_EQ(w.get(FERRY_WATERMARK_VISIBLE), 1000u);
}

TEST(Watermarks, SyncFlushHoldsVisibilityAtDurable) {
  Watermarks w;
  w.configure(true, false);
  w.advance(FERRY_WATERMARK_WRITE, 1000);
  EXPECT_EQ(w.get(FERRY_WATERMARK_VISIBLE), 0u);
  w.advance(FERRY_WATERMARK_DURABLE, 600);
  EXPECT_EQ(w.get(FERRY_WATERMARK_VISIBLE), 600u);
}

TEST(Watermarks, ReplicationAndSyncFlushTakeTheMinimum) {
  Watermarks w;
  w.configure(true, true);
  w.advance(FERRY_WATERMARK_WRITE, 1000);
  w.advance(FERRY_WATERMARK_DURABLE, 900);
  w.advance(FERRY_WATERMARK_REPLICATED, 700);
  EXPECT_EQ(w.get(FERRY_WATERMARK_VISIBLE), 700u);
  w.advance(FERRY_WATERMARK_REPLICATED, 950);
  EXPECT_EQ(w.get(FERRY_WATERMARK_VISIBLE), 900u);
}

TEST(Watermarks, AsyncFlushUsesWriteForDurability) {
  Watermarks w;
  w.configure(false, true);
  w.advance(FERRY_WATERMARK_WRITE, 1000);
  w.advance(FERRY_WATERMARK_DURABLE, 10);
  w.advance(FERRY_WATERMARK_REPLICATED, 800);
  EXPECT_EQ(w.get(FERRY_WATERMARK_VISIBLE), 800u);
}

TEST(Watermarks, NeverAheadOfWriteAndNeverBackwards) {
  Watermarks w;
  w.configure(true, false);
  w.advance(FERRY_WATERMARK_WRITE, 100);
  w.advance(FERRY_WATERMARK_DURABLE, 500);  // a confused flush plugin
  EXPECT_EQ(w.get(FERRY_WATERMARK_VISIBLE), 100u);
  EXPECT_FALSE(w.advance(FERRY_WATERMARK_DURABLE, 50));
  EXPECT_EQ(w.get(FERRY_WATERMARK_DURABLE), 500u);
  EXPECT_FALSE(w.advance(FERRY_WATERMARK_VISIBLE, 10'000));  // derived, not settable
}

TEST(Watermarks, OneWakeUpPerAdvanceThatMoves) {
  Watermarks w;
  int wakeups = 0;
  w.on_advance([&] { ++wakeups; });
  w.advance(FERRY_WATERMARK_WRITE, 10);
  w.advance(FERRY_WATERMARK_WRITE, 10);  // no movement, no wake-up
  w.advance(FERRY_WATERMARK_DURABLE, 5);
  EXPECT_EQ(wakeups, 2);
}

}  // namespace
}  // namespace ferry::host
