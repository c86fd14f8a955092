#pragma once
// Plain values the name server logic works on, free of the wire schema and
// of the host ABI, so the registry, chunking and round assembly are testable
// without a network (tests/routing).
#include <cstdint>
#include <string>
#include <vector>

#include "ferry/status.h"

namespace ferry::namesrv {

// A status plus the text that explains it (answered to the peer as is).
struct Outcome {
  ferry_status status = FERRY_OK;
  std::string message;

  bool ok() const { return status == FERRY_OK; }
  static Outcome fail(ferry_status s, std::string text) { return {s, std::move(text)}; }
};

// A broker as it introduces itself. A group is one broker_name; id 0 is the
// group's master, higher ids its slaves.
struct BrokerIdentity {
  std::string cluster;
  std::string broker_name;
  int64_t broker_id = 0;
  std::string address;     // advertised "host:port"
  std::string ha_address;  // may be empty
};

struct TopicConfig {
  std::string name;
  uint32_t read_queues = 0;
  uint32_t write_queues = 0;
  uint32_t perm = 0;
  uint32_t flags = 0;

  bool operator==(const TopicConfig&) const = default;
};

// One chunk of a registration round (see namesrv.fbs, RegisterBroker).
struct RegisterChunk {
  BrokerIdentity broker;
  uint64_t round_id = 0;
  uint32_t chunk_index = 0;
  uint32_t chunk_count = 1;
  uint64_t topics_version = 0;
  std::vector<TopicConfig> topics;
  // The name server's connection the chunk came on (not on the wire).
  // Server connection ids only grow, so a higher id is a newer connection.
  uint64_t conn_id = 0;
};

struct RegisterAnswer {
  bool round_complete = false;
  bool topics_known = false;
  std::string master_address;
  std::string master_ha_address;
  bool stale = false;  // ignored: a late chunk from an older connection (not on the wire)
};

// Route of one topic: queue data per group, and those groups' live members.
struct QueueData {
  std::string broker_name;
  uint32_t read_queues = 0;
  uint32_t write_queues = 0;
  uint32_t perm = 0;
  uint32_t flags = 0;
};

struct MemberView {
  int64_t broker_id = 0;
  std::string address;
  std::string ha_address;
  int64_t last_heartbeat_ms = 0;
  uint32_t topic_count = 0;
};

struct GroupView {
  std::string cluster;
  std::string broker_name;
  std::vector<MemberView> members;  // sorted by broker_id
};

struct TopicRoute {
  std::string topic;
  std::vector<QueueData> queues;  // sorted by broker_name
  std::vector<GroupView> groups;  // sorted by broker_name
};

struct ClusterView {
  std::string name;
  std::vector<GroupView> groups;  // sorted by broker_name
};

struct TopicPage {
  std::vector<std::string> topics;
  bool more = false;
};

}  // namespace ferry::namesrv
