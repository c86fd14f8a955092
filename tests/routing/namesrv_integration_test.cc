// Real processes on loopback: two ferryd name servers (registry mode) and a
// ferryd broker (registration mode) registering with both. Queried through
// kernel/net's Client as any client would.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "codec.h"
#include "ferry/codes.h"
#include "ferry/namesrv_codes.h"
#include "ferry/wire/core_generated.h"
#include "ferry_test/child_process.h"
#include "ferry_test/free_port.h"
#include "ferry_test/paths.h"
#include "ferry_test/temp_dir.h"
#include "net_client.h"

namespace ferry::namesrv {
namespace {

using namespace std::chrono_literals;
using ferry::test::ChildProcess;
using ferry::test::TempDir;
using ferry::test::wait_until;
using test::NetAnswer;
using test::NetClient;

std::vector<uint8_t> bytes(const Buffer& b) { return std::vector<uint8_t>(b.data(), b.data() + b.size()); }

std::vector<uint8_t> topic_create(const std::string& name) {
  flatbuffers::FlatBufferBuilder fbb(128);
  auto cfg = ::ferry::wire::core::CreateTopicConfigDirect(fbb, name.c_str(), 4, 4, 6, 0);
  fbb.Finish(::ferry::wire::core::CreateTopicCreateRequest(fbb, cfg), "FRCO");
  return std::vector<uint8_t>(fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize());
}

// One ferryd with a config written into its own directory.
class Ferryd {
 public:
  Ferryd(const TempDir& root, const std::string& name, const std::string& body) {
    port_ = ferry::test::free_port();
    address_ = ferry::test::loopback(port_);
    dir_ = root.str() + "/" + name;
    std::filesystem::create_directories(dir_);
    config_ = dir_ + "/ferry.toml";
    std::ofstream(config_) << "[kernel]\nlisten = \"" << address_ << "\"\ndata_dir = \"" << dir_
                           << "/data\"\nplugin_dir = \"" << ferry::test::plugin_dir()
                           << "\"\nlog_level = \"debug\"\n\n"
                           << body;
    start();
  }
  void start() {
    proc_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{ferry::test::bin_path("ferryd"), "--config", config_},
        dir_ + "/ferryd.log");
  }
  const std::string& address() const { return address_; }
  ChildProcess& proc() { return *proc_; }
  std::string log() const { return proc_ ? proc_->log() : std::string(); }

 private:
  uint16_t port_ = 0;
  std::string address_, dir_, config_;
  std::unique_ptr<ChildProcess> proc_;
};

std::string registry_body(const std::string& expiry) {
  return "[plugins.namesrv]\nlibrary = \"ferry_routing_namesrv\"\nmode = \"registry\"\n"
         "broker_expiry = \"" + expiry + "\"\n";
}

std::string broker_body(const std::vector<std::string>& name_servers,
                        const std::string& name = "broker-it") {
  std::string list;
  for (const auto& ns : name_servers) list += (list.empty() ? "\"" : ", \"") + ns + "\"";
  return "[broker]\ncluster = \"ItCluster\"\nname = \"" + name + "\"\nid = 0\n\n"
         "[plugins.storage]\nlibrary = \"ferry_storage_mmaplog\"\n\n"
         "[plugins.flush]\nlibrary = \"ferry_flush_async\"\n\n"
         "[plugins.registration]\nlibrary = \"ferry_routing_namesrv\"\nmode = \"registration\"\n"
         "name_servers = [" + list + "]\nregister_interval = \"500ms\"\nchange_debounce = \"50ms\"\n";
}

std::optional<TopicRoute> route(NetClient& ns, const std::string& topic) {
  NetAnswer a = ns.call(FERRY_NAMESRV_GET_ROUTE, bytes(encode_get_route(topic)));
  if (a.status != FERRY_OK) return std::nullopt;
  TopicRoute r;
  if (!decode_route(ferry_slice{a.payload.data(), a.payload.size()}, &r).ok()) return std::nullopt;
  return r;
}

uint32_t broker_topic_count(NetClient& ns) {
  NetAnswer a = ns.call(FERRY_NAMESRV_GET_CLUSTER_INFO, {});
  std::vector<ClusterView> cs;
  if (a.status != FERRY_OK ||
      !decode_clusters(ferry_slice{a.payload.data(), a.payload.size()}, &cs).ok())
    return 0;
  for (const auto& c : cs)
    for (const auto& g : c.groups)
      for (const auto& m : g.members)
        if (g.broker_name == "broker-it") return m.topic_count;
  return 0;
}

// Largest K in the registry's "completed round R of K chunk(s)" lines.
size_t max_chunks_logged(const std::string& log) {
  size_t best = 0;
  const std::string marker = " chunk(s)";
  for (size_t at = log.find(marker); at != std::string::npos; at = log.find(marker, at + 1)) {
    size_t start = log.rfind(' ', at - 1);
    if (start == std::string::npos) continue;
    best = std::max<size_t>(best, std::strtoul(log.c_str() + start + 1, nullptr, 10));
  }
  return best;
}

class NamesrvIntegration : public ::testing::Test {
 protected:
  void SetUp() override {
    ns1 = std::make_unique<Ferryd>(dir, "ns1", registry_body("3s"));
    ns2 = std::make_unique<Ferryd>(dir, "ns2", registry_body("3s"));
    c1 = std::make_unique<NetClient>(ns1->address());
    c2 = std::make_unique<NetClient>(ns2->address());
    ASSERT_TRUE(c1->wait_connected(10s)) << ns1->log();
    ASSERT_TRUE(c2->wait_connected(10s)) << ns2->log();
    broker = std::make_unique<Ferryd>(dir, "broker", broker_body({ns1->address(), ns2->address()}));
    cb = std::make_unique<NetClient>(broker->address());
    ASSERT_TRUE(cb->wait_connected(10s)) << broker->log();
  }
  void TearDown() override {
    if (HasFailure()) {
      std::cerr << "---- ns1\n" << ns1->log() << "\n---- ns2\n" << ns2->log() << "\n---- broker\n"
                << (broker ? broker->log() : "") << "\n";
    }
    cb.reset();
    c1.reset();
    c2.reset();
    for (Ferryd* f : {broker.get(), ns1.get(), ns2.get()}) {
      if (!f || !f->proc().running()) continue;
      f->proc().signal(SIGTERM);
      if (!f->proc().wait_for(10s)) f->proc().kill_now();
    }
  }

  TempDir dir{"ferry-namesrv-it"};
  std::unique_ptr<Ferryd> ns1, ns2, broker;
  std::unique_ptr<NetClient> c1, c2, cb;
};

TEST_F(NamesrvIntegration, BrokerRegistersWithBothNameServersAndBothAnswerRoutes) {
  NetAnswer created = cb->call(FERRY_CODE_TOPIC_CREATE, topic_create("it-orders"));
  ASSERT_EQ(created.status, FERRY_OK) << created.message;
  for (NetClient* ns : {c1.get(), c2.get()}) {
    ASSERT_TRUE(wait_until([&] { return route(*ns, "it-orders").has_value(); }, 15s));
    auto r = route(*ns, "it-orders");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->queues.size(), 1u);
    EXPECT_EQ(r->queues[0].broker_name, "broker-it");
    EXPECT_EQ(r->queues[0].write_queues, 4u);
    ASSERT_EQ(r->groups.size(), 1u);
    EXPECT_EQ(r->groups[0].cluster, "ItCluster");
    ASSERT_EQ(r->groups[0].members.size(), 1u);
    EXPECT_EQ(r->groups[0].members[0].address, broker->address());
  }
  NetAnswer bad = c1->call(FERRY_NAMESRV_GET_ROUTE, std::vector<uint8_t>(16, 0x33));
  EXPECT_EQ(bad.status, FERRY_E_INVALID_ARGUMENT);
  EXPECT_FALSE(bad.message.empty());
  EXPECT_TRUE(route(*c1, "it-orders"));  // still serving
}

TEST_F(NamesrvIntegration, KilledBrokerIsExpiredAfterBrokerExpiry) {
  ASSERT_EQ(cb->call(FERRY_CODE_TOPIC_CREATE, topic_create("it-expire")).status, FERRY_OK);
  ASSERT_TRUE(wait_until([&] { return route(*c1, "it-expire").has_value(); }, 15s));
  ASSERT_TRUE(wait_until([&] { return route(*c2, "it-expire").has_value(); }, 15s));
  cb.reset();
  broker->proc().kill_now();  // no unregister: only expiry can remove it
  // broker_expiry is 3 s; the bound leaves room for a slow machine.
  EXPECT_TRUE(wait_until([&] { return !route(*c1, "it-expire").has_value(); }, 20s));
  EXPECT_TRUE(wait_until([&] { return !route(*c2, "it-expire").has_value(); }, 20s));
}

TEST_F(NamesrvIntegration, HundredThousandTopicsRegister) {
  const size_t kTopics = 100000;
  std::vector<std::vector<uint8_t>> creates;
  creates.reserve(kTopics);
  for (size_t i = 0; i < kTopics; ++i) creates.push_back(topic_create("it-bulk-" + std::to_string(i)));
  NetAnswer a = cb->call_many(FERRY_CODE_TOPIC_CREATE, creates, 512, 240s);
  ASSERT_EQ(a.status, FERRY_OK) << a.message;
  for (NetClient* ns : {c1.get(), c2.get()})
    EXPECT_TRUE(wait_until([&] { return broker_topic_count(*ns) >= kTopics; }, 60s, 200ms))
        << broker_topic_count(*ns);
  EXPECT_TRUE(route(*c1, "it-bulk-99999"));
  EXPECT_TRUE(route(*c2, "it-bulk-0"));
  // The table went over the transport in several chunks (1 MiB each by
  // default): the registry logs every completed round with its chunk count.
  for (Ferryd* ns : {ns1.get(), ns2.get()}) {
    EXPECT_GE(max_chunks_logged(ns->log()), 2u) << ns->log().substr(0, 4000);
  }
}

TEST_F(NamesrvIntegration, StoppedBrokerUnregistersFromBoth) {
  ASSERT_EQ(cb->call(FERRY_CODE_TOPIC_CREATE, topic_create("it-stop")).status, FERRY_OK);
  ASSERT_TRUE(wait_until([&] { return route(*c1, "it-stop").has_value(); }, 15s));
  ASSERT_TRUE(wait_until([&] { return route(*c2, "it-stop").has_value(); }, 15s));
  cb.reset();
  broker->proc().signal(SIGTERM);
  auto status = broker->proc().wait_for(15s);
  ASSERT_TRUE(status) << broker->log();
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << broker->log();
  for (Ferryd* ns : {ns1.get(), ns2.get()}) {
    EXPECT_TRUE(wait_until([&] { return ns->log().find("broker-it#0 at " + broker->address() +
                                                       " unregistered") != std::string::npos; },
                           10s))
        << ns->log();
  }
  EXPECT_FALSE(route(*c1, "it-stop"));
  EXPECT_FALSE(route(*c2, "it-stop"));
}

// A topic spread over two brokers; the route follows a broker that dies
// (after expiry) and one that comes back.
TEST_F(NamesrvIntegration, RouteFollowsASecondBrokerThatDiesAndReturns) {
  auto second = std::make_unique<Ferryd>(dir, "broker-b",
                                         broker_body({ns1->address(), ns2->address()}, "broker-b"));
  auto cb2 = std::make_unique<NetClient>(second->address());
  ASSERT_TRUE(cb2->wait_connected(10s)) << second->log();
  ASSERT_EQ(cb->call(FERRY_CODE_TOPIC_CREATE, topic_create("it-spread")).status, FERRY_OK);
  ASSERT_EQ(cb2->call(FERRY_CODE_TOPIC_CREATE, topic_create("it-spread")).status, FERRY_OK);
  auto groups = [&](NetClient& ns) {
    auto r = route(ns, "it-spread");
    return r ? r->queues.size() : 0u;
  };
  for (NetClient* ns : {c1.get(), c2.get()})
    ASSERT_TRUE(wait_until([&] { return groups(*ns) == 2; }, 15s)) << second->log();
  auto r = route(*c1, "it-spread");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->queues[0].broker_name, "broker-b");  // sorted by name
  EXPECT_EQ(r->queues[1].broker_name, "broker-it");
  ASSERT_EQ(r->groups.size(), 2u);
  EXPECT_EQ(r->groups[0].members[0].address, second->address());
  EXPECT_EQ(r->groups[1].members[0].address, broker->address());

  cb2.reset();
  second->proc().kill_now();
  for (NetClient* ns : {c1.get(), c2.get()})
    EXPECT_TRUE(wait_until([&] { return groups(*ns) == 1; }, 20s));
  EXPECT_EQ(route(*c2, "it-spread")->queues[0].broker_name, "broker-it");

  // Back with the same config and data directory. The core persists topic
  // configs debounced, so a topic created just before a SIGKILL may be gone:
  // create it again (or find it there) as an operator would.
  second->start();
  cb2 = std::make_unique<NetClient>(second->address());
  ASSERT_TRUE(cb2->wait_connected(10s)) << second->log();
  ferry_status again = cb2->call(FERRY_CODE_TOPIC_CREATE, topic_create("it-spread")).status;
  EXPECT_TRUE(again == FERRY_OK || again == FERRY_E_ALREADY_EXISTS) << ferry_status_name(again);
  for (NetClient* ns : {c1.get(), c2.get()})
    EXPECT_TRUE(wait_until([&] { return groups(*ns) == 2; }, 20s)) << second->log();
  cb2.reset();
  second->proc().signal(SIGTERM);
  EXPECT_TRUE(second->proc().wait_for(15s));
}

// The standalone assembly: one ferryd holding the registry and a
// registration instance of the same library, registering with itself.
TEST(NamesrvStandalone, OneProcessServesItsOwnRoutes) {
  TempDir dir{"ferry-namesrv-standalone"};
  const uint16_t port = ferry::test::free_port();
  const std::string self = ferry::test::loopback(port);
  const std::string data = dir.str() + "/data";
  const std::string config = dir.str() + "/standalone.toml";
  std::ofstream(config) << "[kernel]\nlisten = \"" << self << "\"\ndata_dir = \"" << data
                        << "\"\nplugin_dir = \"" << ferry::test::plugin_dir() << "\"\n\n"
                        << registry_body("120s") << "\n"
                        << broker_body({self});
  ChildProcess proc({ferry::test::bin_path("ferryd"), "--config", config}, dir.str() + "/log");
  NetClient c(self);
  ASSERT_TRUE(c.wait_connected(10s)) << proc.log();
  ASSERT_EQ(c.call(FERRY_CODE_TOPIC_CREATE, topic_create("solo")).status, FERRY_OK) << proc.log();
  ASSERT_TRUE(wait_until([&] { return route(c, "solo").has_value(); }, 15s)) << proc.log();
  EXPECT_EQ(route(c, "solo")->groups[0].members[0].address, self);
  proc.signal(SIGTERM);
  auto status = proc.wait_for(15s);
  ASSERT_TRUE(status) << proc.log();
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << proc.log();
}

// A topic auto-created by a send is routed by the change-triggered
// registration, not the periodic one (60 s here): every routing instance of a
// standalone broker hears the change, and the registration one acts on it.
TEST(NamesrvStandalone, TopicAutoCreatedOnSendIsRoutedPromptly) {
  TempDir dir{"ferry-namesrv-autocreate"};
  const std::string self = ferry::test::loopback(ferry::test::free_port());
  std::string broker = broker_body({self});
  const std::string periodic = "register_interval = \"500ms\"";
  broker.replace(broker.find(periodic), periodic.size(), "register_interval = \"60s\"");
  const std::string config = dir.str() + "/standalone.toml";
  std::ofstream(config) << "[kernel]\nlisten = \"" << self << "\"\ndata_dir = \"" << dir.str()
                        << "/data\"\nplugin_dir = \"" << ferry::test::plugin_dir() << "\"\nlog_level = \"debug\"\n\n"
                        << "[core]\nauto_create_topics = true\n\n"
                        << registry_body("120s") << "\n" << broker;
  ChildProcess proc({ferry::test::bin_path("ferryd"), "--config", config}, dir.str() + "/log");
  NetClient c(self);
  ASSERT_TRUE(c.wait_connected(10s)) << proc.log();
  // The first (start-up) round has completed: later topics need another.
  ASSERT_TRUE(wait_until([&] { return max_chunks_logged(proc.log()) >= 1; }, 10s)) << proc.log();
  EXPECT_FALSE(route(c, "made-by-send"));
  flatbuffers::FlatBufferBuilder fbb(128);
  std::vector<flatbuffers::Offset<::ferry::wire::core::MessageMeta>> metas{
      ::ferry::wire::core::CreateMessageMeta(fbb, -1, 0, 0, 0, 0, 0)};
  fbb.Finish(::ferry::wire::core::CreateSendRequest(fbb, 0, fbb.CreateString("made-by-send"), 0, 0,
                                                     fbb.CreateVector(metas)),
             "FRCO");
  NetAnswer sent = c.call(FERRY_CODE_SEND_MESSAGE,
                          std::vector<uint8_t>(fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize()));
  ASSERT_EQ(sent.status, FERRY_OK) << sent.message << proc.log();
  auto sent_at = std::chrono::steady_clock::now();
  ASSERT_TRUE(wait_until([&] { return route(c, "made-by-send").has_value(); }, 20s)) << proc.log();
  // Bounded, not timed: far inside the 60 s periodic interval.
  EXPECT_LT(std::chrono::steady_clock::now() - sent_at, 20s);
  EXPECT_EQ(route(c, "made-by-send")->groups[0].members[0].address, self);
  proc.signal(SIGTERM);
  ASSERT_TRUE(proc.wait_for(15s)) << proc.log();
}

}  // namespace
}  // namespace ferry::namesrv
