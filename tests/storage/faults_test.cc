// Fault injection through the Io layer: EIO on write and on sync, short
// writes, ENOSPC — each a clear error naming the file, nothing corrupted,
// a clean recovery afterwards. Disk-full refusal; retention.
#include <cerrno>
#include <filesystem>

#include "store_harness.h"

namespace ferry::storage_test {
namespace {

using Op = mmaplog::FaultIo::Op;

TEST(Faults, EioOnPwriteFailsTheBatchAndLosesNothingElse) {
  Harness h;
  h.opt.write_mode = mmaplog::WriteMode::Pwrite;
  h.open_ok();
  auto before = h.append_ok(messages("t", 0, 10));
  uint64_t end = h.store->write_offset();
  h.io->add_rule({Op::Pwrite, "/commitlog/", EIO, 0, 1});
  std::vector<ferry_append_result> res;
  size_t appended = 9;
  std::string error;
  EXPECT_EQ(h.append(messages("t", 0, 5, 100, "lost"), &res, &appended, &error), FERRY_E_IO);
  EXPECT_EQ(appended, 0u);
  EXPECT_NE(error.find(h.segment_path(0)), std::string::npos) << error;
  EXPECT_NE(error.find("Input/output error"), std::string::npos) << error;
  EXPECT_EQ(h.store->write_offset(), end);
  // The next batch takes the same place and the same queue offsets.
  auto after = h.append_ok(messages("t", 0, 5, 100, "kept"));
  EXPECT_EQ(after[0].commit_offset, end);
  EXPECT_EQ(after[0].queue_offset, 10u);
  h.crash();
  h.open_ok();
  ASSERT_TRUE(h.wait_dispatched());
  auto bodies = h.read("t", 0, 0).bodies();
  ASSERT_EQ(bodies.size(), 15u);
  EXPECT_EQ(bodies[10].substr(0, 5), "kept0");
}

TEST(Faults, EioWritingAConsumeQueueIsRetriedAndEachRecordIndexedOnce) {
  // Queue entries go out per queue file after the batch is decoded; a
  // failed write stops the dispatcher at the first record whose entry did
  // not land, so records before it are published and indexed once and the
  // rest on the retry (nothing twice, nothing lost). Written at once (no
  // buffering): the buffered case is ConsumeQueue.BufferedEntries...
  Harness h;
  h.opt.queue_buffer_bytes = 0;
  h.open_ok(false);
  h.io->add_rule({Op::Pwrite, "/consumequeue/b/", EIO, 0, 1});
  std::vector<OwnedMessage> msgs;
  for (int i = 0; i < 10; ++i) {
    for (const char* t : {"a", "b"})
      msgs.emplace_back(t, 0, std::string(t) + std::to_string(i),
                        std::vector<std::pair<std::string, std::string>>{
                            {"KEYS", std::string("k") + t + std::to_string(i)}});
  }
  auto res = h.append_ok(msgs);
  h.store->start();
  ASSERT_TRUE(h.wait_dispatched());
  EXPECT_EQ(h.io->injected(), 1);
  EXPECT_TRUE(h.logged("cannot write consume queue")) << "the failure is logged";
  for (const char* t : {"a", "b"}) {
    auto bodies = h.read(t, 0, 0).bodies();
    ASSERT_EQ(bodies.size(), 10u) << t;
    for (int i = 0; i < 10; ++i) EXPECT_EQ(bodies[i], std::string(t) + std::to_string(i));
    for (int i : {0, 9}) {
      Result r;
      const std::string key = std::string("k") + t + std::to_string(i);
      ASSERT_EQ(h.store->query_key(t, key, 0, INT64_MAX / 2, 10, &r.r), FERRY_OK);
      EXPECT_EQ(r->count, 1u) << key;
    }
  }
}

TEST(Faults, ShortWritesAreCompleted) {
  Harness h;
  h.opt.write_mode = mmaplog::WriteMode::Pwrite;
  h.open_ok();
  h.io->add_rule({Op::Pwrite, "/commitlog/", 0, 0, 3, 100});
  h.append_ok(messages("t", 0, 20, 300));
  EXPECT_EQ(h.io->injected(), 3);
  h.crash();
  h.open_ok();
  ASSERT_TRUE(h.wait_dispatched());
  EXPECT_EQ(h.read("t", 0, 0).bodies().size(), 20u);
}

TEST(Faults, EioOnSyncIsReportedAndTheDurableOffsetDoesNotMove) {
  for (auto mode : {mmaplog::WriteMode::Mmap, mmaplog::WriteMode::Pwrite}) {
    Harness h;
    h.opt.write_mode = mode;
    h.open_ok();
    h.append_ok(messages("t", 0, 10));
    uint64_t synced = 0;
    std::string e;
    ASSERT_EQ(h.store->sync(UINT64_MAX, &synced, &e), FERRY_OK);
    uint64_t durable = synced;
    h.append_ok(messages("t", 0, 10));
    h.io->add_rule({mode == mmaplog::WriteMode::Mmap ? Op::Msync : Op::Fdatasync, "/commitlog/", EIO});
    EXPECT_EQ(h.store->sync(UINT64_MAX, &synced, &e), FERRY_E_IO);
    EXPECT_EQ(synced, durable);
    EXPECT_NE(e.find(h.segment_path(0)), std::string::npos) << e;
    EXPECT_EQ(h.io->synced_prefix(h.segment_path(0)), durable);
    h.io->clear_rules();
    ASSERT_EQ(h.store->sync(UINT64_MAX, &synced, &e), FERRY_OK) << e;
    EXPECT_EQ(synced, h.store->write_offset());
    h.crash();
    h.open_ok();
    ASSERT_TRUE(h.wait_dispatched());
    EXPECT_EQ(h.read("t", 0, 0).bodies().size(), 20u);
  }
}

TEST(Faults, EnospcOnPwriteIsDiskFull) {
  Harness h;
  h.opt.write_mode = mmaplog::WriteMode::Pwrite;
  h.open_ok();
  h.append_ok(messages("t", 0, 3));
  h.io->add_rule({Op::Pwrite, "/commitlog/", ENOSPC, 0, 1});
  std::vector<ferry_append_result> res;
  std::string error;
  EXPECT_EQ(h.append(messages("t", 0, 2), &res, nullptr, &error), FERRY_E_DISK_FULL);
  EXPECT_NE(error.find("No space left"), std::string::npos) << error;
  // Refused until the disk check sees space again.
  EXPECT_EQ(h.append(messages("t", 0, 1), &res, nullptr, &error), FERRY_E_DISK_FULL);
  h.store->refresh_disk_usage();
  h.append_ok(messages("t", 0, 2, 100, "ok"));
  ASSERT_TRUE(h.wait_dispatched());
  EXPECT_EQ(h.read("t", 0, 0).bodies().size(), 5u);
}

TEST(Faults, EnospcWhileFaultingInTheMmapWindowIsDiskFull) {
  Harness h;
  h.opt.write_mode = mmaplog::WriteMode::Mmap;
  h.opt.prefault_window = 4096;
  h.open_ok();
  h.io->add_rule({Op::Populate, "/commitlog/", ENOSPC});
  std::vector<ferry_append_result> res;
  std::string error;
  EXPECT_EQ(h.append(messages("t", 0, 50, 500), &res, nullptr, &error), FERRY_E_DISK_FULL);
  EXPECT_NE(error.find(h.segment_path(0)), std::string::npos) << error;
  h.io->clear_rules();
  h.store->refresh_disk_usage();
  h.append_ok(messages("t", 0, 50, 500));
  h.crash();
  h.open_ok();
  ASSERT_TRUE(h.wait_dispatched());
  uint64_t mn = 0, mx = 0;
  h.store->queue_range("t", 0, &mn, &mx);
  EXPECT_GE(mx, 50u);
}

TEST(DiskFull, AppendsAreRefusedNamingThePathAndReadsContinue) {
  Harness h;
  h.opt.disk_max_used_ratio = 0.90;
  h.open_ok();
  EXPECT_TRUE(h.logged("disk_max_used_ratio 0.90"));
  h.append_ok(messages("t", 0, 5));
  ASSERT_TRUE(h.wait_dispatched());
  h.io->set_disk_used_ratio(0.953);
  h.store->refresh_disk_usage();
  std::vector<ferry_append_result> res;
  size_t appended = 7;
  std::string error;
  uint64_t end = h.store->write_offset();
  EXPECT_EQ(h.append(messages("t", 0, 1), &res, &appended, &error), FERRY_E_DISK_FULL);
  EXPECT_EQ(appended, 0u);
  EXPECT_NE(error.find(h.opt.dir + "/commitlog"), std::string::npos) << error;
  EXPECT_NE(error.find("95.3%"), std::string::npos) << error;
  EXPECT_NE(error.find("0.90"), std::string::npos) << error;
  EXPECT_EQ(h.store->write_offset(), end);
  EXPECT_EQ(h.read("t", 0, 0).bodies().size(), 5u);  // reads keep working
  ferry_storage_stats st = FERRY_STRUCT_INIT(ferry_storage_stats);
  h.store->stats(&st);
  EXPECT_TRUE(st.read_only);
  EXPECT_NEAR(st.disk_used_ratio, 0.953, 1e-9);
  h.io->set_disk_used_ratio(0.5);
  h.store->refresh_disk_usage();
  h.append_ok(messages("t", 0, 1));
}

TEST(Retention, ExpiredSegmentsGoQueuesAndIndexFollowReadersBehindAreMoved) {
  Harness h;
  h.opt.file_reserved_ms = 60'000;
  h.opt.queue_file_entries = 16;
  h.opt.index_entries = 64;
  h.open_ok();
  std::vector<OwnedMessage> msgs;
  for (int i = 0; i < 300; ++i)
    msgs.emplace_back("t", 0, std::string(900, 'a' + i % 26) + std::to_string(i),
                      std::vector<std::pair<std::string, std::string>>{{"KEYS", "k" + std::to_string(i)}});
  auto res = h.append_ok(msgs);  // ~4.4 segments
  ASSERT_TRUE(h.wait_dispatched());
  // A reader holding old records across the deletion.
  Result held = h.read("t", 0, 0, 5);
  ASSERT_EQ(held->count, 5u);
  std::string first = str(held->records[0]);

  EXPECT_EQ(h.store->run_retention(false), 0u);  // nothing expired yet
  h.now += 3'600'000;
  size_t deleted = h.store->run_retention(true);
  EXPECT_GE(deleted, 3u);
  EXPECT_TRUE(h.logged("retention: deleted"));
  const uint64_t log_min = h.store->log().min_offset();
  EXPECT_EQ(log_min % h.opt.segment_size, 0u);
  EXPECT_GT(log_min, 0u);
  EXPECT_FALSE(std::filesystem::exists(h.segment_path(0)));
  EXPECT_TRUE(std::filesystem::exists(h.segment_path(log_min)));
  EXPECT_EQ(str(held->records[0]), first);  // still mapped for its reader

  // The first queue offset whose record survives.
  uint64_t want = 0;
  while (res[want].commit_offset < log_min) ++want;
  uint64_t mn = 0, mx = 0;
  h.store->queue_range("t", 0, &mn, &mx);
  EXPECT_EQ(mn, want);
  EXPECT_EQ(mx, 300u);
  Result behind = h.read("t", 0, 0);
  EXPECT_EQ(behind->status, FERRY_READ_OFFSET_MOVED);
  EXPECT_EQ(behind->next_offset, want);
  Result ok = h.read("t", 0, want, 1);
  ASSERT_EQ(ok->count, 1u);
  EXPECT_EQ(static_cast<uint64_t>(decode(ok->records[0]).physical_offset), res[want].commit_offset);
  // Whole consume-queue files below the new minimum are deleted.
  EXPECT_FALSE(std::filesystem::exists(h.opt.dir + "/consumequeue/t/0/00000000000000000000"));
  // Keys of deleted records are not found any more; later ones are.
  Result gone, kept;
  ASSERT_EQ(h.store->query_key("t", "k0", 0, INT64_MAX / 2, 10, &gone.r), FERRY_OK);
  EXPECT_EQ(gone->count, 0u);
  ASSERT_EQ(h.store->query_key("t", "k299", 0, INT64_MAX / 2, 10, &kept.r), FERRY_OK);
  EXPECT_EQ(kept->count, 1u);
  Result log_behind;
  std::string e;
  ASSERT_EQ(h.store->read_log(0, 1000, &log_behind.r, &e), FERRY_OK);
  EXPECT_EQ(log_behind->status, FERRY_READ_OFFSET_MOVED);
  EXPECT_EQ(log_behind->next_offset, log_min);
  // The active segment is never deleted, whatever its age.
  h.now += 100'000'000;
  h.store->run_retention(true);
  EXPECT_EQ(h.store->log().segments().size(), 1u);
  h.append_ok(messages("t", 0, 1));
  // A restart keeps the new minimum.
  h.close();
  h.open_ok();
  ASSERT_TRUE(h.wait_dispatched());
  h.store->queue_range("t", 0, &mn, &mx);
  EXPECT_EQ(mn, want);
  EXPECT_EQ(mx, 301u);
}

}  // namespace
}  // namespace ferry::storage_test
