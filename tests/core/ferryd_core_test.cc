// The messaging core inside a real ferryd, driven over loopback with
// kernel/net's Client, under two assemblies (mmaplog + sync flush, memory +
// async flush) that no test body knows about.
#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "core_client.h"
#include "ferry_test/free_port.h"
#include "ferry_test/metrics_scrape.h"
#include "ferry_test/paths.h"
#include "ferry_test/temp_dir.h"

namespace ferry::core::test {
namespace {

struct Assembly {
  std::string storage, flush;
};

class FerrydCore : public ::testing::TestWithParam<Assembly> {
 protected:
  void SetUp() override {
    write_config("");
    ASSERT_NO_FATAL_FAILURE(start());
  }
  // `core_extra`: more [core] keys; `kernel_extra`: more [kernel] keys.
  void write_config(const std::string& core_extra, const std::string& kernel_extra = "") {
    std::ofstream(config_) << "[kernel]\nlisten = \"" << address_ << "\"\ndata_dir = \"" << dir_.str()
                           << "/data\"\nlog_level = \"info\"\n" << kernel_extra << "\n"
                           << "[core]\nmax_message_size = \"64KiB\"\nlong_poll_max_hold = \"10s\"\n"
                           << "client_sweep_interval = \"100ms\"\noffset_persist_interval = \"100ms\"\n"
                           << core_extra << "\n"
                           << "[plugins.storage]\nlibrary = \"ferry_storage_" << GetParam().storage << "\"\n"
                           << (GetParam().storage == "mmaplog" ? "segment_size = \"4MiB\"\n" : "")
                           << "\n[plugins.flush]\nlibrary = \"ferry_flush_" << GetParam().flush << "\"\n\n"
                           << "[plugins.tag]\nlibrary = \"ferry_filter_tag\"\n";
  }
  void TearDown() override {
    if (child_ && child_->running()) {
      EXPECT_EQ(stop(), 0) << child_->log();
    }
  }
  void start() {
    child_ = std::make_unique<ferry::test::ChildProcess>(
        std::vector<std::string>{ferry::test::bin_path("ferryd"), "--config", config_},
        dir_.str() + "/ferryd-" + std::to_string(++runs_) + ".log");
    ASSERT_TRUE(wait_until([&] {
      return child_->log().find("ferryd serving") != std::string::npos || !child_->running();
    }, 20s)) << child_->log();
    ASSERT_TRUE(child_->running()) << child_->log();
  }
  int stop() {
    child_->signal(SIGTERM);
    auto status = child_->wait_for(15s);
    if (!status) return -1;
    return WIFEXITED(*status) ? WEXITSTATUS(*status) : 128 + WTERMSIG(*status);
  }
  std::string topic_payload(const std::string& name) {
    flatbuffers::FlatBufferBuilder fbb;
    return finish(fbb, fb::CreateTopicNameRequest(fbb, fbb.CreateString(name)));
  }

  ferry::test::TempDir dir_{"ferry-ferryd-core"};
  std::string address_ = ferry::test::loopback(ferry::test::free_port());
  std::string config_ = dir_.str() + "/broker.toml";
  std::unique_ptr<ferry::test::ChildProcess> child_;
  int runs_ = 0;
};

TEST_P(FerrydCore, HeldPullGetsAMessageLongBeforeItsHoldEnds) {
  CoreClient producer(address_), consumer(address_);
  ASSERT_TRUE(producer.connected && consumer.connected);
  ASSERT_EQ(producer.ask(FERRY_CODE_TOPIC_CREATE, topic_create("Orders", 2, 2)).status, FERRY_OK);
  auto started = std::chrono::steady_clock::now();
  auto held = consumer.ask_async(FERRY_CODE_PULL_MESSAGE, pull_request("Orders", 1, 0, 5000, "Paid"), "", 8000);
  // The pull is held (nothing to read yet) before anything is sent.
  ASSERT_TRUE(wait_until([&] {
    flatbuffers::FlatBufferBuilder fbb;
    Reply s = producer.ask(FERRY_CODE_RUNTIME_STATS, finish(fbb, fb::CreateRuntimeStatsRequest(fbb)));
    for (const auto* st : *s.as<fb::RuntimeStatsResponse>()->stats())
      if (sv(st->name()) == "held_pulls") return st->value() == 1;
    return false;
  }, 3s));
  auto [p, att] = send_request("Orders", {{"skip", "Other", "", "", 1}, {"paid-1", "Paid", "order-1", "U1", 1}});
  Reply sent = producer.ask(FERRY_CODE_SEND_BATCH, p, att);
  ASSERT_EQ(sent.status, FERRY_OK) << sent.message;
  ASSERT_EQ(held.wait_for(8s), std::future_status::ready);
  Reply got = held.get();
  // Woken by the dispatch of the new record, not by the 5 s hold running out.
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2500ms);
  ASSERT_EQ(got.status, FERRY_OK) << got.message;
  ASSERT_NE(got.as<fb::PullResponse>(), nullptr);
  EXPECT_EQ(got.as<fb::PullResponse>()->count(), 1u);
  ferry_record_view rec;
  ASSERT_EQ(ferry_record_decode(got.attachment.data(), got.attachment.size(), &rec), FERRY_OK);
  EXPECT_EQ(std::string(static_cast<const char*>(rec.body.data), rec.body.len), "paid-1");
}

// Pulls held turn after turn on one queue: with mmaplog and async flush the
// loop dispatches a turn's records itself (storage.h, dispatch_inline) once
// the dispatcher has mapped the log for reading; each is answered with the
// one record sent for it, in order.
TEST_P(FerrydCore, HeldPullsAreAnsweredTurnAfterTurn) {
  CoreClient producer(address_), consumer(address_);
  ASSERT_TRUE(producer.connected && consumer.connected);
  ASSERT_EQ(producer.ask(FERRY_CODE_TOPIC_CREATE, topic_create("Flow", 2, 2)).status, FERRY_OK);
  auto held_now = [&] {
    flatbuffers::FlatBufferBuilder fbb;
    Reply s = producer.ask(FERRY_CODE_RUNTIME_STATS, finish(fbb, fb::CreateRuntimeStatsRequest(fbb)));
    for (const auto* st : *s.as<fb::RuntimeStatsResponse>()->stats())
      if (sv(st->name()) == "held_pulls") return static_cast<uint64_t>(st->value());
    return uint64_t{0};
  };
  for (uint64_t i = 0; i < 5; ++i) {
    auto held = consumer.ask_async(FERRY_CODE_PULL_MESSAGE, pull_request("Flow", 1, i, 5000), "", 8000);
    ASSERT_TRUE(wait_until([&] { return held_now() == 1; }, 3s)) << "round " << i;
    const std::string body = "flow-" + std::to_string(i);
    auto [p, att] = send_request("Flow", {{body, "", "", "", 1}});
    Reply sent = producer.ask(FERRY_CODE_SEND_MESSAGE, p, att);
    ASSERT_EQ(sent.status, FERRY_OK) << sent.message;
    ASSERT_EQ(held.wait_for(8s), std::future_status::ready) << "round " << i;
    Reply got = held.get();
    ASSERT_EQ(got.status, FERRY_OK) << got.message;
    ASSERT_NE(got.as<fb::PullResponse>(), nullptr);
    ASSERT_EQ(got.as<fb::PullResponse>()->count(), 1u) << "round " << i;
    EXPECT_EQ(got.as<fb::PullResponse>()->next_offset(), i + 1);
    ferry_record_view rec;
    ASSERT_EQ(ferry_record_decode(got.attachment.data(), got.attachment.size(), &rec), FERRY_OK);
    EXPECT_EQ(std::string(static_cast<const char*>(rec.body.data), rec.body.len), body);
  }
}

TEST_P(FerrydCore, BadRequestsGetSpecificStatusesAndTheBrokerKeepsServing) {
  CoreClient bad(address_), good(address_);
  ASSERT_EQ(good.ask(FERRY_CODE_TOPIC_CREATE, topic_create("T")).status, FERRY_OK);
  auto send = [&](CoreClient& c, const std::string& topic, const std::string& body) {
    auto [p, att] = send_request(topic, {{body}});
    return c.ask(FERRY_CODE_SEND_MESSAGE, p, att);
  };
  Reply r = send(bad, "Nope", "x");
  EXPECT_EQ(r.status, FERRY_E_TOPIC_NOT_FOUND) << r.message;
  r = send(bad, "T", std::string(65 * 1024, 'x'));
  EXPECT_EQ(r.status, FERRY_E_MESSAGE_TOO_LARGE) << r.message;
  EXPECT_NE(r.message.find("max_message_size"), std::string::npos);
  r = send(bad, "bad name", "x");
  EXPECT_EQ(r.status, FERRY_E_INVALID_NAME) << r.message;
  r = bad.ask(FERRY_CODE_PULL_MESSAGE, pull_request("T", 0, 0, 0, "A ||"));
  EXPECT_EQ(r.status, FERRY_E_BAD_SUBSCRIPTION) << r.message;
  r = bad.ask(FERRY_CODE_PULL_MESSAGE, pull_request("T", 0, 42));
  EXPECT_EQ(r.status, FERRY_E_OFFSET_OUT_OF_RANGE) << r.message;
  r = bad.ask(4242, "");
  EXPECT_EQ(r.status, FERRY_E_UNKNOWN_REQUEST) << r.message;
  r = bad.ask(FERRY_CODE_SEND_MESSAGE, "not a flatbuffer", "x");
  EXPECT_EQ(r.status, FERRY_E_INVALID_ARGUMENT) << r.message;
  r = send(good, "T", "fine");
  EXPECT_EQ(r.status, FERRY_OK) << r.message;
}

TEST_P(FerrydCore, MembershipChangesNotifyTheRemainingConsumers) {
  CoreClient a(address_);
  auto b = std::make_unique<CoreClient>(address_);
  ASSERT_EQ(a.ask(FERRY_CODE_TOPIC_CREATE, topic_create("T")).status, FERRY_OK);
  ASSERT_EQ(a.ask(FERRY_CODE_HEARTBEAT, heartbeat("A", {{"G", 1, true, {{"T", "*"}}}})).status, FERRY_OK);
  ASSERT_EQ(b->ask(FERRY_CODE_HEARTBEAT, heartbeat("B", {{"G", 1, true, {{"T", "*"}}}})).status, FERRY_OK);
  using Members = std::vector<std::string>;
  ASSERT_TRUE(wait_until([&] {
    auto m = a.memberships();
    return !m.empty() && m.back() == Members{"A", "B"};
  }, 5s)) << "A was not told that B joined";
  b->close();  // connection closed: B leaves at once, not after expiry
  ASSERT_TRUE(wait_until([&] {
    auto m = a.memberships();
    return !m.empty() && m.back() == Members{"A"};
  }, 5s)) << "A was not told that B left";
}

TEST_P(FerrydCore, TopicsAndOffsetsSurviveARestart) {
  {
    CoreClient c(address_);
    ASSERT_EQ(c.ask(FERRY_CODE_TOPIC_CREATE, topic_create("Kept", 3, 3)).status, FERRY_OK);
    flatbuffers::FlatBufferBuilder fbb;
    std::vector<flatbuffers::Offset<fb::QueueOffset>> v{fb::CreateQueueOffset(fbb, fbb.CreateString("Kept"), 2, 17)};
    ASSERT_EQ(c.ask(FERRY_CODE_COMMIT_OFFSETS,
                    finish(fbb, fb::CreateCommitOffsetsRequest(fbb, fbb.CreateString("cg"), fbb.CreateVector(v))))
                  .status,
              FERRY_OK);
  }
  ASSERT_EQ(stop(), 0) << child_->log();
  ASSERT_NO_FATAL_FAILURE(start());
  CoreClient c(address_);
  Reply t = c.ask(FERRY_CODE_TOPIC_GET, topic_payload("Kept"));
  ASSERT_EQ(t.status, FERRY_OK) << t.message;
  EXPECT_EQ(t.as<fb::TopicResponse>()->topic()->write_queues(), 3u);
  flatbuffers::FlatBufferBuilder fbb;
  Reply q = c.ask(FERRY_CODE_QUERY_OFFSET,
                  finish(fbb, fb::CreateQueryOffsetRequest(fbb, fbb.CreateString("cg"), fbb.CreateString("Kept"), 2)));
  ASSERT_EQ(q.status, FERRY_OK) << q.message;
  EXPECT_EQ(q.as<fb::QueryOffsetResponse>()->offset(), 17u);
}

// Topic creation is acknowledged only once the topic table is on disk: a
// SIGKILL right after the reply loses neither an admin-created nor an
// auto-created topic (the group-commit window is long enough that an early
// reply would be caught).
TEST_P(FerrydCore, TopicAcknowledgedAsCreatedSurvivesSigkill) {
  ASSERT_EQ(stop(), 0) << child_->log();
  write_config("auto_create_topics = true\ntopic_persist_delay = \"300ms\"\n");
  ASSERT_NO_FATAL_FAILURE(start());
  {
    CoreClient c(address_);
    ASSERT_TRUE(c.connected);
    Reply created = c.ask(FERRY_CODE_TOPIC_CREATE, topic_create("ByAdmin", 3, 3));
    ASSERT_EQ(created.status, FERRY_OK) << created.message;
    auto [p, att] = send_request("ByFirstSend", {{"hello"}});
    Reply sent = c.ask(FERRY_CODE_SEND_MESSAGE, p, att);
    ASSERT_EQ(sent.status, FERRY_OK) << sent.message;
    child_->signal(SIGKILL);  // at once: no shutdown save
    ASSERT_TRUE(child_->wait_for(10s).has_value());
  }
  ASSERT_NO_FATAL_FAILURE(start());
  CoreClient c(address_);
  Reply t = c.ask(FERRY_CODE_TOPIC_GET, topic_payload("ByAdmin"));
  ASSERT_EQ(t.status, FERRY_OK) << t.message;
  EXPECT_EQ(t.as<fb::TopicResponse>()->topic()->write_queues(), 3u);
  Reply a = c.ask(FERRY_CODE_TOPIC_GET, topic_payload("ByFirstSend"));
  EXPECT_EQ(a.status, FERRY_OK) << a.message;
}

// Heartbeats carry subscriptions only when they changed; the broker keeps
// them per client, so one member's heartbeat never makes another resend.
TEST_P(FerrydCore, SubscriptionsAreKeptPerClientAndResentOnlyWhenChanged) {
  CoreClient a(address_), b(address_);
  ASSERT_EQ(a.ask(FERRY_CODE_TOPIC_CREATE, topic_create("T")).status, FERRY_OK);
  ASSERT_EQ(a.ask(FERRY_CODE_TOPIC_CREATE, topic_create("U")).status, FERRY_OK);
  auto resend = [](const Reply& r) {
    std::vector<std::string> out;
    const auto* h = r.as<fb::HeartbeatResponse>();
    if (h && h->resend_subscriptions())
      for (const auto* g : *h->resend_subscriptions()) out.emplace_back(sv(g));
    return out;
  };
  using Groups = std::vector<std::string>;
  // A fingerprint the broker has never seen, without subscriptions: resend.
  Reply r = a.ask(FERRY_CODE_HEARTBEAT, heartbeat("A", {{"G", 11, false, {}}}));
  ASSERT_EQ(r.status, FERRY_OK) << r.message;
  EXPECT_EQ(resend(r), Groups{"G"});
  r = a.ask(FERRY_CODE_HEARTBEAT, heartbeat("A", {{"G", 11, true, {{"T", "a"}}}}));
  ASSERT_EQ(r.status, FERRY_OK) << r.message;
  EXPECT_TRUE(resend(r).empty());
  // B, same group, other subscriptions and fingerprint.
  r = b.ask(FERRY_CODE_HEARTBEAT, heartbeat("B", {{"G", 22, true, {{"U", "b"}}}}));
  ASSERT_EQ(r.status, FERRY_OK) << r.message;
  // Fingerprint-only heartbeats from both: neither is asked to resend.
  r = a.ask(FERRY_CODE_HEARTBEAT, heartbeat("A", {{"G", 11, false, {}}}));
  EXPECT_TRUE(resend(r).empty()) << "B's heartbeat replaced A's subscription data";
  r = b.ask(FERRY_CODE_HEARTBEAT, heartbeat("B", {{"G", 22, false, {}}}));
  EXPECT_TRUE(resend(r).empty());
  // A changes its subscriptions: new fingerprint without data -> resend.
  r = a.ask(FERRY_CODE_HEARTBEAT, heartbeat("A", {{"G", 12, false, {}}}));
  EXPECT_EQ(resend(r), Groups{"G"});
  // What the broker holds, per client (admin CONSUMER_CONNECTIONS).
  flatbuffers::FlatBufferBuilder fbb;
  Reply c = a.ask(FERRY_CODE_CONSUMER_CONNECTIONS,
                  finish(fbb, fb::CreateConsumerConnectionsRequest(fbb, fbb.CreateString("G"))));
  ASSERT_EQ(c.status, FERRY_OK) << c.message;
  const auto* conns = c.as<fb::ConsumerConnectionsResponse>()->connections();
  ASSERT_EQ(conns->size(), 2u);
  std::map<std::string, std::string> subs;
  for (const auto* conn : *conns) {
    ASSERT_EQ(conn->subscriptions()->size(), 1u) << sv(conn->client_id());
    const auto* s0 = conn->subscriptions()->Get(0);
    subs[std::string(sv(conn->client_id()))] = std::string(sv(s0->topic())) + ":" + std::string(sv(s0->expression()));
  }
  EXPECT_EQ(subs["A"], "T:a");
  EXPECT_EQ(subs["B"], "U:b");
}

// A queue locked by one member is refused to another until the holder
// unlocks it or its lease runs out; a client outside the group gets none.
TEST_P(FerrydCore, QueueLockIsExclusiveUntilUnlockOrLeaseExpiry) {
  ASSERT_EQ(stop(), 0) << child_->log();
  write_config("queue_lock_lease = \"1s\"\n");
  ASSERT_NO_FATAL_FAILURE(start());
  CoreClient a(address_), b(address_);
  ASSERT_EQ(a.ask(FERRY_CODE_TOPIC_CREATE, topic_create("T", 2, 2)).status, FERRY_OK);
  ASSERT_EQ(a.ask(FERRY_CODE_HEARTBEAT, heartbeat("A", {{"G", 1, true, {{"T", "*"}}}})).status, FERRY_OK);
  ASSERT_EQ(b.ask(FERRY_CODE_HEARTBEAT, heartbeat("B", {{"G", 1, true, {{"T", "*"}}}})).status, FERRY_OK);
  auto locked = [](const Reply& r) {
    std::vector<int32_t> q;
    if (const auto* l = r.as<fb::LockQueuesResponse>(); l && l->locked())
      for (const auto* ref : *l->locked()) q.push_back(ref->queue_id());
    return q;
  };
  using Qs = std::vector<int32_t>;
  Reply r = a.ask(FERRY_CODE_LOCK_QUEUES, lock_request("G", "A", {{"T", 0}, {"T", 1}}));
  ASSERT_EQ(r.status, FERRY_OK) << r.message;
  EXPECT_EQ(locked(r), (Qs{0, 1}));
  r = b.ask(FERRY_CODE_LOCK_QUEUES, lock_request("G", "B", {{"T", 0}, {"T", 1}}));
  ASSERT_EQ(r.status, FERRY_OK) << r.message;
  EXPECT_TRUE(locked(r).empty()) << "B got a queue A holds";
  r = b.ask(FERRY_CODE_LOCK_QUEUES, lock_request("G", "X", {{"T", 0}}));
  EXPECT_EQ(r.status, FERRY_E_GROUP_NOT_FOUND) << "a client outside the group locked: " << r.message;
  // A unlocks queue 1: B may take it, not queue 0.
  ASSERT_EQ(a.ask(FERRY_CODE_UNLOCK_QUEUES, lock_request("G", "A", {{"T", 1}}, false)).status, FERRY_OK);
  r = b.ask(FERRY_CODE_LOCK_QUEUES, lock_request("G", "B", {{"T", 0}, {"T", 1}}));
  EXPECT_EQ(locked(r), Qs{1});
  // A stops renewing queue 0 (still a member): once its 1 s lease ends, B gets it.
  bool got = wait_until([&] {
    Reply x = b.ask(FERRY_CODE_LOCK_QUEUES, lock_request("G", "B", {{"T", 0}}));
    std::this_thread::sleep_for(100ms);
    return locked(x) == Qs{0};
  }, 10s);
  EXPECT_TRUE(got) << "queue 0 still refused well after A's lease ended";
  r = a.ask(FERRY_CODE_LOCK_QUEUES, lock_request("G", "A", {{"T", 0}}));
  EXPECT_TRUE(locked(r).empty()) << "A took back a queue B now holds";
}

// Deleting a topic answers the pulls held on it at once with
// FERRY_E_TOPIC_NOT_FOUND and a message that says why; pulls held on other
// topics keep waiting.
TEST_P(FerrydCore, DeletingATopicAnswersItsHeldPullsAtOnce) {
  CoreClient admin(address_), consumer(address_);
  ASSERT_EQ(admin.ask(FERRY_CODE_TOPIC_CREATE, topic_create("Doomed", 1, 1)).status, FERRY_OK);
  ASSERT_EQ(admin.ask(FERRY_CODE_TOPIC_CREATE, topic_create("Kept", 1, 1)).status, FERRY_OK);
  auto doomed = consumer.ask_async(FERRY_CODE_PULL_MESSAGE, pull_request("Doomed", 0, 0, 8000), "", 12000);
  auto kept = consumer.ask_async(FERRY_CODE_PULL_MESSAGE, pull_request("Kept", 0, 0, 8000), "", 12000);
  ASSERT_TRUE(wait_until([&] {
    flatbuffers::FlatBufferBuilder fbb;
    Reply s = admin.ask(FERRY_CODE_RUNTIME_STATS, finish(fbb, fb::CreateRuntimeStatsRequest(fbb)));
    for (const auto* st : *s.as<fb::RuntimeStatsResponse>()->stats())
      if (sv(st->name()) == "held_pulls") return st->value() == 2;
    return false;
  }, 3s)) << "the two pulls were not held";
  auto deleted_at = std::chrono::steady_clock::now();
  Reply del = admin.ask(FERRY_CODE_TOPIC_DELETE, topic_payload("Doomed"));
  ASSERT_EQ(del.status, FERRY_OK) << del.message;
  ASSERT_EQ(doomed.wait_for(12s), std::future_status::ready);
  Reply got = doomed.get();
  // Answered by the delete, not by its 8 s hold running out.
  EXPECT_LT(got.answered_at - deleted_at, 4s);
  EXPECT_EQ(got.status, FERRY_E_TOPIC_NOT_FOUND) << got.message;
  EXPECT_NE(got.message.find("deleted while this pull was held"), std::string::npos) << got.message;
  EXPECT_EQ(kept.wait_for(0s), std::future_status::timeout) << "a pull on another topic was answered";
  // The broker keeps serving the other topic: a send wakes the kept pull.
  auto [p, att] = send_request("Kept", {{"still here"}});
  ASSERT_EQ(admin.ask(FERRY_CODE_SEND_MESSAGE, p, att).status, FERRY_OK);
  ASSERT_EQ(kept.wait_for(12s), std::future_status::ready);
  EXPECT_EQ(kept.get().status, FERRY_OK);
}

// Consumer lag per group/topic is a /metrics series, computed when scraped:
// max offset - committed offset summed over the topic's queues.
TEST_P(FerrydCore, ConsumerLagIsAMetricsSeriesPerGroupAndTopic) {
  ASSERT_EQ(stop(), 0) << child_->log();
  const int metrics_port = ferry::test::free_port();
  write_config("", "metrics_listen = \"127.0.0.1:" + std::to_string(metrics_port) + "\"\n");
  ASSERT_NO_FATAL_FAILURE(start());
  CoreClient c(address_);
  ASSERT_EQ(c.ask(FERRY_CODE_TOPIC_CREATE, topic_create("Lagged", 2, 2)).status, FERRY_OK);
  std::vector<Msg> q0(5, Msg{"m", "", "", "", 0}), q1(3, Msg{"m", "", "", "", 1});
  for (const auto* batch : {&q0, &q1}) {
    auto [p, att] = send_request("Lagged", *batch);
    Reply r = c.ask(FERRY_CODE_SEND_BATCH, p, att);
    ASSERT_EQ(r.status, FERRY_OK) << r.message;
  }
  auto commit = [&](const std::string& group, uint64_t o0, uint64_t o1) {
    flatbuffers::FlatBufferBuilder fbb;
    std::vector<flatbuffers::Offset<fb::QueueOffset>> v{fb::CreateQueueOffset(fbb, fbb.CreateString("Lagged"), 0, o0),
                                                        fb::CreateQueueOffset(fbb, fbb.CreateString("Lagged"), 1, o1)};
    return c.ask(FERRY_CODE_COMMIT_OFFSETS,
                 finish(fbb, fb::CreateCommitOffsetsRequest(fbb, fbb.CreateString(group), fbb.CreateVector(v))))
        .status;
  };
  ASSERT_EQ(commit("slow", 2, 1), FERRY_OK);
  ASSERT_EQ(commit("done", 5, 3), FERRY_OK);
  const std::string slow = "ferry_core_consumer_lag{group=\"slow\",topic=\"Lagged\"} ";
  const std::string done = "ferry_core_consumer_lag{group=\"done\",topic=\"Lagged\"} ";
  std::string text;
  // Dispatch (queue max offsets) follows the append shortly: bounded wait.
  EXPECT_TRUE(wait_until([&] {
    text = ferry::test::scrape_metrics(metrics_port);
    return text.find(slow + "5\n") != std::string::npos;
  }, 5s)) << "no lag 5 = (5-2)+(3-1) for group slow:\n" << text;
  EXPECT_NE(text.find(done + "0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE ferry_core_consumer_lag gauge"), std::string::npos) << text;
  // The slow group catches up: the next scrape says so.
  ASSERT_EQ(commit("slow", 5, 3), FERRY_OK);
  text = ferry::test::scrape_metrics(metrics_port);
  EXPECT_NE(text.find(slow + "0\n"), std::string::npos) << text;
}

// The retry flow on a real broker: a send-back lands in %RETRY%<group> and
// is pulled from there; an unknown offset, an unknown or malformed group and
// a wrong topic each get their own status, and the broker keeps serving.
TEST_P(FerrydCore, SendBackStoresARetryCopyAndRefusesBadRequestsSpecifically) {
  CoreClient c(address_);
  ASSERT_TRUE(c.connected);
  ASSERT_EQ(c.ask(FERRY_CODE_TOPIC_CREATE, topic_create("Orders", 1, 1)).status, FERRY_OK);
  ASSERT_EQ(c.ask(FERRY_CODE_HEARTBEAT, heartbeat("c1", {{"cg", 1, true, {{"Orders", ""}, {"%RETRY%cg", ""}}}})).status,
            FERRY_OK);
  auto [p, att] = send_request("Orders", {{"failing", "", "", "U1", 0}});
  Reply sent = c.ask(FERRY_CODE_SEND_MESSAGE, p, att);
  ASSERT_EQ(sent.status, FERRY_OK) << sent.message;
  uint64_t offset = sent.as<fb::SendResponse>()->results()->Get(0)->commit_offset();
  // The record must be visible (dispatched) before the broker can read it.
  Reply back;
  ASSERT_TRUE(wait_until([&] {
    back = c.ask(FERRY_CODE_CONSUMER_SEND_BACK, send_back(offset, "cg", "Orders"));
    return back.status != FERRY_E_NOT_FOUND;
  }, 5s));
  ASSERT_EQ(back.status, FERRY_OK) << back.message;
  EXPECT_EQ(sv(back.as<fb::SendResponse>()->topic()), "%RETRY%cg");
  Reply pulled;
  ASSERT_TRUE(wait_until([&] {
    pulled = c.ask(FERRY_CODE_PULL_MESSAGE, pull_request("%RETRY%cg", 0, 0));
    return pulled.status == FERRY_OK;
  }, 5s)) << pulled.message;
  ferry_record_view rec;
  ASSERT_EQ(ferry_record_decode(pulled.attachment.data(), pulled.attachment.size(), &rec), FERRY_OK);
  EXPECT_EQ(rec.reconsume_times, 1);
  ferry_slice origin{};
  ASSERT_TRUE(ferry_property_find(rec.properties, FERRY_PROP_RETRY_TOPIC, &origin));
  EXPECT_EQ(std::string(static_cast<const char*>(origin.data), origin.len), "Orders");

  Reply r = c.ask(FERRY_CODE_CONSUMER_SEND_BACK, send_back(offset + 1, "cg", "Orders"));
  EXPECT_EQ(r.status, FERRY_E_NOT_FOUND) << r.message;
  EXPECT_NE(r.message.find("commit offset"), std::string::npos) << r.message;
  r = c.ask(FERRY_CODE_CONSUMER_SEND_BACK, send_back(offset, "stranger", "Orders"));
  EXPECT_EQ(r.status, FERRY_E_GROUP_NOT_FOUND) << r.message;
  r = c.ask(FERRY_CODE_CONSUMER_SEND_BACK, send_back(offset, "no such group", "Orders"));
  EXPECT_EQ(r.status, FERRY_E_INVALID_NAME) << r.message;
  r = c.ask(FERRY_CODE_CONSUMER_SEND_BACK, send_back(offset, "cg", "Invoices"));
  EXPECT_EQ(r.status, FERRY_E_INVALID_ARGUMENT) << r.message;
  // Still serving.
  auto [p2, att2] = send_request("Orders", {{"next"}});
  EXPECT_EQ(c.ask(FERRY_CODE_SEND_MESSAGE, p2, att2).status, FERRY_OK);
}

// Operators and profiles tell ferryd's threads apart by name (top -H, perf,
// /proc/<pid>/task/*/comm): the plugins name the threads they start.
TEST_P(FerrydCore, PluginThreadsAreNamed) {
  // Each thread names itself as its first step, so a thread the scheduler has
  // not run yet still shows the process's name: read until all are there.
  const bool mmaplog = GetParam().storage == "mmaplog";
  std::map<std::string, int> names;
  const std::string tasks = "/proc/" + std::to_string(child_->pid()) + "/task";
  auto read_names = [&] {
    names.clear();
    for (const auto& e : std::filesystem::directory_iterator(tasks)) {
      std::string comm;
      std::getline(std::ifstream(e.path() / "comm"), comm);
      ++names[comm];
    }
    return names["ferry-dispatch"] >= 1 && names["ferry-flush"] >= 1 && (!mmaplog || names["ferry-housekeep"] >= 1);
  };
  wait_until(read_names, 5s);
  std::string all;
  for (const auto& [n, count] : names) all += n + " ";
  EXPECT_GE(names["ferry-dispatch"], 1) << all;
  EXPECT_GE(names["ferry-flush"], 1) << all;
  if (mmaplog) {
    EXPECT_GE(names["ferry-housekeep"], 1) << all;
  }
}

INSTANTIATE_TEST_SUITE_P(Assemblies, FerrydCore,
                         ::testing::Values(Assembly{"mmaplog", "sync"}, Assembly{"memory", "async"},
                                           Assembly{"mmaplog", "async"}),
                         [](const ::testing::TestParamInfo<Assembly>& p) {
                           return p.param.storage + "_" + p.param.flush;
                         });

}  // namespace
}  // namespace ferry::core::test
