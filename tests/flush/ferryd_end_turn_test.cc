// ferryd ends the storage's turn (storage.h, end_turn) once per loop turn in
// which it appended and never in a turn without appends. A real ferryd
// loads ferry_storage_turnlog (the memory storage with an end_turn that
// logs): 'A' per storing append, 'E' per end_turn, in call order.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <csignal>
#include <fstream>
#include <future>
#include <regex>
#include <sstream>
#include <thread>

#include "core_client.h"
#include "ferry_test/child_process.h"
#include "ferry_test/free_port.h"
#include "ferry_test/paths.h"
#include "ferry_test/temp_dir.h"

namespace ferry::core::test {
namespace {

using namespace std::chrono_literals;

class FerrydEndTurn : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ofstream(config_) << "[kernel]\nlisten = \"" << address_ << "\"\ndata_dir = \""
                           << dir_.str() << "/data\"\nlog_level = \"info\"\n\n"
                           << "[core]\nclient_sweep_interval = \"50ms\"\n"
                           << "offset_persist_interval = \"50ms\"\n\n"
                           << "[plugins.storage]\nlibrary = \"" << ferry::test::build_dir()
                           << "/lib/ferry/test-plugins/ferry_storage_turnlog.so\"\n"
                           << "event_log = \"" << events_ << "\"\n\n"
                           << "[plugins.flush]\nlibrary = \"ferry_flush_async\"\n";
    child_ = std::make_unique<ferry::test::ChildProcess>(
        std::vector<std::string>{ferry::test::bin_path("ferryd"), "--config", config_},
        dir_.str() + "/ferryd.log");
    ASSERT_TRUE(wait_until([&] {
      return child_->log().find("ferryd serving") != std::string::npos || !child_->running();
    }, 20s)) << child_->log();
    ASSERT_TRUE(child_->running()) << child_->log();
  }
  void TearDown() override {
    if (!child_ || !child_->running()) return;
    child_->signal(SIGTERM);
    auto status = child_->wait_for(15s);
    ASSERT_TRUE(status.has_value()) << child_->log();
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << child_->log();
  }
  std::string events() {
    std::ifstream in(events_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  Reply send(CoreClient& c, const std::string& body) {
    auto [p, att] = send_request("T", {{body}});
    return c.ask(FERRY_CODE_SEND_MESSAGE, p, att);
  }

  ferry::test::TempDir dir_{"ferry-end-turn"};
  std::string address_ = ferry::test::loopback(ferry::test::free_port());
  std::string config_ = dir_.str() + "/broker.toml";
  std::string events_ = dir_.str() + "/events";
  std::unique_ptr<ferry::test::ChildProcess> child_;
};

// One client sending and waiting for each answer: every send is a turn of
// its own, so the storage sees append, end_turn, append, end_turn... and
// nothing else, even with idle turns (timers, heartbeats, pulls) between.
TEST_F(FerrydEndTurn, EachTurnThatAppendedEndsOnceAndNoOtherTurnDoes) {
  CoreClient c(address_);
  ASSERT_TRUE(c.connected);
  ASSERT_EQ(c.ask(FERRY_CODE_TOPIC_CREATE, topic_create("T", 1, 1)).status, FERRY_OK);
  const int kSends = 20;
  for (int i = 0; i < kSends; ++i) {
    Reply r = send(c, "m" + std::to_string(i));
    ASSERT_EQ(r.status, FERRY_OK) << r.message;
    // Turns without appends: a heartbeat, a pull, and the broker's timers.
    ASSERT_EQ(c.ask(FERRY_CODE_HEARTBEAT, heartbeat("C", {{"G", 1, true, {{"T", "*"}}}})).status,
              FERRY_OK);
    Reply pulled = c.ask(FERRY_CODE_PULL_MESSAGE, pull_request("T", 0, i));
    ASSERT_NE(pulled.answered_at, std::chrono::steady_clock::time_point{}) << "pull unanswered";
    if (i % 5 == 0) std::this_thread::sleep_for(120ms);
  }
  std::string expected;
  for (int i = 0; i < kSends; ++i) expected += "AE";
  // The end_turn follows its answer's turn in the same loop iteration; the
  // last pull's answer came after it.
  EXPECT_EQ(events(), expected);
}

// Sends from many clients at once (turns with several sends, appended
// together or not): no end_turn without an append before it, none missing.
TEST_F(FerrydEndTurn, ConcurrentSendsEndEveryTurnOnceAfterItsAppends) {
  std::vector<std::unique_ptr<CoreClient>> clients;
  for (int i = 0; i < 4; ++i) {
    clients.push_back(std::make_unique<CoreClient>(address_));
    ASSERT_TRUE(clients.back()->connected);
  }
  ASSERT_EQ(clients[0]->ask(FERRY_CODE_TOPIC_CREATE, topic_create("T", 2, 2)).status, FERRY_OK);
  std::vector<std::future<Reply>> pending;
  for (int round = 0; round < 50; ++round)
    for (auto& c : clients) {
      auto [p, att] = send_request("T", {{"x" + std::to_string(round)}});
      pending.push_back(c->ask_async(FERRY_CODE_SEND_MESSAGE, p, att, 10000));
    }
  for (auto& f : pending) {
    ASSERT_EQ(f.wait_for(15s), std::future_status::ready);
    Reply r = f.get();
    ASSERT_EQ(r.status, FERRY_OK) << r.message;
  }
  std::string ev;
  // The last answered send's end_turn may run just after its answer left.
  ASSERT_TRUE(wait_until([&] {
    ev = events();
    return !ev.empty() && ev.back() == 'E';
  }, 5s)) << ev;
  EXPECT_TRUE(std::regex_match(ev, std::regex("(A+E)+"))) << ev;
}

}  // namespace
}  // namespace ferry::core::test
