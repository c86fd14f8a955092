// libferry against a real ferryd (conf/standalone.toml: name server + one
// master broker in one process, mmaplog storage, sync flush): every send
// mode, both consumer kinds, both message models, graceful restart.
#include <ferry_test/child_process.h>
#include <ferry_test/free_port.h>
#include <ferry_test/paths.h>
#include <ferry_test/temp_dir.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <thread>
#include <mutex>
#include <set>
#include <utility>
#include <vector>

#include "ferryd_fixture.h"

namespace ferry::sdk::test {
namespace {

using namespace std::chrono_literals;
using ferry::test::wait_until;

struct Bag {
  std::mutex mu;
  std::vector<std::string> bodies;
  size_t size() {
    std::lock_guard l(mu);
    return bodies.size();
  }
};

ferry_consume_status collect(void* ud, ferry_client_message* const* msgs, size_t n) {
  auto* b = static_cast<Bag*>(ud);
  std::lock_guard l(b->mu);
  for (size_t i = 0; i < n; ++i) b->bodies.push_back(body_of(msgs[i]));
  return FERRY_CONSUME_SUCCESS;
}

ferry_orderly_status collect_orderly(void* ud, ferry_client_message* const* msgs, size_t n) {
  collect(ud, msgs, n);
  return FERRY_ORDERLY_SUCCESS;
}

// Polls `c` until `want` distinct bodies arrived, a poll fails or 20 s pass.
std::set<std::string> pull_bodies(ferry_pull_consumer* c, size_t want) {
  std::set<std::string> got;
  char err[512];
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (got.size() < want && std::chrono::steady_clock::now() < deadline) {
    ferry_client_message* msgs[32];
    size_t n = 0;
    ferry_status st = ferry_pull_consumer_poll(c, 200, msgs, 32, &n, err, sizeof err);
    EXPECT_EQ(FERRY_OK, st) << err;
    if (st != FERRY_OK) break;
    for (size_t i = 0; i < n; ++i) {
      got.insert(body_of(msgs[i]));
      ferry_message_destroy(msgs[i]);
    }
  }
  return got;
}

Push push_consumer(const Conf& conf, const std::string& topic, Bag* bag, bool ordered = false) {
  ferry_push_consumer* c = nullptr;
  char err[512];
  EXPECT_EQ(FERRY_OK, ferry_push_consumer_new(conf.get(), &c, err, sizeof err)) << err;
  EXPECT_EQ(FERRY_OK, ferry_push_consumer_subscribe(c, topic.c_str(), "*", err, sizeof err));
  if (ordered) {
    EXPECT_EQ(FERRY_OK, ferry_push_consumer_set_orderly_listener(c, collect_orderly, bag, err, sizeof err));
  } else {
    EXPECT_EQ(FERRY_OK, ferry_push_consumer_set_listener(c, collect, bag, err, sizeof err));
  }
  EXPECT_EQ(FERRY_OK, ferry_push_consumer_start(c, err, sizeof err)) << err;
  return Push(c);
}

TEST_F(FerrydSdk, EverySendModeThenPullConsumerReadsAll) {
  create_topic("SdkModes");
  auto p = start_producer(conf_);
  char err[512];
  ferry_send_result r = FERRY_STRUCT_INIT(ferry_send_result);
  auto m = make_msg("SdkModes", "sync-0", "TagA", "k1");
  ASSERT_EQ(FERRY_OK, ferry_producer_send(p.get(), m.get(), &r, err, sizeof err)) << err;
  EXPECT_EQ(1u, r.attempts);
  EXPECT_STREQ("broker-a", r.broker_name);
  std::atomic<int> acked{0};
  for (int i = 0; i < 10; ++i) {
    auto am = make_msg("SdkModes", "async-" + std::to_string(i));
    ASSERT_EQ(FERRY_OK, ferry_producer_send_async(p.get(), am.get(), [](void* ud, ferry_status s, const ferry_send_result*, const char*) {
      if (s == FERRY_OK) ++*static_cast<std::atomic<int>*>(ud);
    }, &acked, err, sizeof err));
  }
  for (int i = 0; i < 5; ++i) {
    auto om = make_msg("SdkModes", "oneway-" + std::to_string(i));
    ASSERT_EQ(FERRY_OK, ferry_producer_send_oneway(p.get(), om.get(), err, sizeof err)) << err;
  }
  std::vector<Msg> batch;
  std::vector<ferry_client_message*> raw;
  for (int i = 0; i < 4; ++i) {
    batch.push_back(make_msg("SdkModes", "batch-" + std::to_string(i)));
    raw.push_back(batch.back().get());
  }
  ASSERT_EQ(FERRY_OK, ferry_producer_send_batch(p.get(), raw.data(), raw.size(), &r, err, sizeof err)) << err;
  for (int i = 0; i < 5; ++i) {
    std::string key = "order-" + std::to_string(i % 2);
    auto om = make_msg("SdkModes", "ordered-" + std::to_string(i));
    ASSERT_EQ(FERRY_OK, ferry_producer_send_ordered(p.get(), om.get(), key.data(), key.size(), nullptr, err, sizeof err)) << err;
  }
  ASSERT_EQ(FERRY_OK, ferry_producer_shutdown(p.get(), err, sizeof err));
  EXPECT_EQ(10, acked.load());

  auto cconf = make_conf(addr_, {{"group", "SdkPull"}, {"consume_from", "first"}});
  ferry_pull_consumer* c = nullptr;
  ASSERT_EQ(FERRY_OK, ferry_pull_consumer_new(cconf.get(), &c, err, sizeof err));
  Pull pull(c);
  ASSERT_EQ(FERRY_OK, ferry_pull_consumer_subscribe(c, "SdkModes", "*", err, sizeof err));
  ASSERT_EQ(FERRY_OK, ferry_pull_consumer_start(c, err, sizeof err)) << err;
  std::set<std::string> got = pull_bodies(c, 25);
  EXPECT_EQ(25u, got.size()) << daemon_->log();
  ASSERT_EQ(FERRY_OK, ferry_pull_consumer_commit_sync(c, err, sizeof err)) << err;
  char* json = nullptr;
  ASSERT_EQ(FERRY_OK, ferry_admin_consumer_progress(admin_.get(), "SdkPull", "SdkModes", &json, err, sizeof err)) << err;
  std::string progress = json;
  ferry_string_free(json);
  EXPECT_NE(std::string::npos, progress.find("\"total_lag\":0")) << progress;
}

TEST_F(FerrydSdk, PushClusteringRestartRedeliversNothing) {
  create_topic("SdkPush");
  auto p = start_producer(conf_);
  send_n(p.get(), "SdkPush", 50, "a");
  auto cconf = make_conf(addr_, {{"group", "SdkPushG"}, {"consume_from", "first"}});
  {
    Bag bag;
    auto c = push_consumer(cconf, "SdkPush", &bag);
    ASSERT_TRUE(wait_until([&] { return bag.size() >= 50; }, 20s)) << bag.size();
    char err[256];
    ASSERT_EQ(FERRY_OK, ferry_push_consumer_shutdown(c.get(), err, sizeof err)) << err;
  }
  send_n(p.get(), "SdkPush", 5, "b");
  Bag bag2;
  auto c2 = push_consumer(cconf, "SdkPush", &bag2);
  ASSERT_TRUE(wait_until([&] { return bag2.size() >= 5; }, 20s));
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(5u, bag2.size());
  for (auto& b : bag2.bodies) EXPECT_EQ('b', b[0]) << b;
}

TEST_F(FerrydSdk, BroadcastingAndOrderly) {
  create_topic("SdkBcast");
  auto p = start_producer(conf_);
  auto bconf1 = make_conf(addr_, {{"group", "SdkB"}, {"message_model", "broadcasting"}, {"consume_from", "first"},
                                  {"offset_store_dir", dir_.str() + "/b1"}});
  auto bconf2 = make_conf(addr_, {{"group", "SdkB"}, {"message_model", "broadcasting"}, {"consume_from", "first"},
                                  {"offset_store_dir", dir_.str() + "/b2"}});
  auto oconf = make_conf(addr_, {{"group", "SdkO"}, {"consume_from", "first"}});
  char err[256];
  for (int i = 0; i < 30; ++i) {
    std::string key = "k" + std::to_string(i % 3);
    auto m = make_msg("SdkBcast", key + ":" + std::to_string(i / 3));
    ASSERT_EQ(FERRY_OK, ferry_producer_send_ordered(p.get(), m.get(), key.data(), key.size(), nullptr, err, sizeof err)) << err;
  }
  Bag b1, b2, ordered;
  auto c1 = push_consumer(bconf1, "SdkBcast", &b1);
  auto c2 = push_consumer(bconf2, "SdkBcast", &b2);
  auto co = push_consumer(oconf, "SdkBcast", &ordered, true);
  ASSERT_TRUE(wait_until([&] { return b1.size() >= 30 && b2.size() >= 30 && ordered.size() >= 30; }, 20s))
      << b1.size() << " " << b2.size() << " " << ordered.size();
  std::map<std::string, int> next;
  for (auto& body : ordered.bodies) {
    auto colon = body.find(':');
    std::string key = body.substr(0, colon);
    EXPECT_EQ(next[key], std::stoi(body.substr(colon + 1))) << key;
    next[key] = std::stoi(body.substr(colon + 1)) + 1;
  }
}

// The committed offset of every queue of `topic` for `group`, from the broker.
std::vector<int64_t> committed_offsets(ferry_admin* a, const std::string& group, const std::string& topic) {
  char* json = nullptr;
  char err[512];
  std::vector<int64_t> out;  // empty: nothing committed yet (or no answer)
  if (ferry_admin_consumer_progress(a, group.c_str(), topic.c_str(), &json, err, sizeof err) != FERRY_OK) return out;
  std::string j = json;
  ferry_string_free(json);
  for (size_t at = j.find("\"committed\":"); at != std::string::npos; at = j.find("\"committed\":", at + 1))
    out.push_back(std::stoll(j.substr(at + 12)));
  return out;
}

// A listener that accepts until told to refuse, then counts what it is
// offered (re-deliveries after the reset) and holds it until the consumer
// shuts down, answering RECONSUME_LATER then: a clustering consumer would
// otherwise send a refused message back to the broker (retry topic) and
// acknowledge it, and this test needs the re-delivered messages pending.
struct ResetProbe {
  std::atomic<bool> refuse{false};
  std::atomic<int> accepted{0};
  std::atomic<int> offered_after{0};
  std::atomic<ferry_push_consumer*> consumer{nullptr};
};

ferry_consume_status reset_probe(void* ud, ferry_client_message* const*, size_t n) {
  auto* p = static_cast<ResetProbe*>(ud);
  if (p->refuse) {
    p->offered_after += static_cast<int>(n);
    ferry_push_consumer* c = p->consumer.load();
    wait_until([&] { return ferry_push_consumer_queue_count(c) == 0; }, 30s);  // 0 once shutdown began
    return FERRY_CONSUME_RECONSUME_LATER;
  }
  p->accepted += static_cast<int>(n);
  return FERRY_CONSUME_SUCCESS;
}

// ferryctl consumer reset-offset sends the live members a oneway
// NOTIFY_OFFSETS_RESET: an online push consumer must read again from the
// reset offsets and must not commit its older position over them.
TEST_F(FerrydSdk, PushConsumerAdoptsAnOffsetsResetAndNeverCommitsOverIt) {
  create_topic("SdkReset", 2);
  auto p = start_producer(conf_);
  send_n(p.get(), "SdkReset", 40, "r");
  // One listener call holds a whole pull answer (20 per queue here).
  auto cconf = make_conf(addr_, {{"group", "SdkResetG"}, {"consume_from", "first"}, {"consume_batch_size", "32"}});
  ResetProbe probe;
  char err[512];
  ferry_push_consumer* raw = nullptr;
  ASSERT_EQ(FERRY_OK, ferry_push_consumer_new(cconf.get(), &raw, err, sizeof err)) << err;
  Push c(raw);
  probe.consumer = raw;
  ASSERT_EQ(FERRY_OK, ferry_push_consumer_subscribe(raw, "SdkReset", "*", err, sizeof err));
  ASSERT_EQ(FERRY_OK, ferry_push_consumer_set_listener(raw, reset_probe, &probe, err, sizeof err));
  ASSERT_EQ(FERRY_OK, ferry_push_consumer_start(raw, err, sizeof err)) << err;
  ASSERT_TRUE(wait_until([&] { return probe.accepted >= 40; }, 20s)) << probe.accepted;
  // Its position is on the broker (commits every 200 ms here).
  ASSERT_TRUE(wait_until([&] {
    auto offs = committed_offsets(admin_.get(), "SdkResetG", "SdkReset");
    int64_t sum = 0;
    for (auto o : offs) sum += o;
    return offs.size() == 2 && sum == 40;
  }, 20s));

  probe.refuse = true;
  char* json = nullptr;
  ASSERT_EQ(FERRY_OK, ferry_admin_reset_offset_by_time(admin_.get(), "SdkResetG", "SdkReset", 0, &json, err,
                                                       sizeof err)) << err;
  std::string answer = json;
  ferry_string_free(json);
  EXPECT_NE(std::string::npos, answer.find("\"members_notified\":1")) << answer;
  // Re-delivered from the reset offsets, while every one is held ...
  ASSERT_TRUE(wait_until([&] { return probe.offered_after >= 40; }, 20s))
      << probe.offered_after << " offered after the reset\n" << daemon_->log();
  // ... so the graceful shutdown's commit must leave the reset offsets (0),
  // not the old position (20 + 20) nor anything past a refused message.
  ASSERT_EQ(FERRY_OK, ferry_push_consumer_shutdown(raw, err, sizeof err)) << err;
  auto after = committed_offsets(admin_.get(), "SdkResetG", "SdkReset");
  ASSERT_EQ(2u, after.size());
  EXPECT_EQ(0, after[0]);
  EXPECT_EQ(0, after[1]);
}

// A seek on the pull consumer moves on at once: it does not wait for the
// answer of a long poll already held at the broker (10 s here).
TEST_F(FerrydSdk, PullConsumerSeekDoesNotWaitForAHeldPull) {
  create_topic("SdkSeek", 1);
  auto p = start_producer(conf_);
  send_n(p.get(), "SdkSeek", 10, "s");
  auto cconf = make_conf(addr_, {{"group", "SdkSeekG"}, {"consume_from", "first"}, {"long_poll_ms", "10000"}});
  char err[512];
  ferry_pull_consumer* raw = nullptr;
  ASSERT_EQ(FERRY_OK, ferry_pull_consumer_new(cconf.get(), &raw, err, sizeof err)) << err;
  Pull c(raw);
  ferry_queue_ref q = FERRY_STRUCT_INIT(ferry_queue_ref);
  q.topic = "SdkSeek";
  q.broker_name = "broker-a";
  q.queue_id = 0;
  ASSERT_EQ(FERRY_OK, ferry_pull_consumer_assign(raw, &q, 1, err, sizeof err)) << err;
  ASSERT_EQ(FERRY_OK, ferry_pull_consumer_start(raw, err, sizeof err)) << err;
  auto drain = [&](int want, std::chrono::milliseconds within) {
    int got = 0;
    auto deadline = std::chrono::steady_clock::now() + within;
    while (got < want && std::chrono::steady_clock::now() < deadline) {
      ferry_client_message* msgs[16];
      size_t n = 0;
      EXPECT_EQ(FERRY_OK, ferry_pull_consumer_poll(raw, 50, msgs, 16, &n, err, sizeof err)) << err;
      for (size_t i = 0; i < n; ++i) ferry_message_destroy(msgs[i]);
      got += static_cast<int>(n);
    }
    return got;
  };
  ASSERT_EQ(10, drain(10, 20s));
  // Caught up: the next pull is now held at the broker for its 10 s.
  EXPECT_EQ(0, drain(1, 500ms));
  ASSERT_EQ(FERRY_OK, ferry_pull_consumer_seek(raw, &q, 4, err, sizeof err)) << err;
  // Bounded wait well under the hold: offsets 4..9 again.
  EXPECT_EQ(6, drain(6, 4s)) << "seek waited behind the held pull";
}

// The broker's count of long polls it holds now (runtime stats), -1 if
// the stats are unreadable.
int64_t held_pulls(ferry_admin* a, const std::string& broker, const char* stat = "held_pulls") {
  char* json = nullptr;
  if (ferry_admin_runtime_stats(a, broker.c_str(), &json, nullptr, 0) != FERRY_OK) return -1;
  std::string j(json);
  ferry_string_free(json);
  std::string key = std::string("\"") + stat + "\":";
  auto at = j.find(key);
  return at == std::string::npos ? -1 : std::stoll(j.substr(at + key.size()));
}

// A seek sends its pull with PullRequest.supersede: the broker answers the
// long poll the consumer held there at once instead of keeping it for its
// 10 s hold — never two polls held for one queue.
TEST_F(FerrydSdk, PullConsumerSeekAnswersTheHeldPullAtTheBroker) {
  create_topic("SdkSeekHeld", 1);
  auto cconf = make_conf(addr_, {{"group", "SdkSeekHeldG"}, {"consume_from", "first"}, {"long_poll_ms", "10000"}});
  char err[512];
  ferry_pull_consumer* raw = nullptr;
  ASSERT_EQ(FERRY_OK, ferry_pull_consumer_new(cconf.get(), &raw, err, sizeof err)) << err;
  Pull c(raw);
  ferry_queue_ref q = FERRY_STRUCT_INIT(ferry_queue_ref);
  q.topic = "SdkSeekHeld";
  q.broker_name = "broker-a";
  q.queue_id = 0;
  ASSERT_EQ(FERRY_OK, ferry_pull_consumer_assign(raw, &q, 1, err, sizeof err)) << err;
  ASSERT_EQ(FERRY_OK, ferry_pull_consumer_start(raw, err, sizeof err)) << err;
  // The queue is empty: the consumer's poll is held at the broker.
  ASSERT_TRUE(wait_until([&] { return held_pulls(admin_.get(), addr_) == 1; }, 5s)) << daemon_->log();
  int64_t pulls = held_pulls(admin_.get(), addr_, "pulls");
  ASSERT_GT(pulls, 0);
  ASSERT_EQ(FERRY_OK, ferry_pull_consumer_seek(raw, &q, 0, err, sizeof err)) << err;
  // The seek's pull has arrived (held in turn: still nothing to read) and
  // the old one is gone — well under the old poll's 10 s hold.
  EXPECT_TRUE(wait_until([&] {
    return held_pulls(admin_.get(), addr_, "pulls") > pulls && held_pulls(admin_.get(), addr_) == 1;
  }, 4s)) << "held " << held_pulls(admin_.get(), addr_) << ", pulls " << held_pulls(admin_.get(), addr_, "pulls")
          << " (were " << pulls << ")";
  // The poll still held is the live one: a message sent now arrives.
  auto p = start_producer(conf_);
  send_n(p.get(), "SdkSeekHeld", 1, "h");
  int got = 0;
  auto deadline = std::chrono::steady_clock::now() + 4s;
  while (got == 0 && std::chrono::steady_clock::now() < deadline) {
    ferry_client_message* msgs[4];
    size_t n = 0;
    EXPECT_EQ(FERRY_OK, ferry_pull_consumer_poll(raw, 50, msgs, 4, &n, err, sizeof err)) << err;
    for (size_t i = 0; i < n; ++i) ferry_message_destroy(msgs[i]);
    got += static_cast<int>(n);
  }
  EXPECT_EQ(1, got);
}

// The same for a push consumer adopting an offsets reset: its first pull of
// each reset queue supersedes the long poll it held there.
TEST_F(FerrydSdk, PushConsumerResetAnswersItsHeldPullsAtTheBroker) {
  create_topic("SdkResetHeld", 2);
  auto cconf = make_conf(addr_, {{"group", "SdkResetHeldG"}, {"consume_from", "first"}, {"long_poll_ms", "10000"}});
  ResetProbe probe;
  char err[512];
  ferry_push_consumer* raw = nullptr;
  ASSERT_EQ(FERRY_OK, ferry_push_consumer_new(cconf.get(), &raw, err, sizeof err)) << err;
  Push c(raw);
  ASSERT_EQ(FERRY_OK, ferry_push_consumer_subscribe(raw, "SdkResetHeld", "*", err, sizeof err));
  ASSERT_EQ(FERRY_OK, ferry_push_consumer_set_listener(raw, reset_probe, &probe, err, sizeof err));
  ASSERT_EQ(FERRY_OK, ferry_push_consumer_start(raw, err, sizeof err)) << err;
  // Both queues empty: one poll held per queue.
  ASSERT_TRUE(wait_until([&] { return held_pulls(admin_.get(), addr_) == 2; }, 10s)) << daemon_->log();
  int64_t pulls = held_pulls(admin_.get(), addr_, "pulls");
  char* json = nullptr;
  ASSERT_EQ(FERRY_OK, ferry_admin_reset_offset_by_time(admin_.get(), "SdkResetHeldG", "SdkResetHeld", 0, &json, err,
                                                       sizeof err)) << err;
  std::string answer = json;
  ferry_string_free(json);
  ASSERT_NE(std::string::npos, answer.find("\"members_notified\":1")) << answer;
  // Two new polls arrived and the two old ones are gone, well under 10 s.
  EXPECT_TRUE(wait_until([&] {
    return held_pulls(admin_.get(), addr_, "pulls") >= pulls + 2 && held_pulls(admin_.get(), addr_) == 2;
  }, 4s)) << "held " << held_pulls(admin_.get(), addr_) << ", pulls " << held_pulls(admin_.get(), addr_, "pulls")
          << " (were " << pulls << ")";
}

// The direct lane's spin (sync_direct_spin_us, on by default; SpinGate)
// with every setting a user may give it: on (default), off, the largest
// window (10 ms: the fixture's sync-flush answers mostly come inside it, so
// the gate keeps spinning), and busy_poll_us's fixed window instead. Every
// sync send is answered once, on its first attempt, and all arrive; then
// four threads at once with the default (the lane's mutex is taken by one,
// the others go through the I/O thread).
TEST_F(FerrydSdk, SyncSendsWorkWithTheLaneSpinOnOffAndFixed) {
  create_topic("LaneSpin");
  const std::vector<std::pair<std::string, std::vector<std::pair<std::string, std::string>>>> variants = {
      {"default", {}},
      {"off", {{"sync_direct_spin_us", "0"}}},
      {"max", {{"sync_direct_spin_us", "10000"}}},
      {"busy", {{"busy_poll_us", "50"}}},
  };
  char err[512];
  size_t sent = 0;
  for (const auto& [name, keys] : variants) {
    auto p = start_producer(make_conf(addr_, keys));
    for (int i = 0; i < 100; ++i) {
      ferry_send_result r = FERRY_STRUCT_INIT(ferry_send_result);
      auto m = make_msg("LaneSpin", name + "-" + std::to_string(i));
      ASSERT_EQ(FERRY_OK, ferry_producer_send(p.get(), m.get(), &r, err, sizeof err)) << name << ": " << err;
      EXPECT_EQ(1u, r.attempts) << name;
      EXPECT_STREQ("broker-a", r.broker_name) << name;
      ++sent;
    }
    ASSERT_EQ(FERRY_OK, ferry_producer_shutdown(p.get(), err, sizeof err)) << name << ": " << err;
  }
  {
    auto p = start_producer(conf_);
    std::vector<std::thread> threads;
    std::atomic<int> ok{0};
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        char terr[512];
        for (int i = 0; i < 50; ++i) {
          auto m = make_msg("LaneSpin", "t" + std::to_string(t) + "-" + std::to_string(i));
          if (ferry_producer_send(p.get(), m.get(), nullptr, terr, sizeof terr) == FERRY_OK) ++ok;
        }
      });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(200, ok.load());
    sent += 200;
    ASSERT_EQ(FERRY_OK, ferry_producer_shutdown(p.get(), err, sizeof err)) << err;
  }
  auto cconf = make_conf(addr_, {{"group", "LaneSpinPull"}, {"consume_from", "first"}});
  ferry_pull_consumer* c = nullptr;
  ASSERT_EQ(FERRY_OK, ferry_pull_consumer_new(cconf.get(), &c, err, sizeof err));
  Pull pull(c);
  ASSERT_EQ(FERRY_OK, ferry_pull_consumer_subscribe(c, "LaneSpin", "*", err, sizeof err));
  ASSERT_EQ(FERRY_OK, ferry_pull_consumer_start(c, err, sizeof err)) << err;
  std::set<std::string> got = pull_bodies(c, sent);
  EXPECT_EQ(sent, got.size()) << daemon_->log();
  EXPECT_EQ(1u, got.count("max-99"));
  EXPECT_EQ(1u, got.count("t3-49"));
  ASSERT_EQ(FERRY_OK, ferry_pull_consumer_shutdown(c, err, sizeof err)) << err;
}

// kernel.busy_poll_us and the client's busy_poll_us on (200 us, the
// largest window benchmarks.md measured): sync sends (direct lane), async
// sends and a pull consumer all work, and the loop thread (ferryd's main
// thread), idle afterwards, sleeps: its CPU time over 2 s stays far below
// the 2 s a spinning loop would take (a generous bound). Only that thread:
// a fresh log's prefault thread keeps writing for seconds after start.
class FerrydSdkBusyPoll : public FerrydSdk {
 protected:
  FerrydSdkBusyPoll() { extra_args_ = {"--set", "kernel.busy_poll_us=200"}; }
};

double thread_cpu_s(pid_t pid, pid_t tid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/stat");
  std::string all((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  std::istringstream rest(all.substr(all.rfind(')') + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

TEST_F(FerrydSdkBusyPoll, SendsAndPullsWorkAndTheIdleLoopSleeps) {
  create_topic("BusyPoll");
  auto p = start_producer(make_conf(addr_, {{"busy_poll_us", "200"}}));
  char err[512];
  for (int i = 0; i < 200; ++i) {
    auto m = make_msg("BusyPoll", "sync-" + std::to_string(i));
    ASSERT_EQ(FERRY_OK, ferry_producer_send(p.get(), m.get(), nullptr, err, sizeof err)) << err;
  }
  std::atomic<int> acked{0};
  for (int i = 0; i < 100; ++i) {
    auto am = make_msg("BusyPoll", "async-" + std::to_string(i));
    ASSERT_EQ(FERRY_OK, ferry_producer_send_async(p.get(), am.get(), [](void* ud, ferry_status s, const ferry_send_result*, const char*) {
      if (s == FERRY_OK) ++*static_cast<std::atomic<int>*>(ud);
    }, &acked, err, sizeof err));
  }
  ASSERT_EQ(FERRY_OK, ferry_producer_shutdown(p.get(), err, sizeof err));
  EXPECT_EQ(100, acked.load());

  auto cconf = make_conf(addr_, {{"group", "BusyPollPull"}, {"consume_from", "first"}, {"busy_poll_us", "200"}});
  ferry_pull_consumer* c = nullptr;
  ASSERT_EQ(FERRY_OK, ferry_pull_consumer_new(cconf.get(), &c, err, sizeof err));
  Pull pull(c);
  ASSERT_EQ(FERRY_OK, ferry_pull_consumer_subscribe(c, "BusyPoll", "*", err, sizeof err));
  ASSERT_EQ(FERRY_OK, ferry_pull_consumer_start(c, err, sizeof err)) << err;
  std::set<std::string> got = pull_bodies(c, 300);
  EXPECT_EQ(300u, got.size()) << daemon_->log();
  ASSERT_EQ(FERRY_OK, ferry_pull_consumer_shutdown(c, err, sizeof err)) << err;

  pid_t loop_tid = daemon_->pid();  // Kernel::run's loop runs on ferryd's main thread
  double before = thread_cpu_s(daemon_->pid(), loop_tid);
  std::this_thread::sleep_for(2s);
  double used = thread_cpu_s(daemon_->pid(), loop_tid) - before;
  EXPECT_LT(used, 0.5) << "ferryd's idle loop thread with busy_poll_us on used " << used << " s of CPU in 2 s";
}
}  // namespace
}  // namespace ferry::sdk::test
