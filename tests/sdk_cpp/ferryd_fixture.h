// A real ferryd for the C++ SDK tests: the config of
// tests/sdk_python/ferryd_standalone.toml (shared with the Python tests), a
// free port, a temp data dir; ChildProcess always reaps it. When ferryd
// cannot start with it or does not serve the core requests yet, skip()
// names what is missing and the tests GTEST_SKIP with it.
// FERRY_SDK_TEST_BROKER="name_servers=ADDR broker=ADDR" runs the tests
// against a broker someone else started instead (e.g. the fake of
// ferry_sdk_cpp_send_bench --serve).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include "ferry/ferry.hpp"
#include "ferry_test/child_process.h"
#include "ferry_test/free_port.h"
#include "ferry_test/paths.h"
#include "ferry_test/temp_dir.h"

namespace ferry::test {

class Ferryd {
 public:
  Ferryd() : address_(loopback(free_port())) {
    broker_address_ = address_;  // standalone: one process is both
    if (const char* external = std::getenv("FERRY_SDK_TEST_BROKER")) {
      // "name_servers=ADDR broker=ADDR": a broker someone else runs.
      std::istringstream fields(external);
      for (std::string f; fields >> f;) {
        if (f.rfind("name_servers=", 0) == 0) address_ = f.substr(13);
        if (f.rfind("broker=", 0) == 0) broker_address_ = f.substr(7);
      }
      return;
    }
    std::ifstream in(source_dir() + "/tests/sdk_python/ferryd_standalone.toml");
    std::stringstream text;
    text << in.rdbuf();
    std::string conf = text.str();
    replace(conf, "@PORT@", address_.substr(address_.rfind(':') + 1));
    replace(conf, "@DATA_DIR@", dir_.str() + "/data");
    std::ofstream(dir_.str() + "/ferryd.toml") << conf;
    child_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{bin_path("ferryd"), "--config", dir_.str() + "/ferryd.toml"},
        dir_.str() + "/ferryd.log");
    bool up = wait_until([&] { return log().find("ferryd serving") != std::string::npos || !child_->running(); },
                         std::chrono::seconds(20));
    if (!up || !child_->running()) skip_ = "ferryd does not start with the standalone plugins: " + tail(log());
  }

  const std::string& address() const { return address_; }
  const std::string& skip() const { return skip_; }
  std::string log() const { return child_ ? child_->log() : std::string(); }
  std::string dir() const { return dir_.str(); }

  // Creates a topic and waits (bounded) for the name server to route it.
  // Returns a skip reason when ferryd does not serve these requests.
  std::string create_topic(const std::string& topic, uint32_t queues = 4) {
    try {
      auto admin = ferry::AdminBuilder().name_servers(address_).log_level("error").build();
      ferry::TopicSettings t;
      t.name = topic;
      t.read_queues = t.write_queues = queues;
      admin.create_topic(broker_address_, t);
      std::string last;
      bool routed = wait_until(
          [&] {
            try {
              return admin.topic_route(topic).find("\"queues\":[{") != std::string::npos;
            } catch (const ferry::Error& e) {
              last = e.what();
              return false;
            }
          },
          std::chrono::seconds(10), std::chrono::milliseconds(50));
      return routed ? std::string() : "ferryd's name server never routed a created topic: " + last;
    } catch (const ferry::Error& e) {
      return std::string("ferryd does not serve core requests yet (create topic: ") + e.what() + ")";
    }
  }

 private:
  static void replace(std::string& s, const std::string& from, const std::string& to) {
    for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) s.replace(at, from.size(), to);
  }
  static std::string tail(const std::string& log) {
    return log.size() > 400 ? log.substr(log.size() - 400) : log;
  }

  TempDir dir_{"ferry-sdkcpp"};
  std::string address_;
  std::string broker_address_;
  std::unique_ptr<ChildProcess> child_;
  std::string skip_;
};

// One ferryd per test suite; every test skips with the reason when it is
// not serving. make_topic() creates the test's own topic; a test calls
//   std::string topic; make_topic(&topic); if (IsSkipped()) return;
class BrokerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { broker_ = std::make_unique<Ferryd>(); }
  static void TearDownTestSuite() { broker_.reset(); }
  void SetUp() override {
    if (!broker_->skip().empty()) GTEST_SKIP() << broker_->skip();
  }
  void make_topic(std::string* out, uint32_t queues = 4) {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    *out = std::string(info->test_suite_name()) + "_" + info->name();
    std::string why = broker_->create_topic(*out, queues);
    if (!why.empty()) GTEST_SKIP() << why;
  }
  // FERRY_SDK_TEST_LOG_LEVEL (e.g. "debug") turns the clients' logs up to
  // see why a connection dropped; quiet by default.
  static std::string client_log_level() {
    const char* level = std::getenv("FERRY_SDK_TEST_LOG_LEVEL");
    return level && *level ? level : "error";
  }
  ferry::ProducerBuilder producer_builder(const std::string& group) {
    ferry::ProducerBuilder b;
    b.name_servers(broker_->address()).group(group).log_level(client_log_level());
    return b;
  }
  template <class Builder>
  Builder& consumer_setup(Builder& b, const std::string& group) {
    b.name_servers(broker_->address()).group(group).log_level(client_log_level()).consume_from(ferry::ConsumeFrom::First);
    return b;
  }

  static inline std::unique_ptr<Ferryd> broker_;
};

}  // namespace ferry::test
