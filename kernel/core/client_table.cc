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

  std::set<std::string> consumers;
  for (const auto& cg : hb.consumer_groups) {
    consumers.insert(cg.group);
    auto git = groups_.find(cg.group);
    if (git == groups_.end()) git = groups_.emplace(cg.group, Group{}).first;
    Group& g = git->second;
    if (g.members.insert(hb.client_id).second) ch.membership_changed.push_back(cg.group);
    if (cg.has_subscriptions) {
      g.fingerprint = cg.fingerprint;
      g.has_subscriptions = true;
      g.subscriptions = cg.subscriptions;
    } else if (!g.has_subscriptions || g.fingerprint != cg.fingerprint) {
      ch.resend_subscriptions.push_back(cg.group);
    }
  }
  for (const auto& g : c.consumer_groups)
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
  for (const auto& g : c.consumer_groups) {
    auto it = groups_.find(g);
    if (it == groups_.end()) continue;
    it->second.members.erase(id);
    if (std::find(changed->begin(), changed->end(), g) == changed->end()) changed->push_back(g);
    if (it->second.members.empty()) groups_.erase(it);
  }
}

std::vector<std::string> ClientTable::unregister(std::string_view client_id) {
  std::vector<std::string> changed;
  auto it = clients_.find(std::string(client_id));
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

const std::vector<SubscriptionData>* ClientTable::subscriptions(std::string_view group) const {
  auto it = groups_.find(group);
  if (it == groups_.end() || !it->second.has_subscriptions) return nullptr;
  return &it->second.subscriptions;
}

}  // namespace ferry::core
