#pragma once
// Queue allocation among a consumer group's members (RocketMQ's strategies).
// Every member computes the same answer from the same sorted inputs, so no
// coordinator is needed: the queues are sorted by broker then id, the
// members by client id.
#include <string>
#include <vector>

#include "config.h"
#include "route.h"

namespace ferry::sdk {

// The queues of `all` that `me` owns. Empty when me is not a member.
std::vector<QueueKey> allocate_queues(Strategy strategy, const std::vector<QueueKey>& all,
                                      const std::vector<std::string>& members, const std::string& me);

}  // namespace ferry::sdk
