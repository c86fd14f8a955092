// Producer against the in-process FakeCluster: every send mode, ordering by
// key, retries within one timeout, name-server failover, cached routes.
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "ferry_test/child_process.h"
#include "sdk_fixture.h"

namespace ferry::sdk::test {
namespace {

using namespace std::chrono_literals;

TEST(SdkProducer, SyncSendFillsTheResult) {
  FakeCluster cluster({});
  cluster.create_topic("T");
  auto conf = make_conf(cluster.name_servers());
  auto p = start_producer(conf);
  auto m = make_msg("T", "hello", "TagA", "order-1");
  ferry_send_result r = FERRY_STRUCT_INIT(ferry_send_result);
  char err[512];
  ASSERT_EQ(FERRY_OK, ferry_producer_send(p.get(), m.get(), &r, err, sizeof err)) << err;
  EXPECT_EQ(FERRY_OK, r.status);
  EXPECT_EQ(32u, std::strlen(r.msg_id));
  size_t id_len = 0;
  const char* id = ferry_message_msg_id(m.get(), &id_len);
  EXPECT_EQ(std::string(r.msg_id), std::string(id, id_len));
  EXPECT_EQ(32u, std::strlen(r.offset_msg_id));
  EXPECT_STREQ("broker-0", r.broker_name);
  EXPECT_GE(r.queue_id, 0);
  EXPECT_EQ(0, r.queue_offset);
  EXPECT_EQ(1u, r.attempts);
  EXPECT_EQ(1u, cluster.stored(0));
}

TEST(SdkProducer, AsyncCompletionsRunOnTheCallbackThread) {
  FakeCluster cluster({});
  cluster.create_topic("T");
  auto conf = make_conf(cluster.name_servers());
  auto p = start_producer(conf);
  struct Ctx {
    std::mutex mu;
    std::condition_variable cv;
    int ok = 0, failed = 0;
    std::set<std::thread::id> threads;
  } ctx;
  char err[256];
  constexpr int kN = 200;
  for (int i = 0; i < kN; ++i) {
    auto m = make_msg("T", "a" + std::to_string(i));
    ASSERT_EQ(FERRY_OK, ferry_producer_send_async(p.get(), m.get(), [](void* ud, ferry_status s, const ferry_send_result* r, const char*) {
      auto* c = static_cast<Ctx*>(ud);
      std::lock_guard lock(c->mu);
      (s == FERRY_OK && r->queue_offset >= 0 ? c->ok : c->failed)++;
      c->threads.insert(std::this_thread::get_id());
      c->cv.notify_all();
    }, &ctx, err, sizeof err)) << err;
    // The message is copied: destroying it right away is fine.
  }
  std::unique_lock lock(ctx.mu);
  ASSERT_TRUE(ctx.cv.wait_for(lock, 10s, [&] { return ctx.ok + ctx.failed == kN; }));
  EXPECT_EQ(kN, ctx.ok);
  ASSERT_EQ(1u, ctx.threads.size());  // one callback thread per client
  EXPECT_NE(std::this_thread::get_id(), *ctx.threads.begin());
  EXPECT_EQ(static_cast<size_t>(kN), cluster.stored(0));
}

TEST(SdkProducer, ShutdownWaitsForAsyncCallbacks) {
  FakeCluster cluster({});
  cluster.create_topic("T");
  auto conf = make_conf(cluster.name_servers());
  auto p = start_producer(conf);
  std::atomic<int> calls{0};
  char err[256];
  for (int i = 0; i < 50; ++i) {
    auto m = make_msg("T", "x");
    ASSERT_EQ(FERRY_OK, ferry_producer_send_async(p.get(), m.get(), [](void* ud, ferry_status, const ferry_send_result*, const char*) {
      ++*static_cast<std::atomic<int>*>(ud);
    }, &calls, err, sizeof err));
  }
  ASSERT_EQ(FERRY_OK, ferry_producer_shutdown(p.get(), err, sizeof err));
  EXPECT_EQ(50, calls.load());
}

TEST(SdkProducer, OnewayIsStored) {
  FakeCluster cluster({});
  cluster.create_topic("T");
  auto conf = make_conf(cluster.name_servers());
  auto p = start_producer(conf);
  char err[256];
  for (int i = 0; i < 20; ++i) {
    auto m = make_msg("T", "o");
    ASSERT_EQ(FERRY_OK, ferry_producer_send_oneway(p.get(), m.get(), err, sizeof err)) << err;
  }
  EXPECT_TRUE(ferry::test::wait_until([&] { return cluster.stored(0) == 20; }, 5s));
}

TEST(SdkProducer, BatchLandsInOneQueueInOrder) {
  FakeCluster cluster({});
  cluster.create_topic("T");
  auto conf = make_conf(cluster.name_servers());
  auto p = start_producer(conf);
  MsgBatch batch = make_batch("T", 10);
  std::vector<ferry_client_message*>& raw = batch.raw;
  ferry_send_result r = FERRY_STRUCT_INIT(ferry_send_result);
  char err[256];
  ASSERT_EQ(FERRY_OK, ferry_producer_send_batch(p.get(), raw.data(), raw.size(), &r, err, sizeof err)) << err;
  EXPECT_EQ(10u, cluster.stored(0, "T", r.queue_id));
  EXPECT_EQ(0, r.queue_offset);
  // Every message got its own unique id.
  std::set<std::string> ids;
  for (auto* m : raw) {
    size_t n = 0;
    const char* id = ferry_message_msg_id(m, &n);
    ids.insert(std::string(id, n));
  }
  EXPECT_EQ(10u, ids.size());
  // A batch of two topics is refused.
  auto other = make_msg("U", "x");
  raw.push_back(other.get());
  EXPECT_EQ(FERRY_E_INVALID_ARGUMENT, ferry_producer_send_batch(p.get(), raw.data(), raw.size(), &r, err, sizeof err));
}

TEST(SdkProducer, OrderedSendKeepsAKeyOnOneQueue) {
  FakeCluster cluster({.brokers = 2, .queues = 4});
  cluster.create_topic("T");
  auto conf = make_conf(cluster.name_servers());
  auto p = start_producer(conf);
  std::map<std::string, std::set<std::string>> queues_of_key;
  char err[256];
  for (int i = 0; i < 200; ++i) {
    std::string key = "key-" + std::to_string(i % 10);
    auto m = make_msg("T", key + ":" + std::to_string(i));
    ferry_send_result r = FERRY_STRUCT_INIT(ferry_send_result);
    ASSERT_EQ(FERRY_OK, ferry_producer_send_ordered(p.get(), m.get(), key.data(), key.size(), &r, err, sizeof err)) << err;
    queues_of_key[key].insert(std::string(r.broker_name) + "/" + std::to_string(r.queue_id));
  }
  std::set<std::string> used;
  for (auto& [k, qs] : queues_of_key) {
    EXPECT_EQ(1u, qs.size()) << k;
    used.insert(*qs.begin());
  }
  EXPECT_GT(used.size(), 1u);  // keys spread over queues
}

TEST(SdkProducer, SelectorPicksTheQueue) {
  FakeCluster cluster({.brokers = 1, .queues = 4});
  cluster.create_topic("T");
  auto conf = make_conf(cluster.name_servers());
  auto p = start_producer(conf);
  auto m = make_msg("T", "s");
  ferry_send_result r = FERRY_STRUCT_INIT(ferry_send_result);
  char err[256];
  size_t seen = 0;
  ASSERT_EQ(FERRY_OK, ferry_producer_send_select(p.get(), m.get(), [](void* ud, const ferry_client_message*, size_t n) -> size_t {
    *static_cast<size_t*>(ud) = n;
    return 2;
  }, &seen, &r, err, sizeof err)) << err;
  EXPECT_EQ(4u, seen);
  EXPECT_EQ(2, r.queue_id);
}

TEST(SdkProducer, SelectorCanAbortTheSend) {
  FakeCluster cluster({.brokers = 1, .queues = 4});
  cluster.create_topic("T");
  auto conf = make_conf(cluster.name_servers());
  auto p = start_producer(conf);
  auto m = make_msg("T", "never");
  char err[256] = "";
  EXPECT_EQ(FERRY_E_INVALID_ARGUMENT,
            ferry_producer_send_select(p.get(), m.get(), [](void*, const ferry_client_message*, size_t) -> size_t {
              return FERRY_SELECTOR_ABORT;
            }, nullptr, nullptr, err, sizeof err));
  EXPECT_STREQ("the queue selector aborted the send", err);
  EXPECT_EQ(0u, cluster.sends_received(0));
  EXPECT_EQ(0u, cluster.stored(0));
  // The message is untouched and can still be sent.
  ASSERT_EQ(FERRY_OK, ferry_producer_send(p.get(), m.get(), nullptr, err, sizeof err)) << err;
  EXPECT_EQ(1u, cluster.stored(0));
}

TEST(SdkProducer, RetriableFailureIsRetriedOnAnotherBroker) {
  FakeCluster cluster({.brokers = 2});
  cluster.create_topic("T");
  auto conf = make_conf(cluster.name_servers());
  auto p = start_producer(conf);
  char err[512];
  // Find which broker the next send goes to, then make it busy.
  cluster.fail_sends(0, 1000, FERRY_E_BUSY);
  for (int i = 0; i < 6; ++i) {
    auto m = make_msg("T", "r");
    ferry_send_result r = FERRY_STRUCT_INIT(ferry_send_result);
    ASSERT_EQ(FERRY_OK, ferry_producer_send(p.get(), m.get(), &r, err, sizeof err)) << err;
    EXPECT_STREQ("broker-1", r.broker_name);
  }
  EXPECT_EQ(6u, cluster.stored(1));
  EXPECT_EQ(0u, cluster.stored(0));
  // The busy broker was tried at most once: afterwards it was avoided.
  EXPECT_LE(cluster.sends_received(0), 1u);
}

TEST(SdkProducer, NonRetriableFailureIsReportedAtOnce) {
  FakeCluster cluster({.brokers = 2});
  cluster.create_topic("T");
  auto conf = make_conf(cluster.name_servers());
  auto p = start_producer(conf);
  cluster.fail_sends(0, 1000, FERRY_E_MESSAGE_TOO_LARGE);
  cluster.fail_sends(1, 1000, FERRY_E_MESSAGE_TOO_LARGE);
  auto m = make_msg("T", "r");
  ferry_send_result r = FERRY_STRUCT_INIT(ferry_send_result);
  char err[512];
  EXPECT_EQ(FERRY_E_MESSAGE_TOO_LARGE, ferry_producer_send(p.get(), m.get(), &r, err, sizeof err));
  EXPECT_EQ(1u, r.attempts);
  EXPECT_NE(nullptr, std::strstr(err, "injected failure")) << err;
}

TEST(SdkProducer, AllBrokersBusyEndsWithinOneTimeout) {
  FakeCluster cluster({.brokers = 2});
  cluster.create_topic("T");
  auto conf = make_conf(cluster.name_servers(), {{"send_retries", "3"}});
  auto p = start_producer(conf);
  cluster.fail_sends(0, 1000, FERRY_E_BUSY);
  cluster.fail_sends(1, 1000, FERRY_E_BUSY);
  auto m = make_msg("T", "r");
  ferry_send_result r = FERRY_STRUCT_INIT(ferry_send_result);
  char err[1024];
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(FERRY_E_BUSY, ferry_producer_send(p.get(), m.get(), &r, err, sizeof err));
  EXPECT_EQ(4u, r.attempts);  // 1 + send_retries
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);  // bounded by the one send timeout
}

TEST(SdkProducer, AsyncSendRetriesToo) {
  FakeCluster cluster({.brokers = 2});
  cluster.create_topic("T");
  auto conf = make_conf(cluster.name_servers());
  auto p = start_producer(conf);
  cluster.fail_sends(0, 1000, FERRY_E_BUSY);
  struct Ctx {
    std::atomic<int> ok{0}, bad{0};
  } ctx;
  char err[256];
  for (int i = 0; i < 10; ++i) {
    auto m = make_msg("T", "a");
    ASSERT_EQ(FERRY_OK, ferry_producer_send_async(p.get(), m.get(), [](void* ud, ferry_status s, const ferry_send_result*, const char*) {
      auto* c = static_cast<Ctx*>(ud);
      (s == FERRY_OK ? c->ok : c->bad)++;
    }, &ctx, err, sizeof err));
  }
  ASSERT_EQ(FERRY_OK, ferry_producer_shutdown(p.get(), err, sizeof err));
  EXPECT_EQ(10, ctx.ok.load());
  EXPECT_EQ(10u, cluster.stored(1));
}

TEST(SdkProducer, UnknownTopicIsNoRoute) {
  FakeCluster cluster({});
  auto conf = make_conf(cluster.name_servers());
  auto p = start_producer(conf);
  auto m = make_msg("Nope", "x");
  char err[512];
  EXPECT_EQ(FERRY_E_NO_ROUTE, ferry_producer_send(p.get(), m.get(), nullptr, err, sizeof err));
  EXPECT_NE(nullptr, std::strstr(err, "Nope")) << err;
}

TEST(SdkProducer, FailsOverBetweenNameServersAndKeepsCachedRoutes) {
  FakeCluster cluster({.brokers = 1, .name_servers = 2});
  cluster.create_topic("Known");
  cluster.create_topic("Later");
  cluster.create_topic("Never");
  auto conf = make_conf(cluster.name_servers(), {{"route_refresh_ms", "100"}});
  auto p = start_producer(conf);
  char err[1024];
  send_n(p.get(), "Known", 3);
  cluster.kill_name_server(0);
  // A new topic still resolves, through the second name server.
  send_n(p.get(), "Later", 3);
  cluster.kill_name_server(1);
  std::this_thread::sleep_for(300ms);  // several refreshes fail meanwhile
  // Every name server down: known topics keep working on cached routes...
  send_n(p.get(), "Known", 3);
  send_n(p.get(), "Later", 3);
  // ...and a new one fails clearly.
  auto m = make_msg("Never", "x");
  EXPECT_EQ(FERRY_E_NO_NAME_SERVER, ferry_producer_send(p.get(), m.get(), nullptr, err, sizeof err));
  EXPECT_NE(nullptr, std::strstr(err, "no name server answered")) << err;
  EXPECT_EQ(12u, cluster.stored(0));
}

TEST(SdkProducer, KeepsSendingWhenOneOfTwoBrokersDies) {
  FakeCluster cluster({.brokers = 2});
  cluster.create_topic("T");
  auto conf = make_conf(cluster.name_servers());
  auto p = start_producer(conf);
  send_n(p.get(), "T", 20);
  EXPECT_GT(cluster.stored(0), 0u);
  EXPECT_GT(cluster.stored(1), 0u);
  cluster.kill_broker(0);
  size_t before = cluster.stored(1);
  char err[512];
  for (int i = 0; i < 40; ++i) {
    auto m = make_msg("T", "after");
    ASSERT_EQ(FERRY_OK, ferry_producer_send(p.get(), m.get(), nullptr, err, sizeof err)) << i << ": " << err;
  }
  EXPECT_EQ(before + 40, cluster.stored(1));
}

// A connection dropped under a send, its broker the only one: the retry
// waits for the reconnect (within the send's timeout) instead of failing
// at once twice more while the transport reconnects — what killed
// CppBroker.RebalanceWhenAThirdJoinsAndOneLeavesLosesNothing's producer once.
TEST(SdkProducer, SyncSendWaitsForTheReconnectWhenItsOnlyBrokerDropsTheConnection) {
  FakeCluster cluster({});
  cluster.create_topic("T");
  auto conf = make_conf(cluster.name_servers());
  auto p = start_producer(conf);
  send_n(p.get(), "T", 3);
  cluster.drop_sends(0, 1);
  auto m = make_msg("T", "through the drop");
  ferry_send_result r = FERRY_STRUCT_INIT(ferry_send_result);
  char err[1024];
  ASSERT_EQ(FERRY_OK, ferry_producer_send(p.get(), m.get(), &r, err, sizeof err)) << err;
  EXPECT_EQ(2u, r.attempts);  // the dropped one, then one on the new connection
  EXPECT_STREQ("broker-0", r.broker_name);
  EXPECT_EQ(4u, cluster.stored(0));
  EXPECT_EQ(5u, cluster.sends_received(0));
}

TEST(SdkProducer, AsyncSendWaitsForTheReconnectToo) {
  FakeCluster cluster({});
  cluster.create_topic("T");
  auto conf = make_conf(cluster.name_servers());
  auto p = start_producer(conf);
  send_n(p.get(), "T", 1);
  cluster.drop_sends(0, 1);
  struct Ctx {
    std::atomic<int> ok{0}, bad{0};
    std::mutex mu;
    std::string errors;
  } ctx;
  char err[256];
  for (int i = 0; i < 5; ++i) {
    auto m = make_msg("T", "a");
    ASSERT_EQ(FERRY_OK, ferry_producer_send_async(p.get(), m.get(), [](void* ud, ferry_status s, const ferry_send_result*, const char* why) {
      auto* c = static_cast<Ctx*>(ud);
      if (s == FERRY_OK) {
        ++c->ok;
        return;
      }
      ++c->bad;
      std::lock_guard lock(c->mu);
      c->errors += std::string(why) + "; ";
    }, &ctx, err, sizeof err));
  }
  ASSERT_EQ(FERRY_OK, ferry_producer_shutdown(p.get(), err, sizeof err));
  EXPECT_EQ(5, ctx.ok.load()) << ctx.errors;
  EXPECT_EQ(6u, cluster.stored(0));
}

// ...and when the only broker is really gone, the send still fails clearly,
// naming it, well within its timeout (each retry ends at a refused
// reconnect attempt, not at the deadline).
TEST(SdkProducer, SendFailsClearlyWhenItsOnlyBrokerIsGone) {
  FakeCluster cluster({});
  cluster.create_topic("T");
  auto conf = make_conf(cluster.name_servers(), {{"send_timeout_ms", "10000"}});
  auto p = start_producer(conf);
  send_n(p.get(), "T", 3);
  std::string addr = cluster.broker_address(0);
  cluster.kill_broker(0);
  auto m = make_msg("T", "nowhere");
  ferry_send_result r = FERRY_STRUCT_INIT(ferry_send_result);
  char err[1024];
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(FERRY_E_NOT_CONNECTED, ferry_producer_send(p.get(), m.get(), &r, err, sizeof err)) << err;
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s) << err;  // half the timeout: refusals end it
  EXPECT_EQ(3u, r.attempts) << err;
  EXPECT_NE(nullptr, std::strstr(err, ("cannot connect to " + addr).c_str())) << err;
  EXPECT_EQ(3u, cluster.stored(0));
}

}  // namespace
}  // namespace ferry::sdk::test
