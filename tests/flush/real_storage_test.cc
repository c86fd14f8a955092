// The flush plugins over the real storages: memory and mmaplog loaded as
// .so files, and mmaplog linked in with a FaultIo for the fault path.
#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <thread>
#include <vector>

#include "append_path.h"
#include "fault_io.h"
#include "ferry_test/child_process.h"
#include "ferry_test/fake_host.h"
#include "mmaplog.h"

namespace ferry::test {
namespace {

using namespace std::chrono_literals;

class FlushOverStorage : public ::testing::TestWithParam<std::string> {};

TEST_P(FlushOverStorage, SyncFlushAcksConcurrentSends) {
  FakeHost host;
  PluginHandle storage(host, "storage", GetParam());
  ConfigMap cfg;
  if (GetParam() == "mmaplog") cfg = {{"segment_size", "1MiB"}};
  storage.create_and_start("store", cfg);
  const auto* sops = storage.ops<ferry_storage_ops>();
  host.publish_write(sops->write_offset(storage.instance()));
  PluginHandle flush(host, "flush", "sync");
  flush.create_and_start("flush", {});
  AppendPath path(host, sops, storage.instance());

  std::atomic<uint64_t> seq{0};
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 40; ++i) {
        TestMessage m(seq.fetch_add(1), 1024);
        Sent s = path.send(m.view());
        if (s.status != FERRY_OK) bad++;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(bad.load(), 0) << host.log_text();
  EXPECT_GE(host.watermark(FERRY_WATERMARK_DURABLE), host.watermark(FERRY_WATERMARK_WRITE));
  EXPECT_GT(host.metric_value("ferry_flush_syncs_total").value_or(0), 0);
  EXPECT_TRUE(host.faults().empty());
}

TEST_P(FlushOverStorage, AsyncFlushCatchesUpOnItsInterval) {
  FakeHost host;
  PluginHandle storage(host, "storage", GetParam());
  ConfigMap cfg;
  if (GetParam() == "mmaplog") cfg = {{"segment_size", "1MiB"}};
  storage.create_and_start("store", cfg);
  const auto* sops = storage.ops<ferry_storage_ops>();
  PluginHandle flush(host, "flush", "async");
  flush.create_and_start("flush", {{"interval", "20ms"}, {"min_dirty_pages", "1"}});
  AppendPath path(host, sops, storage.instance());
  uint64_t end = 0;
  for (uint64_t i = 0; i < 100; ++i) {
    TestMessage m(i, 1024);
    Sent s = path.send(m.view());
    ASSERT_EQ(s.status, FERRY_OK) << s.error;
    end = s.end;
  }
  EXPECT_TRUE(host.wait_watermark(FERRY_WATERMARK_DURABLE, end, 5000ms));
}

INSTANTIATE_TEST_SUITE_P(Storages, FlushOverStorage, ::testing::Values("memory", "mmaplog"),
                         [](const auto& p) { return p.param; });

// mmaplog with every sync of the commit log failing after the first: the
// flush plugin reports the fault (with mmaplog's own text: segment path and
// errno), DURABLE stops, acks fail.
TEST(FlushOverMmaplog, SyncFailureIsAFaultAndDurableStops) {
  FakeHost host;
  auto io = std::make_shared<ferry::mmaplog::FaultIo>();
  PluginHandle storage(host, ferry::mmaplog::descriptor());
  ferry_error err;
  ASSERT_EQ(storage.create_with(
                [&](const ferry_host_api* api, ferry_host* h, void** inst, ferry_error* e) {
                  return ferry::mmaplog::create_with_io(api, h, io, inst, e);
                },
                "store", {{"segment_size", "1MiB"}}, &err),
            FERRY_OK)
      << err.message;
  ASSERT_EQ(storage.start(&err), FERRY_OK) << err.message;
  const auto* sops = storage.ops<ferry_storage_ops>();
  PluginHandle flush(host, "flush", "sync");
  flush.create_and_start("flush", {});
  AppendPath path(host, sops, storage.instance());

  TestMessage first(1, 512);
  Sent ok = path.send(first.view());
  ASSERT_EQ(ok.status, FERRY_OK) << ok.error;
  uint64_t durable = host.watermark(FERRY_WATERMARK_DURABLE);
  ASSERT_GE(durable, ok.end);

  ferry::mmaplog::FaultIo::Rule rule;
  rule.op = ferry::mmaplog::FaultIo::Op::Fdatasync;
  rule.path_contains = "/commitlog/";
  rule.error = EIO;
  io->add_rule(rule);
  TestMessage second(2, 512);
  Sent failed = path.send(second.view());
  EXPECT_EQ(failed.status, FERRY_E_IO);
  auto faults = host.faults();
  ASSERT_EQ(faults.size(), 1u);
  EXPECT_EQ(faults[0].status, FERRY_E_IO);
  EXPECT_NE(faults[0].message.find("/commitlog/"), std::string::npos) << faults[0].message;
  EXPECT_NE(faults[0].message.find(std::strerror(EIO)), std::string::npos) << faults[0].message;
  EXPECT_EQ(host.watermark(FERRY_WATERMARK_DURABLE), durable);

  io->clear_rules();  // the disk "recovers": the plugin still does not trust it
  TestMessage third(3, 512);
  Sent after = path.send(third.view());
  EXPECT_NE(after.status, FERRY_OK);
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(host.watermark(FERRY_WATERMARK_DURABLE), durable);
  EXPECT_EQ(host.faults().size(), 1u);
}

}  // namespace
}  // namespace ferry::test
