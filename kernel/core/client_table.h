#pragma once
// Producers and consumers known from heartbeats: which connection each
// client uses, the groups it belongs to, when it was last heard. Consumer
// group membership is derived from it; every call that can change a group's
// members returns the groups that changed, so the core notifies the members
// that remain (they rebalance at once, not at their next timer).
//
// Subscriptions are kept per client and group: members of one group may
// subscribe differently for a while (a rolling upgrade), and one member's
// heartbeat must neither overwrite another's subscriptions nor make it
// resend them (a per-group "last heartbeat wins" fingerprint would ask both
// on every beat).
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ferry::core {

struct SubscriptionData {
  std::string topic;
  std::string expression_type;
  std::string expression;
};

struct ConsumerHeartbeat {
  std::string group;
  uint8_t consume_model = 0;
  uint64_t fingerprint = 0;
  bool has_subscriptions = false;
  std::vector<SubscriptionData> subscriptions;
};

struct HeartbeatData {
  std::string client_id;
  std::string peer;      // "ip:port" of the connection the heartbeat came on
  std::string language;  // optional, from the client
  std::string version;
  std::vector<std::string> producer_groups;
  std::vector<ConsumerHeartbeat> consumer_groups;
};

// One member of a consumer group, for admin listings.
struct ClientView {
  std::string client_id;
  uint64_t conn_id = 0;
  std::string peer;
  std::string language;
  std::string version;
  uint64_t last_seen_ms = 0;  // monotonic
  uint8_t consume_model = 0;
  uint64_t fingerprint = 0;
  std::vector<SubscriptionData> subscriptions;  // as that client last sent them
};

class ClientTable {
 public:
  struct Changes {
    std::vector<std::string> membership_changed;  // consumer groups whose members changed
    std::vector<std::string> resend_subscriptions; // groups whose fingerprint is unknown
  };

  // Record a heartbeat at now_ms on conn_id. A client that moved to another
  // connection follows it.
  Changes heartbeat(const HeartbeatData& hb, uint64_t conn_id, uint64_t now_ms);
  // Drop a client (graceful shutdown). Groups it left.
  std::vector<std::string> unregister(std::string_view client_id);
  // Drop clients silent for expiry_ms or more.
  std::vector<std::string> expire(uint64_t now_ms, uint64_t expiry_ms,
                                  std::vector<std::string>* expired_clients = nullptr);
  // Drop clients on a closed connection.
  std::vector<std::string> connection_closed(uint64_t conn_id);

  // Member client ids, sorted.
  std::vector<std::string> members(std::string_view group) const;
  // (client id, connection) of each member.
  std::vector<std::pair<std::string, uint64_t>> member_conns(std::string_view group) const;
  // A live connection of a producer in `group` (transaction check-back).
  std::optional<uint64_t> producer_conn(std::string_view group) const;
  // What `client_id` subscribed to in `group` (nullptr when not known).
  const std::vector<SubscriptionData>* subscriptions(std::string_view group,
                                                     std::string_view client_id) const;
  bool is_member(std::string_view group, std::string_view client_id) const;
  // Members of a consumer group with their connection and subscriptions,
  // sorted by client id.
  std::vector<ClientView> group_clients(std::string_view group) const;
  // Consumer groups with at least one member, sorted.
  std::vector<std::string> consumer_group_names() const;

  size_t client_count() const { return clients_.size(); }
  size_t connection_count() const;  // distinct connections of known clients
  size_t group_count() const { return groups_.size(); }

 private:
  struct Subscribed {  // one client in one consumer group
    uint8_t consume_model = 0;
    uint64_t fingerprint = 0;
    bool has_subscriptions = false;
    std::vector<SubscriptionData> subscriptions;
  };
  struct Client {
    uint64_t conn_id = 0;
    uint64_t last_seen_ms = 0;
    std::string peer, language, version;
    std::set<std::string> producer_groups;
    std::map<std::string, Subscribed, std::less<>> consumer_groups;
  };
  struct Group {
    std::set<std::string, std::less<>> members;
  };
  // Removes `id` from its groups; appends consumer groups it left.
  void drop(const std::string& id, const Client& c, std::vector<std::string>* changed);

  const Client* find(std::string_view id) const;

  std::map<std::string, Client, std::less<>> clients_;
  std::map<std::string, Group, std::less<>> groups_;           // consumer groups
  std::map<std::string, std::set<std::string>, std::less<>> producers_;  // group -> clients
};

}  // namespace ferry::core
