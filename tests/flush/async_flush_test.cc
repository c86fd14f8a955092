// ferry_flush_async on the manual clock: syncs only when enough pages are
// dirty at a tick, fully every full_interval, acks never wait for DURABLE.
#include <gtest/gtest.h>

#include <thread>

#include "flush_fixture.h"

namespace ferry::test {
namespace {

using namespace std::chrono_literals;

FakeHost::Options manual() {
  FakeHost::Options o;
  o.manual_clock = true;
  return o;
}

// A tick that decided not to sync leaves nothing behind; a tick that did
// wakes the flusher thread, which syncs soon. Give it a bounded moment.
bool no_sync_follows(CountingStorage& s, int expected) {
  std::this_thread::sleep_for(100ms);
  return s.syncs_entered() == expected;
}

TEST(AsyncFlush, InfoSaysAsync) {
  FlushFixture f("async", {}, manual());
  EXPECT_EQ(f.host().flush_info().mode, FERRY_FLUSH_ASYNC);
}

TEST(AsyncFlush, AcksUseWriteNotDurable) {
  FlushFixture f("async", {}, manual());
  uint64_t end = 0;
  EXPECT_EQ(f.append(1024, &end), FERRY_OK);
  EXPECT_EQ(f.host().watermark(FERRY_WATERMARK_DURABLE), 0u);
  EXPECT_EQ(f.host().watermark(FERRY_WATERMARK_VISIBLE), end);
}

TEST(AsyncFlush, SyncsOnlyWhenMinDirtyPagesReached) {
  FlushFixture f("async", {{"interval", "500ms"}, {"min_dirty_pages", "4"}, {"full_interval", "1h"}},
                 manual());
  f.append_only(3 * 4096);  // three pages dirty
  f.host().advance_clock(500ms);
  EXPECT_TRUE(no_sync_follows(f.storage(), 0));
  f.host().advance_clock(500ms);
  EXPECT_TRUE(no_sync_follows(f.storage(), 0));

  uint64_t end = f.append_only(4096);  // the fourth page
  EXPECT_TRUE(no_sync_follows(f.storage(), 0)) << "appends alone must not sync";
  f.host().advance_clock(500ms);
  ASSERT_TRUE(f.host().wait_watermark(FERRY_WATERMARK_DURABLE, end, 5000ms));
  EXPECT_EQ(f.storage().syncs(), 1);
}

TEST(AsyncFlush, NoTickNoSync) {
  FlushFixture f("async", {{"interval", "500ms"}, {"min_dirty_pages", "1"}}, manual());
  f.append_only(64 * 4096);
  f.host().advance_clock(499ms);
  EXPECT_TRUE(no_sync_follows(f.storage(), 0));
  f.host().advance_clock(1ms);
  EXPECT_TRUE(f.host().wait_watermark(FERRY_WATERMARK_DURABLE, 64 * 4096, 5000ms));
}

TEST(AsyncFlush, FullIntervalSyncsAFewBytes) {
  FlushFixture f("async", {{"interval", "500ms"}, {"min_dirty_pages", "4"}, {"full_interval", "10s"}},
                 manual());
  uint64_t end = f.append_only(100);  // far below four pages
  for (int i = 0; i < 19; ++i) f.host().advance_clock(500ms);  // 9.5 s
  EXPECT_TRUE(no_sync_follows(f.storage(), 0));
  f.host().advance_clock(500ms);  // 10 s: the full flush is due
  ASSERT_TRUE(f.host().wait_watermark(FERRY_WATERMARK_DURABLE, end, 5000ms));
  EXPECT_EQ(f.storage().syncs(), 1);
}

TEST(AsyncFlush, NothingWrittenNothingSynced) {
  FlushFixture f("async", {{"interval", "500ms"}, {"full_interval", "1s"}}, manual());
  for (int i = 0; i < 10; ++i) f.host().advance_clock(500ms);
  EXPECT_TRUE(no_sync_follows(f.storage(), 0));
}

TEST(AsyncFlush, StopFlushesEverything) {
  FakeHost host(manual());
  CountingStorage storage;
  ferry_host* sh = host.add_instance("store", nullptr, {});
  host.register_service(sh, FERRY_KIND_STORAGE, storage.ops(), storage.instance());
  PluginHandle flush(host, "flush", "async");
  flush.create_and_start("flush", {});
  storage.append(10);
  flush.stop();
  EXPECT_GE(host.watermark(FERRY_WATERMARK_DURABLE), 10u);
}

TEST(AsyncFlush, SyncErrorIsAFault) {
  FlushFixture f("async", {{"min_dirty_pages", "0"}}, manual());
  f.storage().fail_syncs_from(1, FERRY_E_IO);
  f.append_only(8192);
  f.host().advance_clock(500ms);
  ASSERT_TRUE(wait_until([&] { return !f.host().faults().empty(); }, 5000ms));
  EXPECT_EQ(f.host().faults()[0].status, FERRY_E_IO);
  EXPECT_EQ(f.host().watermark(FERRY_WATERMARK_DURABLE), 0u);
  // Later ticks do not retry a broken disk.
  f.append_only(8192);
  f.host().advance_clock(500ms);
  EXPECT_TRUE(no_sync_follows(f.storage(), 1));
}

}  // namespace
}  // namespace ferry::test
