#include "registry_table.h"

#include <algorithm>
#include <utility>

namespace ferry::namesrv {

namespace {

Outcome check_identity(const BrokerIdentity& b) {
  if (b.broker_name.empty()) return Outcome::fail(FERRY_E_INVALID_ARGUMENT, "broker_name is empty");
  if (b.cluster.empty()) return Outcome::fail(FERRY_E_INVALID_ARGUMENT, "cluster is empty");
  if (b.address.empty()) return Outcome::fail(FERRY_E_INVALID_ARGUMENT, "broker address is empty");
  if (b.broker_id < 0) return Outcome::fail(FERRY_E_INVALID_ARGUMENT, "broker_id is negative");
  return {};
}

QueueData queue_data(const std::string& group_name, const TopicConfig& t) {
  return QueueData{group_name, t.read_queues, t.write_queues, t.perm, t.flags};
}

}  // namespace

Outcome RegistryTable::register_chunk(const RegisterChunk& c, int64_t now_ms,
                                      RegisterAnswer* answer) {
  *answer = RegisterAnswer{};
  if (Outcome o = check_identity(c.broker); !o.ok()) return o;
  if (c.round_id == 0) return Outcome::fail(FERRY_E_INVALID_ARGUMENT, "round_id is 0");
  if (c.chunk_count == 0 || c.chunk_count > kMaxChunkCount)
    return Outcome::fail(FERRY_E_INVALID_ARGUMENT,
                         "chunk_count " + std::to_string(c.chunk_count) + " out of range 1.." +
                             std::to_string(kMaxChunkCount));
  if (c.chunk_index >= c.chunk_count)
    return Outcome::fail(FERRY_E_INVALID_ARGUMENT,
                         "chunk_index " + std::to_string(c.chunk_index) + " >= chunk_count " +
                             std::to_string(c.chunk_count));
  for (const TopicConfig& t : c.topics)
    if (t.name.empty()) return Outcome::fail(FERRY_E_INVALID_ARGUMENT, "a topic name is empty");

  auto git = groups_.find(c.broker.broker_name);
  if (git == groups_.end()) git = groups_.emplace(c.broker.broker_name, Group{}).first;
  const std::string& group_name = git->first;
  Group& g = git->second;
  g.cluster = c.broker.cluster;
  Member& m = g.members[c.broker.broker_id];
  if (c.conn_id != 0 && c.conn_id < m.owner_conn &&
      !(m.pending && m.pending->round_id == c.round_id)) {
    // A leftover of a round the broker abandoned when it reconnected.
    ++stale_chunks_;
    answer->stale = true;
    fill_master(g, answer);
    return {};
  }
  if (c.conn_id > m.owner_conn) m.owner_conn = c.conn_id;
  m.identity = c.broker;
  m.last_heartbeat_ms = now_ms;

  if (m.has_complete_round && c.round_id == m.last_complete_round) {
    // A late duplicate of a finished round: the topics are already in place.
    answer->round_complete = true;
    fill_master(g, answer);
    return {};
  }
  if (m.pending && m.pending->round_id == c.round_id && m.pending->chunk_count != c.chunk_count) {
    // Refuse before touching anything: the round's shape must not change.
    return Outcome::fail(FERRY_E_INVALID_ARGUMENT,
                         "round " + std::to_string(c.round_id) + " changed chunk_count from " +
                             std::to_string(m.pending->chunk_count) + " to " +
                             std::to_string(c.chunk_count));
  }
  if (!m.pending || m.pending->round_id != c.round_id) {
    // A new round abandons an unfinished one; what it applied stays until a
    // round completes without it.
    m.pending = PendingRound{c.round_id, c.chunk_count, 0, std::vector<bool>(c.chunk_count)};
  }
  PendingRound& p = *m.pending;
  const bool publishing = g.publisher == c.broker.broker_id;
  for (const TopicConfig& t : c.topics) {
    auto it = m.topics.find(t.name);
    if (it == m.topics.end()) {
      m.topics.emplace(t.name, TopicEntry{t, c.round_id});
    } else {
      it->second = TopicEntry{t, c.round_id};
    }
    if (publishing) publish_topic(group_name, t);
  }
  if (!p.received[c.chunk_index]) {
    p.received[c.chunk_index] = true;
    ++p.received_count;
  }
  if (p.received_count == p.chunk_count) {
    for (auto it = m.topics.begin(); it != m.topics.end();) {
      if (it->second.round_id != c.round_id) {
        if (publishing) unpublish_topic(group_name, it->first);
        it = m.topics.erase(it);
      } else {
        ++it;
      }
    }
    m.pending.reset();
    m.has_complete_round = true;
    m.last_complete_round = c.round_id;
    m.topics_version = c.topics_version;
    answer->round_complete = true;
  }
  elect(group_name, g);
  fill_master(g, answer);
  return {};
}

Outcome RegistryTable::heartbeat(const BrokerIdentity& b, uint64_t topics_version, int64_t now_ms,
                                 RegisterAnswer* answer) {
  *answer = RegisterAnswer{};
  if (Outcome o = check_identity(b); !o.ok()) return o;
  auto git = groups_.find(b.broker_name);
  if (git == groups_.end()) return {};
  auto mit = git->second.members.find(b.broker_id);
  if (mit == git->second.members.end()) return {};
  Member& m = mit->second;
  if (m.identity.address != b.address) return {};  // another process: needs a full round
  m.last_heartbeat_ms = now_ms;
  m.identity.ha_address = b.ha_address;
  answer->topics_known = m.has_complete_round && m.topics_version == topics_version;
  fill_master(git->second, answer);
  return {};
}

Outcome RegistryTable::unregister(std::string_view broker_name, int64_t broker_id,
                                  std::string_view address) {
  auto git = groups_.find(broker_name);
  auto missing = [&] {
    return Outcome::fail(FERRY_E_NOT_FOUND, "broker " + std::string(broker_name) + " id " +
                                                std::to_string(broker_id) + " at " +
                                                std::string(address) + " is not registered");
  };
  if (git == groups_.end()) return missing();
  auto mit = git->second.members.find(broker_id);
  if (mit == git->second.members.end() || mit->second.identity.address != address)
    return missing();
  remove_member(git, broker_id);
  return {};
}

std::vector<BrokerIdentity> RegistryTable::expire(int64_t now_ms, int64_t expiry_ms) {
  std::vector<BrokerIdentity> gone;
  for (const auto& [name, g] : groups_)
    for (const auto& [id, m] : g.members)
      if (now_ms - m.last_heartbeat_ms > expiry_ms) gone.push_back(m.identity);
  for (const BrokerIdentity& b : gone) remove_member(groups_.find(b.broker_name), b.broker_id);
  return gone;
}

std::optional<TopicRoute> RegistryTable::route(std::string_view topic) const {
  auto rit = routes_.find(topic);
  if (rit == routes_.end()) return std::nullopt;
  TopicRoute r;
  r.topic = rit->first;
  for (const auto& [group_name, qd] : rit->second) {
    r.queues.push_back(qd);
    auto git = groups_.find(group_name);
    if (git != groups_.end()) r.groups.push_back(view(git->first, git->second));
  }
  return r;
}

std::vector<ClusterView> RegistryTable::clusters(std::string_view cluster) const {
  std::map<std::string, ClusterView, std::less<>> by_name;
  for (const auto& [name, g] : groups_) {
    if (!cluster.empty() && g.cluster != cluster) continue;
    ClusterView& c = by_name[g.cluster];
    c.name = g.cluster;
    c.groups.push_back(view(name, g));
  }
  std::vector<ClusterView> out;
  out.reserve(by_name.size());
  for (auto& [name, c] : by_name) out.push_back(std::move(c));
  return out;
}

TopicPage RegistryTable::list_topics(std::string_view start_after, size_t max_count,
                                     size_t max_bytes) const {
  TopicPage page;
  auto it = start_after.empty() ? routes_.begin() : routes_.upper_bound(start_after);
  size_t bytes = 0;
  for (; it != routes_.end(); ++it) {
    const size_t cost = it->first.size() + 16;  // string + vector slot + padding
    if (!page.topics.empty() && (page.topics.size() >= max_count || bytes + cost > max_bytes)) {
      page.more = true;
      break;
    }
    page.topics.push_back(it->first);
    bytes += cost;
  }
  return page;
}

bool RegistryTable::has_member(std::string_view broker_name, int64_t broker_id) const {
  auto git = groups_.find(broker_name);
  return git != groups_.end() && git->second.members.count(broker_id) != 0;
}

size_t RegistryTable::broker_count() const {
  size_t n = 0;
  for (const auto& [name, g] : groups_) n += g.members.size();
  return n;
}

void RegistryTable::publish(const std::string& group_name, const Member& m) {
  for (const auto& [name, e] : m.topics) publish_topic(group_name, e.config);
}

void RegistryTable::unpublish(const std::string& group_name, const Member& m) {
  for (const auto& [name, e] : m.topics) unpublish_topic(group_name, name);
}

void RegistryTable::publish_topic(const std::string& group_name, const TopicConfig& t) {
  auto rit = routes_.find(t.name);
  if (rit == routes_.end()) rit = routes_.emplace(t.name, decltype(routes_)::mapped_type{}).first;
  rit->second.insert_or_assign(group_name, queue_data(group_name, t));
}

void RegistryTable::unpublish_topic(const std::string& group_name, std::string_view topic) {
  auto rit = routes_.find(topic);
  if (rit == routes_.end()) return;
  auto qit = rit->second.find(group_name);
  if (qit != rit->second.end()) rit->second.erase(qit);
  if (rit->second.empty()) routes_.erase(rit);
}

void RegistryTable::elect(const std::string& group_name, Group& g) {
  std::optional<int64_t> chosen;
  for (const auto& [id, m] : g.members)  // ascending ids
    if (m.has_complete_round) {
      chosen = id;
      break;
    }
  if (!chosen && !g.members.empty()) chosen = g.members.begin()->first;
  if (chosen == g.publisher) return;
  if (g.publisher) {
    auto old = g.members.find(*g.publisher);
    if (old != g.members.end()) unpublish(group_name, old->second);
  }
  g.publisher = chosen;
  if (chosen) publish(group_name, g.members.at(*chosen));
}

void RegistryTable::remove_member(GroupMap::iterator git, int64_t broker_id) {
  if (git == groups_.end()) return;
  const std::string& group_name = git->first;
  Group& g = git->second;
  auto mit = g.members.find(broker_id);
  if (mit == g.members.end()) return;
  if (g.publisher == broker_id) {
    unpublish(group_name, mit->second);
    g.publisher.reset();
  }
  g.members.erase(mit);
  if (g.members.empty()) {
    groups_.erase(git);
    return;
  }
  elect(group_name, g);
}

void RegistryTable::fill_master(const Group& g, RegisterAnswer* answer) const {
  auto mit = g.members.find(0);
  if (mit == g.members.end()) return;
  answer->master_address = mit->second.identity.address;
  answer->master_ha_address = mit->second.identity.ha_address;
}

GroupView RegistryTable::view(const std::string& name, const Group& g) const {
  GroupView v;
  v.cluster = g.cluster;
  v.broker_name = name;
  v.members.reserve(g.members.size());
  for (const auto& [id, m] : g.members)
    v.members.push_back(MemberView{id, m.identity.address, m.identity.ha_address,
                                   m.last_heartbeat_ms, static_cast<uint32_t>(m.topics.size())});
  return v;
}

}  // namespace ferry::namesrv
