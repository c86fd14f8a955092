// RegistryTable: registration, routes over several groups, master/slave
// addresses, round assembly and expiry, with a manual clock (plain ints).
#include "registry_table.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ferry::namesrv {
namespace {

BrokerIdentity broker(const std::string& name, int64_t id, const std::string& addr,
                      const std::string& cluster = "c1") {
  return BrokerIdentity{cluster, name, id, addr, addr + "-ha"};
}

TopicConfig topic(const std::string& name, uint32_t queues = 4, uint32_t perm = 6) {
  return TopicConfig{name, queues, queues, perm, 0};
}

RegisterChunk chunk(BrokerIdentity b, uint64_t round, uint32_t index, uint32_t count,
                    std::vector<TopicConfig> topics) {
  RegisterChunk c;
  c.broker = std::move(b);
  c.round_id = round;
  c.chunk_index = index;
  c.chunk_count = count;
  c.topics_version = round * 10;
  c.topics = std::move(topics);
  return c;
}

// One complete single-chunk round.
void reg(RegistryTable& t, const BrokerIdentity& b, uint64_t round, std::vector<TopicConfig> topics,
         int64_t now = 0) {
  RegisterAnswer a;
  Outcome o = t.register_chunk(chunk(b, round, 0, 1, std::move(topics)), now, &a);
  ASSERT_TRUE(o.ok()) << o.message;
  ASSERT_TRUE(a.round_complete);
}

TEST(RegistryTable, RegisterThenRouteAndUnregister) {
  RegistryTable t;
  reg(t, broker("b1", 0, "127.0.0.1:1001"), 1, {topic("orders", 8), topic("audit", 2, 4)});
  EXPECT_EQ(t.broker_count(), 1u);
  EXPECT_EQ(t.topic_count(), 2u);

  auto r = t.route("orders");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->queues.size(), 1u);
  EXPECT_EQ(r->queues[0].broker_name, "b1");
  EXPECT_EQ(r->queues[0].read_queues, 8u);
  EXPECT_EQ(r->queues[0].write_queues, 8u);
  EXPECT_EQ(r->queues[0].perm, 6u);
  ASSERT_EQ(r->groups.size(), 1u);
  EXPECT_EQ(r->groups[0].cluster, "c1");
  ASSERT_EQ(r->groups[0].members.size(), 1u);
  EXPECT_EQ(r->groups[0].members[0].address, "127.0.0.1:1001");
  EXPECT_EQ(r->groups[0].members[0].ha_address, "127.0.0.1:1001-ha");
  EXPECT_FALSE(t.route("nope"));

  // The wrong address does not unregister (a restarted broker elsewhere).
  EXPECT_EQ(t.unregister("b1", 0, "127.0.0.1:9999").status, FERRY_E_NOT_FOUND);
  EXPECT_TRUE(t.unregister("b1", 0, "127.0.0.1:1001").ok());
  EXPECT_EQ(t.broker_count(), 0u);
  EXPECT_EQ(t.topic_count(), 0u);
  EXPECT_FALSE(t.route("orders"));
  EXPECT_EQ(t.unregister("b1", 0, "127.0.0.1:1001").status, FERRY_E_NOT_FOUND);
}

TEST(RegistryTable, TopicSpreadOverTwoGroups) {
  RegistryTable t;
  reg(t, broker("b1", 0, "a:1"), 1, {topic("shared", 4), topic("only1")});
  reg(t, broker("b2", 0, "a:2"), 1, {topic("shared", 16), topic("only2")});
  auto r = t.route("shared");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->queues.size(), 2u);
  EXPECT_EQ(r->queues[0].broker_name, "b1");
  EXPECT_EQ(r->queues[0].write_queues, 4u);
  EXPECT_EQ(r->queues[1].broker_name, "b2");
  EXPECT_EQ(r->queues[1].write_queues, 16u);
  ASSERT_EQ(r->groups.size(), 2u);
  EXPECT_EQ(r->groups[0].members[0].address, "a:1");
  EXPECT_EQ(r->groups[1].members[0].address, "a:2");
  ASSERT_TRUE(t.route("only2"));
  EXPECT_EQ(t.route("only2")->queues.size(), 1u);
  EXPECT_EQ(t.route("only2")->queues[0].broker_name, "b2");

  // One group leaving leaves the other's share of the route.
  ASSERT_TRUE(t.unregister("b1", 0, "a:1").ok());
  r = t.route("shared");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->queues.size(), 1u);
  EXPECT_EQ(r->queues[0].broker_name, "b2");
  EXPECT_FALSE(t.route("only1"));
}

TEST(RegistryTable, MasterAndSlaveAddressesById) {
  RegistryTable t;
  reg(t, broker("b1", 1, "slave:1"), 1, {topic("t", 4)});
  reg(t, broker("b1", 0, "master:1"), 7, {topic("t", 8)});
  auto r = t.route("t");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->groups.size(), 1u);
  ASSERT_EQ(r->groups[0].members.size(), 2u);
  EXPECT_EQ(r->groups[0].members[0].broker_id, 0);
  EXPECT_EQ(r->groups[0].members[0].address, "master:1");
  EXPECT_EQ(r->groups[0].members[1].broker_id, 1);
  EXPECT_EQ(r->groups[0].members[1].address, "slave:1");
  // The master's queue data wins over the slave's.
  ASSERT_EQ(r->queues.size(), 1u);
  EXPECT_EQ(r->queues[0].write_queues, 8u);

  // A slave's registration learns the master's address.
  RegisterAnswer a;
  ASSERT_TRUE(t.register_chunk(chunk(broker("b1", 1, "slave:1"), 2, 0, 1, {topic("t", 4)}), 0, &a)
                  .ok());
  EXPECT_EQ(a.master_address, "master:1");
  EXPECT_EQ(a.master_ha_address, "master:1-ha");

  // Master gone: the group keeps serving the topic with the slave's data,
  // so consumers can read from the slave.
  ASSERT_TRUE(t.unregister("b1", 0, "master:1").ok());
  r = t.route("t");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->queues.size(), 1u);
  EXPECT_EQ(r->queues[0].write_queues, 4u);
  ASSERT_EQ(r->groups[0].members.size(), 1u);
  EXPECT_EQ(r->groups[0].members[0].broker_id, 1);
}

TEST(RegistryTable, MasterMidFirstRoundDoesNotHideSlaveRoutes) {
  RegistryTable t;
  reg(t, broker("b1", 1, "slave:1"), 1, {topic("a"), topic("b"), topic("c")});
  RegisterAnswer a;
  // The master's first round, chunk 1 of 2, carries only "a".
  ASSERT_TRUE(t.register_chunk(chunk(broker("b1", 0, "master:1"), 5, 0, 2, {topic("a", 8)}), 0, &a)
                  .ok());
  EXPECT_FALSE(a.round_complete);
  EXPECT_TRUE(t.route("b"));
  EXPECT_TRUE(t.route("c"));
  ASSERT_TRUE(t.register_chunk(chunk(broker("b1", 0, "master:1"), 5, 1, 2, {topic("b", 8)}), 0, &a)
                  .ok());
  EXPECT_TRUE(a.round_complete);
  // Now the master publishes: "c" is not in its table.
  EXPECT_EQ(t.route("a")->queues[0].write_queues, 8u);
  EXPECT_EQ(t.route("b")->queues[0].write_queues, 8u);
  EXPECT_FALSE(t.route("c"));
}

TEST(RegistryTable, ChunkedRoundsNeverDropARouteMidRound) {
  RegistryTable t;
  const auto b = broker("b1", 0, "a:1");
  // Round 1 in two chunks.
  RegisterAnswer a;
  ASSERT_TRUE(t.register_chunk(chunk(b, 1, 1, 2, {topic("y"), topic("z")}), 0, &a).ok());
  EXPECT_FALSE(a.round_complete);
  EXPECT_TRUE(t.route("y"));  // applied at once
  ASSERT_TRUE(t.register_chunk(chunk(b, 1, 0, 2, {topic("x")}), 0, &a).ok());
  EXPECT_TRUE(a.round_complete);
  EXPECT_EQ(t.topic_count(), 3u);

  // Round 2 drops "y" and adds "w": until the round completes, every old
  // route stays.
  ASSERT_TRUE(t.register_chunk(chunk(b, 2, 0, 3, {topic("w")}), 0, &a).ok());
  EXPECT_TRUE(t.route("x") && t.route("y") && t.route("z") && t.route("w"));
  // A duplicate chunk is harmless.
  ASSERT_TRUE(t.register_chunk(chunk(b, 2, 0, 3, {topic("w")}), 0, &a).ok());
  EXPECT_FALSE(a.round_complete);
  ASSERT_TRUE(t.register_chunk(chunk(b, 2, 1, 3, {topic("x")}), 0, &a).ok());
  EXPECT_TRUE(t.route("y"));
  ASSERT_TRUE(t.register_chunk(chunk(b, 2, 2, 3, {topic("z")}), 0, &a).ok());
  EXPECT_TRUE(a.round_complete);
  EXPECT_FALSE(t.route("y"));
  EXPECT_TRUE(t.route("w") && t.route("x") && t.route("z"));
  EXPECT_EQ(t.topic_count(), 3u);

  // A late duplicate of the finished round changes nothing.
  ASSERT_TRUE(t.register_chunk(chunk(b, 2, 1, 3, {topic("x")}), 0, &a).ok());
  EXPECT_TRUE(a.round_complete);
  EXPECT_EQ(t.topic_count(), 3u);
}

TEST(RegistryTable, AbandonedRoundIsReplacedByANewOne) {
  RegistryTable t;
  const auto b = broker("b1", 0, "a:1");
  reg(t, b, 1, {topic("old")});
  RegisterAnswer a;
  ASSERT_TRUE(t.register_chunk(chunk(b, 2, 0, 2, {topic("half")}), 0, &a).ok());
  // Round 2 never finishes; round 3 (one chunk) replaces it and removes all
  // it does not carry, including round 2's partial topic.
  reg(t, b, 3, {topic("new")});
  EXPECT_FALSE(t.route("old"));
  EXPECT_FALSE(t.route("half"));
  EXPECT_TRUE(t.route("new"));
}

// The broker reconnects (conn 5 -> conn 7) mid-round and starts over; a
// chunk of the abandoned round still arrives late on the old connection.
// Without round ownership it would restart the pending round and the new
// round could not complete.
TEST(RegistryTable, LateChunkFromAnOlderConnectionDoesNotStopTheCurrentRound) {
  RegistryTable t;
  const auto b = broker("b1", 0, "127.0.0.1:1001");
  auto on = [](RegisterChunk c, uint64_t conn) {
    c.conn_id = conn;
    return c;
  };
  RegisterAnswer a;
  ASSERT_TRUE(t.register_chunk(on(chunk(b, 1, 0, 2, {topic("old-a")}), 5), 0, &a).ok());
  ASSERT_TRUE(t.register_chunk(on(chunk(b, 2, 0, 2, {topic("new-a")}), 7), 0, &a).ok());
  ASSERT_TRUE(t.register_chunk(on(chunk(b, 1, 1, 2, {topic("old-b")}), 5), 0, &a).ok());
  EXPECT_TRUE(a.stale);
  EXPECT_FALSE(a.round_complete);
  EXPECT_EQ(t.stale_chunks(), 1u);
  EXPECT_FALSE(t.route("old-b")) << "a stale chunk applies nothing";
  ASSERT_TRUE(t.register_chunk(on(chunk(b, 2, 1, 2, {topic("new-b")}), 7), 0, &a).ok());
  EXPECT_TRUE(a.round_complete) << "the current round completes despite the late chunk";
  EXPECT_TRUE(t.route("new-a"));
  EXPECT_TRUE(t.route("new-b"));
  EXPECT_FALSE(t.route("old-a")) << "the completed round removed what it did not carry";
  // The newest connection owns the rounds; a broker that restarts arrives
  // on a newer connection still and is not mistaken for a stale one.
  ASSERT_TRUE(t.register_chunk(on(chunk(b, 3, 0, 1, {topic("after-restart")}), 9), 0, &a).ok());
  EXPECT_TRUE(a.round_complete);
  EXPECT_FALSE(a.stale);
}

TEST(RegistryTable, EmptyRoundRemovesAllTopicsButKeepsTheBroker) {
  RegistryTable t;
  const auto b = broker("b1", 0, "a:1");
  reg(t, b, 1, {topic("a"), topic("b")});
  reg(t, b, 2, {});
  EXPECT_EQ(t.topic_count(), 0u);
  EXPECT_EQ(t.broker_count(), 1u);
}

TEST(RegistryTable, RefusesBadChunks) {
  RegistryTable t;
  RegisterAnswer a;
  auto b = broker("b1", 0, "a:1");
  EXPECT_EQ(t.register_chunk(chunk(b, 0, 0, 1, {}), 0, &a).status, FERRY_E_INVALID_ARGUMENT);
  EXPECT_EQ(t.register_chunk(chunk(b, 1, 0, 0, {}), 0, &a).status, FERRY_E_INVALID_ARGUMENT);
  EXPECT_EQ(t.register_chunk(chunk(b, 1, 2, 2, {}), 0, &a).status, FERRY_E_INVALID_ARGUMENT);
  EXPECT_EQ(t.register_chunk(chunk(b, 1, 0, RegistryTable::kMaxChunkCount + 1, {}), 0, &a).status,
            FERRY_E_INVALID_ARGUMENT);
  EXPECT_EQ(t.register_chunk(chunk(b, 1, 0, 1, {topic("")}), 0, &a).status,
            FERRY_E_INVALID_ARGUMENT);
  EXPECT_EQ(t.register_chunk(chunk(broker("", 0, "a:1"), 1, 0, 1, {}), 0, &a).status,
            FERRY_E_INVALID_ARGUMENT);
  EXPECT_EQ(t.register_chunk(chunk(broker("b1", 0, ""), 1, 0, 1, {}), 0, &a).status,
            FERRY_E_INVALID_ARGUMENT);
  EXPECT_EQ(t.register_chunk(chunk(broker("b1", -1, "a:1"), 1, 0, 1, {}), 0, &a).status,
            FERRY_E_INVALID_ARGUMENT);
  EXPECT_EQ(t.broker_count(), 0u);
  // A round cannot change its chunk count half way.
  ASSERT_TRUE(t.register_chunk(chunk(b, 5, 0, 3, {topic("x")}), 0, &a).ok());
  Outcome o = t.register_chunk(chunk(b, 5, 1, 4, {topic("y")}), 0, &a);
  EXPECT_EQ(o.status, FERRY_E_INVALID_ARGUMENT);
  EXPECT_NE(o.message.find("chunk_count"), std::string::npos) << o.message;
  EXPECT_FALSE(t.route("y"));
}

TEST(RegistryTable, ExpiryWithAManualClock) {
  RegistryTable t;
  const int64_t expiry = 120000;
  reg(t, broker("b1", 0, "a:1"), 1, {topic("t1"), topic("shared")}, /*now=*/1000);
  reg(t, broker("b2", 0, "a:2"), 1, {topic("t2"), topic("shared")}, /*now=*/1000);

  EXPECT_TRUE(t.expire(1000 + expiry, expiry).empty());  // exactly at the limit: alive
  // b2 keeps its heartbeat; b1 goes silent.
  RegisterAnswer a;
  ASSERT_TRUE(t.heartbeat(broker("b2", 0, "a:2"), 10, 60000, &a).ok());
  EXPECT_TRUE(a.topics_known);

  auto gone = t.expire(1000 + expiry + 1, expiry);
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0].broker_name, "b1");
  EXPECT_FALSE(t.route("t1"));
  ASSERT_TRUE(t.route("shared"));
  EXPECT_EQ(t.route("shared")->queues.size(), 1u);
  EXPECT_EQ(t.route("shared")->queues[0].broker_name, "b2");
  EXPECT_EQ(t.broker_count(), 1u);

  gone = t.expire(60000 + expiry + 1, expiry);
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(t.topic_count(), 0u);
  EXPECT_EQ(t.broker_count(), 0u);
}

TEST(RegistryTable, HeartbeatKnowsTheVersionOnlyAfterACompleteRound) {
  RegistryTable t;
  const auto b = broker("b1", 0, "a:1");
  RegisterAnswer a;
  ASSERT_TRUE(t.heartbeat(b, 10, 0, &a).ok());
  EXPECT_FALSE(a.topics_known);  // unknown broker: not added by a heartbeat
  EXPECT_EQ(t.broker_count(), 0u);

  reg(t, b, 1, {topic("x")});  // version 10
  ASSERT_TRUE(t.heartbeat(b, 10, 0, &a).ok());
  EXPECT_TRUE(a.topics_known);
  ASSERT_TRUE(t.heartbeat(b, 11, 0, &a).ok());
  EXPECT_FALSE(a.topics_known);  // table changed: the broker must send a round
  // Another process with the same name and id at another address.
  ASSERT_TRUE(t.heartbeat(broker("b1", 0, "a:9"), 10, 0, &a).ok());
  EXPECT_FALSE(a.topics_known);
}

TEST(RegistryTable, ClustersAndTopicPages) {
  RegistryTable t;
  reg(t, broker("b1", 0, "a:1", "east"), 1, {topic("t1"), topic("t2")});
  reg(t, broker("b1", 1, "a:11", "east"), 1, {topic("t1"), topic("t2")});
  reg(t, broker("b2", 0, "a:2", "west"), 1, {topic("t3"), topic("t4"), topic("t5")});
  auto all = t.clusters("");
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].name, "east");
  ASSERT_EQ(all[0].groups.size(), 1u);
  EXPECT_EQ(all[0].groups[0].members.size(), 2u);
  EXPECT_EQ(all[0].groups[0].members[1].topic_count, 2u);
  EXPECT_EQ(all[1].name, "west");
  auto west = t.clusters("west");
  ASSERT_EQ(west.size(), 1u);
  EXPECT_EQ(west[0].groups[0].broker_name, "b2");
  EXPECT_TRUE(t.clusters("north").empty());

  std::vector<std::string> seen;
  std::string after;
  for (int pages = 0; pages < 10; ++pages) {
    TopicPage p = t.list_topics(after, 2, 1 << 20);
    ASSERT_FALSE(p.topics.empty());
    seen.insert(seen.end(), p.topics.begin(), p.topics.end());
    after = p.topics.back();
    if (!p.more) break;
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"t1", "t2", "t3", "t4", "t5"}));
  // The byte cap still yields at least one name per page.
  TopicPage tiny = t.list_topics("", 100, 1);
  EXPECT_EQ(tiny.topics.size(), 1u);
  EXPECT_TRUE(tiny.more);
}

}  // namespace
}  // namespace ferry::namesrv
