// Pull (lite) consumer: subscribe or assign, poll on the caller's thread,
// commit sync/async, seek by offset and by time.
#include <atomic>
#include <cstring>
#include <set>
#include <thread>

#include "ferry_test/child_process.h"
#include "sdk_fixture.h"

namespace ferry::sdk::test {
namespace {

using namespace std::chrono_literals;

// Polls until `want` messages arrived or 10 s passed; returns the bodies.
std::vector<std::string> poll_until(ferry_pull_consumer* c, size_t want, std::vector<Msg>* keep = nullptr) {
  std::vector<std::string> out;
  char err[256];
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (out.size() < want && std::chrono::steady_clock::now() < deadline) {
    ferry_client_message* msgs[64];
    size_t n = 0;
    EXPECT_EQ(FERRY_OK, ferry_pull_consumer_poll(c, 200, msgs, 64, &n, err, sizeof err)) << err;
    for (size_t i = 0; i < n; ++i) {
      out.push_back(body_of(msgs[i]));
      if (keep) {
        keep->emplace_back(msgs[i]);
      } else {
        ferry_message_destroy(msgs[i]);
      }
    }
  }
  return out;
}

Pull make_pull(const Conf& conf) {
  ferry_pull_consumer* c = nullptr;
  char err[256];
  EXPECT_EQ(FERRY_OK, ferry_pull_consumer_new(conf.get(), &c, err, sizeof err)) << err;
  return Pull(c);
}

TEST(SdkPullConsumer, SubscribePollCommit) {
  FakeCluster cluster({.brokers = 2, .queues = 2});
  cluster.create_topic("T");
  auto pconf = make_conf(cluster.name_servers());
  auto p = start_producer(pconf);
  send_n(p.get(), "T", 40);
  auto conf = make_conf(cluster.name_servers(), {{"group", "G"}, {"consume_from", "first"}, {"enable_auto_commit", "false"}});
  auto c = make_pull(conf);
  char err[256];
  ASSERT_EQ(FERRY_OK, ferry_pull_consumer_subscribe(c.get(), "T", "*", err, sizeof err));
  ASSERT_EQ(FERRY_OK, ferry_pull_consumer_start(c.get(), err, sizeof err)) << err;
  std::vector<Msg> kept;
  auto bodies = poll_until(c.get(), 40, &kept);
  ASSERT_EQ(40u, bodies.size());
  EXPECT_EQ(40u, std::set<std::string>(bodies.begin(), bodies.end()).size());
  // Received messages expose broker-side fields.
  size_t n = 0;
  const char* topic = ferry_message_topic(kept[0].get(), &n);
  EXPECT_EQ("T", std::string(topic, n));
  EXPECT_GE(ferry_message_queue_offset(kept[0].get()), 0);
  EXPECT_GT(ferry_message_store_timestamp(kept[0].get()), 0);
  EXPECT_NE(nullptr, ferry_message_msg_id(kept[0].get(), &n));
  EXPECT_EQ(32u, n);
  EXPECT_NE(nullptr, ferry_message_offset_msg_id(kept[0].get(), &n));
  // Nothing committed before commit (auto-commit off).
  EXPECT_EQ(-1, cluster.committed(0, "G", "T", 0));
  ASSERT_EQ(FERRY_OK, ferry_pull_consumer_commit_sync(c.get(), err, sizeof err)) << err;
  int64_t total = 0;
  for (int b = 0; b < 2; ++b)
    for (int q = 0; q < 2; ++q) total += std::max<int64_t>(0, cluster.committed(b, "G", "T", q));
  EXPECT_EQ(40, total);
}

TEST(SdkPullConsumer, AssignSeekAndAsyncCommit) {
  FakeCluster cluster({.brokers = 1, .queues = 1});
  cluster.create_topic("T");
  auto pconf = make_conf(cluster.name_servers());
  auto p = start_producer(pconf);
  send_n(p.get(), "T", 10);
  auto conf = make_conf(cluster.name_servers(), {{"group", "G2"}, {"consume_from", "first"}});
  auto c = make_pull(conf);
  char err[256];
  ferry_queue_ref* refs = nullptr;
  size_t count = 0;
  ASSERT_EQ(FERRY_E_STATE, ferry_pull_consumer_fetch_queues(c.get(), "T", &refs, &count, err, sizeof err));
  ASSERT_EQ(FERRY_OK, ferry_pull_consumer_start(c.get(), err, sizeof err)) << err;
  ASSERT_EQ(FERRY_OK, ferry_pull_consumer_fetch_queues(c.get(), "T", &refs, &count, err, sizeof err)) << err;
  ASSERT_EQ(1u, count);
  ASSERT_EQ(FERRY_OK, ferry_pull_consumer_assign(c.get(), refs, count, err, sizeof err)) << err;
  auto first = poll_until(c.get(), 10);
  ASSERT_EQ(10u, first.size());
  EXPECT_EQ("m-0", first[0]);
  EXPECT_EQ("m-9", first[9]);
  // Seek back to offset 7: 7, 8, 9 come again.
  ASSERT_EQ(FERRY_OK, ferry_pull_consumer_seek(c.get(), &refs[0], 7, err, sizeof err)) << err;
  auto again = poll_until(c.get(), 3);
  ASSERT_EQ(3u, again.size());
  EXPECT_EQ("m-7", again[0]);
  // Seek by time to the beginning of time: everything again.
  ASSERT_EQ(FERRY_OK, ferry_pull_consumer_seek_timestamp(c.get(), &refs[0], 0, err, sizeof err)) << err;
  EXPECT_EQ(10u, poll_until(c.get(), 10).size());
  std::atomic<int> done{-1};
  ASSERT_EQ(FERRY_OK, ferry_pull_consumer_commit_async(c.get(), [](void* ud, ferry_status s, const char*) {
    *static_cast<std::atomic<int>*>(ud) = s;
  }, &done, err, sizeof err));
  EXPECT_TRUE(ferry::test::wait_until([&] { return done.load() >= 0; }, 5s));
  EXPECT_EQ(FERRY_OK, done.load());
  EXPECT_EQ(10, cluster.committed(0, "G2", "T", 0));
  ferry_queue_ref unknown = refs[0];
  unknown.queue_id = 5;
  EXPECT_EQ(FERRY_E_NOT_FOUND, ferry_pull_consumer_seek(c.get(), &unknown, 0, err, sizeof err));
  ferry_queue_refs_free(refs, count);
}

TEST(SdkPullConsumer, ShutdownCommitsAndRestartResumes) {
  FakeCluster cluster({.brokers = 1, .queues = 2});
  cluster.create_topic("T");
  auto pconf = make_conf(cluster.name_servers());
  auto p = start_producer(pconf);
  send_n(p.get(), "T", 20, "a");
  auto conf = make_conf(cluster.name_servers(), {{"group", "G3"}, {"consume_from", "first"}, {"commit_interval_ms", "60000"}});
  char err[256];
  {
    auto c = make_pull(conf);
    ASSERT_EQ(FERRY_OK, ferry_pull_consumer_subscribe(c.get(), "T", "", err, sizeof err));
    ASSERT_EQ(FERRY_OK, ferry_pull_consumer_start(c.get(), err, sizeof err));
    ASSERT_EQ(20u, poll_until(c.get(), 20).size());
    ASSERT_EQ(FERRY_OK, ferry_pull_consumer_shutdown(c.get(), err, sizeof err)) << err;
    size_t n = 0;
    ferry_client_message* m[1];
    EXPECT_EQ(FERRY_E_CLOSED, ferry_pull_consumer_poll(c.get(), 0, m, 1, &n, err, sizeof err));
  }
  send_n(p.get(), "T", 5, "b");
  auto c = make_pull(conf);
  ASSERT_EQ(FERRY_OK, ferry_pull_consumer_subscribe(c.get(), "T", "", err, sizeof err));
  ASSERT_EQ(FERRY_OK, ferry_pull_consumer_start(c.get(), err, sizeof err));
  auto bodies = poll_until(c.get(), 5);
  std::this_thread::sleep_for(500ms);
  auto extra = poll_until(c.get(), 1);  // nothing more may come
  ASSERT_EQ(5u, bodies.size());
  for (auto& b : bodies) EXPECT_EQ('b', b[0]) << b;
  EXPECT_TRUE(extra.empty());
}

}  // namespace
}  // namespace ferry::sdk::test
