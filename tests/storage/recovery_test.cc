// Recovery and the corruption suite, in the spirit of LevelDB's log_test.cc:
// bad length, checksum mismatch in body / topic / properties, truncated
// record, torn tail, zeroed tail, garbage in the middle. After a crash every
// record from the checkpoint on is verified; a torn tail is truncated; a bad
// record with valid ones after it refuses to start (naming the offset)
// unless recovery_on_corruption = "truncate".
#include <random>

#include "checkpoint.h"
#include "store_harness.h"

namespace ferry::storage_test {
namespace {

class Recovery : public ::testing::Test {
 protected:
  Harness h;
  std::vector<ferry_append_result> res;

  // 30 records in queue ("t", 0), with properties, then a crash.
  void write_and_crash(int n = 30) {
    h.open_ok();
    std::vector<OwnedMessage> msgs;
    for (int i = 0; i < n; ++i)
      msgs.emplace_back("t", 0, "body-" + std::to_string(i) + std::string(200, 'x'),
                        std::vector<std::pair<std::string, std::string>>{
                            {"KEYS", "key" + std::to_string(i)}, {"TAGS", "A"}});
    res = h.append_ok(msgs);
    ASSERT_TRUE(h.wait_dispatched());
    h.crash();
  }
  uint64_t rec_off(int i) const { return res[i].commit_offset; }
  uint64_t rec_end(int i) const { return res[i].commit_offset + res[i].size; }
  std::string seg0() const { return h.segment_path(0); }
  // Offset of `what` inside record i (first occurrence).
  uint64_t field_off(int i, const std::string& what) {
    std::string rec = Harness::peek(seg0(), rec_off(i), res[i].size);
    size_t p = rec.find(what);
    EXPECT_NE(p, std::string::npos) << what;
    return rec_off(i) + p;
  }
  void flip(uint64_t off) {
    std::string b = Harness::peek(seg0(), off, 1);
    b[0] ^= 0x40;
    Harness::poke(seg0(), off, b);
  }
  // After recovery ends at record `keep` (exclusive): the queue holds
  // exactly records 0..keep-1 and the next append continues at `keep`.
  void expect_log_ends_at(int keep) {
    EXPECT_EQ(h.store->write_offset(), keep ? rec_end(keep - 1) : 0);
    ASSERT_TRUE(h.wait_dispatched());
    uint64_t mn = 0, mx = 0;
    h.store->queue_range("t", 0, &mn, &mx);
    EXPECT_EQ(mx, static_cast<uint64_t>(keep));
    auto bodies = h.read("t", 0, 0).bodies();
    ASSERT_EQ(bodies.size(), static_cast<size_t>(keep));
    for (int i = 0; i < keep; ++i) {
      std::string want = "body-" + std::to_string(i) + "x";
      EXPECT_EQ(bodies[i].substr(0, want.size()), want);
    }
    auto next = h.append_ok(messages("t", 0, 1, 50, "after"));
    EXPECT_EQ(next[0].queue_offset, static_cast<uint64_t>(keep));
    EXPECT_EQ(next[0].commit_offset, keep ? rec_end(keep - 1) : 0);
    ASSERT_TRUE(h.wait_dispatched());
    EXPECT_EQ(h.read("t", 0, keep).bodies().size(), 1u);
  }
};

TEST_F(Recovery, CleanCrashKeepsEverything) {
  write_and_crash();
  h.open_ok();
  EXPECT_TRUE(h.store->recovered_dirty());
  expect_log_ends_at(30);
}

TEST_F(Recovery, CleanShutdownNeedsNoScanAndKeepsEverything) {
  h.open_ok();
  h.append_ok(messages("t", 0, 30));
  ASSERT_TRUE(h.wait_dispatched());
  h.close();
  h.open_ok();
  EXPECT_FALSE(h.store->recovered_dirty());
  EXPECT_TRUE(h.logged("(0 records verified)"));
  ASSERT_TRUE(h.wait_dispatched());
  EXPECT_EQ(h.read("t", 0, 0).bodies().size(), 30u);
}

TEST_F(Recovery, TornTailIsTruncated) {
  write_and_crash();
  // The last record half-written: its second half never reached the disk.
  uint64_t mid = rec_off(29) + res[29].size / 2;
  Harness::poke(seg0(), mid, std::string(res[29].size - res[29].size / 2, '\0'));
  h.open_ok();
  EXPECT_TRUE(h.logged("torn tail at offset " + std::to_string(rec_off(29))));
  expect_log_ends_at(29);
}

TEST_F(Recovery, GarbageAfterTheLastRecordIsTornTail) {
  write_and_crash();
  std::mt19937 rng(7);
  std::string junk(3000, '\0');
  for (auto& c : junk) c = static_cast<char>(rng());
  Harness::poke(seg0(), rec_end(29), junk);
  h.open_ok();
  expect_log_ends_at(30);
  // The junk is gone from the file (zeroed), not merely skipped.
  EXPECT_EQ(Harness::peek(seg0(), rec_end(29) + 200, 100).find_first_not_of('\0'), std::string::npos);
}

TEST_F(Recovery, ZeroedTailIsTruncated) {
  write_and_crash();
  Harness::poke(seg0(), rec_off(27), std::string(rec_end(29) - rec_off(27), '\0'));
  h.open_ok();
  expect_log_ends_at(27);
}

TEST_F(Recovery, TruncatedLastRecord) {
  write_and_crash();
  Harness::poke(seg0(), rec_end(29) - 10, std::string(10, '\0'));
  h.open_ok();
  expect_log_ends_at(29);
}

TEST_F(Recovery, BadLengthInTheMiddleRefusesToStartAndNamesTheOffset) {
  write_and_crash();
  Harness::poke(seg0(), rec_off(10), std::string("\x00\x00\x10\x00", 4));
  EXPECT_EQ(h.open(), FERRY_E_CORRUPTED);
  EXPECT_NE(h.open_error.find("offset " + std::to_string(rec_off(10))), std::string::npos) << h.open_error;
  EXPECT_NE(h.open_error.find("recovery_on_corruption"), std::string::npos);
  // Refusing changed nothing: the same answer again.
  EXPECT_EQ(h.open(), FERRY_E_CORRUPTED);
}

TEST_F(Recovery, BodyChecksumMismatchInTheMiddle) {
  write_and_crash();
  flip(field_off(12, "body-12") + 3);
  EXPECT_EQ(h.open(), FERRY_E_CORRUPTED);
  EXPECT_NE(h.open_error.find(std::to_string(rec_off(12))), std::string::npos) << h.open_error;
  EXPECT_NE(h.open_error.find("checksum"), std::string::npos) << h.open_error;
}

TEST_F(Recovery, TopicChecksumMismatchInTheMiddle) {
  write_and_crash();
  // The topic byte sits right after the body: "...xxx" 0x01 't'.
  flip(field_off(5, std::string("\x01t", 2)) + 1);
  EXPECT_EQ(h.open(), FERRY_E_CORRUPTED);
  EXPECT_NE(h.open_error.find(std::to_string(rec_off(5))), std::string::npos) << h.open_error;
}

TEST_F(Recovery, PropertiesChecksumMismatchInTheMiddle) {
  write_and_crash();
  flip(field_off(8, "key8") + 1);
  EXPECT_EQ(h.open(), FERRY_E_CORRUPTED);
  EXPECT_NE(h.open_error.find(std::to_string(rec_off(8))), std::string::npos) << h.open_error;
}

TEST_F(Recovery, ChecksumMismatchInTheLastRecordIsATornTail) {
  write_and_crash();
  flip(field_off(29, "key29") + 2);
  h.open_ok();
  expect_log_ends_at(29);
}

TEST_F(Recovery, GarbageInTheMiddleRefusesThenTruncatesWhenConfigured) {
  write_and_crash();
  std::mt19937 rng(11);
  std::string junk(res[15].size + res[16].size, '\0');
  for (auto& c : junk) c = static_cast<char>(rng());
  Harness::poke(seg0(), rec_off(15), junk);
  EXPECT_EQ(h.open(), FERRY_E_CORRUPTED);
  EXPECT_NE(h.open_error.find("offset " + std::to_string(rec_off(15))), std::string::npos);
  h.opt.truncate_on_corruption = true;
  h.open_ok();
  EXPECT_TRUE(h.logged("truncating the log there"));
  expect_log_ends_at(15);
}

TEST_F(Recovery, ZeroedBlockInTheMiddleIsCorruptionNotAnEnd) {
  write_and_crash();
  Harness::poke(seg0(), rec_off(3), std::string(res[3].size, '\0'));
  EXPECT_EQ(h.open(), FERRY_E_CORRUPTED);
  EXPECT_NE(h.open_error.find("zeroed"), std::string::npos) << h.open_error;
}

TEST_F(Recovery, DamageInALaterSegmentIsFoundAcrossSegments) {
  h.open_ok();
  auto r = h.append_ok(messages("t", 0, 150, 1000));  // ~3 segments
  h.crash();
  // Garble a record in the first segment: valid records follow in later ones.
  uint64_t off = r[20].commit_offset;
  Harness::poke(h.segment_path(0), off + 40, "garbage!");
  EXPECT_EQ(h.open(), FERRY_E_CORRUPTED);
  EXPECT_NE(h.open_error.find(std::to_string(off)), std::string::npos);
  h.opt.truncate_on_corruption = true;
  h.open_ok();
  EXPECT_EQ(h.store->write_offset(), off);
  EXPECT_FALSE(std::filesystem::exists(h.segment_path(2 * 65536)));
}

// A power cut can leave a segment shorter than segment_size that is not the
// last: its size was never synced while the next one (made ahead by the
// fill) had some zeros synced (the power-cut test's truncate mode found it).
// Such a segment is extended: the log ends where its records end, when
// nothing valid follows; with valid records after it, it is damage in the
// middle like any other.
class ShortSegment : public Recovery {
 protected:
  std::vector<ferry_append_result> r;
  size_t cut = 0;  // the record the short segment's end tears
  void write_cut_and_crash() {
    h.open_ok();
    r = h.append_ok(messages("t", 0, 150, 1000));  // ~3 segments of 64 KiB
    ASSERT_TRUE(h.wait_dispatched());
    h.crash();
    while (cut < r.size() && r[cut].commit_offset < 65536 + 20000) ++cut;
    ASSERT_LT(r[cut].commit_offset + r[cut].size, 2u * 65536) << "the torn record must lie in segment 1";
    std::filesystem::resize_file(h.segment_path(65536), r[cut].commit_offset - 65536 + r[cut].size / 2);
  }
};

TEST_F(ShortSegment, NotTheLastAndOnlyZerosAfterItEndsTheLogThere) {
  write_cut_and_crash();
  Harness::poke(h.segment_path(2 * 65536), 0, std::string(65536, '\0'));
  std::filesystem::resize_file(h.segment_path(2 * 65536), 4096);
  h.open_ok();
  EXPECT_TRUE(h.logged("is not the last: extended"));
  EXPECT_EQ(h.store->write_offset(), r[cut].commit_offset);
  EXPECT_EQ(std::filesystem::file_size(h.segment_path(65536)), 65536u);
  EXPECT_TRUE(h.logged("torn tail at offset " + std::to_string(r[cut].commit_offset)));
  // Segment 2 is not checked for: recovery drops it, but the allocator makes
  // the segment after the head's anew, ahead of the writer, at any moment
  // after open (it raced this check under TSan). What matters is that the
  // log goes on from the cut, through a new segment 2.
  ASSERT_TRUE(h.wait_dispatched());
  EXPECT_EQ(h.read("t", 0, 0).bodies().size(), cut);
  auto next = h.append_ok(messages("t", 0, 1, 50, "after"));
  EXPECT_EQ(next[0].commit_offset, r[cut].commit_offset);
  EXPECT_EQ(next[0].queue_offset, cut);
  auto more = h.append_ok(messages("t", 0, 100, 1000, "more"));  // into segment 2
  EXPECT_GE(more.back().commit_offset, 2u * 65536);
  ASSERT_TRUE(h.wait_dispatched());
  EXPECT_EQ(h.read("t", 0, 0, 10'000).bodies().size(), cut + 1 + more.size());
}

TEST_F(ShortSegment, WithValidRecordsAfterItIsCorruption) {
  write_cut_and_crash();
  EXPECT_EQ(h.open(), FERRY_E_CORRUPTED);
  EXPECT_NE(h.open_error.find("valid records follow"), std::string::npos) << h.open_error;
  h.opt.truncate_on_corruption = true;
  h.open_ok();
  EXPECT_EQ(h.store->write_offset(), r[cut].commit_offset);
}

// A power cut can also take a segment file whose creation was never synced
// while a later one kept some synced zeros: the log ends before the gap.
TEST_F(ShortSegment, AMissingSegmentWithOnlyZerosAfterItEndsTheLogBeforeIt) {
  h.open_ok();
  r = h.append_ok(messages("t", 0, 150, 1000));
  ASSERT_TRUE(h.wait_dispatched());
  h.crash();
  while (cut < r.size() && r[cut].commit_offset < 65536) ++cut;  // the first record of segment 1
  std::filesystem::remove(h.segment_path(65536));
  Harness::poke(h.segment_path(2 * 65536), 0, std::string(65536, '\0'));
  h.open_ok();
  EXPECT_TRUE(h.logged(mmaplog::Segment::file_name(65536) + " is missing; the "));
  EXPECT_TRUE(h.logged("segment(s) after it hold no record: removed"));
  EXPECT_FALSE(std::filesystem::exists(h.segment_path(2 * 65536)));
  ASSERT_TRUE(h.wait_dispatched());
  EXPECT_EQ(h.read("t", 0, 0).bodies().size(), cut);
  // The next append goes on at the end of segment 0 (its blank, then segment 1 anew).
  auto next = h.append_ok(messages("t", 0, 1, 50, "after"));
  EXPECT_EQ(next[0].queue_offset, cut);
  EXPECT_TRUE(std::filesystem::exists(h.segment_path(65536)));
}

TEST_F(ShortSegment, AMissingSegmentWithRecordsAfterItRefusesAndChangesNothing) {
  h.open_ok();
  r = h.append_ok(messages("t", 0, 150, 1000));
  ASSERT_TRUE(h.wait_dispatched());
  h.crash();
  while (cut < r.size() && r[cut].commit_offset < 65536) ++cut;
  std::filesystem::remove(h.segment_path(65536));
  EXPECT_EQ(h.open(), FERRY_E_CORRUPTED);
  EXPECT_NE(h.open_error.find("is missing and later segments hold records"), std::string::npos) << h.open_error;
  EXPECT_TRUE(std::filesystem::exists(h.segment_path(2 * 65536)));
  EXPECT_EQ(h.open(), FERRY_E_CORRUPTED);  // the same answer again
  h.opt.truncate_on_corruption = true;
  h.open_ok();
  EXPECT_FALSE(std::filesystem::exists(h.segment_path(2 * 65536)));
  ASSERT_TRUE(h.wait_dispatched());
  EXPECT_EQ(h.read("t", 0, 0).bodies().size(), cut);
}

TEST_F(Recovery, ASegmentLongerThanSegmentSizeRefusesAndChangesNothing) {
  h.open_ok();
  h.append_ok(messages("t", 0, 10));
  h.crash();
  std::filesystem::resize_file(h.segment_path(0), 65536 + 4096);
  EXPECT_EQ(h.open(), FERRY_E_CORRUPTED);
  EXPECT_NE(h.open_error.find("more than segment_size"), std::string::npos) << h.open_error;
  EXPECT_EQ(std::filesystem::file_size(h.segment_path(0)), 65536u + 4096);
}

TEST_F(Recovery, ConsumeQueueEntriesPastTheRecoveredEndAreDropped) {
  h.opt.queue_buffer_bytes = 0;  // the entries are on file before the crash
  write_and_crash();
  // The queue had 30 entries; the log loses its last 5.
  Harness::poke(seg0(), rec_off(25), std::string(rec_end(29) - rec_off(25), '\0'));
  h.open_ok(false);  // no dispatcher yet: what recovery alone leaves
  uint64_t mn = 0, mx = 0;
  h.store->queue_range("t", 0, &mn, &mx);
  EXPECT_EQ(mx, 25u);
  h.store->start();
  expect_log_ends_at(25);
}

TEST_F(Recovery, IndexAndQueuesAreRebuiltAfterACrashWithoutCheckpoint) {
  write_and_crash();
  // Remove everything derived: the log alone must rebuild it.
  std::filesystem::remove_all(h.opt.dir + "/consumequeue");
  std::filesystem::remove_all(h.opt.dir + "/index");
  std::filesystem::remove(h.opt.dir + "/checkpoint");
  h.open_ok();
  ASSERT_TRUE(h.wait_dispatched());
  EXPECT_EQ(h.read("t", 0, 0).bodies().size(), 30u);
  Result q;
  ASSERT_EQ(h.store->query_key("t", "key17", 0, INT64_MAX / 2, 10, &q.r), FERRY_OK);
  ASSERT_EQ(q->count, 1u);
  EXPECT_EQ(str(decode(q->records[0]).body).substr(0, 7), "body-17");
}

TEST_F(Recovery, CheckpointBoundsTheScanAfterACrash) {
  h.open_ok();
  h.append_ok(messages("t", 0, 20));
  ASSERT_TRUE(h.wait_dispatched());
  uint64_t synced = 0;
  std::string e;
  ASSERT_EQ(h.store->sync(UINT64_MAX, &synced, &e), FERRY_OK);
  ASSERT_EQ(h.store->checkpoint_now(&e), FERRY_OK) << e;
  h.append_ok(messages("t", 0, 5, 100, "late"));
  h.crash();
  h.open_ok();
  // Only the 5 records after the checkpoint were scanned and verified.
  EXPECT_TRUE(h.logged("(5 records verified)"));
  ASSERT_TRUE(h.wait_dispatched());
  EXPECT_EQ(h.read("t", 0, 0).bodies().size(), 25u);
}

// The housekeeping thread checks the disk on every tick but syncs queues and
// index and writes the checkpoint only every checkpoint_interval: with many
// queues each sync costs one msync per dirty file, and after a crash the
// queues are rebuilt from the log anyway.
TEST_F(Recovery, DiskIsCheckedEveryTickButTheCheckpointWaitsForItsInterval) {
  h.opt.housekeeping_interval_ms = 10;
  h.opt.checkpoint_interval_ms = 3'600'000;
  h.open_ok();
  h.append_ok(messages("t", 0, 20));
  ASSERT_TRUE(h.wait_dispatched());
  std::vector<ferry_append_result> r;
  auto append_status = [&] { return h.append(messages("t", 0, 1, 50, "probe"), &r); };
  h.io->set_disk_used_ratio(0.99);
  ASSERT_TRUE(test::wait_until([&] { return append_status() == FERRY_E_DISK_FULL; },
                               std::chrono::seconds(10), std::chrono::milliseconds(2)));
  h.io->set_disk_used_ratio(0.5);
  ASSERT_TRUE(test::wait_until([&] { return append_status() == FERRY_OK; },
                               std::chrono::seconds(10), std::chrono::milliseconds(2)));
  // Two ticks at least have run, each finished before the next began.
  mmaplog::Checkpoint cp;
  EXPECT_FALSE(mmaplog::read_checkpoint(*h.io, h.opt.dir, &cp));
}

TEST_F(Recovery, CheckpointIsWrittenEveryCheckpointInterval) {
  h.opt.housekeeping_interval_ms = 10;
  h.opt.checkpoint_interval_ms = 30;
  h.open_ok();
  h.append_ok(messages("t", 0, 20));
  ASSERT_TRUE(h.wait_dispatched());
  const uint64_t end = h.store->write_offset();
  uint64_t synced = 0;
  std::string e;
  ASSERT_EQ(h.store->sync(UINT64_MAX, &synced, &e), FERRY_OK) << e;
  mmaplog::Checkpoint cp;
  EXPECT_TRUE(test::wait_until(
      [&] {
        return mmaplog::read_checkpoint(*h.io, h.opt.dir, &cp) && cp.dispatched == end &&
               cp.log_synced == end;
      },
      std::chrono::seconds(10), std::chrono::milliseconds(5)));
  h.crash();
  h.open_ok();
  EXPECT_TRUE(h.logged("(0 records verified)"));
  EXPECT_EQ(h.read("t", 0, 0).bodies().size(), 20u);
}


// Consume-queue bytes written after the last checkpoint are not durable: a
// power cut may leave them torn or random. Recovery checks entries against
// the commit log and rebuilds what does not match.
class QueueRecovery : public ::testing::Test {
 protected:
  Harness h;
  std::string cq_file(const std::string& topic, uint64_t file_no) const {
    return h.opt.dir + "/consumequeue/" + topic + "/0/" +
           mmaplog::Segment::file_name(file_no * h.opt.queue_file_entries * mmaplog::kCqEntrySize);
  }
  // Random bytes over entries [from, to) of a queue (files created as needed).
  void garble(const std::string& topic, uint64_t from, uint64_t to, std::mt19937_64& rng) {
    const uint64_t per = h.opt.queue_file_entries;
    for (uint64_t q = from; q < to; ++q) {
      std::string path = cq_file(topic, q / per);
      if (!std::filesystem::exists(path)) {
        std::ofstream(path, std::ios::binary).flush();
        std::filesystem::resize_file(path, per * mmaplog::kCqEntrySize);
      }
      std::string b(mmaplog::kCqEntrySize, '\0');
      for (auto& c : b) c = static_cast<char>(rng());
      Harness::poke(path, (q % per) * mmaplog::kCqEntrySize, b);
    }
  }
  void checkpoint() {
    uint64_t synced = 0;
    std::string e;
    ASSERT_EQ(h.store->sync(UINT64_MAX, &synced, &e), FERRY_OK) << e;
    ASSERT_EQ(h.store->checkpoint_now(&e), FERRY_OK) << e;
  }
  void expect_queue(const std::string& topic, uint64_t n, const std::string& last_prefix) {
    uint64_t mn = 0, mx = 0;
    ASSERT_EQ(h.store->queue_range(topic, 0, &mn, &mx), FERRY_OK);
    EXPECT_EQ(mx, n) << topic;
    Result r = h.read(topic, 0, 0);
    EXPECT_EQ(r->status, FERRY_READ_FOUND) << topic;
    auto bodies = r.bodies();
    ASSERT_EQ(bodies.size(), n) << topic;
    EXPECT_EQ(bodies.back().substr(0, last_prefix.size()), last_prefix) << topic;
  }
};

TEST_F(QueueRecovery, TornEntriesPastTheCheckpointAreRebuiltFromTheLog) {
  std::mt19937_64 rng(7);
  h.open_ok();
  h.append_ok(messages("t", 0, 20));
  h.append_ok(messages("u", 0, 10));
  ASSERT_TRUE(h.wait_dispatched());
  checkpoint();
  h.append_ok(messages("t", 0, 10, 100, "late"));  // into t's second file
  ASSERT_TRUE(h.wait_dispatched());
  h.crash();
  // t: its post-checkpoint entries and a whole third file are garbage;
  // u (nothing after the checkpoint): garbage past its 10 entries.
  garble("t", 20, 48, rng);
  garble("u", 10, 16, rng);
  h.open_ok(false);  // recovery alone, before the dispatcher rewrites
  uint64_t mn = 0, mx = 0;
  h.store->queue_range("t", 0, &mn, &mx);
  EXPECT_EQ(mx, 20u);
  h.store->queue_range("u", 0, &mn, &mx);
  EXPECT_EQ(mx, 10u);
  EXPECT_FALSE(std::filesystem::exists(cq_file("t", 2)));
  h.store->start();
  ASSERT_TRUE(h.wait_dispatched());
  expect_queue("t", 30, "late9");
  expect_queue("u", 10, "m9");
  // Appends continue the queues without a gap.
  EXPECT_EQ(h.append_ok(messages("t", 0, 1))[0].queue_offset, 30u);
  EXPECT_EQ(h.append_ok(messages("u", 0, 1))[0].queue_offset, 10u);
  ASSERT_TRUE(h.wait_dispatched());
  // And a clean restart finds nothing stale past the ends.
  h.close();
  h.open_ok();
  expect_queue("t", 31, "m0");
  expect_queue("u", 11, "m0");
}

TEST_F(QueueRecovery, ATornEntryBelowTheCheckpointIsRebuiltToo) {
  std::mt19937_64 rng(11);
  h.open_ok();
  h.append_ok(messages("t", 0, 12));
  ASSERT_TRUE(h.wait_dispatched());
  checkpoint();
  h.append_ok(messages("t", 0, 3, 100, "late"));
  ASSERT_TRUE(h.wait_dispatched());
  h.crash();
  // The page holding the checkpointed tail was torn when it was rewritten.
  garble("t", 10, 15, rng);
  h.open_ok(false);
  uint64_t mn = 0, mx = 0;
  h.store->queue_range("t", 0, &mn, &mx);
  EXPECT_EQ(mx, 10u);
  h.store->start();
  ASSERT_TRUE(h.wait_dispatched());
  expect_queue("t", 15, "late2");
}

}  // namespace
}  // namespace ferry::storage_test
