// The producer's per-topic send view (sdk/c/src/send_route.h): built from a
// route in its queue order, brokers interned for the client's life; and
// sends over many topics while the routes under them are replaced (queue
// counts change, past the inline capacity and back) or their topic is
// deleted — every send completes exactly once, nothing is lost or stored
// twice.
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "../../sdk/c/src/send_route.h"
#include "ferry_test/child_process.h"
#include "sdk_fixture.h"

namespace ferry::sdk::test {
namespace {

using namespace std::chrono_literals;

Route route_of(const std::string& topic, const std::map<std::string, std::pair<std::string, int>>& brokers) {
  Route r;
  r.topic = topic;
  for (const auto& [name, where] : brokers) {
    r.masters[name] = where.first;
    for (int i = 0; i < where.second; ++i) r.write_queues.push_back({topic, name, i});
  }
  return r;
}

TEST(SdkSendRoute, KeepsTheRoutesQueueOrderInlineAndOnTheHeap) {
  BrokerTable brokers;
  for (int per_broker : {0, 1, 4, 5, 12}) {  // 2 brokers: 0, 2, 8 (= kInline), 10, 24 queues
    Route r = route_of("T", {{"b-0", {"h:1", per_broker}}, {"b-1", {"h:2", per_broker}}});
    SendRoute s(r, brokers);
    ASSERT_EQ(r.write_queues.size(), s.size());
    EXPECT_EQ(r.write_queues.empty(), s.empty());
    for (size_t i = 0; i < s.size(); ++i) {
      const BrokerRef& b = brokers[s[i].broker];
      EXPECT_EQ(r.write_queues[i].broker, b.name) << i;
      EXPECT_EQ(r.masters.at(b.name), b.addr) << i;
      EXPECT_EQ(r.write_queues[i].queue_id, s[i].queue_id) << i;
    }
    SendRoute copy = s;  // a retry keeps a copy while the cache entry changes
    s = SendRoute();
    ASSERT_EQ(r.write_queues.size(), copy.size());
    if (!copy.empty()) {
      EXPECT_EQ(r.write_queues.back().queue_id, copy[copy.size() - 1].queue_id);
    }
  }
  EXPECT_EQ(2u, brokers.size());  // one entry per (name, address), whatever the topic
}

TEST(SdkSendRoute, AMovedMasterIsANewBrokerAndTheOldOneStaysValid) {
  BrokerTable brokers;
  SendRoute before(route_of("T", {{"b-0", {"h:1", 2}}}), brokers);
  const BrokerRef* held = &brokers[before[0].broker];  // what a send in flight keeps
  for (int i = 0; i < 100; ++i)  // many others interned meanwhile (the table grows)
    SendRoute(route_of("T" + std::to_string(i), {{"b-" + std::to_string(i), {"h:" + std::to_string(i + 10), 1}}}),
              brokers);
  SendRoute after(route_of("T", {{"b-0", {"h:9", 2}}}), brokers);
  EXPECT_NE(before[0].broker, after[0].broker);
  EXPECT_EQ("h:9", brokers[after[0].broker].addr);
  EXPECT_EQ(held, &brokers[before[0].broker]);
  EXPECT_EQ("b-0", held->name);
  EXPECT_EQ("h:1", held->addr);
}

TEST(SdkSendRoute, ArenaAndIndexKeepEveryTopicAcrossGrowth) {
  BrokerTable brokers;
  SendRouteArena arena;
  SendRouteIndex index;
  EXPECT_EQ(nullptr, index.find("T0"));  // empty
  constexpr int kTopics = 5000;
  std::deque<std::string> names;  // stable, as the route cache's keys
  std::vector<SendRoute*> made;
  for (int i = 0; i < kTopics; ++i) {
    names.push_back("T" + std::to_string(i));
    SendRoute* r = arena.make();
    *r = SendRoute(route_of(names.back(), {{"b-0", {"h:1", 1 + i % 10}}}), brokers);  // inline and heap
    index.insert(&names.back(), r);
    made.push_back(r);
  }
  for (int i = 0; i < kTopics; ++i) {
    // Found by an equal name at another address; the arena kept each one.
    const std::string name = "T" + std::to_string(i);
    ASSERT_EQ(made[i], index.find(name)) << name;
    ASSERT_EQ(static_cast<size_t>(1 + i % 10), made[i]->size()) << name;
    EXPECT_EQ(i % 10, (*made[i])[made[i]->size() - 1].queue_id) << name;
  }
  for (const char* absent : {"T", "T5000", "T-1", "t1", "", "T00"}) EXPECT_EQ(nullptr, index.find(absent)) << absent;
}

struct Tally {
  std::mutex mu;
  std::condition_variable cv;
  int calls = 0;
  std::map<ferry_status, int> by_status;
  std::map<std::string, int> ok_by_topic;
  std::string first_error;
};

struct SendCtx {
  Tally* tally;
  std::string topic;
};

void on_done(void* ud, ferry_status s, const ferry_send_result*, const char* why) {
  std::unique_ptr<SendCtx> ctx(static_cast<SendCtx*>(ud));
  std::lock_guard lock(ctx->tally->mu);
  ++ctx->tally->calls;
  ++ctx->tally->by_status[s];
  if (s == FERRY_OK) ++ctx->tally->ok_by_topic[ctx->topic];
  if (s != FERRY_OK && ctx->tally->first_error.empty()) ctx->tally->first_error = why ? why : "";
  ctx->tally->cv.notify_all();
}

void send_async(ferry_producer* p, Tally* t, const std::string& topic) {
  auto m = make_msg(topic, "x");
  char err[512];
  auto* ctx = new SendCtx{t, topic};
  ASSERT_EQ(FERRY_OK, ferry_producer_send_async(p, m.get(), &on_done, ctx, err, sizeof err)) << err;
}

// Changes the queue counts of topic(0 .. n - 1) every 2 ms until stopped:
// per broker 1 .. 12, so 2 .. 24 queues per route, inline and on the heap,
// growing and shrinking.
class RouteChurn {
 public:
  template <typename Topic>
  RouteChurn(FakeCluster& cluster, int n, Topic topic)
      : thread_([this, &cluster, n, topic] {
          const uint32_t counts[] = {1, 12, 2, 8, 4};
          for (int i = 0; !stop_.load() && i < 2000; ++i) {
            for (int t = i % 4; t < n; t += 4) cluster.create_topic(topic(t), counts[i % 5]);
            std::this_thread::sleep_for(2ms);
          }
        }) {}
  ~RouteChurn() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;  // after stop_: starts once stop_ exists
};

// Every one of `n` sends completed (within 30 s).
void expect_calls(Tally& tally, int n) {
  std::unique_lock lock(tally.mu);
  EXPECT_TRUE(tally.cv.wait_for(lock, 30s, [&] { return tally.calls == n; })) << tally.calls;
}

// Some sends succeeded, and each of the others ended on a route older than
// a shrink, naming a queue the broker no longer has (its clear refusal, not
// retried); nothing else.
void expect_ok_or_stale_queue(Tally& tally) {
  std::lock_guard lock(tally.mu);
  EXPECT_GT(tally.by_status[FERRY_OK], 0);
  for (const auto& [st, n] : tally.by_status)
    EXPECT_TRUE(st == FERRY_OK || st == FERRY_E_INVALID_ARGUMENT)
        << n << " sends ended " << ferry_status_name(st) << ", first: " << tally.first_error;
}

TEST(SdkProducerRoutes, AsyncSendsOverManyTopicsWhileTheirRoutesChangeCompleteOnce) {
  FakeCluster cluster({.brokers = 2, .queues = 4});
  constexpr int kTopics = 64, kSends = 4096;
  auto topic = [](int i) { return "R" + std::to_string(i % kTopics); };
  for (int t = 0; t < kTopics; ++t) cluster.create_topic(topic(t));
  // Refreshed every 10 ms: routes are replaced many times under the sends.
  auto conf = make_conf(cluster.name_servers(), {{"route_refresh_ms", "10"}});
  auto p = start_producer(conf);
  Tally tally;
  RouteChurn churn(cluster, kTopics, topic);
  for (int i = 0; i < kSends; ++i) send_async(p.get(), &tally, topic(i));
  expect_calls(tally, kSends);
  churn.stop();
  expect_ok_or_stale_queue(tally);
  // Each reached a broker exactly once (stored() would not do: a fake
  // broker drops a queue's messages when its count shrinks; messages, not
  // requests: async sends are batched by default).
  EXPECT_EQ(static_cast<size_t>(kSends), cluster.messages_received(0) + cluster.messages_received(1));
  // Settled (12 queues per broker: on the heap), every topic takes sends.
  for (int t = 0; t < kTopics; ++t) cluster.create_topic(topic(t), 12);
  Tally after;
  char err[512];
  for (int t = 0; t < kTopics; ++t) {
    // Once the refresh has the new count, queue 23 of 24 exists.
    EXPECT_TRUE(ferry::test::wait_until(
        [&] {
          auto m = make_msg(topic(t), "sync");
          return ferry_producer_send(p.get(), m.get(), nullptr, err, sizeof err) == FERRY_OK;
        },
        5s))
        << err;
  }
  for (int i = 0; i < kTopics * 8; ++i) send_async(p.get(), &after, topic(i));
  std::unique_lock lock(after.mu);
  ASSERT_TRUE(after.cv.wait_for(lock, 30s, [&] { return after.calls == kTopics * 8; })) << after.calls;
  EXPECT_EQ(kTopics * 8, after.by_status[FERRY_OK]) << after.first_error;
}

void send_async_via(ferry_producer* p, ferry_producer_topic* h, Tally* t, const std::string& topic) {
  auto m = make_msg(topic, "x");
  char err[512];
  auto* ctx = new SendCtx{t, topic};
  ASSERT_EQ(FERRY_OK, ferry_producer_send_async_topic(p, h, m.get(), &on_done, ctx, err, sizeof err)) << err;
}

// ferry_producer_prepare over two brokers (the counted version is
// sdk_c_ferryd_test's prepare_test.cc): routes and connections readied, an
// unknown topic reported, sync and async sends then go as usual; shut down
// while a prepare may still be on the loop.
TEST(SdkProducerPrepare, ReadiesKnownTopicsReportsUnknownOnesThenSends) {
  FakeCluster cluster({.brokers = 2});
  cluster.create_topic("PA");
  cluster.create_topic("PB");
  auto conf = make_conf(cluster.name_servers());
  auto p = start_producer(conf);
  char err[512];
  const char* both[] = {"PA", "PB"};
  ASSERT_EQ(FERRY_OK, ferry_producer_prepare(p.get(), both, 2, err, sizeof err)) << err;
  const char* mixed[] = {"PA", "PNobody"};
  EXPECT_EQ(FERRY_E_NO_ROUTE, ferry_producer_prepare(p.get(), mixed, 2, err, sizeof err));
  send_n(p.get(), "PA", 8);
  std::atomic<int> acked{0};
  for (int i = 0; i < 8; ++i) {
    auto m = make_msg("PB", "async-" + std::to_string(i));
    ASSERT_EQ(FERRY_OK, ferry_producer_send_async(p.get(), m.get(), [](void* ud, ferry_status s, const ferry_send_result*, const char*) {
      if (s == FERRY_OK) ++*static_cast<std::atomic<int>*>(ud);
    }, &acked, err, sizeof err));
  }
  ASSERT_TRUE(ferry::test::wait_until([&] { return acked.load() == 8; }, 10s));
  EXPECT_EQ(16u, cluster.stored(0) + cluster.stored(1));
  // A prepare racing a shutdown from another thread returns (whatever it
  // reports: done, closed, or a request cut short) and touches nothing freed.
  std::thread t([&] {
    char e2[256];
    (void)ferry_producer_prepare(p.get(), both, 2, e2, sizeof e2);
  });
  ASSERT_EQ(FERRY_OK, ferry_producer_shutdown(p.get(), err, sizeof err)) << err;
  t.join();
}

TEST(SdkProducerTopicHandle, OpenIsPerNameAndPerProducerAndRefusesBadUse) {
  FakeCluster cluster({.brokers = 1});
  cluster.create_topic("A");
  auto conf = make_conf(cluster.name_servers());
  Producer fresh;  // handles may be opened before start
  {
    ferry_producer* raw = nullptr;
    char err[512];
    ASSERT_EQ(FERRY_OK, ferry_producer_new(conf.get(), &raw, err, sizeof err)) << err;
    fresh.reset(raw);
  }
  char err[512];
  ferry_producer_topic *a = nullptr, *a2 = nullptr, *b = nullptr;
  ASSERT_EQ(FERRY_OK, ferry_producer_topic_open(fresh.get(), "A", &a, err, sizeof err)) << err;
  ASSERT_EQ(FERRY_OK, ferry_producer_topic_open(fresh.get(), "A", &a2, err, sizeof err)) << err;
  ASSERT_EQ(FERRY_OK, ferry_producer_topic_open(fresh.get(), "B", &b, err, sizeof err)) << err;
  EXPECT_EQ(a, a2);  // one handle per name
  EXPECT_NE(a, b);
  ferry_producer_topic* none = a;
  EXPECT_EQ(FERRY_E_INVALID_NAME, ferry_producer_topic_open(fresh.get(), "", &none, err, sizeof err));
  EXPECT_EQ(nullptr, none);
  EXPECT_EQ(FERRY_E_INVALID_NAME, ferry_producer_topic_open(fresh.get(), std::string(128, 't').c_str(), &none, err, sizeof err));
  EXPECT_EQ(FERRY_E_INVALID_ARGUMENT, ferry_producer_topic_open(fresh.get(), nullptr, &none, err, sizeof err));
  EXPECT_EQ(FERRY_E_INVALID_ARGUMENT, ferry_producer_topic_open(nullptr, "A", &none, err, sizeof err));
  EXPECT_EQ(FERRY_E_INVALID_ARGUMENT, ferry_producer_topic_open(fresh.get(), "A", nullptr, err, sizeof err));
  Tally tally;
  auto m = make_msg("A", "x");
  // Not started yet: refused like a send by name.
  EXPECT_EQ(FERRY_E_STATE, ferry_producer_send_async_topic(fresh.get(), a, m.get(), &on_done, nullptr, err, sizeof err));
  ASSERT_EQ(FERRY_OK, ferry_producer_start(fresh.get(), err, sizeof err)) << err;
  // The message's topic must be the handle's; a handle of another producer is refused.
  EXPECT_EQ(FERRY_E_INVALID_ARGUMENT, ferry_producer_send_async_topic(fresh.get(), b, m.get(), &on_done, nullptr, err, sizeof err));
  EXPECT_NE(nullptr, std::strstr(err, "handle")) << err;
  auto other = start_producer(conf);
  EXPECT_EQ(FERRY_E_INVALID_ARGUMENT, ferry_producer_send_async_topic(other.get(), a, m.get(), &on_done, nullptr, err, sizeof err));
  EXPECT_EQ(FERRY_E_INVALID_ARGUMENT, ferry_producer_send_async_topic(fresh.get(), nullptr, m.get(), &on_done, nullptr, err, sizeof err));
  EXPECT_EQ(FERRY_E_INVALID_ARGUMENT, ferry_producer_send_async_topic(fresh.get(), a, m.get(), nullptr, nullptr, err, sizeof err));
  // Through the handle (route fetched by the first send, then kept) and by
  // name, mixed: all land.
  for (int i = 0; i < 20; ++i) {
    if (i % 2) send_async_via(fresh.get(), a, &tally, "A");
    else send_async(fresh.get(), &tally, "A");
  }
  {
    std::unique_lock lock(tally.mu);
    ASSERT_TRUE(tally.cv.wait_for(lock, 10s, [&] { return tally.calls == 20; })) << tally.calls;
    EXPECT_EQ(20, tally.ok_by_topic["A"]) << tally.first_error;
  }
  // An unknown topic through a handle fails like a send by name.
  auto mb = make_msg("B", "x");
  Tally nob;
  ASSERT_EQ(FERRY_OK, ferry_producer_send_async_topic(fresh.get(), b, mb.get(), &on_done, new SendCtx{&nob, "B"}, err, sizeof err));
  std::unique_lock lock(nob.mu);
  ASSERT_TRUE(nob.cv.wait_for(lock, 10s, [&] { return nob.calls == 1; }));
  EXPECT_EQ(1, nob.by_status[FERRY_E_NO_ROUTE]) << nob.first_error;
}

// Handles keep their topic's cache entry across route replacements (queue
// counts inline <-> heap, refreshed every 10 ms): every send completes once.
TEST(SdkProducerTopicHandle, AsyncSendsThroughHandlesWhileRoutesChangeCompleteOnce) {
  FakeCluster cluster({.brokers = 2, .queues = 4});
  constexpr int kTopics = 64, kSends = 4096;
  auto topic = [](int i) { return "H" + std::to_string(i % kTopics); };
  for (int t = 0; t < kTopics; ++t) cluster.create_topic(topic(t));
  auto conf = make_conf(cluster.name_servers(), {{"route_refresh_ms", "10"}});
  auto p = start_producer(conf);
  std::vector<ferry_producer_topic*> handles(kTopics);
  char err[512];
  for (int t = 0; t < kTopics; ++t)
    ASSERT_EQ(FERRY_OK, ferry_producer_topic_open(p.get(), topic(t).c_str(), &handles[t], err, sizeof err)) << err;
  Tally tally;
  RouteChurn churn(cluster, kTopics, topic);
  // Two sender threads share the handles.
  std::thread second([&] {
    for (int i = 1; i < kSends; i += 2) send_async_via(p.get(), handles[i % kTopics], &tally, topic(i));
  });
  for (int i = 0; i < kSends; i += 2) send_async_via(p.get(), handles[i % kTopics], &tally, topic(i));
  second.join();
  expect_calls(tally, kSends);
  churn.stop();
  expect_ok_or_stale_queue(tally);
  EXPECT_EQ(static_cast<size_t>(kSends), cluster.messages_received(0) + cluster.messages_received(1));
  // Settled at 12 queues per broker (on the heap, and the most any route
  // had: no stale route names a queue the brokers lack): all land.
  for (int t = 0; t < kTopics; ++t) cluster.create_topic(topic(t), 12);
  std::this_thread::sleep_for(100ms);
  Tally after;
  for (int i = 0; i < kTopics * 24; ++i) send_async_via(p.get(), handles[i % kTopics], &after, topic(i));
  std::unique_lock lock(after.mu);
  ASSERT_TRUE(after.cv.wait_for(lock, 30s, [&] { return after.calls == kTopics * 24; })) << after.calls;
  EXPECT_EQ(kTopics * 24, after.by_status[FERRY_OK]) << after.first_error;
}

TEST(SdkProducerRoutes, TopicDeletedWhileSendsAreInFlightFailsOnlyItsSendsAndComesBack) {
  FakeCluster cluster({.brokers = 2, .queues = 4});
  cluster.create_topic("Gone");
  cluster.create_topic("Stays");
  auto conf = make_conf(cluster.name_servers(), {{"route_refresh_ms", "10"}});
  auto p = start_producer(conf);
  send_n(p.get(), "Gone", 2);  // both routes cached
  send_n(p.get(), "Stays", 2);
  Tally tally;
  constexpr int kSends = 2000;
  std::thread remover([&] {
    std::this_thread::sleep_for(1ms);
    cluster.delete_topic("Gone");
  });
  for (int i = 0; i < kSends; ++i) send_async(p.get(), &tally, i % 2 ? "Stays" : "Gone");
  remover.join();
  {
    std::unique_lock lock(tally.mu);
    ASSERT_TRUE(tally.cv.wait_for(lock, 30s, [&] { return tally.calls == kSends; })) << tally.calls;
    EXPECT_EQ(kSends / 2, tally.ok_by_topic["Stays"]);
    // Gone's sends either landed before the delete or failed with the
    // broker's clear answer — nothing else, none twice.
    EXPECT_EQ(kSends, tally.by_status[FERRY_OK] + tally.by_status[FERRY_E_TOPIC_NOT_FOUND]);
  }
  // Each reached a broker once (the refused ones too: not retriable).
  EXPECT_EQ(static_cast<size_t>(kSends + 4), cluster.messages_received(0) + cluster.messages_received(1));
  // The name servers no longer route it; the cached route is kept and the
  // broker's answer is what a send gets.
  std::this_thread::sleep_for(50ms);
  char err[512];
  auto m = make_msg("Gone", "late");
  EXPECT_EQ(FERRY_E_TOPIC_NOT_FOUND, ferry_producer_send(p.get(), m.get(), nullptr, err, sizeof err));
  EXPECT_NE(nullptr, std::strstr(err, "Gone")) << err;
  // Created again, it is sent to again (on the refreshed route).
  cluster.create_topic("Gone", 2);
  EXPECT_TRUE(ferry::test::wait_until(
      [&] {
        auto again = make_msg("Gone", "again");
        return ferry_producer_send(p.get(), again.get(), nullptr, err, sizeof err) == FERRY_OK;
      },
      5s));
}

}  // namespace
}  // namespace ferry::sdk::test
