// Turn staging (pwrite path): once the host ends its loop turns with
// end_turn, appended records are staged in memory and written with one
// pwrite per turn. Staged bytes must be below no watermark: no read, sync,
// checkpoint or recovery may see them; a failed turn write holds them and
// refuses new appends until a retry writes them.
#include <cerrno>
#include <thread>

#include "store_harness.h"

namespace ferry::storage_test {
namespace {

using Op = mmaplog::FaultIo::Op;

struct Staged : Harness {
  Staged() { opt.write_mode = mmaplog::WriteMode::Pwrite; }
  uint64_t end_turn() {
    uint64_t w = 0;
    std::string e;
    EXPECT_EQ(store->end_turn(&w, &e), FERRY_OK) << e;
    EXPECT_EQ(w, store->write_offset());
    return w;
  }
};

uint64_t end_of(const std::vector<ferry_append_result>& r) {
  return r.back().commit_offset + r.back().size;
}

TEST(TurnStaging, WithoutEndTurnEveryAppendIsWrittenBeforeItReturns) {
  Staged h;
  h.open_ok();
  auto r = h.append_ok(messages("t", 0, 3));
  EXPECT_EQ(h.store->write_offset(), end_of(r));
  ferry_read_result* out = nullptr;
  std::string e;
  ASSERT_EQ(h.store->read_at(r[0].commit_offset, &out, &e), FERRY_OK) << e;
  out->release(out);
}

TEST(TurnStaging, StagedRecordsAreInvisibleUntilTheTurnEnds) {
  Staged h;
  h.open_ok();
  const uint64_t start = h.end_turn();  // the host ends turns: staging on
  auto r = h.append_ok(messages("t", 0, 5));
  ASSERT_EQ(r.size(), 5u);
  EXPECT_EQ(r[0].commit_offset, start);
  // Not written: the write offset, the file, reads, sync and the dispatcher
  // all stop before them.
  EXPECT_EQ(h.store->write_offset(), start);
  EXPECT_EQ(Harness::peek(h.segment_path(0), start, 8), std::string(8, '\0'));
  ferry_read_result* out = nullptr;
  std::string e;
  EXPECT_NE(h.store->read_at(r[0].commit_offset, &out, &e), FERRY_OK);
  uint64_t synced = 0;
  ASSERT_EQ(h.store->sync(UINT64_MAX, &synced, &e), FERRY_OK) << e;
  EXPECT_LE(synced, start);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // dispatcher polls
  EXPECT_LE(h.store->dispatched_offset(), start);

  EXPECT_EQ(h.end_turn(), end_of(r));
  ASSERT_EQ(h.store->read_at(r[4].commit_offset, &out, &e), FERRY_OK) << e;
  out->release(out);
  ASSERT_TRUE(h.wait_dispatched());
  Result rd = h.read("t", 0, 0);
  EXPECT_EQ(rd.r->count, 5u);
}

TEST(TurnStaging, ATurnOfManyAppendsIsOneWrite) {
  Staged h;
  h.open_ok();
  h.end_turn();
  // Every commit-log pwrite fails from now on: appends that stage still
  // succeed, and the end of the turn is the one write that meets the rule.
  h.io->add_rule({Op::Pwrite, "/commitlog/", EIO, 0, -1});
  std::vector<ferry_append_result> r;
  for (int i = 0; i < 20; ++i) {
    auto one = h.append_ok(messages("t", i % 2, 1, 200, "turn" + std::to_string(i)));
    r.insert(r.end(), one.begin(), one.end());
  }
  EXPECT_EQ(h.io->injected(), 0);
  uint64_t w = 0;
  std::string e;
  EXPECT_EQ(h.store->end_turn(&w, &e), FERRY_E_IO);
  EXPECT_EQ(h.io->injected(), 1);
  h.io->clear_rules();
  EXPECT_EQ(h.store->end_turn(&w, &e), FERRY_OK) << e;
  EXPECT_EQ(w, end_of(r));
}

TEST(TurnStaging, AFailedTurnWriteHoldsTheRecordsRefusesAppendsAndARetryWritesThem) {
  Staged h;
  h.open_ok();
  h.end_turn();
  auto kept = h.append_ok(messages("t", 0, 4, 100, "kept"));
  h.io->add_rule({Op::Pwrite, "/commitlog/", EIO, 0, 2});
  uint64_t w = 0;
  std::string e;
  EXPECT_EQ(h.store->end_turn(&w, &e), FERRY_E_IO);
  EXPECT_NE(e.find("/commitlog/"), std::string::npos) << e;
  EXPECT_EQ(w, kept[0].commit_offset);  // nothing of them is below WRITE
  // A new append first retries the held write (fails again), then is refused.
  std::vector<ferry_append_result> res;
  size_t appended = 9;
  EXPECT_EQ(h.append(messages("t", 0, 2, 100, "refused"), &res, &appended, &e), FERRY_E_IO);
  EXPECT_EQ(appended, 0u);
  EXPECT_NE(e.find("held"), std::string::npos) << e;
  EXPECT_EQ(h.io->injected(), 2);
  // The disk is back: the next append writes the held records first.
  auto after = h.append_ok(messages("t", 0, 1, 100, "after"));
  EXPECT_EQ(after[0].commit_offset, end_of(kept));
  EXPECT_EQ(after[0].queue_offset, 4u);
  EXPECT_EQ(h.end_turn(), end_of(after));
  h.crash();
  h.open_ok();
  ASSERT_TRUE(h.wait_dispatched());
  Result rd = h.read("t", 0, 0);
  ASSERT_EQ(rd.r->count, 5u);
}

TEST(TurnStaging, ACrashLosesOnlyWhatWasStillStaged) {
  Staged h;
  h.open_ok();
  h.end_turn();
  auto written = h.append_ok(messages("t", 1, 3, 100, "written"));
  const uint64_t w = h.end_turn();
  h.append_ok(messages("t", 1, 3, 100, "staged"));
  h.crash();
  h.open_ok();
  EXPECT_EQ(h.store->write_offset(), w);
  ASSERT_TRUE(h.wait_dispatched());
  Result rd = h.read("t", 1, 0);
  ASSERT_EQ(rd.r->count, 3u);
}

TEST(TurnStaging, ACleanStopWritesWhatIsStaged) {
  Staged h;
  h.open_ok();
  h.end_turn();
  auto r = h.append_ok(messages("t", 2, 3));
  h.close();
  h.open_ok();
  EXPECT_EQ(h.store->write_offset(), end_of(r));
}

TEST(TurnStaging, RollsAndLargeTurnsKeepEveryRecordInOrder) {
  Staged h;
  h.open_ok();
  h.end_turn();
  // 64 KiB segments, 1 KiB records: one turn crosses several segments (the
  // staged bytes are written before each roll's blank) and more than the
  // stage limit is never held.
  std::vector<ferry_append_result> all;
  for (int turn = 0; turn < 4; ++turn) {
    for (int i = 0; i < 50; ++i) {
      auto one = h.append_ok(messages("t", 3, 1, 1000, "r" + std::to_string(turn * 50 + i)));
      all.insert(all.end(), one.begin(), one.end());
    }
    EXPECT_EQ(h.end_turn(), end_of(all));
  }
  h.crash();
  h.open_ok();
  ASSERT_TRUE(h.wait_dispatched());
  Result rd = h.read("t", 3, 0, 1000);
  ASSERT_EQ(rd.r->count, all.size());
  for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(rd.r->queue_offsets[i], i);
}

}  // namespace
}  // namespace ferry::storage_test
