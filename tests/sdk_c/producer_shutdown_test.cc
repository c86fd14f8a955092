// Producer shutdown with client-side batching: every async send the producer
// accepted gets exactly one callback — FERRY_OK or an error that says why —
// and batches still waiting for their linger go out at once instead of
// being sat out. Against
// the in-process FakeCluster; a 10 s linger makes "at once" plain without
// measuring anything finer than seconds.
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "ferry_test/child_process.h"
#include "sdk_fixture.h"

namespace ferry::sdk::test {
namespace {

// One slot per accepted send; the callback counts its own slot, so a lost
// callback and a second one both show.
struct Calls {
  struct Slot {
    std::atomic<int> n{0};
    std::atomic<int> status{-1};
    std::string error;  // written by the slot's first callback only
  };
  std::unique_ptr<Slot[]> slots;
  size_t size;
  explicit Calls(size_t n) : slots(new Slot[n]), size(n) {}
  static void cb(void* ud, ferry_status st, const ferry_send_result*, const char* err) {
    auto* s = static_cast<Slot*>(ud);
    if (s->n.fetch_add(1) == 0) {
      s->error = err ? err : "";
      s->status.store(st);
    }
  }
  size_t called_once(size_t upto) const {
    size_t k = 0;
    for (size_t i = 0; i < upto; ++i) k += slots[i].n.load() == 1;
    return k;
  }
  size_t called_twice(size_t upto) const {
    size_t k = 0;
    for (size_t i = 0; i < upto; ++i) k += slots[i].n.load() > 1;
    return k;
  }
};

void send_async(ferry_producer* p, const std::string& topic, Calls& calls, size_t i) {
  auto m = make_msg(topic, "m" + std::to_string(i));
  char err[256];
  ASSERT_EQ(FERRY_OK, ferry_producer_send_async(p, m.get(), &Calls::cb, &calls.slots[i], err, sizeof err)) << err;
}

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// A 10 s linger (send timeout 20 s: the producer refuses a linger at or
// past it) goes out at shutdown at once instead of being sat out. (Before
// the linger was bounded by the send timeout, a linger longer than
// shutdown's wait lost its timer at stop and no callback ever ran.)
// Callbacks on the callback thread and on the I/O thread
// (callback_on_io_thread).
class SdkProducerShutdownOn : public ::testing::TestWithParam<const char*> {};

TEST_P(SdkProducerShutdownOn, LingeringBatchGoesOutAtOnceAndEverySendIsAnswered) {
  FakeCluster cluster({.brokers = 1, .queues = 4});
  cluster.create_topic("T");
  auto p = start_producer(make_conf(cluster.name_servers(), {{"async_batch_max_messages", "64"},
                                                             {"async_batch_linger_ms", "10000"},
                                                             {"send_timeout_ms", "20000"},
                                                             {"callback_on_io_thread", GetParam()}}));
  send_n(p.get(), "T", 1);  // route cached
  constexpr size_t kN = 20;  // under the batch bound: only the linger (or shutdown) sends them
  Calls calls(kN);
  for (size_t i = 0; i < kN; ++i) send_async(p.get(), "T", calls, i);
  char err[256];
  auto t0 = Clock::now();
  ASSERT_EQ(FERRY_OK, ferry_producer_shutdown(p.get(), err, sizeof err)) << err;
  const double took = seconds_since(t0);
  EXPECT_EQ(kN, calls.called_once(kN)) << "sends without their callback after shutdown";
  EXPECT_EQ(0u, calls.called_twice(kN));
  for (size_t i = 0; i < kN; ++i)
    EXPECT_EQ(FERRY_OK, calls.slots[i].status.load()) << i << ": " << calls.slots[i].error;
  EXPECT_EQ(kN + 1, cluster.stored(0));
  EXPECT_LT(took, 5.0) << "shutdown waited for the 10 s linger instead of flushing";
}

// A linger shorter than shutdown's wait was sat out: the batches of every
// topic go at once instead.
TEST(SdkProducerShutdown, DoesNotSitOutTheLingerOfAnyTopic) {
  FakeCluster cluster({.brokers = 1, .queues = 4});
  for (const char* t : {"A", "B", "C"}) cluster.create_topic(t);
  // send_timeout 30 s: the wait (33 s) would cover the 10 s linger.
  auto p = start_producer(make_conf(cluster.name_servers(), {{"async_batch_max_messages", "64"},
                                                             {"async_batch_linger_ms", "10000"},
                                                             {"send_timeout_ms", "30000"}}));
  for (const char* t : {"A", "B", "C"}) send_n(p.get(), t, 1);
  constexpr size_t kN = 30;
  Calls calls(kN);
  const char* topics[] = {"A", "B", "C"};
  for (size_t i = 0; i < kN; ++i) send_async(p.get(), topics[i % 3], calls, i);
  char err[256];
  auto t0 = Clock::now();
  ASSERT_EQ(FERRY_OK, ferry_producer_shutdown(p.get(), err, sizeof err)) << err;
  const double took = seconds_since(t0);
  EXPECT_EQ(kN, calls.called_once(kN));
  for (size_t i = 0; i < kN; ++i)
    EXPECT_EQ(FERRY_OK, calls.slots[i].status.load()) << i << ": " << calls.slots[i].error;
  EXPECT_EQ(kN + 3, cluster.stored(0));
  EXPECT_LT(took, 5.0) << "shutdown sat out the 10 s linger";
}

// A broker that reads the batch and never answers: every send still gets
// one callback, an error naming the timeout, after the send timeout.
TEST(SdkProducerShutdown, SilentBrokerFailsEveryLingeringSendOnceWithAReason) {
  FakeCluster cluster({.brokers = 1, .queues = 4});
  cluster.create_topic("T");
  auto p = start_producer(make_conf(cluster.name_servers(), {{"async_batch_max_messages", "64"},
                                                             {"async_batch_linger_ms", "2000"}}));
  send_n(p.get(), "T", 1);
  cluster.stall_sends(0, 1000);
  constexpr size_t kN = 20;
  Calls calls(kN);
  for (size_t i = 0; i < kN; ++i) send_async(p.get(), "T", calls, i);
  char err[256];
  ASSERT_EQ(FERRY_OK, ferry_producer_shutdown(p.get(), err, sizeof err)) << err;
  EXPECT_EQ(kN, calls.called_once(kN)) << "sends without their callback after shutdown";
  EXPECT_EQ(0u, calls.called_twice(kN));
  for (size_t i = 0; i < kN; ++i) {
    EXPECT_EQ(FERRY_E_TIMEOUT, calls.slots[i].status.load()) << i << ": " << calls.slots[i].error;
    EXPECT_NE(std::string::npos, calls.slots[i].error.find("timed out")) << calls.slots[i].error;
  }
}

// Sends racing shutdown from other threads: each one the producer accepted
// (FERRY_OK) gets exactly one callback, each it refused (FERRY_E_CLOSED)
// none — whether it was waiting in a batch, on its way to the I/O thread,
// or in flight when shutdown began.
TEST_P(SdkProducerShutdownOn, SendsRacingShutdownEachGetExactlyOneCallback) {
  FakeCluster cluster({.brokers = 1, .queues = 4});
  for (const char* t : {"A", "B"}) cluster.create_topic(t);
  auto p = start_producer(make_conf(cluster.name_servers(), {{"async_batch_max_messages", "64"},
                                                             {"async_batch_linger_ms", "10000"},
                                                             {"send_timeout_ms", "20000"},
                                                             {"callback_on_io_thread", GetParam()}}));
  for (const char* t : {"A", "B"}) send_n(p.get(), t, 1);
  constexpr size_t kPerThread = 50000;
  Calls calls(2 * kPerThread);
  std::atomic<size_t> accepted[2] = {0, 0};
  std::atomic<size_t> total{0};
  std::vector<std::thread> senders;
  for (size_t t = 0; t < 2; ++t)
    senders.emplace_back([&, t] {
      const std::string topic = t == 0 ? "A" : "B";
      char err[256];
      for (size_t i = 0; i < kPerThread; ++i) {
        auto m = make_msg(topic, "r");
        ferry_status st = ferry_producer_send_async(p.get(), m.get(), &Calls::cb, &calls.slots[t * kPerThread + i],
                                                    err, sizeof err);
        if (st != FERRY_OK) {
          EXPECT_EQ(FERRY_E_CLOSED, st) << err;
          return;
        }
        accepted[t].store(i + 1);
        total++;
      }
    });
  ASSERT_TRUE(ferry::test::wait_until([&] { return total.load() >= 2000; }, std::chrono::seconds(30)));
  char err[256];
  ASSERT_EQ(FERRY_OK, ferry_producer_shutdown(p.get(), err, sizeof err)) << err;
  for (auto& s : senders) s.join();
  size_t ok = 0, wrong = 0;
  for (size_t t = 0; t < 2; ++t) {
    const size_t n = accepted[t].load();
    EXPECT_EQ(n, calls.called_once(t * kPerThread + n) - calls.called_once(t * kPerThread))
        << "thread " << t << ": accepted sends without exactly one callback";
    for (size_t i = t * kPerThread; i < t * kPerThread + n; ++i) {
      int st = calls.slots[i].status.load();
      if (st == FERRY_OK) ++ok;
      else if (st != FERRY_E_CLOSED) ++wrong;
    }
    for (size_t i = t * kPerThread + n; i < (t + 1) * kPerThread; ++i)
      ASSERT_EQ(0, calls.slots[i].n.load()) << "a refused send got a callback";
  }
  EXPECT_EQ(0u, wrong) << "an accepted send ended with neither FERRY_OK nor FERRY_E_CLOSED";
  // A send cut by the stop (FERRY_E_CLOSED) may still have been stored.
  EXPECT_LE(ok + 2, cluster.stored(0));
}

INSTANTIATE_TEST_SUITE_P(CallbackThread, SdkProducerShutdownOn, ::testing::Values("false", "true"),
                         [](const ::testing::TestParamInfo<const char*>& p) {
                           return std::string(p.param[0] == 't' ? "IoThread" : "CallbackThread");
                         });

}  // namespace
}  // namespace ferry::sdk::test
