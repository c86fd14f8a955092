// Chained pulls (PullRequest.chain, kernel/core/pull_chain.cc): a Follows
// pull waits behind its connection's previous pull of the queue and starts
// where that one ends; supersede and a new head answer it empty; a closed
// connection forgets its chains.
#include "core_fixture.h"

namespace ferry::core::test {
namespace {

std::string chained(fb::PullChain chain, uint64_t offset, uint32_t hold_ms, bool supersede = false,
                    uint32_t max_count = 32, int32_t queue = 0) {
  flatbuffers::FlatBufferBuilder fbb;
  auto root = fb::CreatePullRequest(fbb, fbb.CreateString("cg"), fbb.CreateString("T"), queue, offset, max_count,
                                    4u << 20, fbb.CreateString("TAG"), fbb.CreateString(""), hold_ms, -1,
                                    supersede, chain);
  return finish(fbb, root);
}

class PullChainTest : public CoreFixture {
 protected:
  void SetUp() override {
    CoreFixture::SetUp();
    make_core();
    create_topic("T");
  }
  std::shared_ptr<Answer> pull(fb::PullChain chain, uint64_t offset, uint32_t hold = 5000, bool supersede = false,
                               uint32_t max_count = 32, uint64_t conn = 1) {
    return call(FERRY_CODE_PULL_MESSAGE, chained(chain, offset, hold, supersede, max_count), {}, conn);
  }
  const fb::PullResponse* resp(const Answer& a) { return answer_as<fb::PullResponse>(a); }
  void store(const std::vector<std::string>& bodies_) {
    std::vector<Msg> m;
    for (const auto& b : bodies_) m.push_back({b, "", "", "", 0});
    send("T", m);
    storage_.dispatch();
    env_.run_loop();
  }
};

TEST_F(PullChainTest, FollowsIsAnsweredRightAfterItsHeadFromWhereItEnds) {
  auto head = pull(fb::PullChain::Head, 0);
  auto next = pull(fb::PullChain::Follows, 0);  // its offset is only a hint
  EXPECT_FALSE(head->answered);
  EXPECT_FALSE(next->answered);
  EXPECT_EQ(core_->held_pulls(), 1u) << "the follower waits behind the head, not held on its own";
  store({"a", "b", "c"});
  ASSERT_TRUE(head->answered);
  EXPECT_EQ(bodies(*head), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(resp(*head)->next_offset(), 3u);
  EXPECT_FALSE(next->answered) << "nothing past the head's end yet: held";
  EXPECT_EQ(core_->held_pulls(), 1u);
  store({"d"});
  ASSERT_TRUE(next->answered);
  EXPECT_EQ(next->status, FERRY_OK);
  EXPECT_EQ(bodies(*next), std::vector<std::string>{"d"});
  EXPECT_EQ(resp(*next)->queue_offsets()->Get(0), 3u);
  EXPECT_EQ(resp(*next)->next_offset(), 4u);
}

TEST_F(PullChainTest, FollowsReadsAtOnceWhenItsHeadLeftRecords) {
  store({"a", "b", "c"});
  auto head = pull(fb::PullChain::Head, 0, 5000, false, 2);
  ASSERT_TRUE(head->answered);
  EXPECT_EQ(bodies(*head), (std::vector<std::string>{"a", "b"}));
  // Head answered before the follower arrives: it starts at the head's end.
  auto next = pull(fb::PullChain::Follows, 0, 5000, false, 2);
  ASSERT_TRUE(next->answered);
  EXPECT_EQ(bodies(*next), std::vector<std::string>{"c"});
  auto third = pull(fb::PullChain::Follows, 0);
  EXPECT_FALSE(third->answered);
  store({"d", "e"});
  ASSERT_TRUE(third->answered);
  EXPECT_EQ(bodies(*third), (std::vector<std::string>{"d", "e"}));
}

TEST_F(PullChainTest, HeadAnsweredWhileTheFollowerWaitsPassesItsEnd) {
  store({"a", "b", "c", "d", "e"});
  auto head = pull(fb::PullChain::Head, 1, 5000, false, 2);  // 1..2
  ASSERT_TRUE(head->answered);
  auto f1 = pull(fb::PullChain::Follows, 0, 5000, false, 2);  // 3..4 at once
  ASSERT_TRUE(f1->answered);
  EXPECT_EQ(bodies(*f1), (std::vector<std::string>{"d", "e"}));
  auto f2 = pull(fb::PullChain::Follows, 0, 5000, false, 2);  // held at 5
  auto f3 = pull(fb::PullChain::Follows, 0, 5000, false, 2);  // behind f2
  EXPECT_EQ(core_->held_pulls(), 1u);
  store({"f", "g", "h"});
  ASSERT_TRUE(f2->answered);
  ASSERT_TRUE(f3->answered);
  EXPECT_EQ(bodies(*f2), (std::vector<std::string>{"f", "g"}));
  EXPECT_EQ(bodies(*f3), std::vector<std::string>{"h"});
  EXPECT_EQ(resp(*f3)->next_offset(), 8u);
}

TEST_F(PullChainTest, HoldEndAnswersTheHeadEmptyAndHoldsTheFollower) {
  auto head = pull(fb::PullChain::Head, 0, 100);
  auto next = pull(fb::PullChain::Follows, 0, 100);
  env_.advance(150);
  env_.run_loop();
  ASSERT_TRUE(head->answered);
  EXPECT_EQ(head->status, FERRY_E_NO_NEW_MESSAGE);
  EXPECT_FALSE(next->answered) << "its hold starts when it is read";
  store({"a"});
  ASSERT_TRUE(next->answered);
  EXPECT_EQ(bodies(*next), std::vector<std::string>{"a"});
}

TEST_F(PullChainTest, SupersedeAnswersBothEmptyAndTheChainRestarts) {
  store({"a"});
  auto head = pull(fb::PullChain::Head, 1);
  auto next = pull(fb::PullChain::Follows, 1);
  EXPECT_FALSE(head->answered);
  auto moved = pull(fb::PullChain::Head, 0, 5000, true);  // seek back to 0
  ASSERT_TRUE(head->answered);
  ASSERT_TRUE(next->answered);
  EXPECT_EQ(head->status, FERRY_E_NO_NEW_MESSAGE);
  EXPECT_EQ(next->status, FERRY_E_NO_NEW_MESSAGE);
  EXPECT_EQ(resp(*head)->count(), 0u);
  EXPECT_EQ(resp(*next)->count(), 0u);
  ASSERT_TRUE(moved->answered);
  EXPECT_EQ(bodies(*moved), std::vector<std::string>{"a"});
  auto after = pull(fb::PullChain::Follows, 0);
  store({"b"});
  ASSERT_TRUE(after->answered);
  EXPECT_EQ(bodies(*after), std::vector<std::string>{"b"});
}

TEST_F(PullChainTest, ANewHeadAnswersTheWaitingFollowerEmpty) {
  auto head = pull(fb::PullChain::Head, 0);
  auto next = pull(fb::PullChain::Follows, 0);
  auto head2 = pull(fb::PullChain::Head, 0);
  ASSERT_TRUE(next->answered);
  EXPECT_EQ(next->status, FERRY_E_NO_NEW_MESSAGE);
  store({"a"});
  // Both heads read from 0 (two plain pulls); nothing follows the old one.
  ASSERT_TRUE(head->answered);
  ASSERT_TRUE(head2->answered);
  auto f = pull(fb::PullChain::Follows, 0);
  EXPECT_FALSE(f->answered);
  store({"b"});
  ASSERT_TRUE(f->answered);
  EXPECT_EQ(bodies(*f), std::vector<std::string>{"b"}) << "follows the new head";
}

TEST_F(PullChainTest, FollowsWithoutAChainOrAfterAFailureIsAnError) {
  auto lone = pull(fb::PullChain::Follows, 0);
  ASSERT_TRUE(lone->answered);
  EXPECT_EQ(lone->status, FERRY_E_STATE);
  // Another connection's chain is not this one's.
  auto head = pull(fb::PullChain::Head, 0, 5000, false, 32, 2);
  auto other = pull(fb::PullChain::Follows, 0, 5000, false, 32, 1);
  ASSERT_TRUE(other->answered);
  EXPECT_EQ(other->status, FERRY_E_STATE);
  EXPECT_FALSE(head->answered);
}

TEST_F(PullChainTest, ClosedConnectionForgetsItsChains) {
  auto head = pull(fb::PullChain::Head, 0);
  auto next = pull(fb::PullChain::Follows, 0);
  core_->on_connection_closed(1);
  EXPECT_EQ(core_->held_pulls(), 0u);
  auto after = pull(fb::PullChain::Follows, 0);
  ASSERT_TRUE(after->answered);
  EXPECT_EQ(after->status, FERRY_E_STATE) << "the chain went with the connection";
  store({"a"});
  EXPECT_FALSE(head->answered);
  EXPECT_FALSE(next->answered);
}

TEST_F(PullChainTest, ChainedPullsDoNotCommitAndPlainPullsAreUntouched) {
  store({"a", "b"});
  auto plain = call(FERRY_CODE_PULL_MESSAGE, pull_request("T", 0, 0));
  ASSERT_TRUE(plain->answered);
  EXPECT_EQ(bodies(*plain), (std::vector<std::string>{"a", "b"}));
  auto plain2 = call(FERRY_CODE_PULL_MESSAGE, pull_request("T", 0, 1));
  EXPECT_EQ(bodies(*plain2), std::vector<std::string>{"b"}) << "a plain pull names its offset";
}

TEST_F(PullChainTest, StopAnswersTheHeldHeadAndItsFollower) {
  auto head = pull(fb::PullChain::Head, 0);
  auto next = pull(fb::PullChain::Follows, 0);
  core_->stop();
  ASSERT_TRUE(head->answered);
  ASSERT_TRUE(next->answered);
  EXPECT_EQ(next->status, FERRY_E_NO_NEW_MESSAGE);
}

TEST_F(PullChainTest, ChainsAreBoundedLikeHeldPulls) {
  core_.reset();
  config_.max_held_pulls = 1;
  make_core();
  auto q0 = call(FERRY_CODE_PULL_MESSAGE, chained(fb::PullChain::Head, 0, 0, false, 32, 0), {}, 1);
  ASSERT_TRUE(q0->answered);
  EXPECT_EQ(q0->status, FERRY_E_NO_NEW_MESSAGE);
  auto q1 = call(FERRY_CODE_PULL_MESSAGE, chained(fb::PullChain::Head, 0, 0, false, 32, 1), {}, 1);
  ASSERT_TRUE(q1->answered);
  EXPECT_EQ(q1->status, FERRY_E_BUSY) << "a second chain past max_held_pulls";
  auto again = call(FERRY_CODE_PULL_MESSAGE, chained(fb::PullChain::Head, 0, 0, false, 32, 0), {}, 1);
  EXPECT_EQ(again->status, FERRY_E_NO_NEW_MESSAGE) << "an open chain takes a new head";
  core_->on_connection_closed(1);
  auto other = call(FERRY_CODE_PULL_MESSAGE, chained(fb::PullChain::Head, 0, 0, false, 32, 1), {}, 2);
  EXPECT_EQ(other->status, FERRY_E_NO_NEW_MESSAGE) << "a closed connection's chains free their places";
}

}  // namespace
}  // namespace ferry::core::test
