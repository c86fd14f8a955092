// ferry_flush_sync against a counting storage: when DURABLE may advance,
// that many waiters share one sync, the ack timeout, the fault path.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "flush_fixture.h"

namespace ferry::test {
namespace {

using namespace std::chrono_literals;

TEST(SyncFlush, InfoSaysSyncWithConfiguredTimeout) {
  FlushFixture f("sync", {{"timeout", "250ms"}});
  ferry_flush_info info = FERRY_STRUCT_INIT(ferry_flush_info);
  ASSERT_EQ(f.ops()->info(f.flush().instance(), &info), FERRY_OK);
  EXPECT_EQ(info.mode, FERRY_FLUSH_SYNC);
  EXPECT_EQ(info.ack_timeout_ms, 250u);
}

TEST(SyncFlush, DefaultTimeoutIsFiveSeconds) {
  FlushFixture f("sync", {});
  EXPECT_EQ(f.host().flush_info().ack_timeout_ms, 5000u);
}

TEST(SyncFlush, RejectsUnknownConfigKey) {
  FakeHost host;
  PluginHandle flush(host, "flush", "sync");
  EXPECT_THROW(flush.create("flush", {{"timeuot", "1s"}}), std::invalid_argument);
}

TEST(SyncFlush, CreateFailsWithoutStorage) {
  FakeHost host;
  PluginHandle flush(host, "flush", "sync");
  ferry_error err;
  EXPECT_EQ(flush.create("flush", {}, &err), FERRY_E_DEPENDENCY);
  EXPECT_NE(err.message.find("storage"), std::string::npos) << err.message;
}

TEST(SyncFlush, DurableAdvancesOnlyAfterSyncReturned) {
  FlushFixture f("sync", {});
  f.storage().close_gate();
  uint64_t end = f.append_only();
  ASSERT_TRUE(wait_until([&] { return f.storage().syncs_entered() >= 1; }, 5000ms));
  // The sync is in progress (held at the gate): nothing may be durable yet.
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(f.host().watermark(FERRY_WATERMARK_DURABLE), 0u);
  EXPECT_LT(f.host().watermark(FERRY_WATERMARK_VISIBLE), end);
  f.storage().open_gate();
  EXPECT_EQ(f.host().wait_ack(end), FERRY_OK);
  EXPECT_GE(f.host().watermark(FERRY_WATERMARK_DURABLE), end);
  EXPECT_GE(f.storage().max_returned_synced(), f.host().watermark(FERRY_WATERMARK_DURABLE));
}

TEST(SyncFlush, ManyWaitersShareFewSyncs) {
  FlushFixture f("sync", {});
  // A slow disk sync: while it runs, the other appenders (woken through the
  // fake host's one condition variable, a herd on 2 cores) pile up behind it.
  f.storage().set_sync_cost(5000us);
  constexpr int kThreads = 64;
  constexpr int kPerThread = 40;
  std::atomic<int> acked{0}, early{0}, failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        uint64_t end = 0;
        if (f.append(1024, &end) != FERRY_OK) {
          failed++;
          return;
        }
        // An ack is only legal once a finished sync covered the record.
        if (f.storage().max_returned_synced() < end) early++;
        acked++;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(early.load(), 0);
  EXPECT_EQ(acked.load(), kThreads * kPerThread);
  EXPECT_LT(f.storage().syncs(), kThreads * kPerThread / 10)
      << "group commit should share one sync among many waiting appends";
  EXPECT_GT(f.storage().syncs(), 0);
}

TEST(SyncFlush, AckTimesOutWhileSyncIsStuckThenSucceeds) {
  FlushFixture f("sync", {{"timeout", "200ms"}});
  f.storage().close_gate();
  uint64_t end = f.append_only();
  EXPECT_EQ(f.host().wait_ack(end), FERRY_E_FLUSH_TIMEOUT);
  EXPECT_TRUE(f.host().faults().empty());  // slow is not broken
  f.storage().open_gate();
  EXPECT_EQ(f.host().wait_ack(end), FERRY_OK);
}

TEST(SyncFlush, SyncErrorIsAFaultAndDurableStops) {
  FlushFixture f("sync", {});
  f.storage().fail_syncs_from(2, FERRY_E_IO);
  uint64_t first = 0;
  ASSERT_EQ(f.append(1024, &first), FERRY_OK);
  uint64_t second = 0;
  EXPECT_EQ(f.append(1024, &second), FERRY_E_IO);
  auto faults = f.host().faults();
  ASSERT_EQ(faults.size(), 1u);
  EXPECT_EQ(faults[0].status, FERRY_E_IO);
  EXPECT_EQ(faults[0].instance, "flush");
  EXPECT_NE(faults[0].message.find("sync"), std::string::npos) << faults[0].message;
  // The storage's own words reach the fault report (host error_create).
  EXPECT_NE(faults[0].message.find(CountingStorage::kFailureText), std::string::npos) << faults[0].message;
  EXPECT_TRUE(f.host().read_only());
  EXPECT_EQ(f.host().watermark(FERRY_WATERMARK_DURABLE), first);

  // Nothing is synced or acknowledged after the fault.
  int syncs = f.storage().syncs();
  uint64_t third = f.append_only();
  EXPECT_NE(f.host().wait_ack(third), FERRY_OK);
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(f.storage().syncs(), syncs);
  EXPECT_EQ(f.host().watermark(FERRY_WATERMARK_DURABLE), first);
  ferry_error err;
  EXPECT_EQ(f.ops()->flush_all(f.flush().instance(), &err), FERRY_E_IO);
  EXPECT_EQ(err.status, FERRY_E_IO);
}

TEST(SyncFlush, RejectsGroupWaitOutOfRange) {
  FakeHost host;
  PluginHandle flush(host, "flush", "sync");
  EXPECT_THROW(flush.create("flush", {{"group_wait_us", "-1"}}), std::invalid_argument);
}

// group_wait_us: after a sync, with more already waiting, the flusher holds
// the next sync for a new send (or the window) so both share one sync.
TEST(SyncFlush, GroupWaitHoldsTheNextSyncForANewSend) {
  FlushFixture f("sync", {{"group_wait_us", "1000000"}});  // a 1 s window
  f.storage().cover_at_entry(true);  // the first sync covers x only
  f.storage().close_gate();
  uint64_t x = f.append_only();
  ASSERT_TRUE(wait_until([&] { return f.storage().syncs_entered() >= 1; }, 5000ms));
  uint64_t y = f.append_only();  // waits while the first sync runs
  f.host().run_on_loop([] {});  // its on_appended (posted before) has run
  f.storage().open_gate();
  ASSERT_TRUE(f.host().wait_watermark(FERRY_WATERMARK_DURABLE, x, 5000ms));
  std::this_thread::sleep_for(100ms);  // well inside the window
  EXPECT_EQ(f.storage().syncs_entered(), 1) << "the next sync did not wait for its group";
  uint64_t z = f.append_only();
  EXPECT_EQ(f.host().wait_ack(z), FERRY_OK);
  EXPECT_GE(f.host().watermark(FERRY_WATERMARK_DURABLE), y);
  EXPECT_EQ(f.storage().syncs(), 2);  // y and z in one sync
}

TEST(SyncFlush, GroupWaitEndsAfterTheWindowWithoutNewSends) {
  FlushFixture f("sync", {{"group_wait_us", "20000"}});  // 20 ms
  f.storage().cover_at_entry(true);  // the first sync covers x only
  f.storage().close_gate();
  uint64_t x = f.append_only();
  ASSERT_TRUE(wait_until([&] { return f.storage().syncs_entered() >= 1; }, 5000ms));
  uint64_t y = f.append_only();
  f.host().run_on_loop([] {});
  f.storage().open_gate();
  EXPECT_EQ(f.host().wait_ack(x), FERRY_OK);
  EXPECT_EQ(f.host().wait_ack(y), FERRY_OK);  // no further send needed
}

TEST(SyncFlush, FlushAllMakesEverythingDurable) {
  FlushFixture f("sync", {});
  f.storage().append(5000);  // written, the kernel has not woken the flusher
  ferry_error err;
  ferry_status st = FERRY_E_INTERNAL;
  f.host().run_on_loop([&] { st = f.ops()->flush_all(f.flush().instance(), &err); });
  EXPECT_EQ(st, FERRY_OK) << err.message;
  EXPECT_GE(f.host().watermark(FERRY_WATERMARK_DURABLE), 5000u);
}

TEST(SyncFlush, StartMakesRecoveredDataDurable) {
  FakeHost host;
  CountingStorage storage;
  storage.append(7777);  // what recovery found
  ferry_host* sh = host.add_instance("store", nullptr, {});
  host.register_service(sh, FERRY_KIND_STORAGE, storage.ops(), storage.instance());
  PluginHandle flush(host, "flush", "sync");
  flush.create_and_start("flush", {});
  EXPECT_TRUE(host.wait_watermark(FERRY_WATERMARK_DURABLE, 7777, 5000ms));
}

TEST(SyncFlush, StopSyncsWhatIsPending) {
  FakeHost host;
  CountingStorage storage;
  ferry_host* sh = host.add_instance("store", nullptr, {});
  host.register_service(sh, FERRY_KIND_STORAGE, storage.ops(), storage.instance());
  {
    PluginHandle flush(host, "flush", "sync");
    flush.create_and_start("flush", {});
    storage.append(4096);
    flush.stop();
  }
  EXPECT_GE(host.watermark(FERRY_WATERMARK_DURABLE), 4096u);
}

}  // namespace
}  // namespace ferry::test
