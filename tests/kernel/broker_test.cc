// ferryd from conf/standalone.toml as a real broker: create a topic, send
// messages, pull them back as raw records (acked only once durable), and
// find them again after a restart on the same data dir.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <ferry/codes.h>
#include <ferry/record.h>

#include <csignal>

#include "client_wire.h"
#include "core/wire.h"
#include "ferry_test/free_port.h"
#include "ferry_test/paths.h"
#include "ferry_test/temp_dir.h"
#include "test_client.h"

namespace ferry::test {
namespace {

namespace fb = ::ferry::wire::core;
namespace wire = ::ferry::core::test;

class Broker : public ::testing::Test {
 protected:
  void start() {
    std::string addr = loopback(port_);
    child_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{bin_path("ferryd"), "--config",
                                 source_dir() + "/conf/standalone.toml", "--set",
                                 "kernel.data_dir=" + dir_.str() + "/data", "--set",
                                 "kernel.listen=" + addr, "--set",
                                 "plugins.registration.name_servers=[\"" + addr + "\"]", "--set",
                                 "plugins.storage.segment_size=4MiB"},
        dir_.str() + "/ferryd-" + std::to_string(++runs_) + ".log");
    ASSERT_TRUE(wait_until([&] { return child_->log().find("ferryd serving") != std::string::npos ||
                                        !child_->running(); },
                           20s))
        << child_->log();
    ASSERT_TRUE(child_->running()) << child_->log();
  }
  int stop() {
    child_->signal(SIGTERM);
    auto status = child_->wait_for(10s);
    if (!status) return -1;
    return WIFEXITED(*status) ? WEXITSTATUS(*status) : 128 + WTERMSIG(*status);
  }
  // Bodies of the records a pull of queue 0 from offset 0 returns. The
  // consume queue is built asynchronously behind the commit log, so the pull
  // long-polls (held up to 3 s, answered as soon as records are dispatched).
  std::vector<std::string> pull_bodies(TestClient& client) {
    Answer a = client.ask(FERRY_CODE_PULL_MESSAGE,
                          wire::pull_request("TopicA", 0, 0, /*hold_ms=*/3000), "", 5000);
    EXPECT_EQ(a.status, FERRY_OK) << a.message;
    std::vector<uint64_t> aligned((a.payload.size() + 7) / 8);
    std::memcpy(aligned.data(), a.payload.data(), a.payload.size());
    const auto* resp = flatbuffers::GetRoot<fb::PullResponse>(aligned.data());
    EXPECT_EQ(resp->status(), fb::PullStatus::Found);
    std::vector<std::string> bodies;
    size_t off = 0;
    for (uint32_t i = 0; i < resp->count(); ++i) {
      ferry_record_view rec;
      if (ferry_record_decode(a.attachment.data() + off, a.attachment.size() - off, &rec) !=
          FERRY_OK)
        break;
      bodies.emplace_back(static_cast<const char*>(rec.body.data), rec.body.len);
      off += rec.total_size;
    }
    return bodies;
  }

  TempDir dir_{"ferry-broker"};
  uint16_t port_ = free_port();
  std::unique_ptr<ChildProcess> child_;
  int runs_ = 0;
};

TEST_F(Broker, SendPullAndRestartThroughFerryd) {
  ASSERT_NO_FATAL_FAILURE(start());
  {
    TestClient client(loopback(port_));
    ASSERT_TRUE(client.wait_connected());
    Answer created = client.ask(FERRY_CODE_TOPIC_CREATE, wire::topic_create("TopicA"));
    ASSERT_EQ(created.status, FERRY_OK) << created.message;
    auto [payload, attachment] =
        wire::send_request("TopicA", {{"one", "TagA", "", "", 0}, {"two", "TagB", "", "", 0},
                                      {"three", "TagA", "", "", 0}});
    Answer sent = client.ask(FERRY_CODE_SEND_BATCH, payload, attachment, 5000);
    ASSERT_EQ(sent.status, FERRY_OK) << sent.message << "\n" << child_->log();
    EXPECT_EQ(pull_bodies(client), (std::vector<std::string>{"one", "two", "three"}));
  }
  EXPECT_EQ(stop(), 0) << child_->log();

  // Same data dir: the topic and the acknowledged messages are still there.
  ASSERT_NO_FATAL_FAILURE(start());
  {
    TestClient client(loopback(port_));
    ASSERT_TRUE(client.wait_connected());
    EXPECT_EQ(pull_bodies(client), (std::vector<std::string>{"one", "two", "three"}));
  }
  EXPECT_EQ(stop(), 0) << child_->log();
}

}  // namespace
}  // namespace ferry::test
