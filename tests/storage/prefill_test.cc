// segment_prefill: the pre-fault thread zero-fills the next segment ahead of
// the roll (pwrite path), and a fresh log's first segment ahead of the
// writer. Its blocks are then written when the writer gets there; the fill
// never writes under a record, and a filled segment with no records, a fill
// a crash cut short, and a fill that failed (disk full) all recover to
// exactly the records appended.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>

#include "ferry_common/record_encoder.h"
#include "store_harness.h"

namespace ferry::storage_test {
namespace {

size_t body_for(uint32_t size) { return size - common::record_size_for(0, 1, 0, false, false); }

// Bytes of the file at `path` that are not holes (SEEK_DATA / SEEK_HOLE).
uint64_t data_bytes(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return 0;
  uint64_t total = 0;
  off_t end = ::lseek(fd, 0, SEEK_END), off = 0;
  while (off < end) {
    off_t d = ::lseek(fd, off, SEEK_DATA);
    if (d < 0) break;
    off_t h = ::lseek(fd, d, SEEK_HOLE);
    if (h < 0) h = end;
    total += static_cast<uint64_t>(h - d);
    off = h;
  }
  ::close(fd);
  return total;
}

void prefill_options(Harness& h, bool on) {
  h.opt.write_mode = mmaplog::WriteMode::Pwrite;
  h.opt.segment_prefill = on;
  h.opt.segment_size = 1 << 20;  // four of the fill's 256 KiB pieces
}

// Appends 1 KiB records up to `until`, remembering their bodies.
void append_until(Harness& h, uint64_t until, std::vector<std::string>* want) {
  while (h.store->write_offset() < until) {
    auto m = messages("t", 0, 8, body_for(1024), "p" + std::to_string(want->size()) + "-");
    for (auto& x : m) want->push_back(x.body);
    h.append_ok(m);
  }
}

// Every body of topic t queue 0, read in as many calls as it takes.
std::vector<std::string> read_all(Harness& h) {
  std::vector<std::string> out;
  for (;;) {
    auto b = h.read("t", 0, out.size(), 100000).bodies();
    if (b.empty()) return out;
    out.insert(out.end(), b.begin(), b.end());
  }
}

// The first difference, not a dump of thousands of 1 KiB bodies.
::testing::AssertionResult same_bodies(const std::vector<std::string>& got, const std::vector<std::string>& want) {
  for (size_t i = 0; i < std::min(got.size(), want.size()); ++i)
    if (got[i] != want[i]) return ::testing::AssertionFailure() << "body " << i << " differs: " << got[i].substr(0, 40);
  if (got.size() != want.size())
    return ::testing::AssertionFailure() << got.size() << " bodies, want " << want.size();
  return ::testing::AssertionSuccess();
}

bool filled(const Harness& h, uint64_t base) {
  return test::wait_until([&] { return data_bytes(h.segment_path(base)) == h.opt.segment_size; },
                          std::chrono::seconds(10));
}

TEST(SegmentPrefill, TheNextSegmentIsWrittenBeforeTheWriterRollsIntoIt) {
  Harness h;
  prefill_options(h, true);
  h.open_ok();
  std::vector<std::string> want;
  append_until(h, 64 << 10, &want);
  // Idle writer: the fill runs at the disk's pace to the end.
  ASSERT_TRUE(filled(h, h.opt.segment_size)) << data_bytes(h.segment_path(h.opt.segment_size));
  append_until(h, 2 * h.opt.segment_size + (64 << 10), &want);  // through two rolls
  ASSERT_TRUE(filled(h, 3 * h.opt.segment_size));
  ASSERT_TRUE(h.wait_dispatched(h.store->write_offset()));
  EXPECT_EQ(h.read("t", 0, 0, 100000).bodies(), want);
  EXPECT_FALSE(h.logged("pre-fill"));
}

TEST(SegmentPrefill, OffLeavesTheNextSegmentSparse) {
  Harness h;
  prefill_options(h, false);
  h.open_ok();
  std::vector<std::string> want;
  append_until(h, 64 << 10, &want);
  ASSERT_TRUE(test::wait_until([&] { return std::filesystem::exists(h.segment_path(h.opt.segment_size)); },
                               std::chrono::seconds(5)));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(data_bytes(h.segment_path(h.opt.segment_size)), 0u);
}

TEST(SegmentPrefill, AFilledSegmentWithNoRecordsRecoversToTheRecordsAppended) {
  Harness h;
  prefill_options(h, true);
  h.open_ok();
  std::vector<std::string> want;
  append_until(h, h.opt.segment_size + (100 << 10), &want);  // the head in segment 1
  ASSERT_TRUE(filled(h, 2 * h.opt.segment_size));           // segment 2: zeros only
  const uint64_t end = h.store->write_offset();
  h.crash();
  h.open_ok();
  EXPECT_EQ(h.store->write_offset(), end);
  ASSERT_TRUE(h.wait_dispatched(end));
  EXPECT_EQ(h.read("t", 0, 0, 100000).bodies(), want);
  EXPECT_FALSE(h.logged("corrupted"));
  // And the log goes on through the next rolls.
  append_until(h, 3 * h.opt.segment_size + (10 << 10), &want);
  h.crash();
  h.open_ok();
  ASSERT_TRUE(h.wait_dispatched(h.store->write_offset()));
  EXPECT_EQ(h.read("t", 0, 0, 100000).bodies(), want);
}

TEST(SegmentPrefill, ACleanRestartDoesNotReadThePrefilledRest) {
  // After a clean shutdown the checkpoint says where the log ends: the
  // zeros past it (the rest of a filled segment) are not searched for
  // records. After a crash they are (a torn tail vs damage in the middle).
  Harness h;
  prefill_options(h, true);
  h.open_ok();
  std::vector<std::string> want;
  append_until(h, h.opt.segment_size + (100 << 10), &want);  // the head in filled segment 1
  ASSERT_TRUE(filled(h, 2 * h.opt.segment_size));
  const uint64_t end = h.store->write_offset();
  h.close();
  const uint64_t seeks = h.io->data_seeks();
  h.open_ok();
  EXPECT_EQ(h.io->data_seeks(), seeks);
  EXPECT_EQ(h.store->write_offset(), end);
  ASSERT_TRUE(h.wait_dispatched(end));
  EXPECT_EQ(h.read("t", 0, 0, 100000).bodies(), want);
  h.crash();
  const uint64_t before_crash_open = h.io->data_seeks();
  h.open_ok();
  EXPECT_GT(h.io->data_seeks(), before_crash_open);
  EXPECT_EQ(h.store->write_offset(), end);
  EXPECT_FALSE(h.logged("corrupted"));
}

TEST(SegmentPrefill, AFillCutShortRecoversAndTheWriterFillsTheRest) {
  // The fill stops after two pieces (as a crash mid-fill leaves it): the
  // rest of the segment is holes, which the writer allocates as before.
  Harness h;
  prefill_options(h, true);
  // Segment 1's file only: a fresh log's first segment is filled too.
  h.io->add_rule({mmaplog::FaultIo::Op::WriteZeros, h.segment_path(h.opt.segment_size), EIO, 2, -1});
  h.open_ok();
  std::vector<std::string> want;
  append_until(h, 64 << 10, &want);
  ASSERT_TRUE(test::wait_until([&] { return h.logged("cannot pre-fill"); }, std::chrono::seconds(10)));
  EXPECT_EQ(data_bytes(h.segment_path(h.opt.segment_size)), 512u << 10);
  h.crash();  // a crash with the next segment half filled
  h.open_ok();
  append_until(h, 2 * h.opt.segment_size + (64 << 10), &want);
  h.crash();
  h.open_ok();
  ASSERT_TRUE(h.wait_dispatched(h.store->write_offset()));
  EXPECT_EQ(h.read("t", 0, 0, 100000).bodies(), want);
}

TEST(SegmentPrefill, ADiskFullDuringTheFillIsLoggedAndLosesNothing) {
  Harness h;
  prefill_options(h, true);
  h.io->add_rule({mmaplog::FaultIo::Op::WriteZeros, "/commitlog/", ENOSPC, 1, -1});
  h.open_ok();
  std::vector<std::string> want;
  append_until(h, 64 << 10, &want);
  ASSERT_TRUE(test::wait_until([&] { return h.logged("(disk full)"); }, std::chrono::seconds(10)));
  // The disk was full only for the fill: the writer's appends go on, into
  // the segment the fill left sparse.
  append_until(h, 2 * h.opt.segment_size + (64 << 10), &want);
  ASSERT_TRUE(h.wait_dispatched(h.store->write_offset()));
  EXPECT_EQ(h.read("t", 0, 0, 100000).bodies(), want);
  h.crash();
  h.open_ok();
  ASSERT_TRUE(h.wait_dispatched(h.store->write_offset()));
  EXPECT_EQ(h.read("t", 0, 0, 100000).bodies(), want);
}

// A brand-new log's first segment has no segment before it to be filled
// during: the fill runs in it, ahead of the writer (pieces at or above the
// writer's floor only), then moves on to the next.
TEST(SegmentPrefill, AFreshLogsFirstSegmentIsFilledAheadOfTheWriter) {
  Harness h;
  prefill_options(h, true);
  h.opt.segment_size = 4 << 20;
  h.open_ok();
  std::vector<std::string> want;
  append_until(h, 64 << 10, &want);
  // Idle writer: the fill runs at the disk's pace through segment 0 (all of
  // it but the 768 KiB it keeps clear past the writer, still holes), then 1.
  ASSERT_TRUE(test::wait_until([&] { return data_bytes(h.segment_path(0)) >= h.opt.segment_size - (1 << 20); },
                               std::chrono::seconds(10)))
      << data_bytes(h.segment_path(0));
  ASSERT_TRUE(filled(h, h.opt.segment_size));
  append_until(h, h.opt.segment_size + (64 << 10), &want);
  ASSERT_TRUE(h.wait_dispatched(h.store->write_offset()));
  EXPECT_TRUE(same_bodies(read_all(h), want));
  EXPECT_EQ(h.io->zeros_below_data(), 0u);
  EXPECT_GT(h.io->zero_writes(), 0u);
  EXPECT_FALSE(h.logged("pre-fill"));
}

TEST(SegmentPrefill, TheFillAheadOfABusyWriterNeverWritesUnderARecord) {
  // The writer appends without pause through three segments while the fill
  // runs ahead of it in the first (and in any it did not finish): every
  // zero write starts above what the writer had written, and every record
  // reads back, before and after a crash.
  Harness h;
  prefill_options(h, true);
  h.opt.segment_size = 4 << 20;
  h.open_ok();
  std::vector<std::string> want;
  append_until(h, 3 * h.opt.segment_size + (64 << 10), &want);
  EXPECT_GT(h.io->zero_writes(), 0u);
  EXPECT_EQ(h.io->zeros_below_data(), 0u);
  ASSERT_TRUE(h.wait_dispatched(h.store->write_offset()));
  EXPECT_TRUE(same_bodies(read_all(h), want));
  const uint64_t end = h.store->write_offset();
  h.crash();
  h.open_ok();
  EXPECT_EQ(h.store->write_offset(), end);
  ASSERT_TRUE(h.wait_dispatched(end));
  EXPECT_TRUE(same_bodies(read_all(h), want));
  EXPECT_FALSE(h.logged("corrupted"));
  EXPECT_EQ(h.io->zeros_below_data(), 0u);
}

TEST(SegmentPrefill, AFillOfTheActiveSegmentCutShortOrDiskFullLosesNothing) {
  // The fill of a fresh log's first segment fails after one piece (disk
  // full; a crash mid-fill leaves the same: holes past a few pieces): it is
  // logged, the writer goes on into the holes, and a crash recovers every
  // record.
  Harness h;
  prefill_options(h, true);
  h.opt.segment_size = 4 << 20;
  h.io->add_rule({mmaplog::FaultIo::Op::WriteZeros, h.segment_path(0), ENOSPC, 1, -1});
  h.open_ok();
  std::vector<std::string> want;
  append_until(h, 64 << 10, &want);
  ASSERT_TRUE(test::wait_until([&] { return h.logged("(disk full)"); }, std::chrono::seconds(10)));
  EXPECT_LT(data_bytes(h.segment_path(0)), h.opt.segment_size);
  h.crash();
  h.open_ok();
  append_until(h, h.opt.segment_size + (64 << 10), &want);
  h.crash();
  h.open_ok();
  ASSERT_TRUE(h.wait_dispatched(h.store->write_offset()));
  EXPECT_TRUE(same_bodies(read_all(h), want));
  EXPECT_FALSE(h.logged("corrupted"));
}

}  // namespace
}  // namespace ferry::storage_test
