// The two modes end to end inside one process: registration instances
// register with registry instances through a host double whose connections
// reach the registries' handlers (loopback_host.h). Covers what the plugin
// does with the host table: rounds of chunks to every name server,
// heartbeats when the table is unchanged, a full round after a name server
// lost its state, debounced re-registration on topic changes, unregistration
// at stop, expiry by the registry's timer, bad payloads.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "codec.h"
#include "ferry/namesrv_codes.h"
#include "loopback_host.h"
#include "registration_mode.h"
#include "registry_mode.h"

namespace ferry::namesrv {
namespace {

using test::Answer;
using test::LoopbackWorld;

std::vector<uint8_t> bytes(const Buffer& b) { return std::vector<uint8_t>(b.data(), b.data() + b.size()); }

std::vector<TopicConfig> topics_named(std::initializer_list<const char*> names) {
  std::vector<TopicConfig> out;
  for (const char* n : names) out.push_back(TopicConfig{n, 4, 4, 6, 0});
  return out;
}

struct NameServer {
  HostRef host;
  std::unique_ptr<RegistryMode> mode;
};

class ModeFlow : public ::testing::Test {
 protected:
  static constexpr int64_t kInterval = 30000;
  static constexpr int64_t kExpiry = 120000;

  NameServer start_registry(const std::string& address) {
    NameServer ns;
    ns.host = world.add_host("ns@" + address, address);
    ns.mode = std::make_unique<RegistryMode>(ns.host, RegistryConfig{kExpiry, 16u << 20});
    Outcome o = ns.mode->start();
    EXPECT_TRUE(o.ok()) << o.message;
    return ns;
  }

  std::unique_ptr<RegistrationMode> start_broker(const std::string& name,
                                                 std::vector<TopicConfig>* topics,
                                                 std::vector<std::string> servers,
                                                 uint32_t max_frame = 16u << 20) {
    HostRef h = world.add_host(name, "127.0.0.1:" + std::to_string(10911 + brokers_++), topics,
                               max_frame);
    RegistrationConfig c;
    c.name_servers = std::move(servers);
    c.register_interval_ms = kInterval;
    c.timeout_ms = 3000;
    c.change_debounce_ms = 500;
    c.chunk_bytes = 1u << 20;
    c.broker = BrokerIdentity{"LoopCluster", name, 0, "127.0.0.1:" + std::to_string(10910 + brokers_),
                              ""};
    auto mode = std::make_unique<RegistrationMode>(h, c);
    Outcome o = mode->start();
    EXPECT_TRUE(o.ok()) << o.message;
    return mode;
  }

  std::optional<TopicRoute> route(const std::string& ns, const std::string& topic) {
    Answer a = world.call(ns, FERRY_NAMESRV_GET_ROUTE, bytes(encode_get_route(topic)));
    if (a.status != FERRY_OK) return std::nullopt;
    TopicRoute r;
    Outcome o = decode_route(ferry_slice{a.payload.data(), a.payload.size()}, &r);
    EXPECT_TRUE(o.ok()) << o.message;
    return r;
  }

  ferry_routing_info info(const Instance& i) {
    ferry_routing_info out = FERRY_STRUCT_INIT(ferry_routing_info);
    i.info(&out);
    return out;
  }

  LoopbackWorld world;
  int brokers_ = 0;
};

TEST_F(ModeFlow, BrokerRegistersWithEveryNameServerAndBothAnswerRoutes) {
  NameServer ns1 = start_registry("ns1:9876");
  NameServer ns2 = start_registry("ns2:9876");
  auto topics = topics_named({"orders", "audit"});
  auto broker = start_broker("broker-a", &topics, {"ns1:9876", "ns2:9876"});
  world.run();

  for (const char* ns : {"ns1:9876", "ns2:9876"}) {
    auto r = route(ns, "orders");
    ASSERT_TRUE(r) << ns << "\n" << world.log_text();
    ASSERT_EQ(r->queues.size(), 1u);
    EXPECT_EQ(r->queues[0].broker_name, "broker-a");
    EXPECT_EQ(r->queues[0].write_queues, 4u);
    ASSERT_EQ(r->groups.size(), 1u);
    EXPECT_EQ(r->groups[0].members[0].address, "127.0.0.1:10911");
    EXPECT_EQ(r->groups[0].cluster, "LoopCluster");
  }
  EXPECT_EQ(info(*broker).name_servers, 2u);
  EXPECT_EQ(info(*broker).name_servers_registered, 2u);
  EXPECT_EQ(info(*ns1.mode).brokers_known, 1u);
  EXPECT_EQ(info(*ns1.mode).topics_known, 2u);
  Answer missing = world.call("ns1:9876", FERRY_NAMESRV_GET_ROUTE, bytes(encode_get_route("nope")));
  EXPECT_EQ(missing.status, FERRY_E_TOPIC_NOT_FOUND);
  EXPECT_NE(missing.message.find("nope"), std::string::npos);

  // Cluster info and the topic list, as ferryctl asks for them.
  Answer ci = world.call("ns2:9876", FERRY_NAMESRV_GET_CLUSTER_INFO, {});
  ASSERT_EQ(ci.status, FERRY_OK) << ci.message;
  std::vector<ClusterView> clusters;
  ASSERT_TRUE(decode_clusters(ferry_slice{ci.payload.data(), ci.payload.size()}, &clusters).ok());
  ASSERT_EQ(clusters.size(), 1u);
  ASSERT_EQ(clusters[0].groups.size(), 1u);
  EXPECT_EQ(clusters[0].groups[0].members[0].topic_count, 2u);
  // Heartbeat times are shown on the wall clock.
  EXPECT_GT(clusters[0].groups[0].members[0].last_heartbeat_ms, 1'600'000'000'000);
  Answer tl = world.call("ns2:9876", FERRY_NAMESRV_LIST_TOPICS, {});
  ASSERT_EQ(tl.status, FERRY_OK);
  TopicPage page;
  ASSERT_TRUE(decode_topic_page(ferry_slice{tl.payload.data(), tl.payload.size()}, &page).ok());
  EXPECT_EQ(page.topics, (std::vector<std::string>{"audit", "orders"}));
}

TEST_F(ModeFlow, UnchangedTableSendsHeartbeatsNotRounds) {
  NameServer ns1 = start_registry("ns1:9876");
  auto topics = topics_named({"a", "b"});
  auto broker = start_broker("broker-a", &topics, {"ns1:9876"});
  world.run();
  const size_t rounds = world.requests(FERRY_NAMESRV_REGISTER_BROKER);
  EXPECT_EQ(rounds, 1u);
  world.advance(3 * kInterval);
  EXPECT_EQ(world.requests(FERRY_NAMESRV_REGISTER_BROKER), rounds);
  EXPECT_EQ(world.requests(FERRY_NAMESRV_BROKER_HEARTBEAT), 3u);
  // Heartbeats keep it alive well past broker_expiry.
  world.advance(2 * kExpiry);
  EXPECT_TRUE(route("ns1:9876", "a"));
  EXPECT_EQ(info(*broker).name_servers_registered, 1u);
}

TEST_F(ModeFlow, TopicChangesAreDebouncedIntoOneRound) {
  NameServer ns1 = start_registry("ns1:9876");
  auto topics = topics_named({"keep", "drop"});
  auto broker = start_broker("broker-a", &topics, {"ns1:9876"});
  world.run();
  ASSERT_EQ(world.requests(FERRY_NAMESRV_REGISTER_BROKER), 1u);

  topics = topics_named({"keep", "new1"});
  broker->on_topics_changed();
  topics.push_back(TopicConfig{"new2", 8, 8, 6, 0});
  broker->on_topics_changed();
  broker->on_topics_changed();
  world.advance(100);  // inside the 500 ms debounce: nothing sent yet
  EXPECT_EQ(world.requests(FERRY_NAMESRV_REGISTER_BROKER), 1u);
  EXPECT_TRUE(route("ns1:9876", "drop"));
  world.advance(500);
  EXPECT_EQ(world.requests(FERRY_NAMESRV_REGISTER_BROKER), 2u);
  EXPECT_FALSE(route("ns1:9876", "drop"));
  ASSERT_TRUE(route("ns1:9876", "new2"));
  EXPECT_EQ(route("ns1:9876", "new2")->queues[0].write_queues, 8u);
  EXPECT_TRUE(route("ns1:9876", "keep"));

  // A later change debounces again (the fired timer is replaced).
  topics.pop_back();
  broker->on_topics_changed();
  world.advance(600);
  EXPECT_EQ(world.requests(FERRY_NAMESRV_REGISTER_BROKER), 3u);
  EXPECT_FALSE(route("ns1:9876", "new2"));
}

TEST_F(ModeFlow, RestartedNameServerGetsAFullRoundAtTheNextHeartbeat) {
  NameServer ns1 = start_registry("ns1:9876");
  auto topics = topics_named({"a", "b", "c"});
  auto broker = start_broker("broker-a", &topics, {"ns1:9876"});
  world.run();
  ASSERT_TRUE(route("ns1:9876", "a"));

  // The name server process dies and comes back empty.
  world.set_up("ns1:9876", false);
  ns1.mode->stop();
  world.remove_host(ns1.host);
  ns1.mode.reset();
  world.run();
  EXPECT_EQ(info(*broker).name_servers_registered, 0u);
  NameServer again = start_registry("ns1:9876");
  world.set_up("ns1:9876", true);
  world.run();  // reconnect: heartbeat says "unknown table", a round follows
  ASSERT_TRUE(route("ns1:9876", "c")) << world.log_text();
  EXPECT_EQ(info(*again.mode).topics_known, 3u);
  EXPECT_EQ(info(*broker).name_servers_registered, 1u);
  EXPECT_GE(world.requests(FERRY_NAMESRV_BROKER_HEARTBEAT), 1u);
  EXPECT_EQ(world.requests(FERRY_NAMESRV_REGISTER_BROKER), 2u);
}

TEST_F(ModeFlow, OneNameServerDownDelaysNobody) {
  NameServer ns1 = start_registry("ns1:9876");
  world.set_up("ns2:9876", false);  // nothing listens there yet
  auto topics = topics_named({"t"});
  auto broker = start_broker("broker-a", &topics, {"ns1:9876", "ns2:9876"});
  world.run();
  EXPECT_TRUE(route("ns1:9876", "t"));
  EXPECT_EQ(info(*broker).name_servers_registered, 1u);

  NameServer ns2 = start_registry("ns2:9876");
  world.set_up("ns2:9876", true);
  world.run();
  EXPECT_TRUE(route("ns2:9876", "t"));
  EXPECT_EQ(info(*broker).name_servers_registered, 2u);
}

TEST_F(ModeFlow, HundredThousandTopicsRegisterInChunksUnderTheFrameLimit) {
  NameServer ns1 = start_registry("ns1:9876");
  NameServer ns2 = start_registry("ns2:9876");
  std::vector<TopicConfig> topics;
  for (int i = 0; i < 100000; ++i)
    topics.push_back(TopicConfig{"bulk-topic-" + std::to_string(i), 8, 8, 6, 0});
  const uint32_t kFrame = 1u << 20;  // a small frame limit: many chunks
  auto broker = start_broker("broker-a", &topics, {"ns1:9876", "ns2:9876"}, kFrame);
  world.run();

  EXPECT_EQ(info(*ns1.mode).topics_known, 100000u) << world.log_text();
  EXPECT_EQ(info(*ns2.mode).topics_known, 100000u);
  EXPECT_EQ(info(*broker).name_servers_registered, 2u);
  const size_t chunks_per_server = world.requests(FERRY_NAMESRV_REGISTER_BROKER) / 2;
  EXPECT_GT(chunks_per_server, 3u);
  EXPECT_LE(world.max_payload(), kFrame - 65536);
  ASSERT_TRUE(route("ns2:9876", "bulk-topic-99999"));

  // Next interval: the table is unchanged, so only heartbeats travel.
  world.advance(kInterval);
  EXPECT_EQ(world.requests(FERRY_NAMESRV_REGISTER_BROKER), 2 * chunks_per_server);

  // Paging through the list returns every name once.
  size_t listed = 0;
  std::string after;
  for (int pages = 0; pages < 1000; ++pages) {
    Answer a = world.call("ns1:9876", FERRY_NAMESRV_LIST_TOPICS,
                          bytes(encode_list_topics({after, 10000})));
    ASSERT_EQ(a.status, FERRY_OK);
    TopicPage p;
    ASSERT_TRUE(decode_topic_page(ferry_slice{a.payload.data(), a.payload.size()}, &p).ok());
    listed += p.topics.size();
    if (!p.more) break;
    after = p.topics.back();
  }
  EXPECT_EQ(listed, 100000u);
}

TEST_F(ModeFlow, StopUnregistersFromEveryNameServer) {
  NameServer ns1 = start_registry("ns1:9876");
  NameServer ns2 = start_registry("ns2:9876");
  auto topics = topics_named({"t"});
  auto broker = start_broker("broker-a", &topics, {"ns1:9876", "ns2:9876"});
  world.run();
  ASSERT_EQ(info(*ns1.mode).brokers_known, 1u);
  broker->stop();
  world.run();
  EXPECT_EQ(world.requests(FERRY_NAMESRV_UNREGISTER_BROKER), 2u);
  EXPECT_EQ(info(*ns1.mode).brokers_known, 0u);
  EXPECT_EQ(info(*ns2.mode).brokers_known, 0u);
  EXPECT_FALSE(route("ns2:9876", "t"));
  broker.reset();  // closes the connections
  world.run();
}

TEST_F(ModeFlow, SilentBrokerIsExpiredByTheRegistryTimer) {
  NameServer ns1 = start_registry("ns1:9876");
  auto topics_a = topics_named({"shared", "only-a"});
  auto topics_b = topics_named({"shared", "only-b"});
  auto a = start_broker("broker-a", &topics_a, {"ns1:9876"});
  auto b = start_broker("broker-b", &topics_b, {"ns1:9876"});
  world.run();
  ASSERT_EQ(route("ns1:9876", "shared")->queues.size(), 2u);

  // broker-a dies without unregistering (no stop): its timers and
  // connections vanish with the process.
  a.reset();
  world.advance(kExpiry - kInterval);  // not yet
  EXPECT_TRUE(route("ns1:9876", "only-a"));
  world.advance(kInterval + RegistryMode::scan_interval_ms(kExpiry) + 1);
  EXPECT_FALSE(route("ns1:9876", "only-a")) << world.log_text();
  auto shared = route("ns1:9876", "shared");
  ASSERT_TRUE(shared);
  ASSERT_EQ(shared->queues.size(), 1u);
  EXPECT_EQ(shared->queues[0].broker_name, "broker-b");
  EXPECT_TRUE(world.logged("broker-a"));
  EXPECT_TRUE(world.logged("expired"));
  EXPECT_EQ(info(*ns1.mode).brokers_known, 1u);
}

TEST_F(ModeFlow, BadPayloadsGetInvalidArgumentAndTheServerKeepsServing) {
  NameServer ns1 = start_registry("ns1:9876");
  auto topics = topics_named({"t"});
  auto broker = start_broker("broker-a", &topics, {"ns1:9876"});
  world.run();
  for (uint32_t code : {FERRY_NAMESRV_REGISTER_BROKER, FERRY_NAMESRV_UNREGISTER_BROKER,
                        FERRY_NAMESRV_BROKER_HEARTBEAT, FERRY_NAMESRV_GET_ROUTE,
                        FERRY_NAMESRV_GET_CLUSTER_INFO, FERRY_NAMESRV_LIST_TOPICS,
                        FERRY_NAMESRV_GET_ROUTES}) {
    Answer a = world.call("ns1:9876", code, std::vector<uint8_t>(40, 0x5a));
    EXPECT_EQ(a.status, FERRY_E_INVALID_ARGUMENT) << code;
    EXPECT_FALSE(a.message.empty()) << code;
  }
  // A well-formed chunk with a bad header (chunk_index past chunk_count).
  Answer bad = world.call(
      "ns1:9876", FERRY_NAMESRV_REGISTER_BROKER,
      bytes(encode_register(BrokerIdentity{"c", "x", 0, "h:1", ""}, 1, 5, 2, 1, {})));
  EXPECT_EQ(bad.status, FERRY_E_INVALID_ARGUMENT);
  EXPECT_NE(bad.message.find("chunk_index"), std::string::npos) << bad.message;
  EXPECT_TRUE(route("ns1:9876", "t"));
  EXPECT_EQ(info(*ns1.mode).brokers_known, 1u);
}

// GET_ROUTES: many topics in one request, answered in request order, the
// unknown ones listed as not found; an answer that would pass half the frame
// limit stops early and says how many topics it covered, and asking again
// for the rest completes the set. An empty name is a clear error.
TEST_F(ModeFlow, ManyRoutesInOneRequestChunkedUnderTheFrameLimit) {
  NameServer ns1;
  ns1.host = world.add_host("ns@ns1:9876", "ns1:9876");
  ns1.mode = std::make_unique<RegistryMode>(ns1.host, RegistryConfig{kExpiry, 64u << 10});
  ASSERT_TRUE(ns1.mode->start().ok());
  std::vector<TopicConfig> topics;
  std::vector<std::string> ask;
  for (int i = 0; i < 600; ++i) {
    topics.push_back(TopicConfig{"topic-" + std::to_string(i), 4, 4, 6, 0});
    ask.push_back("topic-" + std::to_string(i));
    if (i % 100 == 0) ask.push_back("missing-" + std::to_string(i));
  }
  auto broker = start_broker("broker-a", &topics, {"ns1:9876"});
  world.run();
  ASSERT_TRUE(route("ns1:9876", "topic-599")) << world.log_text();

  std::vector<std::string> seen, missing;
  size_t from = 0, requests = 0;
  while (from < ask.size() && requests < 100) {
    std::vector<std::string> rest(ask.begin() + static_cast<std::ptrdiff_t>(from), ask.end());
    Answer a = world.call("ns1:9876", FERRY_NAMESRV_GET_ROUTES, bytes(encode_get_routes(rest)));
    ASSERT_EQ(a.status, FERRY_OK) << a.message;
    EXPECT_LE(a.payload.size(), 64u << 10);
    RoutesAnswer r;
    Outcome o = decode_routes(ferry_slice{a.payload.data(), a.payload.size()}, &r);
    ASSERT_TRUE(o.ok()) << o.message;
    ASSERT_GT(r.answered, 0u);
    ASSERT_LE(r.answered, rest.size());
    EXPECT_EQ(r.routes.size() + r.not_found.size(), r.answered);
    for (const TopicRoute& t : r.routes) {
      ASSERT_EQ(t.queues.size(), 1u) << t.topic;
      EXPECT_EQ(t.queues[0].write_queues, 4u);
      EXPECT_EQ(t.groups[0].members[0].address, "127.0.0.1:10911");
      seen.push_back(t.topic);
    }
    missing.insert(missing.end(), r.not_found.begin(), r.not_found.end());
    from += r.answered;
    ++requests;
  }
  EXPECT_GT(requests, 1u) << "600 routes fit in half of a 64 KiB frame: the test proves no chunking";
  EXPECT_LT(requests, 60u);
  ASSERT_EQ(seen.size(), 600u);
  for (int i = 0; i < 600; ++i) EXPECT_EQ(seen[static_cast<size_t>(i)], "topic-" + std::to_string(i));
  EXPECT_EQ(missing, (std::vector<std::string>{"missing-0", "missing-100", "missing-200", "missing-300",
                                               "missing-400", "missing-500"}));

  std::vector<std::string> bad{"topic-1", ""};
  Answer a = world.call("ns1:9876", FERRY_NAMESRV_GET_ROUTES, bytes(encode_get_routes(bad)));
  EXPECT_EQ(a.status, FERRY_E_INVALID_ARGUMENT);
  EXPECT_NE(a.message.find("empty"), std::string::npos) << a.message;
}

}  // namespace
}  // namespace ferry::namesrv
