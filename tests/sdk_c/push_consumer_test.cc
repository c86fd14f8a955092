// Push consumer: clustering (queues shared, rebalanced), broadcasting
// (every member gets all, offsets in a local file), graceful shutdown
// (restart re-delivers nothing acknowledged), RECONSUME_LATER's local
// fallback, orderly.
#include <pthread.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "ferry_test/child_process.h"
#include "ferry_test/temp_dir.h"
#include "sdk_fixture.h"

namespace ferry::sdk::test {
namespace {

using namespace std::chrono_literals;

struct Sink {
  std::mutex mu;
  std::vector<std::string> bodies;
  std::map<std::string, std::vector<int64_t>> offsets_by_queue;
  std::atomic<int> reconsume_first{0};  // answer RECONSUME_LATER to the first N calls
  std::atomic<int> suspend_first{0};
  std::set<std::thread::id> threads;
  size_t size() {
    std::lock_guard l(mu);
    return bodies.size();
  }
  void add(ferry_client_message* const* msgs, size_t n) {
    std::lock_guard l(mu);
    threads.insert(std::this_thread::get_id());
    for (size_t i = 0; i < n; ++i) {
      bodies.push_back(body_of(msgs[i]));
      size_t bl = 0;
      const char* broker = ferry_message_broker_name(msgs[i], &bl);
      std::string q = std::string(broker, bl) + "/" + std::to_string(ferry_message_queue_id(msgs[i]));
      offsets_by_queue[q].push_back(ferry_message_queue_offset(msgs[i]));
    }
  }
};

ferry_consume_status concurrent(void* ud, ferry_client_message* const* msgs, size_t n) {
  auto* s = static_cast<Sink*>(ud);
  if (s->reconsume_first.fetch_sub(1) > 0) return FERRY_CONSUME_RECONSUME_LATER;
  s->add(msgs, n);
  return FERRY_CONSUME_SUCCESS;
}

ferry_orderly_status orderly(void* ud, ferry_client_message* const* msgs, size_t n) {
  auto* s = static_cast<Sink*>(ud);
  if (s->suspend_first.fetch_sub(1) > 0) return FERRY_ORDERLY_SUSPEND;
  s->add(msgs, n);
  return FERRY_ORDERLY_SUCCESS;
}

Push start_push(const Conf& conf, const char* topic, Sink* sink, bool ordered = false) {
  ferry_push_consumer* c = nullptr;
  char err[256];
  EXPECT_EQ(FERRY_OK, ferry_push_consumer_new(conf.get(), &c, err, sizeof err)) << err;
  EXPECT_EQ(FERRY_OK, ferry_push_consumer_subscribe(c, topic, "*", err, sizeof err));
  if (ordered) {
    EXPECT_EQ(FERRY_OK, ferry_push_consumer_set_orderly_listener(c, orderly, sink, err, sizeof err));
  } else {
    EXPECT_EQ(FERRY_OK, ferry_push_consumer_set_listener(c, concurrent, sink, err, sizeof err));
  }
  EXPECT_EQ(FERRY_OK, ferry_push_consumer_start(c, err, sizeof err)) << err;
  return Push(c);
}

TEST(SdkPushConsumer, ClusteringSharesQueuesAndConsumesEverything) {
  FakeCluster cluster({.brokers = 2, .queues = 4});
  cluster.create_topic("T");
  auto conf = make_conf(cluster.name_servers(), {{"group", "CG"}, {"consume_from", "first"}});
  Sink a, b;
  auto ca = start_push(conf, "T", &a);
  auto cb = start_push(conf, "T", &b);
  // Rebalance: 8 queues split 4 / 4 once both members are known.
  EXPECT_TRUE(ferry::test::wait_until([&] {
    return ferry_push_consumer_queue_count(ca.get()) == 4 && ferry_push_consumer_queue_count(cb.get()) == 4;
  }, 10s));
  auto pconf = make_conf(cluster.name_servers());
  auto p = start_producer(pconf);
  send_n(p.get(), "T", 200);
  ASSERT_TRUE(ferry::test::wait_until([&] { return a.size() + b.size() >= 200; }, 10s));
  std::this_thread::sleep_for(300ms);
  std::set<std::string> all(a.bodies.begin(), a.bodies.end());
  all.insert(b.bodies.begin(), b.bodies.end());
  EXPECT_EQ(200u, all.size());
  EXPECT_EQ(200u, a.size() + b.size());  // no duplicates in a stable group
  EXPECT_GT(a.size(), 0u);
  EXPECT_GT(b.size(), 0u);
  // One member leaves: the other takes all 8 queues.
  char err[256];
  ASSERT_EQ(FERRY_OK, ferry_push_consumer_shutdown(cb.get(), err, sizeof err)) << err;
  EXPECT_TRUE(ferry::test::wait_until([&] { return ferry_push_consumer_queue_count(ca.get()) == 8; }, 10s));
  send_n(p.get(), "T", 40, "late");
  EXPECT_TRUE(ferry::test::wait_until([&] { return a.size() + b.size() >= 240; }, 10s));
}

// Flow control with acknowledgements that do not wake the I/O thread
// (post_ack): a queue paused at queue_max_cached_messages has no pull in
// flight, so no answer comes to take its acks; they must still resume it.
// The listener is slow, so the queue pauses many times over.
TEST(SdkPushConsumer, AQueuePausedByFlowControlResumesOnItsAcks) {
  FakeCluster cluster({.brokers = 1, .queues = 1});
  cluster.create_topic("T");
  auto conf = make_conf(cluster.name_servers(), {{"group", "FG"}, {"consume_from", "first"},
                                                 {"queue_max_cached_messages", "8"}, {"pull_batch_size", "4"},
                                                 {"consume_threads", "1"}, {"commit_interval_ms", "60000"}});
  auto pconf = make_conf(cluster.name_servers());
  auto p = start_producer(pconf);
  send_n(p.get(), "T", 120);
  struct Slow {
    Sink sink;
    static ferry_consume_status on(void* ud, ferry_client_message* const* msgs, size_t n) {
      std::this_thread::sleep_for(2ms);
      static_cast<Slow*>(ud)->sink.add(msgs, n);
      return FERRY_CONSUME_SUCCESS;
    }
  } slow;
  ferry_push_consumer* raw = nullptr;
  char err[256];
  ASSERT_EQ(FERRY_OK, ferry_push_consumer_new(conf.get(), &raw, err, sizeof err)) << err;
  Push c(raw);
  ASSERT_EQ(FERRY_OK, ferry_push_consumer_subscribe(c.get(), "T", "*", err, sizeof err));
  ASSERT_EQ(FERRY_OK, ferry_push_consumer_set_listener(c.get(), &Slow::on, &slow, err, sizeof err));
  ASSERT_EQ(FERRY_OK, ferry_push_consumer_start(c.get(), err, sizeof err)) << err;
  ASSERT_TRUE(ferry::test::wait_until([&] { return slow.sink.size() >= 120; }, 30s)) << slow.sink.size();
  ASSERT_EQ(FERRY_OK, ferry_push_consumer_shutdown(c.get(), err, sizeof err)) << err;
  // Every SUCCESS is in the commit at shutdown, the last ones included.
  EXPECT_EQ(120, cluster.committed(0, "FG", "T", 0));
  std::set<std::string> all(slow.sink.bodies.begin(), slow.sink.bodies.end());
  EXPECT_EQ(120u, all.size());
}

// consume_on_io_thread: the concurrent listener runs on the I/O thread
// (no hand-off to a listener thread); SUCCESS is committed, and a
// RECONSUME_LATER is retried locally (this fake broker refuses SEND_BACK)
// and delivered again, on the I/O thread too.
TEST(SdkPushConsumer, ConsumeOnIoThreadCallsTheListenerThereAndCommitsWhatItTook) {
  FakeCluster cluster({.brokers = 1, .queues = 2});
  cluster.create_topic("T");
  auto conf = make_conf(cluster.name_servers(), {{"group", "IOG"}, {"consume_from", "first"},
                                                 {"consume_on_io_thread", "true"}, {"reconsume_delay_ms", "50"},
                                                 {"commit_interval_ms", "60000"}});
  auto pconf = make_conf(cluster.name_servers());
  auto p = start_producer(pconf);
  struct Named {
    Sink sink;
    std::mutex mu;
    std::set<std::string> names;
    static ferry_consume_status on(void* ud, ferry_client_message* const* msgs, size_t n) {
      auto* self = static_cast<Named*>(ud);
      char name[32] = "";
      ::pthread_getname_np(::pthread_self(), name, sizeof name);
      {
        std::lock_guard l(self->mu);
        self->names.insert(name);
      }
      return concurrent(&self->sink, msgs, n);
    }
  } named;
  named.sink.reconsume_first = 1;
  ferry_push_consumer* raw = nullptr;
  char err[256];
  ASSERT_EQ(FERRY_OK, ferry_push_consumer_new(conf.get(), &raw, err, sizeof err)) << err;
  Push c(raw);
  ASSERT_EQ(FERRY_OK, ferry_push_consumer_subscribe(c.get(), "T", "*", err, sizeof err));
  ASSERT_EQ(FERRY_OK, ferry_push_consumer_set_listener(c.get(), &Named::on, &named, err, sizeof err));
  ASSERT_EQ(FERRY_OK, ferry_push_consumer_start(c.get(), err, sizeof err)) << err;
  send_n(p.get(), "T", 60);
  ASSERT_TRUE(ferry::test::wait_until([&] { return named.sink.size() >= 60; }, 10s)) << named.sink.size();
  ASSERT_EQ(FERRY_OK, ferry_push_consumer_shutdown(c.get(), err, sizeof err)) << err;
  EXPECT_EQ(60, cluster.committed(0, "IOG", "T", 0) + cluster.committed(0, "IOG", "T", 1));
  std::set<std::string> all(named.sink.bodies.begin(), named.sink.bodies.end());
  EXPECT_EQ(60u, all.size());
  std::lock_guard l(named.mu);
  EXPECT_EQ(std::set<std::string>{"ferry-io"}, named.names);
}

// A listener on the I/O thread that calls back into its own consumer (here
// shutdown) is refused at once: the call would wait for the I/O thread it
// is blocking. The consumer goes on and shuts down normally afterwards.
TEST(SdkPushConsumer, ConsumeOnIoThreadRefusesShutdownFromTheListener) {
  FakeCluster cluster({.brokers = 1, .queues = 1});
  cluster.create_topic("T");
  auto conf = make_conf(cluster.name_servers(), {{"group", "IOS"}, {"consume_from", "first"},
                                                 {"consume_on_io_thread", "true"}});
  auto p = start_producer(make_conf(cluster.name_servers()));
  struct Ctx {
    ferry_push_consumer* c = nullptr;
    std::atomic<int> status{-1};
    std::atomic<int> calls{0};
    static ferry_consume_status on(void* ud, ferry_client_message* const*, size_t) {
      auto* self = static_cast<Ctx*>(ud);
      if (self->calls++ == 0) self->status = ferry_push_consumer_shutdown(self->c, nullptr, 0);
      return FERRY_CONSUME_SUCCESS;
    }
  } ctx;
  char err[256];
  ASSERT_EQ(FERRY_OK, ferry_push_consumer_new(conf.get(), &ctx.c, err, sizeof err)) << err;
  Push c(ctx.c);
  ASSERT_EQ(FERRY_OK, ferry_push_consumer_subscribe(c.get(), "T", "*", err, sizeof err));
  ASSERT_EQ(FERRY_OK, ferry_push_consumer_set_listener(c.get(), &Ctx::on, &ctx, err, sizeof err));
  ASSERT_EQ(FERRY_OK, ferry_push_consumer_start(c.get(), err, sizeof err)) << err;
  send_n(p.get(), "T", 3);
  ASSERT_TRUE(ferry::test::wait_until([&] { return ctx.status >= 0; }, 10s));
  EXPECT_EQ(FERRY_E_STATE, ctx.status.load());
  ASSERT_TRUE(ferry::test::wait_until([&] { return ctx.calls >= 3; }, 10s)) << ctx.calls;
  ASSERT_EQ(FERRY_OK, ferry_push_consumer_shutdown(c.get(), err, sizeof err)) << err;
  EXPECT_EQ(3, cluster.committed(0, "IOS", "T", 0));
}

TEST(SdkPushConsumer, RebalanceWhenAThirdJoinsAndOneLeavesLosesNothing) {
  FakeCluster cluster({.brokers = 2, .queues = 3});
  cluster.create_topic("T");
  auto conf = make_conf(cluster.name_servers(), {{"group", "JG"}, {"consume_from", "first"}});
  Sink a, b, c;
  auto ca = start_push(conf, "T", &a);
  auto cb = start_push(conf, "T", &b);
  auto pconf = make_conf(cluster.name_servers());
  auto p = start_producer(pconf);
  constexpr int kTotal = 600;
  std::thread producer([&] { send_n(p.get(), "T", kTotal, "r"); });
  std::this_thread::sleep_for(200ms);
  auto cc = start_push(conf, "T", &c);  // a third member joins mid-stream
  EXPECT_TRUE(ferry::test::wait_until([&] { return ferry_push_consumer_queue_count(cc.get()) == 2; }, 10s));
  char err[256];
  ASSERT_EQ(FERRY_OK, ferry_push_consumer_shutdown(ca.get(), err, sizeof err)) << err;  // one leaves
  producer.join();
  std::set<std::string> seen;
  size_t deliveries = 0;
  ASSERT_TRUE(ferry::test::wait_until([&] {
    std::set<std::string> all;
    size_t n = 0;
    for (Sink* s : {&a, &b, &c}) {
      std::lock_guard l(s->mu);
      all.insert(s->bodies.begin(), s->bodies.end());
      n += s->bodies.size();
    }
    seen = all;
    deliveries = n;
    return all.size() == static_cast<size_t>(kTotal);
  }, 15s)) << seen.size();
  // At least once; duplicates can only come from messages consumed but not
  // yet committed when a queue moved. Reported, not asserted to be zero.
  RecordProperty("duplicates", static_cast<int>(deliveries - seen.size()));
  std::printf("rebalance: %zu deliveries for %d messages (%zu duplicates)\n", deliveries, kTotal, deliveries - seen.size());
}

TEST(SdkPushConsumer, BroadcastingDeliversAllToEveryMemberAndKeepsOffsetsLocally) {
  FakeCluster cluster({.brokers = 1, .queues = 4});
  cluster.create_topic("T");
  ferry::test::TempDir dir;
  auto conf_a = make_conf(cluster.name_servers(), {{"group", "BG"}, {"message_model", "broadcasting"},
                                                   {"consume_from", "first"}, {"offset_store_dir", dir.path().string() + "/a"}});
  auto conf_b = make_conf(cluster.name_servers(), {{"group", "BG"}, {"message_model", "broadcasting"},
                                                   {"consume_from", "first"}, {"offset_store_dir", dir.path().string() + "/b"}});
  Sink a, b;
  auto ca = start_push(conf_a, "T", &a);
  auto cb = start_push(conf_b, "T", &b);
  auto pconf = make_conf(cluster.name_servers());
  auto p = start_producer(pconf);
  send_n(p.get(), "T", 50);
  ASSERT_TRUE(ferry::test::wait_until([&] { return a.size() >= 50 && b.size() >= 50; }, 10s));
  char err[256];
  ASSERT_EQ(FERRY_OK, ferry_push_consumer_shutdown(ca.get(), err, sizeof err)) << err;
  EXPECT_TRUE(std::filesystem::exists(dir.path().string() + "/a/BG.offsets"));
  EXPECT_EQ(-1, cluster.committed(0, "BG", "T", 0));  // nothing at the broker
  // Restart a: it resumes from its file (nothing again), then gets new ones.
  Sink a2;
  auto ca2 = start_push(conf_a, "T", &a2);
  send_n(p.get(), "T", 5, "new");
  ASSERT_TRUE(ferry::test::wait_until([&] { return a2.size() >= 5; }, 10s));
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(5u, a2.size());
}

TEST(SdkPushConsumer, GracefulShutdownCommitsSoRestartRedeliversNothing) {
  FakeCluster cluster({.brokers = 1, .queues = 4});
  cluster.create_topic("T");
  auto conf = make_conf(cluster.name_servers(), {{"group", "SG"}, {"consume_from", "first"}, {"commit_interval_ms", "60000"}});
  auto pconf = make_conf(cluster.name_servers());
  auto p = start_producer(pconf);
  send_n(p.get(), "T", 100);
  char err[256];
  {
    Sink s;
    auto c = start_push(conf, "T", &s);
    ASSERT_TRUE(ferry::test::wait_until([&] { return s.size() >= 100; }, 10s));
    ASSERT_EQ(FERRY_OK, ferry_push_consumer_shutdown(c.get(), err, sizeof err)) << err;
  }
  Sink s2;
  auto c2 = start_push(conf, "T", &s2);
  send_n(p.get(), "T", 10, "after");
  ASSERT_TRUE(ferry::test::wait_until([&] { return s2.size() >= 10; }, 10s));
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(10u, s2.size()) << "re-delivered after a graceful restart";
  for (auto& b : s2.bodies) EXPECT_EQ(0u, b.rfind("after", 0)) << b;
}

// Clustering sends RECONSUME_LATER messages back to the broker (retry_test.cc
// runs that against a real ferryd). This fake broker answers SEND_BACK with
// UNKNOWN_REQUEST, as a broker without the retry flow would: the consumer
// falls back to retrying locally and the commit waits for the message.
TEST(SdkPushConsumer, ReconsumeLaterFallsBackToLocalRetryWhenTheBrokerRefusesSendBack) {
  FakeCluster cluster({.brokers = 1, .queues = 1});
  cluster.create_topic("T");
  auto conf = make_conf(cluster.name_servers(), {{"group", "RG"}, {"consume_from", "first"}, {"reconsume_delay_ms", "300"}});
  auto pconf = make_conf(cluster.name_servers());
  auto p = start_producer(pconf);
  Sink s;
  s.reconsume_first = 1;  // the first call (message m-0) asks for later
  auto c = start_push(conf, "T", &s);
  send_n(p.get(), "T", 5);
  ASSERT_TRUE(ferry::test::wait_until([&] { return s.size() >= 4; }, 10s));
  // While m-0 waits for its re-delivery, the commit stays at 0.
  std::this_thread::sleep_for(100ms);
  if (s.size() == 4) {
    EXPECT_LE(cluster.committed(0, "RG", "T", 0), 0);
  }
  ASSERT_TRUE(ferry::test::wait_until([&] { return s.size() >= 5; }, 10s));
  EXPECT_TRUE(ferry::test::wait_until([&] { return cluster.committed(0, "RG", "T", 0) == 5; }, 5s));
  std::set<std::string> all(s.bodies.begin(), s.bodies.end());
  EXPECT_TRUE(all.count("m-0"));
}

TEST(SdkPushConsumer, OrderlyKeepsKeyOrderAndSuspendRetriesTheSameMessage) {
  FakeCluster cluster({.brokers = 1, .queues = 4});
  cluster.create_topic("T");
  auto conf = make_conf(cluster.name_servers(), {{"group", "OG"}, {"consume_from", "first"}, {"reconsume_delay_ms", "50"}});
  auto pconf = make_conf(cluster.name_servers());
  auto p = start_producer(pconf);
  char err[256];
  constexpr int kKeys = 10, kPerKey = 30;
  for (int i = 0; i < kPerKey; ++i)
    for (int k = 0; k < kKeys; ++k) {
      std::string key = "k" + std::to_string(k);
      auto m = make_msg("T", key + ":" + std::to_string(i));
      ASSERT_EQ(FERRY_OK, ferry_producer_send_ordered(p.get(), m.get(), key.data(), key.size(), nullptr, err, sizeof err)) << err;
    }
  Sink s;
  s.suspend_first = 3;
  auto c = start_push(conf, "T", &s, true);
  ASSERT_TRUE(ferry::test::wait_until([&] { return s.size() >= kKeys * kPerKey; }, 15s));
  std::map<std::string, int> next;
  for (auto& b : s.bodies) {
    auto colon = b.find(':');
    std::string key = b.substr(0, colon);
    int seq = std::stoi(b.substr(colon + 1));
    EXPECT_EQ(next[key], seq) << "key " << key << " out of order";
    next[key] = seq + 1;
  }
  EXPECT_EQ(static_cast<size_t>(kKeys * kPerKey), s.size());  // SUSPEND skipped nothing, duplicated nothing
  // Per queue, offsets were delivered strictly increasing.
  for (auto& [q, offs] : s.offsets_by_queue)
    for (size_t i = 1; i < offs.size(); ++i) EXPECT_LT(offs[i - 1], offs[i]) << q;
}

}  // namespace
}  // namespace ferry::sdk::test

namespace ferry::sdk::test {
namespace {

// Heartbeats carry the subscriptions once per broker, then only their
// fingerprint; a broker that lost them (restart) asks, and gets them at once.
TEST(SdkPushConsumer, HeartbeatsCarrySubscriptionsOnlyWhenTheBrokerLacksThem) {
  FakeCluster cluster({.brokers = 2, .queues = 2});
  cluster.create_topic("T");
  auto conf = make_conf(cluster.name_servers(), {{"group", "HG"}, {"heartbeat_interval_ms", "50"}});
  Sink sink;
  auto c = start_push(conf, "T", &sink);
  for (int b = 0; b < 2; ++b)
    ASSERT_TRUE(ferry::test::wait_until([&] { return cluster.consumer_heartbeats(b).second >= 10; }, 10s));
  for (int b = 0; b < 2; ++b) EXPECT_EQ(1u, cluster.consumer_heartbeats(b).first) << "broker " << b;
  cluster.forget_subscriptions(0);
  auto before = cluster.consumer_heartbeats(0);
  ASSERT_TRUE(ferry::test::wait_until([&] { return cluster.consumer_heartbeats(0).second >= before.second + 10; }, 10s));
  EXPECT_EQ(2u, cluster.consumer_heartbeats(0).first);  // asked once, sent once
  EXPECT_EQ(1u, cluster.consumer_heartbeats(1).first);
}

}  // namespace
}  // namespace ferry::sdk::test
