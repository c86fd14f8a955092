// Commit log segments: naming, a record ending exactly at a segment's end,
// blank records where the next record does not fit, reopen across segments,
// and the write modes producing identical bytes.
#include <filesystem>

#include "ferry_common/record_encoder.h"
#include "store_harness.h"

namespace ferry::storage_test {
namespace {

// Body length giving a record of exactly `size` bytes (topic "t", no properties).
size_t body_for(uint32_t size) { return size - common::record_size_for(0, 1, 0, false, false); }

TEST(CommitLog, RecordEndingExactlyAtTheSegmentEndNeedsNoBlank) {
  Harness h;
  h.open_ok();
  // 64 records of 1 KiB fill a 64 KiB segment exactly.
  auto res = h.append_ok(messages("t", 0, 64, body_for(1024)));
  EXPECT_EQ(res.back().commit_offset + res.back().size, 65536u);
  EXPECT_EQ(h.store->write_offset(), 65536u);
  auto next = h.append_ok(messages("t", 0, 1, body_for(1024), "n"));
  EXPECT_EQ(next[0].commit_offset, 65536u);
  EXPECT_EQ(next[0].queue_offset, 64u);
  EXPECT_TRUE(std::filesystem::exists(h.segment_path(0)));
  EXPECT_TRUE(std::filesystem::exists(h.segment_path(65536)));
  EXPECT_EQ(std::filesystem::file_size(h.segment_path(0)), 65536u);
  ASSERT_TRUE(h.wait_dispatched());
  EXPECT_EQ(h.read("t", 0, 0).bodies().size(), 65u);
  // Recovery walks across the exact boundary.
  h.crash();
  h.open_ok();
  EXPECT_EQ(h.store->write_offset(), 65536u + 1024);
  EXPECT_EQ(h.append_ok(messages("t", 0, 1))[0].queue_offset, 65u);
}

TEST(CommitLog, BlankRecordFillsTheRestWhenTheNextRecordDoesNotFit) {
  Harness h;
  h.open_ok();
  auto res = h.append_ok(messages("t", 0, 65, body_for(1000)));  // 65000 bytes
  auto next = h.append_ok(messages("t", 0, 1, body_for(1000), "n"));
  EXPECT_EQ(next[0].commit_offset, 65536u);
  std::string blank = Harness::peek(h.segment_path(0), 65000, 8);
  EXPECT_EQ(ferry_be32(reinterpret_cast<const unsigned char*>(blank.data())), 536u);
  EXPECT_EQ(ferry_be32(reinterpret_cast<const unsigned char*>(blank.data()) + 4),
            FERRY_RECORD_BLANK_MAGIC);
  ASSERT_TRUE(h.wait_dispatched());
  EXPECT_EQ(h.read("t", 0, 60).bodies().size(), 6u);
  // read_log carries the blank, so a slave's segments line up.
  Result r;
  std::string e;
  ASSERT_EQ(h.store->read_log(64000, 1u << 20, &r.r, &e), FERRY_OK) << e;
  ASSERT_EQ(r->count, 2u);
  EXPECT_EQ(r->records[0].len, 65536u - 64000);
  EXPECT_EQ(r->records[1].len, 1000u);
  EXPECT_EQ(r->next_offset, 65536u + 1000);
}

TEST(CommitLog, ARemainderTooSmallForABlankIsNotLeftBehind) {
  Harness h;
  h.open_ok();
  // 64532 bytes, then a 1000-byte record would leave 4 bytes: it must move on.
  h.append_ok(messages("t", 0, 1, body_for(64532 - 62 * 1024)));
  h.append_ok(messages("t", 0, 62, body_for(1024)));
  ASSERT_EQ(h.store->write_offset(), 64532u);
  auto next = h.append_ok(messages("t", 0, 1, body_for(1000), "n"));
  EXPECT_EQ(next[0].commit_offset, 65536u);
  h.crash();
  h.open_ok();
  EXPECT_EQ(h.store->write_offset(), 65536u + 1000);
}

TEST(CommitLog, SegmentsAreNamedByTheirTwentyDigitStartOffset) {
  Harness h;
  h.open_ok();
  h.append_ok(messages("t", 0, 200, body_for(1024)));
  std::vector<std::string> names;
  for (auto& e : std::filesystem::directory_iterator(h.opt.dir + "/commitlog"))
    names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  ASSERT_GE(names.size(), 4u);
  EXPECT_EQ(names[0], "00000000000000000000");
  EXPECT_EQ(names[1], "00000000000000065536");
  EXPECT_EQ(names[2], "00000000000000131072");
}

TEST(CommitLog, NextSegmentIsPreparedBeforeTheHeadNeedsIt) {
  Harness h;
  h.open_ok();
  h.append_ok(messages("t", 0, 64, body_for(1024)));  // fills segment 0 exactly
  for (uint64_t base = 65536; base <= 4 * 65536; base += 65536) {
    // The allocator creates the next segment ahead of the roll...
    EXPECT_TRUE(test::wait_until([&] { return std::filesystem::exists(h.segment_path(base)); },
                                 std::chrono::seconds(5)));
    // ...so rolling into it does not create it on the writer.
    h.append_ok(messages("t", 0, 64, body_for(1024)));
  }
  EXPECT_EQ(h.store->write_offset(), 5u * 65536);
  EXPECT_FALSE(h.logged("was not ready"));
}

TEST(CommitLog, PwriteAndMmapPathsWriteTheSameBytes) {
  Harness a, b;
  b.opt.write_mode = mmaplog::WriteMode::Pwrite;
  a.open_ok();
  b.open_ok();
  a.now = b.now.load();
  for (int round = 0; round < 5; ++round) {
    auto msgs = messages("t", round % 2, 40, 700 + round * 13);
    a.append_ok(msgs);
    b.append_ok(msgs);
  }
  ASSERT_EQ(a.store->write_offset(), b.store->write_offset());
  uint64_t end = a.store->write_offset();
  for (uint64_t base = 0; base < end; base += 65536) {
    uint64_t n = std::min<uint64_t>(65536, end - base);
    EXPECT_EQ(Harness::peek(a.segment_path(base), 0, n), Harness::peek(b.segment_path(base), 0, n))
        << "segment " << base;
  }
  ASSERT_TRUE(b.wait_dispatched());
  EXPECT_EQ(b.read("t", 1, 0).bodies().size(), 80u);
}

// The allocator writes zeros ahead of the head (mmap path) while the writer
// appends; a window far smaller than a burst makes them race: the writer
// keeps outrunning the zeros. No record may be touched by them. The pwrite
// path runs the same appends (its durable prefix must be the data).
TEST(CommitLog, ZerosWrittenAheadOfTheHeadNeverOverwriteRecords) {
  for (auto mode : {mmaplog::WriteMode::Mmap, mmaplog::WriteMode::Pwrite}) {
    SCOPED_TRACE(mode == mmaplog::WriteMode::Mmap ? "mmap" : "pwrite");
    Harness h;
    h.opt.write_mode = mode;
    h.opt.prefault_window = 4096;
    h.open_ok();
    std::vector<std::string> want;
    for (int i = 0; i < 400; ++i) {
      auto m = messages("t", 0, 1, 100 + (static_cast<size_t>(i) * 37) % 3000, "z" + std::to_string(i) + "-");
      want.push_back(m[0].body);
      h.append_ok(m);
    }
    uint64_t end = h.store->write_offset();
    uint64_t synced = 0;
    std::string e;
    ASSERT_EQ(h.store->sync(end, &synced, &e), FERRY_OK) << e;
    if (mode == mmaplog::WriteMode::Pwrite) {
      // The head segment's durable prefix is the data, not the zeros past it.
      uint64_t base = end / h.opt.segment_size * h.opt.segment_size;
      EXPECT_EQ(h.io->synced_prefix(h.segment_path(base)), end - base);
    }
    ASSERT_TRUE(h.wait_dispatched());
    EXPECT_EQ(h.read("t", 0, 0).bodies(), want);
    h.crash();
    h.open_ok();
    EXPECT_EQ(h.store->write_offset(), end);
    ASSERT_TRUE(h.wait_dispatched());
    EXPECT_EQ(h.read("t", 0, 0).bodies(), want);
  }
}

TEST(CommitLog, SyncCoversRolloverInOrderAndReportsTheDurableOffset) {
  for (auto mode : {mmaplog::WriteMode::Mmap, mmaplog::WriteMode::Pwrite}) {
    Harness h;
    h.opt.write_mode = mode;
    h.open_ok();
    h.append_ok(messages("t", 0, 100, body_for(1024)));  // 1.5 segments
    uint64_t synced = 0;
    std::string e;
    ASSERT_EQ(h.store->sync(UINT64_MAX, &synced, &e), FERRY_OK) << e;
    EXPECT_EQ(synced, h.store->write_offset());
    EXPECT_EQ(h.io->synced_prefix(h.segment_path(0)), 65536u);
    EXPECT_GE(h.io->synced_prefix(h.segment_path(65536)), synced - 65536);
  }
}

}  // namespace
}  // namespace ferry::storage_test
