#pragma once
// A topic's route as the name servers describe it, flattened into what the
// client needs: writable and readable queues (sorted by broker, then queue
// id, so every client numbers them alike) and each broker group's master.
#include <compare>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "wire.h"

namespace ferry::sdk {

struct QueueKey {
  std::string topic;
  std::string broker;
  int32_t queue_id = 0;
  auto operator<=>(const QueueKey&) const = default;
  std::string text() const { return topic + "@" + broker + "/" + std::to_string(queue_id); }
};

struct Route {
  std::string topic;
  std::vector<QueueKey> write_queues;
  std::vector<QueueKey> read_queues;
  std::map<std::string, std::string> masters;  // broker name -> "host:port"
  std::map<std::string, std::string> cluster_of;
};

// ferryd refuses a topic with more queues (kMaxQueues, kernel/core): a queue
// entry above it is garbled or hostile and is skipped, so a route never
// makes the client build billions of queue keys.
inline constexpr uint32_t kMaxQueuesPerBroker = 1024;

Route parse_route(const fbn::TopicRoute& r);

// ---- the periodic refresh of every cached route ----
// One GET_ROUTES request per batch of topics instead of one GET_ROUTE per
// topic: a client with 10,000 topics refreshes with ~10 requests, not a
// 10,000-request burst every 30 s. A name server older than GET_ROUTES
// answers FERRY_E_UNKNOWN_REQUEST; the client then asks per topic, and
// tries batches again a few periods later (the name server may be upgraded).

// Bounds of one GET_ROUTES request: far under the frame limit (names only),
// and few enough topics that the answer rarely needs a second request.
inline constexpr size_t kRouteBatchTopics = 1000;
inline constexpr size_t kRouteBatchBytes = 256u << 10;

// `topics` split into consecutive batches within both bounds (each holds at
// least one topic).
std::vector<std::vector<std::string>> route_batches(const std::vector<std::string>& topics,
                                                    size_t max_topics = kRouteBatchTopics,
                                                    size_t max_bytes = kRouteBatchBytes);
std::vector<uint8_t> encode_get_routes(std::span<const std::string> topics);

// Whether the next refresh asks in batches. [loop]
class RouteBatchMode {
 public:
  bool use_batches() {
    if (skip_ == 0) return true;
    --skip_;
    return false;
  }
  // The same without counting a period: whether to batch first-use fetches.
  bool batches_now() const { return skip_ == 0; }
  // The name server answered GET_ROUTES with FERRY_E_UNKNOWN_REQUEST.
  void unsupported() { skip_ = kPeriodsPerTopic; }

 private:
  static constexpr uint32_t kPeriodsPerTopic = 10;
  uint32_t skip_ = 0;
};

}  // namespace ferry::sdk
