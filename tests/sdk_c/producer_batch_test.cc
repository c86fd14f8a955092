// Client-side batching of async sends (async_batch_* keys) and the sync
// hand-off without the I/O thread's wake-up (sync_io_spin_us), against the
// in-process FakeCluster: per-queue order, one result per message, retries,
// failures reaching every callback, concurrent sync senders.
#include <atomic>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "ferry_test/child_process.h"
#include "sdk_fixture.h"

namespace ferry::sdk::test {
namespace {

struct Result {
  ferry_status status = FERRY_E_INTERNAL;
  int32_t queue_id = -1;
  int64_t queue_offset = -1;
  std::string msg_id, broker, error;
  uint32_t attempts = 0;
  bool called = false;
};

// One slot per message; the callback writes its own slot.
struct Slots {
  std::vector<Result> r;
  std::atomic<int> calls{0};
  struct Ref {
    Slots* s;
    size_t i;
  };
  std::vector<Ref> refs;
  explicit Slots(size_t n) : r(n) {
    for (size_t i = 0; i < n; ++i) refs.push_back({this, i});
  }
  static void cb(void* ud, ferry_status st, const ferry_send_result* res, const char* err) {
    auto* ref = static_cast<Ref*>(ud);
    Result& x = ref->s->r[ref->i];
    x.called = true;
    x.status = st;
    x.queue_id = res->queue_id;
    x.queue_offset = res->queue_offset;
    x.msg_id = res->msg_id;
    x.broker = res->broker_name;
    x.attempts = res->attempts;
    x.error = err ? err : "";
    ref->s->calls++;
  }
};

// Sends n async messages "i" and returns their UNIQ_KEYs in send order.
std::vector<std::string> send_async_n(ferry_producer* p, const std::string& topic, Slots& slots) {
  std::vector<std::string> keys;
  char err[256];
  for (size_t i = 0; i < slots.r.size(); ++i) {
    auto m = make_msg(topic, std::to_string(i));
    EXPECT_EQ(FERRY_OK, ferry_producer_send_async(p, m.get(), &Slots::cb, &slots.refs[i], err, sizeof err)) << err;
    size_t len = 0;
    const char* id = ferry_message_msg_id(m.get(), &len);
    keys.emplace_back(id, len);
  }
  return keys;
}

Conf batch_conf(const FakeCluster& c, const std::string& max_messages, const std::string& linger_ms) {
  return make_conf(c.name_servers(), {{"async_batch_max_messages", max_messages},
                                      {"async_batch_linger_ms", linger_ms}});
}

TEST(SdkProducerBatching, AsyncSendsGoInBatchesKeepingQueueOrderAndTheirOwnResults) {
  FakeCluster cluster({.brokers = 1, .queues = 4});
  cluster.create_topic("T");
  auto p = start_producer(batch_conf(cluster, "16", "5"));
  send_n(p.get(), "T", 1);  // route cached
  size_t requests_before = cluster.sends_received(0);
  Slots slots(400);
  auto keys = send_async_n(p.get(), "T", slots);
  char err[256];
  ASSERT_EQ(FERRY_OK, ferry_producer_shutdown(p.get(), err, sizeof err)) << err;
  ASSERT_EQ(400, slots.calls.load());
  std::map<int32_t, int64_t> last;  // queue -> last offset seen, in send order
  std::set<std::pair<int32_t, int64_t>> positions;
  for (size_t i = 0; i < slots.r.size(); ++i) {
    const Result& x = slots.r[i];
    ASSERT_EQ(FERRY_OK, x.status) << i << ": " << x.error;
    EXPECT_EQ(keys[i], x.msg_id) << i;  // its own id, not the batch's first
    EXPECT_EQ("broker-0", x.broker);
    ASSERT_GE(x.queue_id, 0);
    auto it = last.find(x.queue_id);
    if (it != last.end()) {
      EXPECT_GT(x.queue_offset, it->second) << "message " << i << " out of order in queue " << x.queue_id;
    }
    last[x.queue_id] = x.queue_offset;
    EXPECT_TRUE(positions.insert({x.queue_id, x.queue_offset}).second) << "two results name one position";
  }
  EXPECT_EQ(401u, cluster.stored(0));
  size_t requests = cluster.sends_received(0) - requests_before;
  EXPECT_LT(requests, 400u) << "no batching happened";
  EXPECT_GE(requests, 25u) << "a batch exceeded async_batch_max_messages=16";
}

// Client-side batching on the wire: with async_batch_max_messages=64 and
// linger 0 (the setting compare.sh's batched runs use) a producer sends
// fewer requests than messages once its async sends reach the I/O thread
// together. Which sends meet is up to the scheduler, so bursts are sent
// until one batched (at most 20). With no batch keys (libferry's default,
// off) and with async_batch_max_messages=1: one request per message, exactly.
TEST(SdkProducerBatching, BatchesOnlyWhenOnAndOffByDefault) {
  FakeCluster cluster({.brokers = 1, .queues = 4});
  cluster.create_topic("T");
  constexpr size_t kBurst = 500;
  char err[256];
  size_t stored = 0;
  bool batched = false;
  for (int burst = 0; burst < 20 && !batched; ++burst) {
    auto p = start_producer(batch_conf(cluster, "64", "0"));
    send_n(p.get(), "T", 1);  // route cached
    ++stored;
    const size_t before = cluster.sends_received(0);
    Slots slots(kBurst);
    send_async_n(p.get(), "T", slots);
    ASSERT_EQ(FERRY_OK, ferry_producer_shutdown(p.get(), err, sizeof err)) << err;
    ASSERT_EQ(static_cast<int>(kBurst), slots.calls.load());
    for (const auto& x : slots.r) ASSERT_EQ(FERRY_OK, x.status) << x.error;
    stored += kBurst;
    ASSERT_EQ(stored, cluster.stored(0));
    batched = cluster.sends_received(0) - before < kBurst;
  }
  EXPECT_TRUE(batched) << "no async send of 20 bursts went in a batch with async_batch_max_messages=64";

  std::vector<Conf> offs;
  offs.push_back(make_conf(cluster.name_servers()));
  offs.push_back(make_conf(cluster.name_servers(), {{"async_batch_max_messages", "1"}}));
  for (const Conf& conf : offs) {
    auto off = start_producer(conf);
    send_n(off.get(), "T", 1);
    const size_t before = cluster.sends_received(0);
    Slots slots(kBurst);
    send_async_n(off.get(), "T", slots);
    ASSERT_EQ(FERRY_OK, ferry_producer_shutdown(off.get(), err, sizeof err)) << err;
    ASSERT_EQ(static_cast<int>(kBurst), slots.calls.load());
    for (const auto& x : slots.r) EXPECT_EQ(FERRY_OK, x.status) << x.error;
    EXPECT_EQ(kBurst, cluster.sends_received(0) - before) << "batched while off";
  }
}

// With batching on, only single async sends are batched: sync, ordered,
// oneway and explicit batch sends stay one request each (and an explicit
// batch one request for all its messages).
TEST(SdkProducerBatching, OtherSendsAreOneRequestEachWithBatchingOn) {
  FakeCluster cluster({.brokers = 1, .queues = 4});
  cluster.create_topic("T");
  auto p = start_producer(batch_conf(cluster, "64", "0"));
  send_n(p.get(), "T", 1);
  char err[256];
  size_t before = cluster.sends_received(0);
  send_n(p.get(), "T", 20);
  EXPECT_EQ(20u, cluster.sends_received(0) - before) << "sync";
  before = cluster.sends_received(0);
  for (int i = 0; i < 20; ++i) {
    auto m = make_msg("T", "o" + std::to_string(i));
    ferry_send_result r = FERRY_STRUCT_INIT(ferry_send_result);
    ASSERT_EQ(FERRY_OK, ferry_producer_send_ordered(p.get(), m.get(), "k", 1, &r, err, sizeof err)) << err;
  }
  EXPECT_EQ(20u, cluster.sends_received(0) - before) << "ordered";
  before = cluster.sends_received(0);
  MsgBatch batch = make_batch("T", 10);
  std::vector<ferry_client_message*>& raw = batch.raw;
  ferry_send_result r = FERRY_STRUCT_INIT(ferry_send_result);
  ASSERT_EQ(FERRY_OK, ferry_producer_send_batch(p.get(), raw.data(), raw.size(), &r, err, sizeof err)) << err;
  EXPECT_EQ(1u, cluster.sends_received(0) - before) << "explicit batch";
  EXPECT_EQ(10u, cluster.stored(0, "T", r.queue_id) - static_cast<size_t>(r.queue_offset)) << "explicit batch in one queue";
  before = cluster.sends_received(0);
  const size_t stored = cluster.stored(0);
  for (int i = 0; i < 20; ++i) {
    auto m = make_msg("T", "w" + std::to_string(i));
    ASSERT_EQ(FERRY_OK, ferry_producer_send_oneway(p.get(), m.get(), err, sizeof err)) << err;
  }
  ASSERT_TRUE(ferry::test::wait_until([&] { return cluster.stored(0) == stored + 20; }, std::chrono::seconds(5)));
  EXPECT_EQ(20u, cluster.sends_received(0) - before) << "oneway";
}

TEST(SdkProducerBatching, LingerZeroStillDeliversEverything) {
  FakeCluster cluster({.brokers = 1, .queues = 4});
  cluster.create_topic("T");
  auto p = start_producer(batch_conf(cluster, "64", "0"));
  Slots slots(300);
  send_async_n(p.get(), "T", slots);
  char err[256];
  ASSERT_EQ(FERRY_OK, ferry_producer_shutdown(p.get(), err, sizeof err)) << err;
  ASSERT_EQ(300, slots.calls.load());
  for (const auto& x : slots.r) EXPECT_EQ(FERRY_OK, x.status) << x.error;
  EXPECT_EQ(300u, cluster.stored(0));
}

TEST(SdkProducerBatching, ByteBoundSplitsBatches) {
  FakeCluster cluster({.brokers = 1, .queues = 4});
  cluster.create_topic("T");
  auto p = start_producer(make_conf(cluster.name_servers(), {{"async_batch_max_messages", "1000"},
                                                             {"async_batch_max_bytes", "1"},
                                                             {"async_batch_linger_ms", "50"}}));
  send_n(p.get(), "T", 1);
  size_t before = cluster.sends_received(0);
  Slots slots(20);
  send_async_n(p.get(), "T", slots);
  char err[256];
  ASSERT_EQ(FERRY_OK, ferry_producer_shutdown(p.get(), err, sizeof err)) << err;
  for (const auto& x : slots.r) EXPECT_EQ(FERRY_OK, x.status) << x.error;
  // Every message reaches the byte bound alone: one request each.
  EXPECT_EQ(20u, cluster.sends_received(0) - before);
}

TEST(SdkProducerBatching, RetriableFailureRetriesTheBatchOnAnotherBroker) {
  FakeCluster cluster({.brokers = 2});
  cluster.create_topic("T");
  auto p = start_producer(batch_conf(cluster, "32", "5"));
  cluster.fail_sends(0, 1000, FERRY_E_BUSY);
  Slots slots(100);
  send_async_n(p.get(), "T", slots);
  char err[256];
  ASSERT_EQ(FERRY_OK, ferry_producer_shutdown(p.get(), err, sizeof err)) << err;
  ASSERT_EQ(100, slots.calls.load());
  bool retried = false;
  for (const auto& x : slots.r) {
    EXPECT_EQ(FERRY_OK, x.status) << x.error;
    EXPECT_EQ("broker-1", x.broker);
    retried = retried || x.attempts > 1;
  }
  EXPECT_TRUE(retried);
  EXPECT_EQ(0u, cluster.stored(0));
  EXPECT_EQ(100u, cluster.stored(1));
}

TEST(SdkProducerBatching, NonRetriableFailureReachesEveryCallback) {
  FakeCluster cluster({.brokers = 2});
  cluster.create_topic("T");
  auto p = start_producer(batch_conf(cluster, "32", "5"));
  cluster.fail_sends(0, 1000, FERRY_E_MESSAGE_TOO_LARGE);
  cluster.fail_sends(1, 1000, FERRY_E_MESSAGE_TOO_LARGE);
  Slots slots(50);
  send_async_n(p.get(), "T", slots);
  char err[256];
  ASSERT_EQ(FERRY_OK, ferry_producer_shutdown(p.get(), err, sizeof err)) << err;
  ASSERT_EQ(50, slots.calls.load());
  for (const auto& x : slots.r) {
    EXPECT_EQ(FERRY_E_MESSAGE_TOO_LARGE, x.status);
    EXPECT_FALSE(x.error.empty());
  }
}

TEST(SdkProducerBatching, BadBatchKeysAreRejected) {
  auto* c = ferry_config_new();
  char err[256];
  EXPECT_EQ(FERRY_E_CONFIG, ferry_config_set(c, "async_batch_max_messages", "0", err, sizeof err));
  EXPECT_NE(nullptr, std::strstr(err, "async_batch_max_messages")) << err;
  EXPECT_EQ(FERRY_E_CONFIG, ferry_config_set(c, "async_batch_max_bytes", "0", err, sizeof err));
  EXPECT_EQ(FERRY_E_CONFIG, ferry_config_set(c, "async_batch_linger_ms", "x", err, sizeof err));
  EXPECT_EQ(FERRY_E_CONFIG, ferry_config_set(c, "sync_io_spin_us", "100000", err, sizeof err));
  EXPECT_EQ(FERRY_OK, ferry_config_set(c, "async_batch_max_messages", "64", err, sizeof err)) << err;
  ferry_config_destroy(c);
}

// A linger at or past the send timeout would time out every batched send
// before it went: refused when the producer is made, naming both keys.
TEST(SdkProducerBatching, ALingerAtOrPastTheSendTimeoutIsRefused) {
  char err[256];
  auto made = [&](const char* batch, const char* linger) {
    auto conf = make_conf("127.0.0.1:1", {{"async_batch_max_messages", batch},
                                          {"async_batch_linger_ms", linger},
                                          {"send_timeout_ms", "3000"}});
    ferry_producer* p = nullptr;
    ferry_status st = ferry_producer_new(conf.get(), &p, err, sizeof err);
    ferry_producer_destroy(p);
    return st;
  };
  EXPECT_EQ(FERRY_E_CONFIG, made("64", "3000"));
  EXPECT_NE(nullptr, std::strstr(err, "async_batch_linger_ms (3000) must be below send_timeout_ms (3000)")) << err;
  EXPECT_EQ(FERRY_E_CONFIG, made("64", "10000"));
  EXPECT_EQ(FERRY_OK, made("64", "2999")) << err;
  EXPECT_EQ(FERRY_OK, made("1", "10000")) << err;  // batching off: the linger is never used
}

TEST(SdkProducerSyncSpin, ConcurrentSyncSendersAllComplete) {
  FakeCluster cluster({.brokers = 1, .queues = 4});
  cluster.create_topic("T");
  auto p = start_producer(make_conf(cluster.name_servers(), {{"sync_io_spin_us", "200"}}));
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t)
    threads.emplace_back([&] {
      char err[256];
      for (int i = 0; i < 300; ++i) {
        auto m = make_msg("T", "s");
        if (ferry_producer_send(p.get(), m.get(), nullptr, err, sizeof err) == FERRY_OK) ok++;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(900, ok.load());
  EXPECT_EQ(900u, cluster.stored(0));
  char err[256];
  EXPECT_EQ(FERRY_OK, ferry_producer_shutdown(p.get(), err, sizeof err));
  auto m = make_msg("T", "late");
  EXPECT_EQ(FERRY_E_CLOSED, ferry_producer_send(p.get(), m.get(), nullptr, err, sizeof err));
}

}  // namespace
}  // namespace ferry::sdk::test
