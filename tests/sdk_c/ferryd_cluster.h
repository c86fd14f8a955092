#pragma once
// A cluster of real ferryd processes for the SDK's integration tests:
// dedicated name servers (conf/namesrv.toml) and master brokers
// (conf/broker.toml) registering with all of them, on free ports, data in a
// temp dir, every process reaped (ChildProcess). Brokers use async flush by
// default so tests of client behaviour are not paced by fsync.
#include <ferry/client.h>
#include <ferry_test/child_process.h>
#include <ferry_test/temp_dir.h>

#include <memory>
#include <string>
#include <vector>

#include "sdk_fixture.h"

namespace ferry::sdk::test {

class FerrydCluster {
 public:
  struct Options {
    int name_servers = 1;
    int brokers = 1;
    std::string flush = "ferry_flush_async";
  };
  // Starts every process and waits (bounded) until each serves; ok() tells.
  explicit FerrydCluster(Options o);
  ~FerrydCluster();  // SIGTERM, bounded wait, then SIGKILL (ChildProcess)

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  std::string name_servers() const;  // "a;b"
  std::string name_server_address(int i) const { return ns_addr_[static_cast<size_t>(i)]; }
  std::string broker_address(int i) const { return broker_addr_[static_cast<size_t>(i)]; }
  static std::string broker_name(int i) { return "broker-" + std::string(1, static_cast<char>('a' + i)); }
  std::string dir() const { return dir_.str(); }

  // Creates the topic on every live broker and waits (bounded) until the
  // name servers route it to all of them. Empty on success, else why.
  std::string create_topic(const std::string& topic, uint32_t queues);
  void kill_broker(int i);       // SIGKILL
  void signal_broker(int i, int sig);  // e.g. SIGSTOP / SIGCONT: a broker that stops answering
  void kill_name_server(int i);  // SIGKILL
  // The last lines of every process' log, for failure messages.
  std::string logs() const;

 private:
  std::unique_ptr<ferry::test::ChildProcess> spawn(const std::vector<std::string>& args, const std::string& name);

  ferry::test::TempDir dir_{"ferry-sdk-cluster"};
  std::vector<std::string> ns_addr_, broker_addr_;
  std::vector<std::unique_ptr<ferry::test::ChildProcess>> ns_, brokers_;
  Admin admin_;
  std::string error_;
};

}  // namespace ferry::sdk::test
