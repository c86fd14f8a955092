#include "client_table.h"

#include <algorithm>

namespace ferry::core {

ClientTable::Changes ClientTable::heartbeat(const HeartbeatData& hb, uint64_t conn_id,
                                            uint64_t now_ms) {
  Changes ch;
  Client& c = clients_[hb.client_id];
  c.conn_id = conn_id;
  c.last_seen_ms = now_ms;

  std::set<std::string> producers(hb.producer_groups.begin(), hb.producer_groups.end());
  for (const auto& g : c.producer_groups)
    if (!producers.count(g)) {
      auto it = producers_.find(g);
      if (it != producers_.end() && (it->second.erase(hb.client_id), it->second.empty()))
        producers_.erase(it);
    }
  for (const auto& g : producers) producers_[g].insert(hb.client_id);
  c.producer_groups = std::move(producers);

  if (!hb.peer.empty()) c.peer = hb.peer;
  if (!hb.language.empty()) c.language = hb.language;
  if (!hb.version.empty()) c.version = hb.version;

  std::map<std::string, Subscribed, std::less<>> consumers;
  for (const auto& cg : hb.consumer_groups) {
    auto git = groups_.find(cg.group);
    if (git == groups_.end()) git = groups_.emplace(cg.group, Group{}).first;
    if (git->second.members.insert(hb.client_id).second) ch.membership_changed.push_back(cg.group);
    // This client's own record: another member's heartbeat never touches it.
    auto mine = c.consumer_groups.find(cg.group);
    Subscribed sub = mine == c.consumer_groups.end() ? Subscribed{} : std::move(mine->second);
    sub.consume_model = cg.consume_model;
    if (cg.has_subscriptions) {
      sub.fingerprint = cg.fingerprint;
      sub.has_subscriptions = true;
      sub.subscriptions = cg.subscriptions;
    } else if (!sub.has_subscriptions || sub.fingerprint != cg.fingerprint) {
      ch.resend_subscriptions.push_back(cg.group);
    }
    consumers.emplace(cg.group, std::move(sub));
  }
  for (const auto& [g, sub] : c.consumer_groups)
    if (!consumers.count(g)) {
      auto it = groups_.find(g);
      if (it == groups_.end()) continue;
      it->second.members.erase(hb.client_id);
      ch.membership_changed.push_back(g);
      if (it->second.members.empty()) groups_.erase(it);
    }
  c.consumer_groups = std::move(consumers);
  return ch;
}

void ClientTable::drop(const std::string& id, const Client& c, std::vector<std::string>* changed) {
  for (const auto& g : c.producer_groups) {
    auto it = producers_.find(g);
    if (it != producers_.end() && (it->second.erase(id), it->second.empty())) producers_.erase(it);
  }
  for (const auto& [g, sub] : c.consumer_groups) {
    auto it = groups_.find(g);
    if (it == groups_.end()) continue;
    it->second.members.erase(id);
    if (std::find(changed->begin(), changed->end(), g) == changed->end()) changed->push_back(g);
    if (it->second.members.empty()) groups_.erase(it);
  }
}

std::vector<std::string> ClientTable::unregister(std::string_view client_id) {
  std::vector<std::string> changed;
  auto it = clients_.find(client_id);
  if (it == clients_.end()) return changed;
  drop(it->first, it->second, &changed);
  clients_.erase(it);
  return changed;
}

std::vector<std::string> ClientTable::expire(uint64_t now_ms, uint64_t expiry_ms,
                                             std::vector<std::string>* expired_clients) {
  std::vector<std::string> changed;
  for (auto it = clients_.begin(); it != clients_.end();) {
    if (now_ms >= it->second.last_seen_ms && now_ms - it->second.last_seen_ms >= expiry_ms) {
      if (expired_clients) expired_clients->push_back(it->first);
      drop(it->first, it->second, &changed);
      it = clients_.erase(it);
    } else {
      ++it;
    }
  }
  return changed;
}

std::vector<std::string> ClientTable::connection_closed(uint64_t conn_id) {
  std::vector<std::string> changed;
  for (auto it = clients_.begin(); it != clients_.end();) {
    if (it->second.conn_id == conn_id) {
      drop(it->first, it->second, &changed);
      it = clients_.erase(it);
    } else {
      ++it;
    }
  }
  return changed;
}

std::vector<std::string> ClientTable::members(std::string_view group) const {
  auto it = groups_.find(group);
  if (it == groups_.end()) return {};
  return {it->second.members.begin(), it->second.members.end()};
}

std::vector<std::pair<std::string, uint64_t>> ClientTable::member_conns(std::string_view group) const {
  std::vector<std::pair<std::string, uint64_t>> out;
  auto it = groups_.find(group);
  if (it == groups_.end()) return out;
  for (const auto& id : it->second.members) {
    auto c = clients_.find(id);
    if (c != clients_.end()) out.emplace_back(id, c->second.conn_id);
  }
  return out;
}

std::optional<uint64_t> ClientTable::producer_conn(std::string_view group) const {
  auto it = producers_.find(group);
  if (it == producers_.end()) return std::nullopt;
  // The most recently heard producer is the likeliest to answer.
  std::optional<uint64_t> best;
  uint64_t seen = 0;
  for (const auto& id : it->second) {
    auto c = clients_.find(id);
    if (c != clients_.end() && (!best || c->second.last_seen_ms > seen)) {
      best = c->second.conn_id;
      seen = c->second.last_seen_ms;
    }
  }
  return best;
}

const ClientTable::Client* ClientTable::find(std::string_view id) const {
  auto it = clients_.find(id);
  return it == clients_.end() ? nullptr : &it->second;
}

const std::vector<SubscriptionData>* ClientTable::subscriptions(std::string_view group,
                                                                std::string_view client_id) const {
  const Client* c = find(client_id);
  if (!c) return nullptr;
  auto it = c->consumer_groups.find(group);
  if (it == c->consumer_groups.end() || !it->second.has_subscriptions) return nullptr;
  return &it->second.subscriptions;
}

bool ClientTable::is_member(std::string_view group, std::string_view client_id) const {
  auto it = groups_.find(group);
  return it != groups_.end() && it->second.members.count(client_id) > 0;
}

std::vector<ClientView> ClientTable::group_clients(std::string_view group) const {
  std::vector<ClientView> out;
  auto it = groups_.find(group);
  if (it == groups_.end()) return out;
  for (const auto& id : it->second.members) {
    const Client* c = find(id);
    if (!c) continue;
    ClientView v;
    v.client_id = id;
    v.conn_id = c->conn_id;
    v.peer = c->peer;
    v.language = c->language;
    v.version = c->version;
    v.last_seen_ms = c->last_seen_ms;
    if (auto s = c->consumer_groups.find(group); s != c->consumer_groups.end()) {
      v.consume_model = s->second.consume_model;
      v.fingerprint = s->second.fingerprint;
      v.subscriptions = s->second.subscriptions;
    }
    out.push_back(std::move(v));
  }
  return out;
}

size_t ClientTable::connection_count() const {
  std::vector<uint64_t> conns;
  conns.reserve(clients_.size());
  for (const auto& [id, c] : clients_) conns.push_back(c.conn_id);
  std::sort(conns.begin(), conns.end());
  return static_cast<size_t>(std::unique(conns.begin(), conns.end()) - conns.begin());
}

std::vector<std::string> ClientTable::consumer_group_names() const {
  std::vector<std::string> out;
  out.reserve(groups_.size());
  for (const auto& [name, g] : groups_) out.push_back(name);
  return out;
}

}  // namespace ferry::core
