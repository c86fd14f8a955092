#pragma once
// A real ferryd (conf/standalone.toml: name server + one master broker in
// one process, mmaplog storage, sync flush) on a free loopback port with
// its data in a temp dir, an admin handle on it, and topic creation that
// waits for the route (ferryd_test.cc, retry_test.cc).
#include <ferry_test/child_process.h>
#include <ferry_test/free_port.h>
#include <ferry_test/paths.h>
#include <ferry_test/temp_dir.h>

#include <csignal>
#include <memory>
#include <string>
#include <vector>

#include "sdk_fixture.h"

namespace ferry::sdk::test {

using namespace std::chrono_literals;
using ferry::test::wait_until;

class FerrydSdk : public ::testing::Test {
 protected:
  void SetUp() override {
    port_ = ferry::test::free_port();
    addr_ = "127.0.0.1:" + std::to_string(port_);
    std::vector<std::string> args{ferry::test::bin_path("ferryd"), "--config",
                                 ferry::test::source_dir() + "/conf/standalone.toml", "--set",
                                 "kernel.data_dir=" + dir_.str() + "/data", "--set", "kernel.listen=" + addr_,
                                 "--set", "kernel.metrics_listen=127.0.0.1:" + std::to_string(metrics_port_),
                                 "--set", "plugins.registration.name_servers=[\"" + addr_ + "\"]", "--set",
                                 "plugins.registration.register_interval=1s", "--set",
                                 "plugins.registration.change_debounce=50ms"};
    args.insert(args.end(), extra_args_.begin(), extra_args_.end());
    daemon_ = std::make_unique<ferry::test::ChildProcess>(args, dir_.str() + "/ferryd.log");
    conf_ = make_conf(addr_);
    ferry_admin* a = nullptr;
    char err[512];
    ASSERT_EQ(FERRY_OK, ferry_admin_new(conf_.get(), &a, err, sizeof err));
    admin_.reset(a);
    ASSERT_EQ(FERRY_OK, ferry_admin_start(a, err, sizeof err));
    ASSERT_TRUE(wait_until([&] {
      char* json = nullptr;
      if (ferry_admin_runtime_stats(a, addr_.c_str(), &json, nullptr, 0) != FERRY_OK) return false;
      ferry_string_free(json);
      return true;
    }, 20s)) << daemon_->log();
  }
  void TearDown() override {
    admin_.reset();
    if (daemon_) {
      daemon_->signal(SIGTERM);
      daemon_->wait_for(20s);
    }
  }
  // Creates the topic on the broker and waits until the name server routes it.
  void create_topic(const std::string& name, uint32_t queues = 4) {
    ferry_topic_settings t = FERRY_STRUCT_INIT(ferry_topic_settings);
    t.name = name.c_str();
    t.read_queues = t.write_queues = queues;
    t.perm = 6;
    char err[512];
    ASSERT_EQ(FERRY_OK, ferry_admin_create_topic(admin_.get(), addr_.c_str(), &t, err, sizeof err)) << err;
    ASSERT_TRUE(wait_until([&] {
      char* json = nullptr;
      if (ferry_admin_topic_route(admin_.get(), name.c_str(), &json, nullptr, 0) != FERRY_OK) return false;
      ferry_string_free(json);
      return true;
    }, 20s)) << daemon_->log();
  }

  ferry::test::TempDir dir_{"ferry-sdk-ferryd"};
  uint16_t port_ = 0;
  // More ferryd arguments (e.g. "--set", "kernel.busy_poll_us=..."), set by
  // a derived fixture's constructor.
  std::vector<std::string> extra_args_;
  std::string addr_;
  int metrics_port_ = ferry::test::free_port();  // GET /metrics (prepare_test.cc)
  std::unique_ptr<ferry::test::ChildProcess> daemon_;
  Conf conf_;
  Admin admin_;
};


}  // namespace ferry::sdk::test
