// The messaging core inside a real ferryd, driven over loopback with
// kernel/net's Client, under two assemblies (mmaplog + sync flush, memory +
// async flush) that no test body knows about.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <csignal>
#include <fstream>

#include "core_client.h"
#include "ferry_test/free_port.h"
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
  // `core_extra`: more [core] keys.
  void write_config(const std::string& core_extra) {
    std::ofstream(config_) << "[kernel]\nlisten = \"" << address_ << "\"\ndata_dir = \"" << dir_.str()
                           << "/data\"\nlog_level = \"info\"\n\n"
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

INSTANTIATE_TEST_SUITE_P(Assemblies, FerrydCore,
                         ::testing::Values(Assembly{"mmaplog", "sync"}, Assembly{"memory", "async"}),
                         [](const ::testing::TestParamInfo<Assembly>& p) {
                           return p.param.storage + "_" + p.param.flush;
                         });

}  // namespace
}  // namespace ferry::core::test
