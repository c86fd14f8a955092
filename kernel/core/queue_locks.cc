#include "queue_locks.h"

namespace ferry::core {

std::vector<QueueKey> QueueLocks::lock(std::string_view group, std::string_view client_id,
                                       const std::vector<QueueKey>& queues, uint64_t now_ms,
                                       uint64_t lease_ms) {
  std::vector<QueueKey> held;
  for (const auto& q : queues) {
    Key key{std::string(group), q};
    auto it = locks_.find(key);
    if (it == locks_.end()) {
      locks_.emplace(std::move(key), Lease{std::string(client_id), now_ms + lease_ms});
      held.push_back(q);
    } else if (it->second.client_id == client_id || it->second.expires_ms <= now_ms) {
      it->second.client_id = std::string(client_id);
      it->second.expires_ms = now_ms + lease_ms;
      held.push_back(q);
    }
  }
  return held;
}

void QueueLocks::unlock(std::string_view group, std::string_view client_id,
                        const std::vector<QueueKey>& queues) {
  for (const auto& q : queues) {
    auto it = locks_.find(Key{std::string(group), q});
    if (it != locks_.end() && it->second.client_id == client_id) locks_.erase(it);
  }
}

void QueueLocks::sweep(uint64_t now_ms) {
  std::erase_if(locks_, [now_ms](const auto& kv) { return kv.second.expires_ms <= now_ms; });
}

std::string QueueLocks::holder(std::string_view group, const QueueKey& q, uint64_t now_ms) const {
  auto it = locks_.find(Key{std::string(group), q});
  if (it == locks_.end() || it->second.expires_ms <= now_ms) return {};
  return it->second.client_id;
}

}  // namespace ferry::core
