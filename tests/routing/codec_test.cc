// The FNSV payload codec: round trips, and bad payloads answered with
// FERRY_E_INVALID_ARGUMENT and a message rather than a crash.
#include "codec.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "namesrv_generated.h"

namespace ferry::namesrv {
namespace {

namespace fb = ::ferry::wire::namesrv;

BrokerIdentity sample_broker() { return BrokerIdentity{"east", "b1", 2, "10.0.0.1:10911", "10.0.0.1:10912"}; }

ferry_slice slice(const std::vector<uint8_t>& v) { return ferry_slice{v.data(), v.size()}; }
std::vector<uint8_t> bytes(const Buffer& b) { return std::vector<uint8_t>(b.data(), b.data() + b.size()); }

TEST(Codec, RegisterRoundTrip) {
  std::vector<TopicConfig> topics = {{"a", 1, 2, 6, 0}, {"bb", 8, 8, 4, 2}};
  Buffer b = encode_register(sample_broker(), 77, 3, 9, 0xfeedull, topics);
  RegisterChunk c;
  Outcome o = decode_register(as_slice(b), &c);
  ASSERT_TRUE(o.ok()) << o.message;
  EXPECT_EQ(c.broker.cluster, "east");
  EXPECT_EQ(c.broker.broker_name, "b1");
  EXPECT_EQ(c.broker.broker_id, 2);
  EXPECT_EQ(c.broker.address, "10.0.0.1:10911");
  EXPECT_EQ(c.broker.ha_address, "10.0.0.1:10912");
  EXPECT_EQ(c.round_id, 77u);
  EXPECT_EQ(c.chunk_index, 3u);
  EXPECT_EQ(c.chunk_count, 9u);
  EXPECT_EQ(c.topics_version, 0xfeedull);
  EXPECT_EQ(c.topics, topics);
}

TEST(Codec, RequestsRoundTrip) {
  BrokerIdentity b;
  uint64_t v = 0;
  ASSERT_TRUE(decode_heartbeat(as_slice(encode_heartbeat(sample_broker(), 5)), &b, &v).ok());
  EXPECT_EQ(b.address, "10.0.0.1:10911");
  EXPECT_EQ(v, 5u);

  UnregisterRequest u;
  ASSERT_TRUE(decode_unregister(as_slice(encode_unregister({"east", "b1", 1, "x:1"})), &u).ok());
  EXPECT_EQ(u.broker_name, "b1");
  EXPECT_EQ(u.broker_id, 1);
  EXPECT_EQ(u.address, "x:1");

  std::string topic;
  ASSERT_TRUE(decode_get_route(as_slice(encode_get_route("orders")), &topic).ok());
  EXPECT_EQ(topic, "orders");
  EXPECT_EQ(decode_get_route(as_slice(encode_get_route("")), &topic).status,
            FERRY_E_INVALID_ARGUMENT);

  std::string cluster = "stale";
  ASSERT_TRUE(decode_get_cluster_info(ferry_slice{nullptr, 0}, &cluster).ok());
  EXPECT_EQ(cluster, "");
  ASSERT_TRUE(decode_get_cluster_info(as_slice(encode_get_cluster_info("east")), &cluster).ok());
  EXPECT_EQ(cluster, "east");

  ListTopicsRequest l;
  ASSERT_TRUE(decode_list_topics(ferry_slice{nullptr, 0}, &l).ok());
  EXPECT_EQ(l.max_count, 0u);
  ASSERT_TRUE(decode_list_topics(as_slice(encode_list_topics({"t9", 50})), &l).ok());
  EXPECT_EQ(l.start_after, "t9");
  EXPECT_EQ(l.max_count, 50u);
}

TEST(Codec, AnswersRoundTrip) {
  RegisterAnswer a;
  ASSERT_TRUE(
      decode_register_answer(as_slice(encode_register_answer({true, true, "m:1", "m:2"})), &a).ok());
  EXPECT_TRUE(a.round_complete);
  EXPECT_TRUE(a.topics_known);
  EXPECT_EQ(a.master_address, "m:1");
  EXPECT_EQ(a.master_ha_address, "m:2");

  TopicRoute r;
  r.topic = "t";
  r.queues = {{"b1", 4, 4, 6, 0}, {"b2", 8, 8, 6, 0}};
  r.groups = {{"east", "b1", {{0, "m:1", "m:2", 123, 7}, {1, "s:1", "", 124, 7}}},
              {"east", "b2", {{0, "n:1", "", 125, 3}}}};
  TopicRoute back;
  ASSERT_TRUE(decode_route(as_slice(encode_route(r)), &back).ok());
  EXPECT_EQ(back.topic, "t");
  ASSERT_EQ(back.queues.size(), 2u);
  EXPECT_EQ(back.queues[1].broker_name, "b2");
  EXPECT_EQ(back.queues[1].write_queues, 8u);
  ASSERT_EQ(back.groups.size(), 2u);
  ASSERT_EQ(back.groups[0].members.size(), 2u);
  EXPECT_EQ(back.groups[0].members[1].address, "s:1");
  EXPECT_EQ(back.groups[0].members[1].broker_id, 1);
  EXPECT_EQ(back.groups[0].members[0].last_heartbeat_ms, 123);
  EXPECT_EQ(back.groups[0].members[0].topic_count, 7u);

  std::vector<ClusterView> cs = {{"east", r.groups}, {"west", {}}};
  std::vector<ClusterView> cs_back;
  ASSERT_TRUE(decode_clusters(as_slice(encode_clusters(cs)), &cs_back).ok());
  ASSERT_EQ(cs_back.size(), 2u);
  EXPECT_EQ(cs_back[0].groups.size(), 2u);
  EXPECT_EQ(cs_back[1].name, "west");

  TopicPage p{{"a", "b"}, true};
  TopicPage p_back;
  ASSERT_TRUE(decode_topic_page(as_slice(encode_topic_page(p)), &p_back).ok());
  EXPECT_EQ(p_back.topics, p.topics);
  EXPECT_TRUE(p_back.more);
}

TEST(Codec, MisalignedPayloadIsReadFromACopy) {
  std::vector<TopicConfig> topics = {{"a", 1, 2, 6, 0}};
  auto good = bytes(encode_register(sample_broker(), 1, 0, 1, 2, topics));
  std::vector<uint8_t> shifted(good.size() + 1);
  std::memcpy(shifted.data() + 1, good.data(), good.size());
  RegisterChunk c;
  Outcome o = decode_register(ferry_slice{shifted.data() + 1, good.size()}, &c);
  ASSERT_TRUE(o.ok()) << o.message;
  EXPECT_EQ(c.topics, topics);
}

TEST(Codec, BadPayloadsAreInvalidArgumentWithAMessage) {
  RegisterChunk c;
  Outcome o = decode_register(ferry_slice{nullptr, 0}, &c);
  EXPECT_EQ(o.status, FERRY_E_INVALID_ARGUMENT);
  EXPECT_NE(o.message.find("RegisterBroker"), std::string::npos) << o.message;

  std::vector<uint8_t> garbage(64, 0xAB);
  o = decode_register(slice(garbage), &c);
  EXPECT_EQ(o.status, FERRY_E_INVALID_ARGUMENT);
  EXPECT_FALSE(o.message.empty());

  auto good = bytes(encode_register(sample_broker(), 1, 0, 1, 2, {}));
  // Truncated.
  std::vector<uint8_t> cut(good.begin(), good.begin() + static_cast<long>(good.size() / 2));
  EXPECT_EQ(decode_register(slice(cut), &c).status, FERRY_E_INVALID_ARGUMENT);
  // Another plugin's identifier.
  std::vector<uint8_t> other = good;
  std::memcpy(other.data() + 4, "XXXX", 4);
  EXPECT_EQ(decode_register(slice(other), &c).status, FERRY_E_INVALID_ARGUMENT);

  // A required field missing: an FNSV buffer whose root has no field 0,
  // read as a RegisterBroker (whose field 0, broker, is required). Built
  // from GetClusterInfo because the builder itself asserts on a missing
  // required field.
  flatbuffers::FlatBufferBuilder fbb;
  fbb.Finish(fb::CreateGetClusterInfo(fbb), fb::RegisterBrokerIdentifier());
  Buffer no_broker = fbb.Release();
  EXPECT_EQ(decode_register(as_slice(no_broker), &c).status, FERRY_E_INVALID_ARGUMENT);

  // Every decoder refuses garbage.
  BrokerIdentity b;
  uint64_t v;
  UnregisterRequest u;
  std::string s;
  ListTopicsRequest l;
  RegisterAnswer a;
  TopicRoute r;
  std::vector<ClusterView> cv;
  TopicPage p;
  EXPECT_EQ(decode_heartbeat(slice(garbage), &b, &v).status, FERRY_E_INVALID_ARGUMENT);
  EXPECT_EQ(decode_unregister(slice(garbage), &u).status, FERRY_E_INVALID_ARGUMENT);
  EXPECT_EQ(decode_get_route(slice(garbage), &s).status, FERRY_E_INVALID_ARGUMENT);
  EXPECT_EQ(decode_get_cluster_info(slice(garbage), &s).status, FERRY_E_INVALID_ARGUMENT);
  EXPECT_EQ(decode_list_topics(slice(garbage), &l).status, FERRY_E_INVALID_ARGUMENT);
  EXPECT_EQ(decode_register_answer(slice(garbage), &a).status, FERRY_E_INVALID_ARGUMENT);
  EXPECT_EQ(decode_route(slice(garbage), &r).status, FERRY_E_INVALID_ARGUMENT);
  EXPECT_EQ(decode_clusters(slice(garbage), &cv).status, FERRY_E_INVALID_ARGUMENT);
  EXPECT_EQ(decode_topic_page(slice(garbage), &p).status, FERRY_E_INVALID_ARGUMENT);
}

// Every single-byte corruption and every truncation of a valid chunk either
// decodes or is refused; none crashes or reads out of bounds (run under ASan
// for the full guarantee).
TEST(Codec, CorruptedChunksNeverCrash) {
  std::vector<TopicConfig> topics;
  for (int i = 0; i < 20; ++i) topics.push_back({"topic-" + std::to_string(i), 4, 4, 6, 0});
  auto good = bytes(encode_register(sample_broker(), 3, 0, 1, 9, topics));
  std::mt19937 rng(42);
  int refused = 0;
  for (size_t i = 0; i < good.size(); ++i) {
    for (uint8_t delta : {uint8_t{1}, uint8_t{0x80}, static_cast<uint8_t>(rng() | 1)}) {
      std::vector<uint8_t> bad = good;
      bad[i] = static_cast<uint8_t>(bad[i] ^ delta);
      RegisterChunk c;
      Outcome o = decode_register(slice(bad), &c);
      if (!o.ok()) {
        EXPECT_EQ(o.status, FERRY_E_INVALID_ARGUMENT);
        ++refused;
      }
    }
  }
  for (size_t n = 0; n < good.size(); ++n) {
    RegisterChunk c;
    EXPECT_EQ(decode_register(ferry_slice{good.data(), n}, &c).status, FERRY_E_INVALID_ARGUMENT)
        << "truncated to " << n;
  }
  EXPECT_GT(refused, 0);
}

}  // namespace
}  // namespace ferry::namesrv
