// Commit log segments: naming, a record ending exactly at a segment's end,
// blank records where the next record does not fit, reopen across segments,
// and the write modes producing identical bytes.
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

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
  a.opt.write_mode = mmaplog::WriteMode::Mmap;
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
// path runs the same appends, with and without its pre-fault reading ahead
// of the head (pwrite_prefault); its durable prefix must be the data.
TEST(CommitLog, ZerosWrittenAheadOfTheHeadNeverOverwriteRecords) {
  // mmap; pwrite with reads ahead of the head (pwrite_prefault); pwrite.
  for (int c = 0; c < 3; ++c) {
    const auto mode = c == 0 ? mmaplog::WriteMode::Mmap : mmaplog::WriteMode::Pwrite;
    SCOPED_TRACE(c == 0 ? "mmap" : c == 1 ? "pwrite_prefault" : "pwrite");
    Harness h;
    h.opt.write_mode = mode;
    h.opt.pwrite_prefault = c == 1;
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

// The thread of ours named `name` (/proc/self/task/*/comm), or -1.
pid_t thread_named(const std::string& name) {
  DIR* d = ::opendir("/proc/self/task");
  if (!d) return -1;
  pid_t found = -1;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    std::ifstream f(std::string("/proc/self/task/") + e->d_name + "/comm");
    std::string comm;
    if (std::getline(f, comm) && comm == name) found = static_cast<pid_t>(std::stol(e->d_name));
  }
  ::closedir(d);
  return found;
}

TEST(CommitLog, ThePreFaultThreadRunsAtTheLowestPriority) {
  // It only saves the writer work: it must not take a CPU from the loop,
  // the dispatcher or the clients (its long runs were workload 6's tail).
  Harness h;
  h.opt.write_mode = mmaplog::WriteMode::Mmap;
  h.open_ok();
  pid_t tid = -1;
  ASSERT_TRUE(test::wait_until([&] { return (tid = thread_named("ferry-prefault")) > 0; },
                               std::chrono::seconds(5)));
  errno = 0;
  int nice = ::getpriority(PRIO_PROCESS, static_cast<id_t>(tid));
  ASSERT_EQ(errno, 0);
  EXPECT_EQ(nice, 19);
  // Only that thread: the caller's (the loop's) priority is untouched.
  EXPECT_EQ(::getpriority(PRIO_PROCESS, 0), 0);
}

// Pages of `path` in the page cache over [off, off + len).
bool file_resident(const std::string& path, uint64_t off, uint64_t len) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return false;
  long page = ::sysconf(_SC_PAGESIZE);
  void* p = ::mmap(nullptr, off + len, PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  if (p == MAP_FAILED) return false;
  std::vector<unsigned char> vec((off + len + static_cast<uint64_t>(page) - 1) / static_cast<uint64_t>(page));
  bool all = ::mincore(p, off + len, vec.data()) == 0;
  for (uint64_t i = off / static_cast<uint64_t>(page); all && i < vec.size(); ++i) all = vec[i] & 1;
  ::munmap(p, off + len);
  return all;
}

TEST(CommitLog, AfterARollTheWindowAheadOfTheHeadIsFaultedIn) {
  // A new segment is created with nothing faulted in (a populate of holes
  // reads ahead megabytes in one call); the first record there asks for the
  // window, and the pre-fault thread fills it ahead of the head.
  Harness h;
  // The writer itself faults in only up to the next 2 MiB boundary; the
  // pre-fault thread must fill [2 MiB, 4 MiB) of the new segment.
  h.opt.write_mode = mmaplog::WriteMode::Mmap;
  h.opt.segment_size = 8 << 20;
  h.opt.prefault_window = 4 << 20;
  h.open_ok();
  std::vector<std::string> want;
  while (h.store->write_offset() < h.opt.segment_size + 4096) {
    auto m = messages("t", 0, 1, body_for(8192), "r" + std::to_string(want.size()) + "-");
    want.push_back(m[0].body);
    h.append_ok(m);
  }
  EXPECT_TRUE(test::wait_until(
      [&] { return file_resident(h.segment_path(h.opt.segment_size), 2 << 20, 2 << 20); },
      std::chrono::seconds(5)));
  ASSERT_TRUE(h.wait_dispatched());
  EXPECT_EQ(h.read("t", 0, 0, 2000).bodies(), want);
}

// Zero writes that take a while: the writer outruns the pre-fault thread
// all the time and races it for every window.
class SlowZeros : public mmaplog::FaultIo {
 public:
  int write_zeros(int fd, uint64_t off, uint64_t len) override {
    std::this_thread::sleep_for(std::chrono::microseconds(300));
    return FaultIo::write_zeros(fd, off, len);
  }
};

TEST(CommitLog, AWriterOutrunningASlowPreFaultKeepsEveryRecord) {
  // mmap, and pwrite with pwrite_prefault (its reads ahead race the
  // writer's pwrites over the same pages and must never change a byte).
  for (auto mode : {mmaplog::WriteMode::Mmap, mmaplog::WriteMode::Pwrite}) {
    SCOPED_TRACE(mode == mmaplog::WriteMode::Mmap ? "mmap" : "pwrite");
    Harness h;
    h.io = std::make_shared<SlowZeros>();
    h.opt.write_mode = mode;
    h.opt.pwrite_prefault = true;
    h.opt.segment_size = 256 << 10;
    h.opt.prefault_window = 96 << 10;  // not a multiple of the pre-fault's step
    h.open_ok();
    std::vector<std::string> want;
    for (int i = 0; i < 1500; ++i) {
      int n = i % 7 == 0 ? 5 : 1;
      auto m = messages("t", 0, n, 200 + (static_cast<size_t>(i) * 53) % 2500, "s" + std::to_string(i) + "-");
      for (auto& x : m) want.push_back(x.body);
      h.append_ok(m);
    }
    ASSERT_GT(h.store->write_offset(), 4 * h.opt.segment_size);
    ASSERT_TRUE(h.wait_dispatched());
    EXPECT_EQ(h.read("t", 0, 0, 100000).bodies(), want);
    h.crash();
    h.open_ok();
    ASSERT_TRUE(h.wait_dispatched());
    EXPECT_EQ(h.read("t", 0, 0, 100000).bodies(), want);
  }
}

TEST(CommitLog, PwritePrefaultReadsTheWindowAheadOfTheHeadIntoThePageCacheOnlyWhenOn) {
  // So the loop's pwrites copy into page-cache pages the pre-fault thread
  // made (docs/benchmarks.md, "Session 8 (tput)"). The dispatcher maps up
  // to two 2 MiB pieces from what it reads itself: the window's last MiB
  // is the pre-fault's alone.
  for (bool on : {true, false}) {
    SCOPED_TRACE(on ? "on" : "off");
    Harness h;
    h.opt.write_mode = mmaplog::WriteMode::Pwrite;
    h.opt.pwrite_prefault = on;
    h.opt.segment_prefill = false;  // its zeros are data and resident: not what this test looks at
    h.opt.segment_size = 16 << 20;
    h.opt.prefault_window = 12 << 20;
    h.open_ok();
    std::vector<std::string> want;
    while (h.store->write_offset() < (64 << 10)) {
      auto m = messages("t", 0, 1, body_for(4096), "w" + std::to_string(want.size()) + "-");
      want.push_back(m[0].body);
      h.append_ok(m);
    }
    ASSERT_TRUE(h.wait_dispatched());
    EXPECT_EQ(h.read("t", 0, 0, 1000).bodies(), want);
    const std::string seg = h.segment_path(0);
    if (on) {
      EXPECT_TRUE(test::wait_until([&] { return file_resident(seg, 11 << 20, 1 << 20); },
                                   std::chrono::seconds(5)));
    } else {
      EXPECT_FALSE(file_resident(seg, (11 << 20) + (512 << 10), 4096));
    }
    // Advice only: not data (a hole still), and the records read back.
    int fd = ::open(seg.c_str(), O_RDONLY);
    ASSERT_GE(fd, 0);
    errno = 0;
    EXPECT_EQ(::lseek(fd, 11 << 20, SEEK_DATA), -1);
    EXPECT_EQ(errno, ENXIO);
    ::close(fd);
    const uint64_t end = h.store->write_offset();
    h.crash();
    h.open_ok();
    EXPECT_EQ(h.store->write_offset(), end);
    ASSERT_TRUE(h.wait_dispatched());
    EXPECT_EQ(h.read("t", 0, 0, 1000).bodies(), want);
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

// pwrite path: the dispatcher maps the 2 MiB pieces it reads with one
// MADV_POPULATE_READ each, through the Io layer.
constexpr uint64_t kPiece = 2 << 20;

void append_records(Harness& h, uint64_t until, std::vector<std::string>* want) {
  while (h.store->write_offset() < until) {
    auto m = messages("t", 0, 4, body_for(8192), "p" + std::to_string(want->size()) + "-");
    for (auto& x : m) want->push_back(x.body);
    h.append_ok(m);
  }
}

void populate_options(Harness& h, mmaplog::WriteMode mode) {
  h.opt.write_mode = mode;
  h.opt.segment_size = 8 << 20;
  h.opt.queue_file_entries = 4096;
}

TEST(CommitLog, TheDispatcherPopulatesWholePiecesItReadsOnceEach) {
  Harness h;
  populate_options(h, mmaplog::WriteMode::Pwrite);
  h.open_ok();
  std::vector<std::string> want;
  append_records(h, h.opt.segment_size + 3 * kPiece, &want);
  ASSERT_TRUE(h.wait_dispatched(h.store->write_offset()));
  auto calls = h.io->populate_reads();
  ASSERT_FALSE(calls.empty());
  std::map<std::string, uint64_t> populated_to;  // per file: end of the last call
  for (const auto& c : calls) {
    SCOPED_TRACE(c.path + " @" + std::to_string(c.offset) + "+" + std::to_string(c.len));
    EXPECT_NE(c.path.find("/commitlog/"), std::string::npos);
    EXPECT_EQ(c.result, 0);
    EXPECT_EQ(c.offset % kPiece, 0u);  // whole, aligned pieces
    EXPECT_GT(c.len, 0u);
    EXPECT_LE(c.len, 2 * kPiece);      // never more than two pieces past the reader
    EXPECT_LE(c.offset + c.len, h.opt.segment_size);
    EXPECT_GE(c.offset, populated_to[c.path]);  // no piece twice
    populated_to[c.path] = c.offset + c.len;
  }
  // Both segments holding records: their first piece was populated before
  // the dispatcher read it.
  for (uint64_t base : {uint64_t{0}, h.opt.segment_size}) {
    bool first = false;
    for (const auto& c : calls) first |= c.path == h.segment_path(base) && c.offset == 0;
    EXPECT_TRUE(first) << h.segment_path(base);
  }
  EXPECT_EQ(h.read("t", 0, 0, 100000).bodies(), want);
}

TEST(CommitLog, AKernelRefusingPopulateReadFallsBackToFaultsAndAsksOnce) {
  Harness h;
  populate_options(h, mmaplog::WriteMode::Pwrite);
  h.io->add_rule({mmaplog::FaultIo::Op::PopulateRead, "", EINVAL});
  h.open_ok();
  std::vector<std::string> want;
  append_records(h, h.opt.segment_size + 3 * kPiece, &want);
  ASSERT_TRUE(h.wait_dispatched(h.store->write_offset()));
  auto calls = h.io->populate_reads();
  ASSERT_EQ(calls.size(), 1u);  // EINVAL: not asked again, in any segment
  EXPECT_EQ(calls[0].result, -EINVAL);
  EXPECT_EQ(h.read("t", 0, 0, 100000).bodies(), want);
}

TEST(CommitLog, TheMmapPathNeverPopulatesForReading) {
  // Its writer faults the pages in through the same mapping already.
  Harness h;
  populate_options(h, mmaplog::WriteMode::Mmap);
  h.open_ok();
  std::vector<std::string> want;
  append_records(h, 3 * kPiece, &want);
  ASSERT_TRUE(h.wait_dispatched(h.store->write_offset()));
  EXPECT_TRUE(h.io->populate_reads().empty());
  EXPECT_EQ(h.read("t", 0, 0, 100000).bodies(), want);
}

// writeback_bytes: the pre-fault thread starts the kernel's write-back as
// the log grows (both write paths, across a segment roll), without
// changing a byte; 0 leaves it to the kernel.
bool wait_writebacks(Harness& h, uint64_t n) {
  for (int i = 0; i < 500 && h.io->writebacks() < n; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return h.io->writebacks() >= n;
}

TEST(CommitLog, WritebackBytesStartsWriteBackAsTheLogGrowsOnBothPaths) {
  for (auto mode : {mmaplog::WriteMode::Pwrite, mmaplog::WriteMode::Mmap}) {
    SCOPED_TRACE(mode == mmaplog::WriteMode::Pwrite ? "pwrite" : "mmap");
    Harness h;
    populate_options(h, mode);
    h.opt.writeback_bytes = 256 << 10;
    h.open_ok();
    std::vector<std::string> want;
    append_records(h, h.opt.segment_size + 3 * kPiece, &want);
    // At least one call per segment holding records (the thread may merge
    // several steps into one call when it runs late).
    EXPECT_TRUE(wait_writebacks(h, 2)) << h.io->writebacks();
    ASSERT_TRUE(h.wait_dispatched(h.store->write_offset()));
    EXPECT_EQ(h.read("t", 0, 0, 100000).bodies(), want);
  }
}

TEST(CommitLog, WritebackBytesZeroLeavesWriteBackToTheKernel) {
  Harness h;
  populate_options(h, mmaplog::WriteMode::Pwrite);
  h.opt.writeback_bytes = 0;
  h.opt.segment_prefill = false;  // the next segment's fill starts its own write-back
  h.open_ok();
  std::vector<std::string> want;
  append_records(h, 3 * kPiece, &want);
  ASSERT_TRUE(h.wait_dispatched(h.store->write_offset()));
  EXPECT_EQ(h.io->writebacks(), 0u);
  EXPECT_EQ(h.read("t", 0, 0, 100000).bodies(), want);
}

}  // namespace
}  // namespace ferry::storage_test
