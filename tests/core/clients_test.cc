// Heartbeats, expiry with the mocked clock, membership notifications,
// subscription fingerprints, queue lock leases.
#include "core/queue_locks.h"
#include "core_fixture.h"

namespace ferry::core::test {
namespace {

class ClientsTest : public CoreFixture {
 protected:
  void SetUp() override {
    CoreFixture::SetUp();
    config_.client_expiry_ms = 120'000;
    config_.client_sweep_interval_ms = 10'000;
    make_core();
    create_topic("T");
  }
  std::shared_ptr<Answer> hb(const std::string& client, uint64_t conn, uint64_t fp = 1, bool subs = true,
                             const std::string& expr = "*") {
    return call(FERRY_CODE_HEARTBEAT, heartbeat(client, {{"G", fp, subs, {{"T", expr}}}}), "", conn);
  }
  // Members named by the notifications sent to `conn`, last one first.
  std::vector<std::string> last_notified(uint64_t conn) {
    for (auto it = env_.notifications.rbegin(); it != env_.notifications.rend(); ++it) {
      if (it->conn_id != conn) continue;
      EXPECT_EQ(it->code, static_cast<uint32_t>(FERRY_CODE_NOTIFY_MEMBERSHIP_CHANGED));
      FakeRequest::Answer a;
      a.payload = it->payload;
      a.payload_aligned.assign((a.payload.size() + 7) / 8, 0);
      std::memcpy(a.payload_aligned.data(), a.payload.data(), a.payload.size());
      auto* m = answer_as<fb::MembershipChanged>(a);
      EXPECT_NE(m, nullptr);
      std::vector<std::string> ids;
      for (const auto* s : *m->client_ids()) ids.emplace_back(sv(s));
      return ids;
    }
    return {};
  }
};

TEST_F(ClientsTest, JoinNotifiesMembersAndSilentClientExpires) {
  ASSERT_EQ(hb("A", 1)->status, FERRY_OK);
  ASSERT_EQ(hb("B", 2)->status, FERRY_OK);
  EXPECT_EQ(last_notified(1), (std::vector<std::string>{"A", "B"})) << "A learns B joined";
  EXPECT_EQ(core_->clients().members("G"), (std::vector<std::string>{"A", "B"}));

  // B keeps beating; A falls silent.
  env_.notifications.clear();
  for (int i = 0; i < 3; ++i) {
    env_.advance(30'000);
    hb("B", 2);
  }
  env_.advance(20'000);  // A silent 110 s (sweeps ran every 10 s)
  EXPECT_EQ(core_->clients().members("G"), (std::vector<std::string>{"A", "B"})) << "dropped before 120 s";
  env_.advance(20'000);  // A silent 130 s: the sweep at 120 s dropped it
  EXPECT_EQ(core_->clients().members("G"), (std::vector<std::string>{"B"}));
  EXPECT_EQ(last_notified(2), std::vector<std::string>{"B"}) << "B told at once that A left";
  EXPECT_TRUE(last_notified(1).empty()) << "the expired client is not a member to notify";
  EXPECT_TRUE(env_.logged("client A silent"));
}

TEST_F(ClientsTest, UnregisterAndClosedConnectionNotifyTheRest) {
  hb("A", 1);
  hb("B", 2);
  hb("C", 3);
  env_.notifications.clear();
  flatbuffers::FlatBufferBuilder fbb;
  ASSERT_EQ(call(FERRY_CODE_UNREGISTER_CLIENT, finish(fbb, fb::CreateUnregisterClientRequest(fbb, fbb.CreateString("A"))))->status,
            FERRY_OK);
  EXPECT_EQ(last_notified(2), (std::vector<std::string>{"B", "C"}));
  core_->on_connection_closed(3);
  EXPECT_EQ(last_notified(2), std::vector<std::string>{"B"});
  fbb.Clear();
  auto m = call(FERRY_CODE_GROUP_MEMBERS, finish(fbb, fb::CreateGroupMembersRequest(fbb, fbb.CreateString("G"))));
  ASSERT_EQ(m->status, FERRY_OK);
  EXPECT_EQ(answer_as<fb::GroupMembersResponse>(*m)->client_ids()->size(), 1u);
}

TEST_F(ClientsTest, SubscriptionsOnlyWhenTheFingerprintChanged) {
  auto first = hb("A", 1, /*fp=*/7, /*subs=*/false);
  auto* r = answer_as<fb::HeartbeatResponse>(*first);
  ASSERT_NE(r, nullptr);
  ASSERT_EQ(r->resend_subscriptions()->size(), 1u) << "unknown fingerprint: ask for subscriptions";
  EXPECT_EQ(r->client_expiry_ms(), 120'000u);
  hb("A", 1, 7, true);
  auto again = hb("A", 1, 7, false);
  EXPECT_EQ(answer_as<fb::HeartbeatResponse>(*again)->resend_subscriptions()->size(), 0u);
  ASSERT_NE(core_->clients().subscriptions("G", "A"), nullptr);
  EXPECT_EQ(core_->clients().subscriptions("G", "A")->at(0).topic, "T");
  auto changed = hb("A", 1, 8, false);
  EXPECT_EQ(answer_as<fb::HeartbeatResponse>(*changed)->resend_subscriptions()->size(), 1u);
}

TEST_F(ClientsTest, SubscriptionsAreKeptPerClientNotLastHeartbeatWins) {
  create_topic("U");
  call(FERRY_CODE_HEARTBEAT, heartbeat("A", {{"G", 1, true, {{"T", "a"}}}}), "", 1);
  call(FERRY_CODE_HEARTBEAT, heartbeat("B", {{"G", 2, true, {{"U", "b"}}}}), "", 2);
  // B's heartbeat neither replaced A's subscriptions nor its fingerprint.
  auto a = call(FERRY_CODE_HEARTBEAT, heartbeat("A", {{"G", 1, false, {}}}), "", 1);
  EXPECT_EQ(answer_as<fb::HeartbeatResponse>(*a)->resend_subscriptions()->size(), 0u)
      << "A was asked to resend because B's fingerprint differs";
  auto b = call(FERRY_CODE_HEARTBEAT, heartbeat("B", {{"G", 2, false, {}}}), "", 2);
  EXPECT_EQ(answer_as<fb::HeartbeatResponse>(*b)->resend_subscriptions()->size(), 0u);
  ASSERT_NE(core_->clients().subscriptions("G", "A"), nullptr);
  EXPECT_EQ(core_->clients().subscriptions("G", "A")->at(0).topic, "T");
  EXPECT_EQ(core_->clients().subscriptions("G", "A")->at(0).expression, "a");
  EXPECT_EQ(core_->clients().subscriptions("G", "B")->at(0).topic, "U");
  auto view = core_->clients().group_clients("G");
  ASSERT_EQ(view.size(), 2u);
  EXPECT_EQ(view[0].client_id, "A");
  EXPECT_EQ(view[0].conn_id, 1u);
  EXPECT_EQ(view[0].peer, "127.0.0.1:5555");
  EXPECT_EQ(view[0].fingerprint, 1u);
  EXPECT_EQ(view[1].subscriptions.at(0).expression, "b");
  EXPECT_EQ(core_->clients().consumer_group_names(), std::vector<std::string>{"G"});
  // A leaves: B's subscriptions stay, A's are gone with it.
  core_->on_connection_closed(1);
  EXPECT_EQ(core_->clients().subscriptions("G", "A"), nullptr);
  ASSERT_NE(core_->clients().subscriptions("G", "B"), nullptr);
}

TEST_F(ClientsTest, MalformedSubscriptionIsRefusedAtSubscribeTime) {
  auto a = hb("A", 1, 1, true, "A ||| B");
  EXPECT_EQ(a->status, FERRY_E_BAD_SUBSCRIPTION);
  EXPECT_NE(a->message.find("group G"), std::string::npos) << a->message;
  EXPECT_TRUE(core_->clients().members("G").empty());
  EXPECT_EQ(call(FERRY_CODE_HEARTBEAT, heartbeat("A", {{"bad group", 1, false, {}}}))->status, FERRY_E_INVALID_NAME);
}

TEST_F(ClientsTest, ProducerConnectionForCheckBack) {
  call(FERRY_CODE_HEARTBEAT, heartbeat("P1", {}, {"pg"}), "", 9);
  EXPECT_EQ(core_->producer_conn("pg"), std::optional<uint64_t>(9));
  EXPECT_EQ(core_->producer_conn("other"), std::nullopt);
}

TEST(QueueLocks, LeaseRenewExpireUnlock) {
  QueueLocks l;
  std::vector<QueueKey> qs{{"T", 0}, {"T", 1}};
  EXPECT_EQ(l.lock("G", "A", qs, 1000, 60'000).size(), 2u);
  EXPECT_TRUE(l.lock("G", "B", qs, 2000, 60'000).empty()) << "held by A";
  EXPECT_EQ(l.lock("G2", "B", qs, 2000, 60'000).size(), 2u) << "another group's locks are separate";
  EXPECT_EQ(l.lock("G", "A", {{"T", 0}}, 50'000, 60'000).size(), 1u);  // renew queue 0 until 110 s
  auto b = l.lock("G", "B", qs, 61'000, 60'000);                       // queue 1's lease ended at 61 s
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0], (QueueKey{"T", 1}));
  EXPECT_EQ(l.holder("G", {"T", 0}, 61'000), "A");
  l.unlock("G", "B", {{"T", 0}});
  EXPECT_EQ(l.holder("G", {"T", 0}, 61'000), "A") << "only the holder unlocks";
  l.unlock("G", "A", {{"T", 0}});
  EXPECT_EQ(l.holder("G", {"T", 0}, 61'000), "");
  l.sweep(200'000);
  EXPECT_EQ(l.size(), 0u);
}

TEST_F(ClientsTest, LockRequestsWithLeaseOnTheMockedClock) {
  hb("A", 1);
  hb("B", 2);
  auto a = call(FERRY_CODE_LOCK_QUEUES, lock_request("G", "A", {{"T", 0}, {"T", 1}}));
  ASSERT_EQ(a->status, FERRY_OK) << a->message;
  auto* r = answer_as<fb::LockQueuesResponse>(*a);
  EXPECT_EQ(r->locked()->size(), 2u);
  EXPECT_EQ(r->lease_ms(), 60'000u);
  auto b = call(FERRY_CODE_LOCK_QUEUES, lock_request("G", "B", {{"T", 0}}));
  EXPECT_EQ(answer_as<fb::LockQueuesResponse>(*b)->locked()->size(), 0u);
  env_.advance(60'000);
  auto c = call(FERRY_CODE_LOCK_QUEUES, lock_request("G", "B", {{"T", 0}}));
  EXPECT_EQ(answer_as<fb::LockQueuesResponse>(*c)->locked()->size(), 1u) << "lease expired";
  EXPECT_EQ(call(FERRY_CODE_UNLOCK_QUEUES, lock_request("G", "B", {{"T", 0}}, false))->status, FERRY_OK);
}

TEST_F(ClientsTest, OnlyAMemberOfTheGroupMayLockItsQueues) {
  hb("A", 1);
  auto stranger = call(FERRY_CODE_LOCK_QUEUES, lock_request("G", "X", {{"T", 0}}));
  EXPECT_EQ(stranger->status, FERRY_E_GROUP_NOT_FOUND);
  EXPECT_NE(stranger->message.find("not a member"), std::string::npos) << stranger->message;
  auto other_group = call(FERRY_CODE_LOCK_QUEUES, lock_request("H", "A", {{"T", 0}}));
  EXPECT_EQ(other_group->status, FERRY_E_GROUP_NOT_FOUND) << "A is in G, not H";
  auto member = call(FERRY_CODE_LOCK_QUEUES, lock_request("G", "A", {{"T", 0}}));
  ASSERT_EQ(member->status, FERRY_OK) << member->message;
  EXPECT_EQ(answer_as<fb::LockQueuesResponse>(*member)->locked()->size(), 1u);
  // Once A has left, it cannot renew.
  core_->on_connection_closed(1);
  EXPECT_EQ(call(FERRY_CODE_LOCK_QUEUES, lock_request("G", "A", {{"T", 0}}))->status, FERRY_E_GROUP_NOT_FOUND);
}

}  // namespace
}  // namespace ferry::core::test
