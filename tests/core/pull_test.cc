// Pull statuses, long polls woken by the storage dispatcher (not by a tick),
// the worker path for reads that would block, tag filtering.
#include "core_fixture.h"

namespace ferry::core::test {
namespace {

class PullTest : public CoreFixture {
 protected:
  void SetUp() override {
    CoreFixture::SetUp();
    make_core();
    create_topic("T");
  }
  std::shared_ptr<Answer> pull(uint64_t offset, uint32_t hold = 0, const std::string& expr = "",
                               int32_t queue = 0) {
    return call(FERRY_CODE_PULL_MESSAGE, pull_request("T", queue, offset, hold, expr));
  }
  const fb::PullResponse* resp(const Answer& a) { return answer_as<fb::PullResponse>(a); }
};

TEST_F(PullTest, FoundReturnsRawRecordsAndReleasesThemAfterTheWrite) {
  send("T", {{"a", "", "", "", 0}, {"b", "", "", "", 0}, {"c", "", "", "", 0}});
  storage_.dispatch();
  auto a = pull(1);
  ASSERT_EQ(a->status, FERRY_OK) << a->message;
  EXPECT_EQ(bodies(*a), (std::vector<std::string>{"b", "c"}));
  auto* r = resp(*a);
  EXPECT_EQ(r->status(), fb::PullStatus::Found);
  EXPECT_EQ(r->next_offset(), 3u);
  EXPECT_EQ(r->max_offset(), 3u);
  EXPECT_EQ(r->count(), 2u);
  EXPECT_EQ(r->queue_offsets()->Get(0), 1u);
  EXPECT_EQ(storage_.live_results, 0) << "read result not released";
}

TEST_F(PullTest, NoNewMovedAndOutOfRange) {
  send("T", {{"a", "", "", "", 0}, {"b", "", "", "", 0}});
  storage_.dispatch();
  auto none = pull(2);
  EXPECT_EQ(none->status, FERRY_E_NO_NEW_MESSAGE);
  EXPECT_EQ(resp(*none)->status(), fb::PullStatus::NoNewMessage);
  auto high = pull(7);
  EXPECT_EQ(high->status, FERRY_E_OFFSET_OUT_OF_RANGE);
  EXPECT_EQ(resp(*high)->next_offset(), 2u);
  EXPECT_NE(high->message.find("above"), std::string::npos);
  storage_.set_min("T", 0, 1);
  auto low = pull(0);
  EXPECT_EQ(low->status, FERRY_E_OFFSET_MOVED);
  EXPECT_EQ(resp(*low)->status(), fb::PullStatus::OffsetMoved);
  EXPECT_EQ(resp(*low)->next_offset(), 1u);
  EXPECT_EQ(storage_.live_results, 0);
}

TEST_F(PullTest, BadPullsGetSpecificStatuses) {
  EXPECT_EQ(call(FERRY_CODE_PULL_MESSAGE, pull_request("Nope", 0, 0))->status, FERRY_E_TOPIC_NOT_FOUND);
  EXPECT_EQ(call(FERRY_CODE_PULL_MESSAGE, pull_request("T", 9, 0))->status, FERRY_E_INVALID_ARGUMENT);
  auto bad = pull(0, 0, "TagA ||");
  EXPECT_EQ(bad->status, FERRY_E_BAD_SUBSCRIPTION);
  EXPECT_NE(bad->message.find("empty tag"), std::string::npos) << bad->message;
}

TEST_F(PullTest, HeldPullIsWokenByDispatchNotByTime) {
  auto a = pull(0, 5000);
  EXPECT_FALSE(a->answered);
  EXPECT_EQ(core_->held_pulls(), 1u);
  send("T", {{"late", "", "", "", 0}});
  env_.run_loop();
  EXPECT_FALSE(a->answered) << "stored but not dispatched: not visible yet";
  // No clock movement at all: only the dispatcher's notification wakes it.
  storage_.dispatch();
  env_.run_loop();
  ASSERT_TRUE(a->answered);
  EXPECT_EQ(a->status, FERRY_OK);
  EXPECT_EQ(bodies(*a), std::vector<std::string>{"late"});
  EXPECT_EQ(core_->held_pulls(), 0u);
  EXPECT_EQ(core_->counters().pulls_woken, 1u);
}

TEST_F(PullTest, DispatchOfAnotherQueueDoesNotAnswerAndOnePostCoversABatch) {
  auto a = pull(0, 5000);
  send("T", {{"q1", "", "", "", 1}, {"q1b", "", "", "", 1}});
  size_t posts = env_.posts;
  storage_.dispatch();
  EXPECT_EQ(env_.posts, posts + 1) << "one wake-up per dispatch batch";
  env_.run_loop();
  EXPECT_FALSE(a->answered);
  EXPECT_EQ(core_->held_pulls(), 1u);
}

TEST_F(PullTest, HeldPullTimesOutWithNoNewMessage) {
  auto a = pull(0, 2000);
  env_.advance(1500);
  EXPECT_FALSE(a->answered);
  env_.advance(700);
  ASSERT_TRUE(a->answered);
  EXPECT_EQ(a->status, FERRY_E_NO_NEW_MESSAGE);
}

TEST_F(PullTest, DeletingTheTopicAnswersItsHeldPullsAtOnce) {
  create_topic("Other");
  auto a = pull(0, 5000);
  auto b = pull(0, 5000, "", 1);
  auto other = call(FERRY_CODE_PULL_MESSAGE, pull_request("Other", 0, 0, 5000));
  ASSERT_EQ(core_->held_pulls(), 3u);
  flatbuffers::FlatBufferBuilder fbb;
  auto del = call(FERRY_CODE_TOPIC_DELETE, finish(fbb, fb::CreateTopicNameRequest(fbb, fbb.CreateString("T"))));
  ASSERT_EQ(del->status, FERRY_OK) << del->message;
  // No clock movement: answered by the delete, not by their hold ending.
  ASSERT_TRUE(a->answered && b->answered);
  EXPECT_EQ(a->status, FERRY_E_TOPIC_NOT_FOUND);
  EXPECT_NE(a->message.find("deleted while this pull was held"), std::string::npos) << a->message;
  EXPECT_EQ(b->status, FERRY_E_TOPIC_NOT_FOUND);
  EXPECT_FALSE(other->answered) << "another topic's pull keeps waiting";
  EXPECT_EQ(core_->held_pulls(), 1u);
}

TEST_F(PullTest, HoldIsCappedByLongPollMaxHold) {
  core_.reset();
  config_.long_poll_max_hold_ms = 1000;
  make_core();
  auto a = pull(0, 60'000);
  env_.advance(1200);
  ASSERT_TRUE(a->answered);
  EXPECT_EQ(a->status, FERRY_E_NO_NEW_MESSAGE);
}

TEST_F(PullTest, ReadThatWouldBlockRunsOnAWorker) {
  send("T", {{"cold", "", "", "", 0}});
  storage_.dispatch();
  storage_.would_block = true;
  auto a = pull(0);
  EXPECT_FALSE(a->answered) << "answered before the worker's completion ran on the loop";
  env_.run_loop();
  ASSERT_TRUE(a->answered);
  EXPECT_EQ(bodies(*a), std::vector<std::string>{"cold"});
  EXPECT_EQ(storage_.blocking_reads, 1);
  EXPECT_EQ(storage_.live_results, 0);
}

TEST_F(PullTest, TagFilterKeepsOnlyMatchingTagsEvenOnHashCollision) {
  // "Aa" and "BB" share Java's String.hashCode: stage 2 must tell them apart.
  ASSERT_EQ(ferry_tag_hash({"Aa", 2}), ferry_tag_hash({"BB", 2}));
  send("T", {{"1", "Aa", "", "", 0}, {"2", "BB", "", "", 0}, {"3", "C", "", "", 0}, {"4", "Aa", "", "", 0}});
  storage_.dispatch();
  auto a = pull(0, 0, "Aa || Z");
  ASSERT_EQ(a->status, FERRY_OK) << a->message;
  EXPECT_EQ(bodies(*a), (std::vector<std::string>{"1", "4"}));
  auto all = pull(0, 0, "*");
  EXPECT_EQ(bodies(*all).size(), 4u);
}

TEST_F(PullTest, HeldFilteredPullSkipsNonMatchingThenWakes) {
  auto a = pull(0, 5000, "Wanted");
  send("T", {{"x", "Other", "", "", 0}});
  storage_.dispatch();
  env_.run_loop();
  EXPECT_FALSE(a->answered) << "a non-matching message must not end the hold";
  send("T", {{"y", "Wanted", "", "", 0}});
  storage_.dispatch();
  env_.run_loop();
  ASSERT_TRUE(a->answered);
  EXPECT_EQ(bodies(*a), std::vector<std::string>{"y"});
}

TEST_F(PullTest, PullCommitsOffsetAndStopAnswersHeldPulls) {
  send("T", {{"a", "", "", "", 0}});
  storage_.dispatch();
  call(FERRY_CODE_PULL_MESSAGE, pull_request("T", 0, 1, 0, "", "cg", /*commit=*/1));
  EXPECT_EQ(core_->offsets().query("cg", "T", 0), std::optional<uint64_t>(1));
  auto held = pull(1, 10'000);
  core_->stop();
  ASSERT_TRUE(held->answered);
  EXPECT_EQ(held->status, FERRY_E_NO_NEW_MESSAGE);
}

TEST_F(PullTest, ClosedConnectionDropsItsHeldPulls) {
  auto a = call(FERRY_CODE_PULL_MESSAGE, pull_request("T", 0, 0, 5000), "", /*conn=*/77);
  EXPECT_EQ(core_->held_pulls(), 1u);
  core_->on_connection_closed(77);
  EXPECT_EQ(core_->held_pulls(), 0u);
}

TEST_F(PullTest, TooManyHeldPullsIsBusy) {
  core_.reset();
  config_.max_held_pulls = 1;
  make_core();
  auto a = pull(0, 5000);
  auto b = pull(0, 5000);
  EXPECT_FALSE(a->answered);
  EXPECT_EQ(b->status, FERRY_E_BUSY);
}

}  // namespace
}  // namespace ferry::core::test
