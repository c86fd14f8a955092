// libferry against clusters of real ferryd processes (separate name servers
// and brokers): ordered consumption while members join and leave, rebalance
// duplicates bounded by what was pulled but not committed, failover of
// brokers and name servers.
#include <atomic>
#include <cstdio>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "ferryd_cluster.h"

namespace ferry::sdk::test {
namespace {

using namespace std::chrono_literals;
using ferry::test::wait_until;

std::string queue_of(const ferry_client_message* m) {
  size_t len = 0;
  const char* b = ferry_message_broker_name(m, &len);
  return std::string(b, len) + "/" + std::to_string(ferry_message_queue_id(m));
}

// ---------------------------------------------------------------- ordered

// Shared by every member of the orderly group. Per queue it tracks which
// member is inside the listener, so two members consuming one queue at the
// same time is seen (the broker's queue lock must prevent it).
struct OrderBook {
  std::mutex mu;
  std::map<std::string, int> inside;  // queue -> member id in the listener, 0 none
  size_t overlaps = 0;
  std::map<std::string, int> last;    // key -> highest sequence seen
  size_t gaps = 0, replays = 0, deliveries = 0;
  std::string first_problem;
};

struct Member {
  int id;
  OrderBook* book;
};

ferry_orderly_status record_ordered(void* ud, ferry_client_message* const* msgs, size_t n) {
  auto* m = static_cast<Member*>(ud);
  OrderBook& b = *m->book;
  std::string q = queue_of(msgs[0]);
  {
    std::lock_guard l(b.mu);
    int& who = b.inside[q];
    if (who != 0 && who != m->id) {
      ++b.overlaps;
      if (b.first_problem.empty()) b.first_problem = q + " consumed by " + std::to_string(who) + " and " + std::to_string(m->id);
    }
    who = m->id;
    for (size_t i = 0; i < n; ++i) {
      std::string body = body_of(msgs[i]);
      auto colon = body.find(':');
      std::string key = body.substr(0, colon);
      int seq = std::stoi(body.substr(colon + 1));
      auto [it, fresh] = b.last.emplace(key, -1);
      ++b.deliveries;
      if (seq == it->second + 1) {
        it->second = seq;
      } else if (seq <= it->second) {
        ++b.replays;  // re-delivered after a queue moved
      } else {
        ++b.gaps;     // arrived before its predecessor: out of order
        if (b.first_problem.empty())
          b.first_problem = key + ": " + std::to_string(seq) + " after " + std::to_string(it->second);
        it->second = seq;
      }
    }
  }
  std::this_thread::yield();  // widen the window an overlapping member would hit
  std::lock_guard l(b.mu);
  b.inside[q] = 0;
  return FERRY_ORDERLY_SUCCESS;
}

Push start_orderly(const Conf& conf, const std::string& topic, Member* m) {
  ferry_push_consumer* c = nullptr;
  char err[512];
  EXPECT_EQ(FERRY_OK, ferry_push_consumer_new(conf.get(), &c, err, sizeof err)) << err;
  EXPECT_EQ(FERRY_OK, ferry_push_consumer_subscribe(c, topic.c_str(), "*", err, sizeof err)) << err;
  EXPECT_EQ(FERRY_OK, ferry_push_consumer_set_orderly_listener(c, record_ordered, m, err, sizeof err)) << err;
  EXPECT_EQ(FERRY_OK, ferry_push_consumer_start(c, err, sizeof err)) << err;
  return Push(c);
}

TEST(SdkFerrydCluster, HundredKeysStayInOrderWhileMembersJoinAndLeave) {
  FerrydCluster cluster({.name_servers = 1, .brokers = 2});
  ASSERT_TRUE(cluster.ok()) << cluster.error();
  ASSERT_EQ("", cluster.create_topic("OrderedT", 4));
  constexpr int kKeys = 100, kPerKey = 1000, kThreads = 4;
  constexpr size_t kTotal = size_t{kKeys} * kPerKey;

  auto cconf = make_conf(cluster.name_servers(), {{"group", "OrderedG"}, {"consume_from", "first"},
                                                  {"consume_batch_size", "32"}, {"rebalance_interval_ms", "1000"}});
  OrderBook book;
  Member a{1, &book}, b{2, &book}, c{3, &book};
  auto ca = start_orderly(cconf, "OrderedT", &a);
  auto cb = start_orderly(cconf, "OrderedT", &b);

  auto pconf = make_conf(cluster.name_servers());
  auto p = start_producer(pconf);
  std::atomic<size_t> sent{0};
  std::atomic<int> send_errors{0};
  std::vector<std::thread> producers;
  for (int t = 0; t < kThreads; ++t)
    producers.emplace_back([&, t] {
      char err[512];
      for (int i = 0; i < kPerKey; ++i)
        for (int k = t; k < kKeys; k += kThreads) {
          std::string key = "key" + std::to_string(k);
          auto m = make_msg("OrderedT", key + ":" + std::to_string(i));
          if (ferry_producer_send_ordered(p.get(), m.get(), key.data(), key.size(), nullptr, err, sizeof err) != FERRY_OK) {
            ++send_errors;
            return;  // a gap in a key would be reported as disorder; stop this thread
          }
          ++sent;
        }
    });
  // A third member joins at a third of the stream, the first leaves at two.
  EXPECT_TRUE(wait_until([&] { return sent >= kTotal / 3 || send_errors > 0; }, 60s));
  auto cc = start_orderly(cconf, "OrderedT", &c);
  EXPECT_TRUE(wait_until([&] { return sent >= 2 * kTotal / 3 || send_errors > 0; }, 60s));
  char err[512];
  ASSERT_EQ(FERRY_OK, ferry_push_consumer_shutdown(ca.get(), err, sizeof err)) << err;
  for (auto& t : producers) t.join();
  ASSERT_EQ(0, send_errors.load());

  bool all = wait_until([&] {
    std::lock_guard l(book.mu);
    if (book.last.size() < kKeys) return false;
    for (auto& [k, v] : book.last)
      if (v != kPerKey - 1) return false;
    return true;
  }, 60s, 50ms);
  ASSERT_EQ(FERRY_OK, ferry_push_consumer_shutdown(cb.get(), err, sizeof err)) << err;
  ASSERT_EQ(FERRY_OK, ferry_push_consumer_shutdown(cc.get(), err, sizeof err)) << err;
  uint64_t bound = ferry_push_consumer_handover_uncommitted(ca.get()) +
                   ferry_push_consumer_handover_uncommitted(cb.get()) +
                   ferry_push_consumer_handover_uncommitted(cc.get());
  std::lock_guard l(book.mu);
  EXPECT_TRUE(all) << "keys complete: " << book.last.size();
  EXPECT_EQ(0u, book.gaps) << book.first_problem;
  EXPECT_EQ(0u, book.overlaps) << book.first_problem;
  EXPECT_LE(book.replays, bound);
  RecordProperty("replays", static_cast<int>(book.replays));
  std::printf("ordered: %zu deliveries of %zu messages, %zu replayed after a queue moved (bound %llu), "
              "0 out of order, 0 overlapping\n",
              book.deliveries, kTotal, book.replays, static_cast<unsigned long long>(bound));
}

// ---------------------------------------------------------------- rebalance

struct Seen {
  std::mutex mu;
  std::vector<std::string> bodies;
};

ferry_consume_status record(void* ud, ferry_client_message* const* msgs, size_t n) {
  auto* s = static_cast<Seen*>(ud);
  std::lock_guard l(s->mu);
  for (size_t i = 0; i < n; ++i) s->bodies.push_back(body_of(msgs[i]));
  return FERRY_CONSUME_SUCCESS;
}

Push start_concurrent(const Conf& conf, const std::string& topic, Seen* s) {
  ferry_push_consumer* c = nullptr;
  char err[512];
  EXPECT_EQ(FERRY_OK, ferry_push_consumer_new(conf.get(), &c, err, sizeof err)) << err;
  EXPECT_EQ(FERRY_OK, ferry_push_consumer_subscribe(c, topic.c_str(), "*", err, sizeof err)) << err;
  EXPECT_EQ(FERRY_OK, ferry_push_consumer_set_listener(c, record, s, err, sizeof err)) << err;
  EXPECT_EQ(FERRY_OK, ferry_push_consumer_start(c, err, sizeof err)) << err;
  return Push(c);
}

TEST(SdkFerrydCluster, RebalanceWhenAThirdJoinsAndOneLeavesLosesNothing) {
  FerrydCluster cluster({.name_servers = 1, .brokers = 2});
  ASSERT_TRUE(cluster.ok()) << cluster.error();
  ASSERT_EQ("", cluster.create_topic("RebalT", 3));
  constexpr int kTotal = 6000;
  auto cconf = make_conf(cluster.name_servers(), {{"group", "RebalG"}, {"consume_from", "first"},
                                                  {"commit_interval_ms", "1000"}});
  Seen a, b, c;
  auto ca = start_concurrent(cconf, "RebalT", &a);
  auto cb = start_concurrent(cconf, "RebalT", &b);
  auto p = start_producer(make_conf(cluster.name_servers()));
  std::atomic<int> sent{0};
  std::thread producer([&] {
    char err[512];
    for (int i = 0; i < kTotal; ++i) {
      auto m = make_msg("RebalT", "r-" + std::to_string(i));
      ASSERT_EQ(FERRY_OK, ferry_producer_send(p.get(), m.get(), nullptr, err, sizeof err)) << err;
      ++sent;
    }
  });
  EXPECT_TRUE(wait_until([&] { return sent >= kTotal / 4; }, 60s));
  auto cc = start_concurrent(cconf, "RebalT", &c);  // a third member joins mid-stream
  EXPECT_TRUE(wait_until([&] { return ferry_push_consumer_queue_count(cc.get()) == 2; }, 20s));
  EXPECT_TRUE(wait_until([&] { return sent >= kTotal / 2; }, 60s));
  char err[512];
  ASSERT_EQ(FERRY_OK, ferry_push_consumer_shutdown(ca.get(), err, sizeof err)) << err;  // one leaves
  producer.join();
  std::set<std::string> unique;
  size_t deliveries = 0;
  bool all = wait_until([&] {
    unique.clear();
    deliveries = 0;
    for (Seen* s : {&a, &b, &c}) {
      std::lock_guard l(s->mu);
      unique.insert(s->bodies.begin(), s->bodies.end());
      deliveries += s->bodies.size();
    }
    return unique.size() == static_cast<size_t>(kTotal);
  }, 30s, 50ms);
  ASSERT_EQ(FERRY_OK, ferry_push_consumer_shutdown(cb.get(), err, sizeof err)) << err;
  ASSERT_EQ(FERRY_OK, ferry_push_consumer_shutdown(cc.get(), err, sizeof err)) << err;
  EXPECT_TRUE(all) << unique.size() << " of " << kTotal << " consumed\n" << cluster.logs();
  uint64_t bound = ferry_push_consumer_handover_uncommitted(ca.get()) +
                   ferry_push_consumer_handover_uncommitted(cb.get()) +
                   ferry_push_consumer_handover_uncommitted(cc.get());
  size_t duplicates = deliveries - unique.size();
  EXPECT_LE(duplicates, bound);
  RecordProperty("duplicates", static_cast<int>(duplicates));
  std::printf("rebalance: %zu deliveries for %d messages: %zu duplicates, pulled-but-uncommitted at handovers %llu\n",
              deliveries, kTotal, duplicates, static_cast<unsigned long long>(bound));
}

// ---------------------------------------------------------------- failover

TEST(SdkFerrydCluster, FailoverOfABrokerAndOfEveryNameServer) {
  FerrydCluster cluster({.name_servers = 2, .brokers = 2});
  ASSERT_TRUE(cluster.ok()) << cluster.error();
  ASSERT_EQ("", cluster.create_topic("FailT", 4));
  auto p = start_producer(make_conf(cluster.name_servers(), {{"send_timeout_ms", "5000"}}));
  char err[512];
  auto send_one = [&](const std::string& topic, const std::string& body, ferry_send_result* r) {
    auto m = make_msg(topic, body);
    return ferry_producer_send(p.get(), m.get(), r, err, sizeof err);
  };

  // 1. broker-b is SIGKILLed mid-stream: every sync send still succeeds.
  std::atomic<int> sent{0};
  std::map<std::string, int> after_kill;
  std::atomic<bool> killed{false};
  // Sends go on until 1,200 were sent after the kill (not a fixed total: the
  // kill itself may take longer than the whole stream would).
  std::thread producer([&] {
    int since_kill = 0;
    for (int i = 0; i < 100000 && since_kill < 1200; ++i) {
      ferry_send_result r = FERRY_STRUCT_INIT(ferry_send_result);
      bool was_killed = killed;
      ASSERT_EQ(FERRY_OK, send_one("FailT", "f-" + std::to_string(i), &r)) << err;
      if (was_killed) ++after_kill[r.broker_name], ++since_kill;
      ++sent;
    }
  });
  ASSERT_TRUE(wait_until([&] { return sent >= 300; }, 30s));
  cluster.kill_broker(1);
  killed = true;
  producer.join();
  EXPECT_GE(sent.load(), 1500);
  EXPECT_GT(after_kill[FerrydCluster::broker_name(0)], 0);
  EXPECT_EQ(0, after_kill[FerrydCluster::broker_name(1)]);

  // 2. The first name server dies: a new topic is routed by the second.
  cluster.kill_name_server(0);
  ASSERT_EQ("", cluster.create_topic("FailNew", 2));
  ferry_send_result r = FERRY_STRUCT_INIT(ferry_send_result);
  EXPECT_EQ(FERRY_OK, send_one("FailNew", "via-ns1", &r)) << err;
  EXPECT_STREQ(FerrydCluster::broker_name(0).c_str(), r.broker_name);

  // 3. Every name server is down: known topics keep working on cached
  // routes; an unknown one fails clearly.
  cluster.kill_name_server(1);
  for (int i = 0; i < 100; ++i) ASSERT_EQ(FERRY_OK, send_one("FailT", "cached-" + std::to_string(i), nullptr)) << err;
  EXPECT_EQ(FERRY_OK, send_one("FailNew", "cached-new", nullptr)) << err;
  EXPECT_EQ(FERRY_E_NO_NAME_SERVER, send_one("NeverCreated", "x", nullptr));
  EXPECT_NE(std::string::npos, std::string(err).find("name server")) << err;
}

}  // namespace
}  // namespace ferry::sdk::test
