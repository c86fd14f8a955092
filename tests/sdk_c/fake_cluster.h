#pragma once
// An in-process stand-in for name servers and brokers, built on kernel/net's
// Server and answering the core and name-server wire protocol from memory,
// so the SDK's unit tests run without ferryd. It implements what the client
// relies on: routes, send (single/batch), long-poll pull, heartbeats with
// membership notifications, offsets, queue locks, ranges, queries, topics.
// Fault hooks: kill a broker or name server, make the next sends fail.
//
// Threads: one LoopThread runs every server; the test's calls hop onto it.
#include <ferry/net/loop_thread.h>
#include <ferry/net/server.h>

#include <atomic>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace ferry::sdk::test {

class FakeCluster {
 public:
  struct Options {
    int brokers = 1;
    int name_servers = 1;
    uint32_t queues = 4;           // per topic per broker
    bool auto_create = false;
    uint64_t lock_lease_ms = 60000;
  };
  explicit FakeCluster(Options o);
  ~FakeCluster();

  std::string name_servers() const;  // "a;b"
  std::string broker_address(int i) const;
  std::string broker_name(int i) const { return "broker-" + std::to_string(i); }

  void create_topic(const std::string& topic, uint32_t queues = 0);  // on every live broker
  // Removes the topic (and its messages) from every broker: the name
  // servers stop routing it and sends to it get FERRY_E_TOPIC_NOT_FOUND.
  void delete_topic(const std::string& topic);
  void kill_broker(int i);
  void kill_name_server(int i);
  // The next n sends to broker i are answered `status` (e.g. FERRY_E_BUSY).
  void fail_sends(int i, int n, int32_t status);
  // The next n sends to broker i close their connection unanswered (a
  // connection reset mid-send); the broker keeps accepting new ones.
  void drop_sends(int i, int n);
  // The next n sends to broker i are read and never answered (a broker that
  // hangs): the client sees only its own timeouts.
  void stall_sends(int i, int n);
  // Messages stored on broker i (all topics), and in one queue.
  size_t stored(int i) const;
  size_t stored(int i, const std::string& topic, int32_t queue_id) const;
  int64_t committed(int i, const std::string& group, const std::string& topic, int32_t queue_id) const;
  // Send requests broker i received (a batch is one), and the messages in them.
  size_t sends_received(int i) const;
  size_t messages_received(int i) const;
  size_t members(int i, const std::string& group) const;
  // Consumer-group heartbeats broker i received (with subscriptions, with
  // only their fingerprint); forgetting makes it ask for them again.
  std::pair<size_t, size_t> consumer_heartbeats(int i) const;
  void forget_subscriptions(int i);

  struct Broker;
  struct NameServer;

 private:
  Options o_;
  std::unique_ptr<net::LoopThread> loop_;
  std::vector<std::unique_ptr<Broker>> brokers_;
  std::vector<std::unique_ptr<NameServer>> ns_;
};

}  // namespace ferry::sdk::test
