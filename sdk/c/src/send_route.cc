#include "send_route.h"

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

}  // namespace ferry::sdk
