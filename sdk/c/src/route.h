#pragma once
// A topic's route as the name servers describe it, flattened into what the
// client needs: writable and readable queues (sorted by broker, then queue
// id, so every client numbers them alike) and each broker group's master.
#include <compare>
#include <cstdint>
#include <map>
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

Route parse_route(const fbn::TopicRoute& r);

}  // namespace ferry::sdk
