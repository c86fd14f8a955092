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

#include "commit_log.h"
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

TEST(SegmentPrefill, AWriterThatOutranTheFillFindsItsOwnSegmentFilledNext) {
  // A burst through several segments outruns the fill's paced write-back:
  // the writer rolls past the segment after the one being filled. When that
  // fill ends, the head's segment (not the one after it) is filled next,
  // ahead of the writer; skipped, the writer met holes for a whole segment.
  Harness h;
  prefill_options(h, true);
  h.open_ok();
  std::vector<std::string> want;
  append_until(h, 6 * h.opt.segment_size + (64 << 10), &want);
  const uint64_t head = h.store->write_offset() / h.opt.segment_size * h.opt.segment_size;
  // Idle writer: the head's rest past the gap the fill keeps above the
  // writer (its last page is data, not a hole), then the next segment.
  const std::string head_path = h.segment_path(head);
  const off_t last = static_cast<off_t>(h.opt.segment_size) - 4096;
  EXPECT_TRUE(test::wait_until(
      [&] {
        int fd = ::open(head_path.c_str(), O_RDONLY);
        off_t d = fd < 0 ? -1 : ::lseek(fd, last, SEEK_DATA);
        if (fd >= 0) ::close(fd);
        return d == last;
      },
      std::chrono::seconds(10)))
      << data_bytes(head_path);
  EXPECT_TRUE(filled(h, head + h.opt.segment_size)) << data_bytes(h.segment_path(head + h.opt.segment_size));
  ASSERT_TRUE(h.wait_dispatched(h.store->write_offset()));
  EXPECT_TRUE(same_bodies(read_all(h), want));
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

// A brand-new log's first 16 MiB are zero-written and synced by open,
// before the first append (the pre-fault thread not even started): the
// first groups sync into written blocks, with no fill burst beside them.
TEST(SegmentPrefill, AFreshLogsFirstPieceIsWrittenBeforeOpenReturns) {
  Harness h;
  prefill_options(h, true);
  h.opt.segment_size = 32 << 20;
  h.open_ok(false);
  EXPECT_EQ(data_bytes(h.segment_path(0)), 16u << 20);
  EXPECT_GT(h.io->zero_writes(), 0u);
  h.store->start();
  std::vector<std::string> want;
  append_until(h, 64 << 10, &want);
  ASSERT_TRUE(h.wait_dispatched(h.store->write_offset()));
  EXPECT_TRUE(same_bodies(read_all(h), want));
  EXPECT_EQ(h.io->zeros_below_data(), 0u);
  // A reopened log is not filled again at open.
  h.close();
  const uint64_t zeros = h.io->zero_writes();
  h.open_ok(false);
  EXPECT_EQ(h.io->zero_writes(), zeros);
}

// After a crash the search for "valid records follow" past the log's end
// stops at a run of zeros of zero_run_bound() bytes: the pre-filled rest of
// the head's segment and the pre-filled next segment are not read (a read
// of up to two segments of zeros was 3.6-4.1 s of a 1 GiB recovery). What it
// did not read becomes a hole, and the fill writes it again.
TEST(SegmentPrefill, ACrashReadsOnlyABoundedRunOfThePrefilledZeros) {
  Harness h;
  prefill_options(h, true);
  h.opt.segment_size = 4 << 20;
  const uint64_t seg = h.opt.segment_size;
  const uint64_t bound = mmaplog::CommitLog::zero_run_bound(h.opt.max_message_size);
  ASSERT_LT(2 * bound, seg / 8);
  h.open_ok();
  std::vector<std::string> want;
  append_until(h, 64 << 10, &want);
  ASSERT_TRUE(filled(h, seg));  // idle writer: segment 1 all zeros before the roll
  append_until(h, seg + (100 << 10), &want);
  ASSERT_TRUE(filled(h, 2 * seg));  // and segment 2
  ASSERT_EQ(data_bytes(h.segment_path(seg)), seg);
  const uint64_t end = h.store->write_offset();
  h.crash();
  const uint64_t before = h.io->bytes_read();
  h.open_ok(false);  // the fill not running yet
  const uint64_t read = h.io->bytes_read() - before;
  EXPECT_EQ(h.store->write_offset(), end);
  // Two segments' searches, each at most the bound plus one 256 KiB chunk
  // (and the checkpoint's few bytes), not 3.9 MiB + 4 MiB of zeros.
  EXPECT_GT(read, bound);
  EXPECT_LE(read, 2 * (bound + (256 << 10)) + (64 << 10));
  // The unread rest of segment 1 is a hole now, segment 2 is gone.
  EXPECT_LE(data_bytes(h.segment_path(seg)), end - seg + 4096);
  EXPECT_FALSE(std::filesystem::exists(h.segment_path(2 * seg)));
  h.store->start();
  ASSERT_TRUE(h.wait_dispatched(end));
  EXPECT_TRUE(same_bodies(read_all(h), want));
  EXPECT_FALSE(h.logged("corrupted"));
  EXPECT_FALSE(h.logged("torn tail"));
  // The fill writes the hole again (all but what it keeps clear past the writer).
  ASSERT_TRUE(test::wait_until([&] { return data_bytes(h.segment_path(seg)) >= seg - (1 << 20); },
                               std::chrono::seconds(10)))
      << data_bytes(h.segment_path(seg));
  append_until(h, 2 * seg + (64 << 10), &want);
  EXPECT_EQ(h.io->zeros_below_data(), 0u);
  const uint64_t end2 = h.store->write_offset();
  h.crash();
  h.open_ok();
  EXPECT_EQ(h.store->write_offset(), end2);
  ASSERT_TRUE(h.wait_dispatched(end2));
  EXPECT_TRUE(same_bodies(read_all(h), want));
  EXPECT_FALSE(h.logged("corrupted"));
}

// A torn tail before the pre-filled zeros: the junk is zeroed, the log ends
// at the last whole record, the unread zeros become a hole.
TEST(SegmentPrefill, ATornTailBeforeThePrefilledZerosIsTruncated) {
  Harness h;
  prefill_options(h, true);
  h.opt.segment_size = 4 << 20;
  const uint64_t seg = h.opt.segment_size;
  h.open_ok();
  std::vector<std::string> want;
  append_until(h, 64 << 10, &want);
  ASSERT_TRUE(filled(h, seg));
  append_until(h, seg + (100 << 10), &want);
  const uint64_t end = h.store->write_offset();
  h.crash();
  std::string junk(3000, '\0');
  for (size_t i = 0; i < junk.size(); ++i) junk[i] = static_cast<char>(i * 131 + 7);
  Harness::poke(h.segment_path(seg), end - seg, junk);
  h.open_ok();
  EXPECT_EQ(h.store->write_offset(), end);
  EXPECT_TRUE(h.logged("torn tail at offset " + std::to_string(end)));
  EXPECT_FALSE(h.logged("corrupted"));
  EXPECT_EQ(Harness::peek(h.segment_path(seg), end - seg, junk.size()).find_first_not_of('\0'), std::string::npos);
  ASSERT_TRUE(h.wait_dispatched(end));
  EXPECT_TRUE(same_bodies(read_all(h), want));
  append_until(h, seg + (200 << 10), &want);
  h.crash();
  h.open_ok();
  ASSERT_TRUE(h.wait_dispatched(h.store->write_offset()));
  EXPECT_TRUE(same_bodies(read_all(h), want));
}

// Damage in the middle: garbage, or a run of zeros shorter than the bound,
// with valid records after it is still corruption, named by its offset. A
// run of zeros of the bound or longer is where the writer stopped (no
// record holds one): the log ends there.
TEST(SegmentPrefill, ZerosShorterThanTheBoundInTheMiddleAreCorruptionLongerAreTheEnd) {
  const uint64_t at = 100 * 1024;  // record 100 (1 KiB records from offset 0)
  for (int variant = 0; variant < 3; ++variant) {
    SCOPED_TRACE(variant);
    Harness h;
    prefill_options(h, true);
    const uint64_t bound = mmaplog::CommitLog::zero_run_bound(h.opt.max_message_size);
    h.open_ok();
    std::vector<std::string> want;
    append_until(h, at + bound + (200 << 10), &want);
    ASSERT_TRUE(h.wait_dispatched(h.store->write_offset()));
    h.crash();
    if (variant == 0) Harness::poke(h.segment_path(0), at + 40, "garbage!");
    if (variant == 1) Harness::poke(h.segment_path(0), at, std::string(bound - (8 << 10), '\0'));
    if (variant == 2) Harness::poke(h.segment_path(0), at, std::string(bound + (8 << 10), '\0'));
    if (variant < 2) {
      EXPECT_EQ(h.open(), FERRY_E_CORRUPTED);
      EXPECT_NE(h.open_error.find("corrupted at offset " + std::to_string(at)), std::string::npos) << h.open_error;
      EXPECT_NE(h.open_error.find("valid records follow"), std::string::npos) << h.open_error;
    } else {
      h.open_ok();
      EXPECT_EQ(h.store->write_offset(), at);
    }
  }
}

}  // namespace
}  // namespace ferry::storage_test
