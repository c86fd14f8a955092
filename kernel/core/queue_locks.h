#pragma once
// Queue locks for ordered consumption: one client of a group holds a
// topic/queue for a lease; locking again renews it; an expired lease is free
// for anyone.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace ferry::core {

struct QueueKey {
  std::string topic;
  int32_t queue_id = 0;
  bool operator<(const QueueKey& o) const {
    return std::tie(topic, queue_id) < std::tie(o.topic, o.queue_id);
  }
  bool operator==(const QueueKey& o) const = default;
};

class QueueLocks {
 public:
  // Lock (or renew) each queue for client_id until now + lease. Returns the
  // queues the client holds afterwards, in request order.
  std::vector<QueueKey> lock(std::string_view group, std::string_view client_id,
                             const std::vector<QueueKey>& queues, uint64_t now_ms,
                             uint64_t lease_ms);
  // Release the queues the client holds; others' locks are untouched.
  void unlock(std::string_view group, std::string_view client_id,
              const std::vector<QueueKey>& queues);
  // Drop expired leases (memory only; an expired lease is already free).
  void sweep(uint64_t now_ms);
  // Holder of a live lock, empty if free.
  std::string holder(std::string_view group, const QueueKey& q, uint64_t now_ms) const;
  size_t size() const { return locks_.size(); }

 private:
  struct Lease {
    std::string client_id;
    uint64_t expires_ms = 0;
  };
  using Key = std::pair<std::string, QueueKey>;  // group, queue
  std::map<Key, Lease> locks_;
};

}  // namespace ferry::core
