// libferry's periodic route refresh against a real ferryd (standalone: the
// name server and a registering broker in one process): a producer with
// many cached routes refreshes them with a few GET_ROUTES requests, not one
// GET_ROUTE per topic, and still sees a route change; a new producer's first
// sends to many topics fetch their routes with GET_ROUTES too. Requests are counted
// through the name server's /metrics counters. Against a name server without
// GET_ROUTES (the SDK tests' FakeCluster answers it UNKNOWN_REQUEST, as an
// older ferryd would) the refresh falls back to one request per topic.
#include <arpa/inet.h>
#include <ferry/client.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "fake_cluster.h"
#include "ferry_test/child_process.h"
#include "ferry_test/free_port.h"
#include "ferry_test/metrics_scrape.h"
#include "ferry_test/paths.h"
#include "ferry_test/temp_dir.h"

namespace {

using namespace std::chrono_literals;
using ferry::test::metric_sum;
using ferry::test::wait_until;

struct ConfDel { void operator()(ferry_config* c) const { ferry_config_destroy(c); } };
struct AdminDel { void operator()(ferry_admin* a) const { ferry_admin_destroy(a); } };
struct ProducerDel { void operator()(ferry_producer* p) const { ferry_producer_destroy(p); } };
struct MsgDel { void operator()(ferry_client_message* m) const { ferry_message_destroy(m); } };

std::unique_ptr<ferry_config, ConfDel> make_conf(const std::string& ns, const std::string& refresh_ms) {
  std::unique_ptr<ferry_config, ConfDel> c(ferry_config_new());
  char err[512];
  for (auto [k, v] : std::vector<std::pair<std::string, std::string>>{
           {"name_servers", ns}, {"request_timeout_ms", "3000"}, {"send_timeout_ms", "5000"},
           {"route_refresh_ms", refresh_ms}, {"log_level", "error"}})
    EXPECT_EQ(FERRY_OK, ferry_config_set(c.get(), k.c_str(), v.c_str(), err, sizeof err)) << err;
  return c;
}

// Sync send of one message; the queue it landed on, -1 on failure.
int32_t send_one(ferry_producer* p, const std::string& topic) {
  ferry_client_message* raw = nullptr;
  char err[512];
  if (ferry_message_new(topic.c_str(), "x", 1, &raw, err, sizeof err) != FERRY_OK) return -1;
  std::unique_ptr<ferry_client_message, MsgDel> m(raw);
  ferry_send_result r = FERRY_STRUCT_INIT(ferry_send_result);
  if (ferry_producer_send(p, m.get(), &r, err, sizeof err) != FERRY_OK) {
    ADD_FAILURE() << "send to " << topic << ": " << err;
    return -1;
  }
  return r.queue_id;
}

// A standalone ferryd (its own name server, registering every second) and
// an admin client that has seen it answer.
struct Standalone {
  explicit Standalone(const char* prefix) : dir(prefix) {}
  ferry::test::TempDir dir;
  const std::string addr = ferry::test::loopback(ferry::test::free_port());
  const int metrics_port = ferry::test::free_port();
  std::unique_ptr<ferry::test::ChildProcess> daemon;
  std::unique_ptr<ferry_config, ConfDel> admin_conf = make_conf(addr, "30000");
  std::unique_ptr<ferry_admin, AdminDel> admin;

  void start() {
    daemon = std::make_unique<ferry::test::ChildProcess>(
        std::vector<std::string>{
            ferry::test::bin_path("ferryd"), "--config", ferry::test::source_dir() + "/conf/standalone.toml",
            "--set", "kernel.data_dir=" + dir.str() + "/data", "--set", "kernel.listen=" + addr, "--set",
            "kernel.metrics_listen=127.0.0.1:" + std::to_string(metrics_port), "--set",
            "plugins.registration.name_servers=[\"" + addr + "\"]", "--set",
            "plugins.registration.register_interval=1s", "--set", "plugins.registration.change_debounce=50ms"},
        dir.str() + "/ferryd.log");
    ferry_admin* a = nullptr;
    char err[512];
    ASSERT_EQ(FERRY_OK, ferry_admin_new(admin_conf.get(), &a, err, sizeof err)) << err;
    admin.reset(a);
    ASSERT_EQ(FERRY_OK, ferry_admin_start(a, err, sizeof err)) << err;
    ASSERT_TRUE(wait_until([&] {
      char* json = nullptr;
      if (ferry_admin_runtime_stats(a, addr.c_str(), &json, nullptr, 0) != FERRY_OK) return false;
      ferry_string_free(json);
      return true;
    }, 20s)) << daemon->log();
  }

  // Topics name(0) .. name(n - 1) with `queues` queues each; returns once the
  // last one's route is registered.
  template <typename Name>
  void create_topics(int n, Name name, uint32_t queues) {
    char err[512];
    for (int i = 0; i < n; ++i) {
      ferry_topic_settings t = FERRY_STRUCT_INIT(ferry_topic_settings);
      std::string topic = name(i);
      t.name = topic.c_str();
      t.read_queues = t.write_queues = queues;
      t.perm = 6;
      ASSERT_EQ(FERRY_OK, ferry_admin_create_topic(admin.get(), addr.c_str(), &t, err, sizeof err)) << err;
    }
    ASSERT_TRUE(wait_until([&] {
      char* json = nullptr;
      if (ferry_admin_topic_route(admin.get(), name(n - 1).c_str(), &json, nullptr, 0) != FERRY_OK) return false;
      ferry_string_free(json);
      return true;
    }, 20s)) << daemon->log();
  }

  void stop() {
    admin.reset();
    daemon->signal(SIGTERM);
    ASSERT_TRUE(daemon->wait_for(20s)) << daemon->log();
  }
};

TEST(SdkRouteRefresh, ManyTopicsRefreshWithFewRequestsAndSeeRouteChanges) {
  Standalone broker("ferry-sdk-refresh");
  ASSERT_NO_FATAL_FAILURE(broker.start());
  const std::string& addr = broker.addr;
  const int metrics_port = broker.metrics_port;
  ferry_admin* a = broker.admin.get();
  char err[512];
  // Many topics, one write queue each (so a later change to 4 is visible in
  // the queue a send lands on).
  constexpr int kTopics = 300;
  auto name = [](int i) { return "refresh-" + std::to_string(i); };
  ASSERT_NO_FATAL_FAILURE(broker.create_topics(kTopics, name, 1));

  // The producer caches every route (one GET_ROUTE per topic at first use).
  constexpr int kRefreshMs = 300;
  auto conf = make_conf(addr, std::to_string(kRefreshMs));
  ferry_producer* praw = nullptr;
  ASSERT_EQ(FERRY_OK, ferry_producer_new(conf.get(), &praw, err, sizeof err)) << err;
  std::unique_ptr<ferry_producer, ProducerDel> producer(praw);
  ASSERT_EQ(FERRY_OK, ferry_producer_start(praw, err, sizeof err)) << err;
  for (int i = 0; i < kTopics; ++i) ASSERT_EQ(send_one(praw, name(i)), 0);

  const std::string before = ferry::test::scrape_metrics(metrics_port);
  const double singles0 = metric_sum(before, "ferry_namesrv_route_requests_total");
  const double batches0 = metric_sum(before, "ferry_namesrv_route_batch_requests_total");
  const double batched0 = metric_sum(before, "ferry_namesrv_route_batch_topics_total");
  ASSERT_GE(singles0, kTopics) << before;
  ASSERT_GE(batches0, 0) << before;

  // A route change the producer can only learn from the periodic refresh
  // (its sends keep succeeding on queue 0 meanwhile).
  ferry_topic_settings t = FERRY_STRUCT_INIT(ferry_topic_settings);
  const std::string changed = name(7);
  t.name = changed.c_str();
  t.read_queues = t.write_queues = 4;
  t.perm = 6;
  ASSERT_EQ(FERRY_OK, ferry_admin_update_topic(a, addr.c_str(), &t, err, sizeof err)) << err;
  bool seen = false;
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (!seen && std::chrono::steady_clock::now() < deadline) {
    int32_t q = send_one(praw, changed);
    ASSERT_GE(q, 0);
    seen = q > 0;
    if (!seen) std::this_thread::sleep_for(50ms);
  }
  EXPECT_TRUE(seen) << "the producer never saw " << changed << " grow to 4 queues";
  // Let several more refresh periods pass, then count.
  std::this_thread::sleep_for(std::chrono::milliseconds(6 * kRefreshMs));
  const std::string after = ferry::test::scrape_metrics(metrics_port);
  const double singles = metric_sum(after, "ferry_namesrv_route_requests_total") - singles0;
  const double batches = metric_sum(after, "ferry_namesrv_route_batch_requests_total") - batches0;
  const double batched = metric_sum(after, "ferry_namesrv_route_batch_topics_total") - batched0;
  // At least 6 periods passed (4 counted, leaving room for timer slack): per
  // topic that would be >= 4 x 300 GET_ROUTE.
  EXPECT_LT(singles, kTopics) << "the refresh still asks per topic\n" << after;
  EXPECT_GE(batches, 4) << after;
  EXPECT_GE(batched, 4.0 * kTopics) << "a batch did not cover every cached topic\n" << after;
  // One request per period for 300 topics (under 1,000 per batch).
  EXPECT_LE(batched / batches, kTopics) << after;

  producer.reset();
  broker.stop();
}

// A new producer's first sends to many topics at once: the routes they need
// are fetched with GET_ROUTES per loop turn, not one GET_ROUTE per topic,
// and every send lands (by name and through topic handles alike).
TEST(SdkRouteRefresh, FirstSendsToManyTopicsFetchTheirRoutesInBatches) {
  Standalone broker("ferry-sdk-first-routes");
  ASSERT_NO_FATAL_FAILURE(broker.start());
  const int metrics_port = broker.metrics_port;
  char err[512];
  constexpr int kTopics = 400;
  auto name = [](int i) { return "first-" + std::to_string(i); };
  ASSERT_NO_FATAL_FAILURE(broker.create_topics(kTopics, name, 2));
  auto conf = make_conf(broker.addr, "30000");

  ferry_producer* praw = nullptr;
  ASSERT_EQ(FERRY_OK, ferry_producer_new(conf.get(), &praw, err, sizeof err)) << err;
  std::unique_ptr<ferry_producer, ProducerDel> producer(praw);
  ASSERT_EQ(FERRY_OK, ferry_producer_start(praw, err, sizeof err)) << err;
  std::vector<ferry_producer_topic*> handles(kTopics);
  for (int i = 0; i < kTopics; ++i)
    ASSERT_EQ(FERRY_OK, ferry_producer_topic_open(praw, name(i).c_str(), &handles[i], err, sizeof err)) << err;
  const std::string before = ferry::test::scrape_metrics(metrics_port);
  struct Count {
    std::mutex mu;
    std::condition_variable cv;
    int done = 0, ok = 0;
    std::string first_error;
  } count;
  auto cb = [](void* ud, ferry_status s, const ferry_send_result*, const char* why) {
    auto* c = static_cast<Count*>(ud);
    std::lock_guard lock(c->mu);
    ++c->done;
    if (s == FERRY_OK) ++c->ok;
    else if (c->first_error.empty()) c->first_error = why;
    c->cv.notify_all();
  };
  // Two sends per topic, all at once: the first by name, the second through
  // the handle.
  for (int round = 0; round < 2; ++round)
    for (int i = 0; i < kTopics; ++i) {
      ferry_client_message* raw = nullptr;
      ASSERT_EQ(FERRY_OK, ferry_message_new(name(i).c_str(), "x", 1, &raw, err, sizeof err)) << err;
      std::unique_ptr<ferry_client_message, MsgDel> m(raw);
      ferry_status st = round == 0 ? ferry_producer_send_async(praw, m.get(), cb, &count, err, sizeof err)
                                   : ferry_producer_send_async_topic(praw, handles[i], m.get(), cb, &count, err, sizeof err);
      ASSERT_EQ(FERRY_OK, st) << err;
    }
  {
    std::unique_lock lock(count.mu);
    ASSERT_TRUE(count.cv.wait_for(lock, 30s, [&] { return count.done == 2 * kTopics; })) << count.done;
    EXPECT_EQ(2 * kTopics, count.ok) << count.first_error;
  }
  const std::string after = ferry::test::scrape_metrics(metrics_port);
  const double singles = metric_sum(after, "ferry_namesrv_route_requests_total") -
                         std::max(0.0, metric_sum(before, "ferry_namesrv_route_requests_total"));
  const double batches = metric_sum(after, "ferry_namesrv_route_batch_requests_total") -
                         std::max(0.0, metric_sum(before, "ferry_namesrv_route_batch_requests_total"));
  const double batched = metric_sum(after, "ferry_namesrv_route_batch_topics_total") -
                         std::max(0.0, metric_sum(before, "ferry_namesrv_route_batch_topics_total"));
  // Sends reach the loop in bursts: a burst's new topics go in one request
  // (a lone new topic in a turn still goes alone).
  EXPECT_LT(singles, kTopics / 4) << after;
  EXPECT_GE(batched + singles, kTopics) << after;
  EXPECT_LT(batches, kTopics / 4) << after;

  producer.reset();
  broker.stop();
}

// An older name server: GET_ROUTES is answered UNKNOWN_REQUEST; the refresh
// falls back to GET_ROUTE per topic and the producer still learns that a
// topic grew from 1 to 4 queues.
TEST(SdkRouteRefresh, FallsBackToPerTopicAgainstANameServerWithoutGetRoutes) {
  ferry::sdk::test::FakeCluster cluster({.brokers = 1, .name_servers = 1});
  cluster.create_topic("Grows", 1);
  cluster.create_topic("Other", 1);
  auto conf = make_conf(cluster.name_servers(), "100");
  ferry_producer* praw = nullptr;
  char err[512];
  ASSERT_EQ(FERRY_OK, ferry_producer_new(conf.get(), &praw, err, sizeof err)) << err;
  std::unique_ptr<ferry_producer, ProducerDel> producer(praw);
  ASSERT_EQ(FERRY_OK, ferry_producer_start(praw, err, sizeof err)) << err;
  ASSERT_EQ(send_one(praw, "Grows"), 0);
  ASSERT_EQ(send_one(praw, "Other"), 0);
  std::this_thread::sleep_for(300ms);  // a few refreshes: the batch is refused, per topic follows
  cluster.create_topic("Grows", 4);
  bool seen = false;
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!seen && std::chrono::steady_clock::now() < deadline) {
    int32_t q = send_one(praw, "Grows");
    ASSERT_GE(q, 0);
    seen = q > 0;
    if (!seen) std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(seen) << "the producer never saw Grows grow to 4 queues";
}

}  // namespace
