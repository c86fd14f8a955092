// Consumer offsets: commit/query, atomic persistence (a crash between write
// and rename keeps the old file), periodic and shutdown persistence, restart.
#include <ferry_test/child_process.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include "core/offset_store.h"
#include "core_fixture.h"

namespace ferry::core::test {
namespace {

TEST(OffsetStore, CommitQueryPersistReload) {
  ferry::test::TempDir dir;
  std::string path = dir.str() + "/core/offsets.conf", why;
  {
    OffsetStore s(path);
    s.commit("g1", "T", 0, 10);
    s.commit("g1", "T", 3, 7);
    s.commit("g2", "U", 1, 99);
    EXPECT_EQ(s.query("g1", "T", 3), std::optional<uint64_t>(7));
    EXPECT_EQ(s.query("g1", "T", 1), std::nullopt);
    ASSERT_EQ(s.save(&why), FERRY_OK) << why;
  }
  OffsetStore s(path);
  ASSERT_EQ(s.load(&why), FERRY_OK) << why;
  EXPECT_EQ(s.query("g1", "T", 0), std::optional<uint64_t>(10));
  EXPECT_EQ(s.query("g2", "U", 1), std::optional<uint64_t>(99));
  EXPECT_FALSE(s.dirty());
}

TEST(OffsetStore, CrashBetweenWriteAndRenameLeavesTheOldFile) {
  ferry::test::TempDir dir;
  std::string path = dir.str() + "/offsets.conf", why;
  OffsetStore s(path);
  s.commit("g", "T", 0, 5);
  ASSERT_EQ(s.save(&why), FERRY_OK);
  s.commit("g", "T", 0, 6);
  bool hook_ran = false;
  EXPECT_EQ(s.save(&why,
                   [&](const std::string& tmp) {
                     hook_ran = true;
                     // The new content is fully written to the temp file...
                     std::string text;
                     std::string w;
                     EXPECT_EQ(read_file(tmp, &text, &w), FERRY_OK);
                     EXPECT_NE(text.find("g T 0 6"), std::string::npos);
                     return false;  // ...and the "crash" comes before the rename
                   }),
            FERRY_E_IO);
  EXPECT_TRUE(hook_ran);
  OffsetStore after(path);
  ASSERT_EQ(after.load(&why), FERRY_OK) << why;
  EXPECT_EQ(after.query("g", "T", 0), std::optional<uint64_t>(5));
  // The next save succeeds and replaces it.
  ASSERT_EQ(s.save(&why), FERRY_OK);
  OffsetStore again(path);
  ASSERT_EQ(again.load(&why), FERRY_OK);
  EXPECT_EQ(again.query("g", "T", 0), std::optional<uint64_t>(6));
}

class OffsetRequestsTest : public CoreFixture {};

TEST_F(OffsetRequestsTest, CommitIsPersistedPeriodicallyAndSurvivesRestart) {
  config_.offset_persist_interval_ms = 5000;
  make_core();
  create_topic("T");
  flatbuffers::FlatBufferBuilder fbb;
  std::vector<flatbuffers::Offset<fb::QueueOffset>> v{fb::CreateQueueOffset(fbb, fbb.CreateString("T"), 2, 42)};
  auto c = call(FERRY_CODE_COMMIT_OFFSETS,
                finish(fbb, fb::CreateCommitOffsetsRequest(fbb, fbb.CreateString("cg"), fbb.CreateVector(v))));
  ASSERT_EQ(c->status, FERRY_OK) << c->message;
  EXPECT_EQ(core_->offsets().writes(), 0u);
  env_.advance(5000);
  EXPECT_EQ(core_->offsets().writes(), 1u);

  fbb.Clear();
  std::vector<flatbuffers::Offset<fb::QueueOffset>> bad{fb::CreateQueueOffset(fbb, fbb.CreateString("T"), 0, 1),
                                                        fb::CreateQueueOffset(fbb, fbb.CreateString("Nope"), 0, 1)};
  auto b = call(FERRY_CODE_COMMIT_OFFSETS,
                finish(fbb, fb::CreateCommitOffsetsRequest(fbb, fbb.CreateString("cg"), fbb.CreateVector(bad))));
  EXPECT_EQ(b->status, FERRY_E_TOPIC_NOT_FOUND);
  EXPECT_EQ(core_->offsets().query("cg", "T", 0), std::nullopt) << "a bad entry must commit nothing";

  core_->stop();
  core_.reset();
  make_core();
  fbb.Clear();
  auto q = call(FERRY_CODE_QUERY_OFFSET,
                finish(fbb, fb::CreateQueryOffsetRequest(fbb, fbb.CreateString("cg"), fbb.CreateString("T"), 2)));
  ASSERT_EQ(q->status, FERRY_OK) << q->message;
  EXPECT_EQ(answer_as<fb::QueryOffsetResponse>(*q)->offset(), 42u);
  fbb.Clear();
  auto none = call(FERRY_CODE_QUERY_OFFSET,
                   finish(fbb, fb::CreateQueryOffsetRequest(fbb, fbb.CreateString("cg"), fbb.CreateString("T"), 1)));
  EXPECT_EQ(none->status, FERRY_E_NOT_FOUND);
}

TEST_F(OffsetRequestsTest, ShutdownPersistsWithoutWaitingForTheTimer) {
  config_.offset_persist_interval_ms = 3'600'000;
  make_core();
  create_topic("T");
  send("T", {{"a", "", "", "", 0}});
  storage_.dispatch();
  call(FERRY_CODE_PULL_MESSAGE, pull_request("T", 0, 1, 0, "", "cg", 1));
  core_->stop();
  OffsetStore s(dir_.str() + "/core/consumer_offsets.conf");
  std::string why;
  ASSERT_EQ(s.load(&why), FERRY_OK);
  EXPECT_EQ(s.query("cg", "T", 0), std::optional<uint64_t>(1));
}


// The periodic write (whole file + fdatasync + rename + directory fsync)
// runs on a worker: the loop keeps committing and answering queries while it
// is held, one write at a time, and commits made meanwhile go into the next.
TEST_F(OffsetRequestsTest, OffsetsAreWrittenOnAWorkerWhileTheLoopServes) {
  config_.offset_persist_interval_ms = 1000;
  make_core();
  create_topic("T");
  env_.hold_work = true;
  std::thread::id writer;
  core_->set_before_rename_hook([&](const std::string& tmp) {
    if (tmp.find("consumer_offsets") != std::string::npos) writer = std::this_thread::get_id();
    return true;
  });
  const std::string path = dir_.str() + "/core/consumer_offsets.conf";
  auto commit = [&](int32_t queue, uint64_t offset) {
    flatbuffers::FlatBufferBuilder fbb;
    std::vector<flatbuffers::Offset<fb::QueueOffset>> v{fb::CreateQueueOffset(fbb, fbb.CreateString("T"), queue, offset)};
    return call(FERRY_CODE_COMMIT_OFFSETS,
                finish(fbb, fb::CreateCommitOffsetsRequest(fbb, fbb.CreateString("cg"), fbb.CreateVector(v))));
  };
  ASSERT_EQ(commit(0, 10)->status, FERRY_OK);
  env_.advance(1000);
  ASSERT_EQ(env_.held_work(), 1u) << "the write is handed to a worker";
  EXPECT_FALSE(std::filesystem::exists(path)) << "written on the loop";

  // The loop serves meanwhile; the next period starts no second write.
  auto c2 = commit(1, 20);
  ASSERT_TRUE(c2->answered);
  EXPECT_EQ(c2->status, FERRY_OK);
  flatbuffers::FlatBufferBuilder fbb;
  auto q = call(FERRY_CODE_QUERY_OFFSET,
                finish(fbb, fb::CreateQueryOffsetRequest(fbb, fbb.CreateString("cg"), fbb.CreateString("T"), 1)));
  ASSERT_EQ(q->status, FERRY_OK) << q->message;
  EXPECT_EQ(answer_as<fb::QueryOffsetResponse>(*q)->offset(), 20u);
  env_.advance(1000);
  EXPECT_EQ(env_.held_work(), 1u) << "two writes of one file in flight";

  std::thread worker([&] { env_.run_held_work(); });
  worker.join();
  EXPECT_NE(writer, std::thread::id{});
  EXPECT_NE(writer, std::this_thread::get_id()) << "written on the loop thread";
  env_.run_loop();
  EXPECT_EQ(core_->offsets().writes(), 1u);
  EXPECT_TRUE(core_->offsets().dirty()) << "queue 1 was committed after the snapshot";
  {
    OffsetStore s(path);
    std::string why;
    ASSERT_EQ(s.load(&why), FERRY_OK) << why;
    EXPECT_EQ(s.query("cg", "T", 0), std::optional<uint64_t>(10));
    EXPECT_EQ(s.query("cg", "T", 1), std::nullopt);
  }

  env_.advance(1000);  // the next period covers queue 1
  ASSERT_EQ(env_.held_work(), 1u);
  std::thread worker2([&] { env_.run_held_work(); });
  worker2.join();
  env_.run_loop();
  EXPECT_EQ(core_->offsets().writes(), 2u);
  EXPECT_FALSE(core_->offsets().dirty());
  OffsetStore s(path);
  std::string why;
  ASSERT_EQ(s.load(&why), FERRY_OK) << why;
  EXPECT_EQ(s.query("cg", "T", 1), std::optional<uint64_t>(20));
}

// Shutdown writes the offsets on the loop while an older snapshot may still
// wait for its worker: that older write must not replace the newer file, and
// a restart sees the newest offsets.
TEST_F(OffsetRequestsTest, AWorkerWriteFinishingAfterShutdownKeepsTheNewerOffsets) {
  config_.offset_persist_interval_ms = 1000;
  make_core();
  create_topic("T");
  env_.hold_work = true;
  auto commit = [&](uint64_t offset) {
    flatbuffers::FlatBufferBuilder fbb;
    std::vector<flatbuffers::Offset<fb::QueueOffset>> v{fb::CreateQueueOffset(fbb, fbb.CreateString("T"), 0, offset)};
    return call(FERRY_CODE_COMMIT_OFFSETS,
                finish(fbb, fb::CreateCommitOffsetsRequest(fbb, fbb.CreateString("cg"), fbb.CreateVector(v))));
  };
  ASSERT_EQ(commit(5)->status, FERRY_OK);
  env_.advance(1000);
  ASSERT_EQ(env_.held_work(), 1u);  // snapshot {0: 5}, not written yet
  ASSERT_EQ(commit(6)->status, FERRY_OK);
  core_->stop();  // writes {0: 6} now
  std::thread worker([&] { env_.run_held_work(); });  // the stale {0: 5} snapshot
  worker.join();
  env_.run_loop();
  core_.reset();
  env_.hold_work = false;
  make_core();
  flatbuffers::FlatBufferBuilder fbb;
  auto q = call(FERRY_CODE_QUERY_OFFSET,
                finish(fbb, fb::CreateQueryOffsetRequest(fbb, fbb.CreateString("cg"), fbb.CreateString("T"), 0)));
  ASSERT_EQ(q->status, FERRY_OK) << q->message;
  EXPECT_EQ(answer_as<fb::QueryOffsetResponse>(*q)->offset(), 6u)
      << "the older snapshot was written over the newer one";
}

// Shutdown while a worker is in the middle of a write: stop() waits for it
// (the writer's lock) and returns with the last offsets on disk.
TEST_F(OffsetRequestsTest, ShutdownWaitsForAWriteInFlight) {
  config_.offset_persist_interval_ms = 1000;
  make_core();
  create_topic("T");
  env_.hold_work = true;
  std::atomic<bool> in_write{false}, release{false};
  core_->set_before_rename_hook([&](const std::string&) {
    in_write = true;  // held until released (bounded: a write on the loop must not hang the test)
    ferry::test::wait_until([&] { return release.load(); }, std::chrono::seconds(5));
    return true;
  });
  flatbuffers::FlatBufferBuilder fbb;
  std::vector<flatbuffers::Offset<fb::QueueOffset>> v{fb::CreateQueueOffset(fbb, fbb.CreateString("T"), 0, 7)};
  ASSERT_EQ(call(FERRY_CODE_COMMIT_OFFSETS,
                 finish(fbb, fb::CreateCommitOffsetsRequest(fbb, fbb.CreateString("cg"), fbb.CreateVector(v))))
                ->status,
            FERRY_OK);
  env_.advance(1000);
  ASSERT_EQ(env_.held_work(), 1u);
  std::thread worker([&] { env_.run_held_work(); });
  ASSERT_TRUE(ferry::test::wait_until([&] { return in_write.load(); }, std::chrono::seconds(5)));
  std::atomic<bool> stopped{false};
  std::thread stopper([&] {
    core_->stop();
    stopped = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(stopped) << "stop() returned while the write was still in flight";
  release = true;
  stopper.join();
  worker.join();
  env_.run_loop();
  OffsetStore s(dir_.str() + "/core/consumer_offsets.conf");
  std::string why;
  ASSERT_EQ(s.load(&why), FERRY_OK) << why;
  EXPECT_EQ(s.query("cg", "T", 0), std::optional<uint64_t>(7));
}

}  // namespace
}  // namespace ferry::core::test
