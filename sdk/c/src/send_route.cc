#include "send_route.h"

#include <algorithm>

namespace ferry::sdk {

uint32_t BrokerTable::intern(const std::string& name, const std::string& addr) {
  auto [it, fresh] = index_.try_emplace({name, addr}, static_cast<uint32_t>(refs_.size()));
  if (fresh) refs_.push_back(BrokerRef{name, addr});
  return it->second;
}

SendRoute::SendRoute(const Route& r, BrokerTable& brokers) {
  n_ = static_cast<uint32_t>(r.write_queues.size());
  if (n_ > kInline) more_.reserve(n_);
  for (size_t i = 0; i < r.write_queues.size(); ++i) {
    const QueueKey& q = r.write_queues[i];
    auto m = r.masters.find(q.broker);
    // parse_route keeps only queues of brokers with a master.
    SendQueue s{brokers.intern(q.broker, m == r.masters.end() ? std::string() : m->second), q.queue_id};
    if (n_ <= kInline) inline_[i] = s;
    else more_.push_back(s);
  }
}

uint64_t SendRouteIndex::hash_of(std::string_view s) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a, then a final mix for the low bits
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  h ^= h >> 29;
  h *= 0xbf58476d1ce4e5b9ull;
  return h ^ (h >> 32);
}

const SendRoute* SendRouteIndex::find(std::string_view topic) const {
  if (slots_.empty()) return nullptr;
  const uint64_t h = hash_of(topic);
  const size_t mask = slots_.size() - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (!s.name) return nullptr;
    if (s.hash == h && *s.name == topic) return s.route;
  }
}

void SendRouteIndex::insert(const std::string* topic, const SendRoute* route) {
  if ((used_ + 1) * 2 > slots_.size()) grow();
  place(Slot{hash_of(*topic), topic, route});
  ++used_;
}

void SendRouteIndex::place(const Slot& s) {
  const size_t mask = slots_.size() - 1;
  size_t i = s.hash & mask;
  while (slots_[i].name) i = (i + 1) & mask;
  slots_[i] = s;
}

void SendRouteIndex::grow() {
  std::vector<Slot> old;
  old.swap(slots_);
  slots_.resize(old.empty() ? 16 : old.size() * 2);
  for (const Slot& s : old)
    if (s.name) place(s);
}

SendRoute* SendRouteArena::make() {
  if (used_ == cap_) {  // 16, 32, ... 1,024 per chunk: a one-topic client stays small
    cap_ = chunks_.empty() ? 16 : std::min<size_t>(cap_ * 2, 1024);
    chunks_.push_back(std::make_unique<SendRoute[]>(cap_));
    used_ = 0;
  }
  return &chunks_.back()[used_++];
}

}  // namespace ferry::sdk
