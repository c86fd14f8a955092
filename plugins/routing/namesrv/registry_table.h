#pragma once
// The name server's state (registry mode): broker groups and their members,
// and a route per topic. Plain C++ without clock, loop or wire: the caller
// passes the time, so tests drive expiry with a manual clock.
//
// Routes. A group (broker_name) serves a topic with the queue data of one
// member, its "publisher": the lowest broker id that has completed a
// registration round (the master when alive), else the lowest id. So a
// master that is still registering its first round does not hide the routes
// its slave already published, and a group keeps its routes while a slave
// outlives its master (consumers read from the slave).
//
// Rounds. A member's topics are replaced round by round: every chunk adds or
// updates its topics at once, and the chunk that completes a round removes
// the topics the round did not carry. A route therefore never disappears in
// the middle of a round.
//
// Round ownership. A member's rounds belong to the newest connection that
// sent one. A chunk of another round arriving late on an older connection
// (the broker reconnected and started over) is ignored: it would otherwise
// restart the pending round and keep the current one from completing.
//
// Not thread-safe: the plugin calls it on the kernel's loop thread only.
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "types.h"

namespace ferry::namesrv {

class RegistryTable {
 public:
  // Bounds a chunk header can claim; a larger count is refused rather than
  // allocated (the received-bitmap is sized by it).
  static constexpr uint32_t kMaxChunkCount = 1u << 20;

  // Apply one chunk of a registration round (also refreshes the heartbeat).
  Outcome register_chunk(const RegisterChunk& chunk, int64_t now_ms, RegisterAnswer* answer);
  // Refresh a member's heartbeat. answer->topics_known is true when the member
  // exists at that address and its last complete round had `topics_version`;
  // an unknown member is not added (it must send a full round).
  Outcome heartbeat(const BrokerIdentity& broker, uint64_t topics_version, int64_t now_ms,
                    RegisterAnswer* answer);
  // Remove a member; FERRY_E_NOT_FOUND when absent or registered elsewhere.
  Outcome unregister(std::string_view broker_name, int64_t broker_id, std::string_view address);
  // Remove members silent for more than expiry_ms; returns who was removed.
  std::vector<BrokerIdentity> expire(int64_t now_ms, int64_t expiry_ms);

  std::optional<TopicRoute> route(std::string_view topic) const;
  // Every cluster, or only `cluster` when not empty. Sorted by name.
  std::vector<ClusterView> clusters(std::string_view cluster) const;
  // Topic names after `start_after`, at most max_count names and about
  // max_bytes of names (at least one name per page).
  TopicPage list_topics(std::string_view start_after, size_t max_count, size_t max_bytes) const;

  bool has_member(std::string_view broker_name, int64_t broker_id) const;
  size_t broker_count() const;
  size_t topic_count() const { return routes_.size(); }
  uint64_t stale_chunks() const { return stale_chunks_; }  // ignored late chunks

 private:
  struct TopicEntry {
    TopicConfig config;
    uint64_t round_id = 0;  // the round that last carried the topic
  };
  struct PendingRound {
    uint64_t round_id = 0;
    uint32_t chunk_count = 0;
    uint32_t received_count = 0;
    std::vector<bool> received;
  };
  struct Member {
    BrokerIdentity identity;
    int64_t last_heartbeat_ms = 0;
    std::map<std::string, TopicEntry, std::less<>> topics;
    std::optional<PendingRound> pending;
    uint64_t owner_conn = 0;  // newest connection that sent a chunk
    uint64_t last_complete_round = 0;
    uint64_t topics_version = 0;  // of last_complete_round
    bool has_complete_round = false;
  };
  struct Group {
    std::string cluster;
    std::map<int64_t, Member> members;
    std::optional<int64_t> publisher;
  };
  using GroupMap = std::map<std::string, Group, std::less<>>;

  void publish(const std::string& group_name, const Member& m);
  void unpublish(const std::string& group_name, const Member& m);
  void publish_topic(const std::string& group_name, const TopicConfig& t);
  void unpublish_topic(const std::string& group_name, std::string_view topic);
  // Re-elect the group's publisher and move routes if it changed.
  void elect(const std::string& group_name, Group& g);
  // Remove a member (routes follow); erases the group when it empties.
  void remove_member(GroupMap::iterator git, int64_t broker_id);
  void fill_master(const Group& g, RegisterAnswer* answer) const;
  GroupView view(const std::string& name, const Group& g) const;

  GroupMap groups_;
  uint64_t stale_chunks_ = 0;
  // topic -> group name -> queue data (what GET_ROUTE answers).
  std::map<std::string, std::map<std::string, QueueData, std::less<>>, std::less<>> routes_;
};

}  // namespace ferry::namesrv
