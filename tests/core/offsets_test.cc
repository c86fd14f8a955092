// Consumer offsets: commit/query, atomic persistence (a crash between write
// and rename keeps the old file), periodic and shutdown persistence, restart.
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

}  // namespace
}  // namespace ferry::core::test
