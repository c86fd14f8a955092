// The C++ wrapper against a real ferryd: every send mode, both consumer
// kinds, both message models, a throwing listener that loses nothing, and
// graceful shutdown that commits (a restart re-delivers nothing).
#include <gtest/gtest.h>
#include <pthread.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <thread>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "ferryd_fixture.h"

namespace ferry::test {
namespace {

using namespace std::chrono_literals;

// Bodies received by a listener, thread-safe.
struct Received {
  std::mutex mu;
  std::vector<std::string> bodies;
  void add(const ferry::MessageList& msgs) {
    std::lock_guard<std::mutex> lock(mu);
    for (ferry::MessageView m : msgs) bodies.emplace_back(m.body());
  }
  std::set<std::string> set() {
    std::lock_guard<std::mutex> lock(mu);
    return {bodies.begin(), bodies.end()};
  }
  size_t size() {
    std::lock_guard<std::mutex> lock(mu);
    return bodies.size();
  }
};

class CppBroker : public BrokerTest {
 protected:
  std::set<std::string> send_n(const std::string& topic, int n, const std::string& prefix = "m") {
    auto producer = producer_builder("cpp_src").build();
    std::set<std::string> sent;
    for (int i = 0; i < n; ++i) {
      std::string body = prefix + " " + std::to_string(i);
      producer.send(ferry::Message(topic, body));
      sent.insert(body);
    }
    return sent;
  }
  // The first `n` messages of `topic` as (body, queue, offset), via a pull consumer.
  std::vector<std::tuple<std::string, int32_t, int64_t>> read_n(const std::string& topic, size_t n) {
    ferry::PullConsumerBuilder b;
    consumer_setup(b, "cpp_reader_" + topic).subscribe(topic);
    auto consumer = b.build();
    std::vector<std::tuple<std::string, int32_t, int64_t>> out;
    wait_until(
        [&] {
          for (const ferry::Message& m : consumer.poll(200ms)) out.emplace_back(std::string(m.body()), m.queue_id(), m.queue_offset());
          return out.size() >= n;
        },
        20s, 1ms);
    return out;
  }
};

TEST_F(CppBroker, SyncSendReadBack) {
  std::string topic;
  make_topic(&topic);
  if (IsSkipped()) return;
  auto producer = producer_builder("cpp_sync").build();
  ferry::Message msg(topic, std::string("\0sync\xff", 6));
  msg.set_tags("TagA").set_keys("k1 k2");
  ferry::SendResult r = producer.send(msg);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.msg_id(), msg.msg_id());
  EXPECT_FALSE(r.offset_msg_id().empty());
  auto got = read_n(topic, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(std::get<0>(got[0]), std::string("\0sync\xff", 6));
  EXPECT_EQ(std::get<1>(got[0]), r.queue_id());
  EXPECT_EQ(std::get<2>(got[0]), r.queue_offset());
}

TEST_F(CppBroker, AsyncSendsAllComplete) {
  std::string topic;
  make_topic(&topic);
  if (IsSkipped()) return;
  std::atomic<int> ok{0}, failed{0};
  auto producer = producer_builder("cpp_async").build();
  for (int i = 0; i < 200; ++i)
    producer.send_async(ferry::Message(topic, "async " + std::to_string(i)),
                        [&](const ferry::SendResult& r) { ++(r.ok() ? ok : failed); });
  producer.shutdown();  // waits for the callbacks
  EXPECT_EQ(ok.load(), 200);
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(read_n(topic, 200).size(), 200u);
}

// callback_on_io_thread through the C++ builder, against a real ferryd:
// every send completes once, OK, on the producer's I/O thread; all stored.
TEST_F(CppBroker, AsyncCallbacksOnTheIoThreadAllComplete) {
  std::string topic;
  make_topic(&topic);
  if (IsSkipped()) return;
  std::atomic<int> ok{0}, failed{0};
  std::mutex mu;
  std::set<std::string> threads;
  auto producer = producer_builder("cpp_async_io").async_batching(64).callback_on_io_thread(true).build();
  for (int i = 0; i < 300; ++i)
    producer.send_async(ferry::Message(topic, "io " + std::to_string(i)), [&](const ferry::SendResult& r) {
      char name[32] = "";
      ::pthread_getname_np(::pthread_self(), name, sizeof name);
      {
        std::lock_guard<std::mutex> lock(mu);
        threads.insert(name);
      }
      ++(r.ok() ? ok : failed);
    });
  producer.shutdown();  // waits for the callbacks
  EXPECT_EQ(ok.load(), 300);
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(threads, std::set<std::string>{"ferry-io"});
  EXPECT_EQ(read_n(topic, 300).size(), 300u);
}

TEST_F(CppBroker, BatchedAsyncSendsEachGetTheirOwnResultInQueueOrder) {
  std::string topic;
  make_topic(&topic);
  if (IsSkipped()) return;
  std::mutex mu;
  std::map<int, std::pair<int, int64_t>> where;  // i -> (queue, offset)
  std::set<std::string> ids;
  std::atomic<int> failed{0};
  auto producer = producer_builder("cpp_async_batched").async_batching(32, 262144, 2).build();
  for (int i = 0; i < 300; ++i)
    producer.send_async(ferry::Message(topic, "batched " + std::to_string(i)), [&, i](const ferry::SendResult& r) {
      if (!r.ok()) {
        ++failed;
        return;
      }
      std::lock_guard l(mu);
      where[i] = {r.queue_id(), r.queue_offset()};
      ids.insert(std::string(r.msg_id()));
    });
  producer.shutdown();
  EXPECT_EQ(failed.load(), 0);
  ASSERT_EQ(where.size(), 300u);
  EXPECT_EQ(ids.size(), 300u);  // every send its own id
  std::map<int, int64_t> last;
  for (const auto& [i, qo] : where) {
    auto it = last.find(qo.first);
    if (it != last.end()) {
      EXPECT_GT(qo.second, it->second) << "send " << i << " out of order in queue " << qo.first;
    }
    last[qo.first] = qo.second;
  }
  // Each stored body is the one sent with the result it got: a batch's
  // bodies travel as its members' own buffers (one slice each), so a body
  // in the wrong place or of the wrong length would show here.
  std::map<std::pair<int32_t, int64_t>, std::string> stored;
  for (const auto& [body, q, off] : read_n(topic, 300)) stored[{q, off}] = body;
  EXPECT_EQ(stored.size(), 300u);
  for (const auto& [i, qo] : where) {
    const std::string& body = stored[qo];
    EXPECT_EQ(body, "batched " + std::to_string(i)) << i;
  }
}

TEST_F(CppBroker, OnewaySendsArrive) {
  std::string topic;
  make_topic(&topic);
  if (IsSkipped()) return;
  auto producer = producer_builder("cpp_oneway").build();
  for (int i = 0; i < 20; ++i) producer.send_oneway(ferry::Message(topic, "oneway " + std::to_string(i)));
  EXPECT_EQ(read_n(topic, 20).size(), 20u);
}

TEST_F(CppBroker, BatchLandsInOneQueueInOrder) {
  std::string topic;
  make_topic(&topic);
  if (IsSkipped()) return;
  auto producer = producer_builder("cpp_batch").build();
  std::vector<ferry::Message> batch;
  for (int i = 0; i < 10; ++i) batch.emplace_back(topic, "batch " + std::to_string(i));
  ferry::SendResult r = producer.send_batch(batch);
  auto got = read_n(topic, 10);
  ASSERT_EQ(got.size(), 10u);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(std::get<0>(got[i]), "batch " + std::to_string(i));
    EXPECT_EQ(std::get<1>(got[i]), r.queue_id());
    EXPECT_EQ(std::get<2>(got[i]), r.queue_offset() + i);
  }
}

TEST_F(CppBroker, OrderedSendKeepsAKeyOnOneQueueAndSelectorPicks) {
  std::string topic;
  make_topic(&topic, 8);
  if (IsSkipped()) return;
  auto producer = producer_builder("cpp_ordered").build();
  std::map<std::string, std::set<int32_t>> queues;
  for (int n = 0; n < 10; ++n)
    for (const char* key : {"alpha", "beta", "gamma"})
      queues[key].insert(producer.send_ordered(ferry::Message(topic, "x"), key).queue_id());
  for (auto& [key, qs] : queues) EXPECT_EQ(qs.size(), 1u) << key;
  auto r = producer.send_select(ferry::Message(topic, "x"), [](ferry::MessageView, size_t n) { return n - 1; });
  EXPECT_EQ(r.queue_id(), 7);
}

TEST_F(CppBroker, ThrowingSelectorSendsNothing) {
  std::string topic;
  make_topic(&topic, 2);
  if (IsSkipped()) return;
  auto producer = producer_builder("cpp_selector").build();
  EXPECT_THROW(producer.send_select(ferry::Message(topic, "never"),
                                    [](ferry::MessageView, size_t) -> size_t { throw std::runtime_error("no"); }),
               std::runtime_error);
  producer.send(ferry::Message(topic, "after"));
  std::vector<std::string> bodies;
  ferry::PullConsumerBuilder b;
  consumer_setup(b, "cpp_selector_reader").subscribe(topic);
  auto consumer = b.build();
  // Asking for two within 3 s: only the second send is there.
  wait_until([&] {
    for (const ferry::Message& m : consumer.poll(200ms)) bodies.emplace_back(m.body());
    return bodies.size() >= 2;
  }, 3s);
  EXPECT_EQ(bodies, std::vector<std::string>{"after"});
}

TEST_F(CppBroker, RebalanceWhenAThirdJoinsAndOneLeavesLosesNothing) {
  std::string topic;
  make_topic(&topic, 6);
  if (IsSkipped()) return;
  constexpr int kTotal = 3000;
  Received a, b, c;
  auto make = [&](Received& into) {
    ferry::PushConsumerBuilder builder;
    consumer_setup(builder, "cpp_rebalance").set("rebalance_interval_ms", "500").set("commit_interval_ms", "1000")
        .subscribe(topic).listener([&into](const ferry::MessageList& msgs) {
          into.add(msgs);
          return ferry::ConsumeStatus::Success;
        });
    return builder.build();
  };
  auto ca = make(a);
  auto cb = make(b);
  std::atomic<int> sent{0};
  std::thread producer_thread([&] {
    auto producer = producer_builder("cpp_rebalance_src").build();
    for (int i = 0; i < kTotal; ++i, ++sent) producer.send(ferry::Message(topic, "r " + std::to_string(i)));
  });
  EXPECT_TRUE(wait_until([&] { return sent >= kTotal / 4; }, 60s));
  auto cc = make(c);  // a third member joins mid-stream
  EXPECT_TRUE(wait_until([&] { return cc.queue_count() == 2; }, 20s)) << cc.queue_count();
  EXPECT_TRUE(wait_until([&] { return sent >= kTotal / 2; }, 60s));
  ca.shutdown();  // one leaves
  producer_thread.join();
  std::set<std::string> unique;
  bool all = wait_until([&] {
    unique.clear();
    for (Received* r : {&a, &b, &c}) {
      auto s = r->set();
      unique.insert(s.begin(), s.end());
    }
    return unique.size() == static_cast<size_t>(kTotal);
  }, 30s);
  cb.shutdown();
  cc.shutdown();
  EXPECT_TRUE(all) << unique.size() << " of " << kTotal;
  size_t deliveries = a.size() + b.size() + c.size();
  size_t duplicates = deliveries - unique.size();
  uint64_t bound = ca.handover_uncommitted() + cb.handover_uncommitted() + cc.handover_uncommitted();
  EXPECT_LE(duplicates, bound);
  RecordProperty("duplicates", static_cast<int>(duplicates));
  std::printf("rebalance (C++): %zu deliveries for %d messages: %zu duplicates, pulled-but-uncommitted at handovers %llu\n",
              deliveries, kTotal, duplicates, static_cast<unsigned long long>(bound));
}

TEST_F(CppBroker, ClusteringSharesEveryMessage) {
  std::string topic;
  make_topic(&topic);
  if (IsSkipped()) return;
  Received a, b;
  auto make = [&](Received& into) {
    ferry::PushConsumerBuilder builder;
    consumer_setup(builder, "cpp_cluster").set("rebalance_interval_ms", "500").subscribe(topic).listener(
        [&into](const ferry::MessageList& msgs) {
          into.add(msgs);
          return ferry::ConsumeStatus::Success;
        });
    return builder.build();
  };
  auto ca = make(a);
  auto cb = make(b);
  auto sent = send_n(topic, 100);
  ASSERT_TRUE(wait_until([&] { return a.size() + b.size() >= 100; }, 30s)) << a.size() << " + " << b.size();
  auto all = a.set();
  auto more = b.set();
  all.insert(more.begin(), more.end());
  EXPECT_EQ(all, sent);
}

TEST_F(CppBroker, BroadcastingGivesEachConsumerEverything) {
  std::string topic;
  make_topic(&topic);
  if (IsSkipped()) return;
  Received a, b;
  auto make = [&](Received& into, const std::string& dir) {
    ferry::PushConsumerBuilder builder;
    consumer_setup(builder, "cpp_broadcast")
        .message_model(ferry::MessageModel::Broadcasting)
        .set("offset_store_dir", broker_->dir() + "/" + dir)
        .subscribe(topic)
        .listener([&into](const ferry::MessageList& msgs) {
          into.add(msgs);
          return ferry::ConsumeStatus::Success;
        });
    return builder.build();
  };
  auto ca = make(a, "offsets_a");
  auto cb = make(b, "offsets_b");
  auto sent = send_n(topic, 50);
  ASSERT_TRUE(wait_until([&] { return a.size() >= 50 && b.size() >= 50; }, 30s)) << a.size() << ", " << b.size();
  EXPECT_EQ(a.set(), sent);
  EXPECT_EQ(b.set(), sent);
}

TEST_F(CppBroker, ThrowingListenerLosesNothing) {
  std::string topic;
  make_topic(&topic);
  if (IsSkipped()) return;
  std::atomic<int> calls{0}, reports{0};
  Received got;
  ferry::PushConsumerBuilder builder;
  consumer_setup(builder, "cpp_throwing")
      .set("reconsume_delay_ms", "100")
      .consume_threads(1)
      .on_callback_error([&](std::string_view, std::string_view) { ++reports; })
      .subscribe(topic)
      .listener([&](const ferry::MessageList& msgs) {
        if (++calls <= 2) throw std::runtime_error("listener bug, first calls");
        got.add(msgs);
        return ferry::ConsumeStatus::Success;
      });
  auto consumer = builder.build();
  auto sent = send_n(topic, 10);
  ASSERT_TRUE(wait_until([&] { return got.set() == sent; }, 30s)) << got.size();
  EXPECT_EQ(reports.load(), 2);
}

// consume_on_io_thread through the C++ builder, against a real ferryd: every
// message arrives, and every listener call runs on the consumer's I/O thread.
TEST_F(CppBroker, ListenerOnTheIoThreadGetsEveryMessage) {
  std::string topic;
  make_topic(&topic);
  if (IsSkipped()) return;
  std::mutex mu;
  std::set<std::string> threads;
  Received got;
  ferry::PushConsumerBuilder builder;
  consumer_setup(builder, "cpp_io_listener")
      .consume_on_io_thread(true)
      .subscribe(topic)
      .listener([&](const ferry::MessageList& msgs) {
        char name[32] = "";
        ::pthread_getname_np(::pthread_self(), name, sizeof name);
        {
          std::lock_guard<std::mutex> lock(mu);
          threads.insert(name);
        }
        got.add(msgs);
        return ferry::ConsumeStatus::Success;
      });
  auto consumer = builder.build();
  auto sent = send_n(topic, 20);
  ASSERT_TRUE(wait_until([&] { return got.set() == sent; }, 30s)) << got.size();
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(threads, std::set<std::string>{"ferry-io"});
}

TEST_F(CppBroker, OrderlyConsumerKeepsKeyOrder) {
  std::string topic;
  make_topic(&topic);
  if (IsSkipped()) return;
  std::mutex mu;
  std::map<std::string, std::vector<int>> seen;
  int total = 0;
  ferry::PushConsumerBuilder builder;
  consumer_setup(builder, "cpp_orderly").subscribe(topic).orderly_listener([&](const ferry::MessageList& msgs) {
    std::lock_guard<std::mutex> lock(mu);
    for (ferry::MessageView m : msgs) {
      std::string body(m.body());
      auto colon = body.find(':');
      seen[body.substr(0, colon)].push_back(std::stoi(body.substr(colon + 1)));
      ++total;
    }
    return ferry::OrderlyStatus::Success;
  });
  auto consumer = builder.build();
  auto producer = producer_builder("cpp_orderly_src").build();
  for (int n = 0; n < 40; ++n)
    for (int k = 0; k < 5; ++k) {
      std::string key = "k" + std::to_string(k);
      producer.send_ordered(ferry::Message(topic, key + ":" + std::to_string(n)), key);
    }
  ASSERT_TRUE(wait_until([&] { std::lock_guard<std::mutex> l(mu); return total >= 200; }, 30s));
  std::lock_guard<std::mutex> lock(mu);
  for (auto& [key, ns] : seen)
    for (size_t i = 1; i < ns.size(); ++i) EXPECT_LT(ns[i - 1], ns[i]) << key;
}

TEST_F(CppBroker, PullCommitThenRestartRedeliversNothing) {
  std::string topic;
  make_topic(&topic);
  if (IsSkipped()) return;
  auto sent = send_n(topic, 30);
  auto build = [&] {
    ferry::PullConsumerBuilder b;
    consumer_setup(b, "cpp_pull").auto_commit(false).subscribe(topic);
    return b.build();
  };
  std::set<std::string> got;
  {
    auto consumer = build();
    ASSERT_TRUE(wait_until(
        [&] {
          for (const ferry::Message& m : consumer.poll(100ms)) got.emplace(m.body());
          return got == sent;
        },
        30s, 1ms));
    consumer.commit_sync();
    consumer.shutdown();
  }
  auto again = build();
  EXPECT_TRUE(again.poll(1500ms).empty());
}

}  // namespace
}  // namespace ferry::test
