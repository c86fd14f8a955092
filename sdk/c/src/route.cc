#include "route.h"

#include <algorithm>

namespace ferry::sdk {

namespace {
constexpr uint32_t kPermWrite = 0x2;  // FERRY_PERM_WRITE (ferry/host.h)
constexpr uint32_t kPermRead = 0x4;   // FERRY_PERM_READ
}  // namespace

Route parse_route(const fbn::TopicRoute& r) {
  Route out;
  out.topic = str(r.topic());
  if (r.brokers()) {
    for (const auto* b : *r.brokers()) {
      std::string name = str(b->broker_name());
      out.cluster_of[name] = str(b->cluster());
      if (!b->addresses()) continue;
      for (const auto* a : *b->addresses())
        if (a->broker_id() == 0) out.masters[name] = str(a->address());
    }
  }
  if (r.queues()) {
    for (const auto* q : *r.queues()) {
      std::string name = str(q->broker_name());
      if (!out.masters.count(name)) continue;  // no live master: not writable/readable here
      if (q->write_queues() > kMaxQueuesPerBroker || q->read_queues() > kMaxQueuesPerBroker) continue;
      if (q->perm() & kPermWrite)
        for (uint32_t i = 0; i < q->write_queues(); ++i)
          out.write_queues.push_back({out.topic, name, static_cast<int32_t>(i)});
      if (q->perm() & kPermRead)
        for (uint32_t i = 0; i < q->read_queues(); ++i)
          out.read_queues.push_back({out.topic, name, static_cast<int32_t>(i)});
    }
  }
  std::sort(out.write_queues.begin(), out.write_queues.end());
  std::sort(out.read_queues.begin(), out.read_queues.end());
  return out;
}

std::vector<std::vector<std::string>> route_batches(const std::vector<std::string>& topics,
                                                    size_t max_topics, size_t max_bytes) {
  std::vector<std::vector<std::string>> out;
  size_t bytes = 0;
  for (const std::string& t : topics) {
    const size_t cost = t.size() + 8;  // string length prefix, terminator, offset slot
    if (out.empty() || out.back().size() >= max_topics || (bytes + cost > max_bytes && !out.back().empty())) {
      out.emplace_back();
      bytes = 0;
    }
    out.back().push_back(t);
    bytes += cost;
  }
  return out;
}

std::vector<uint8_t> encode_get_routes(std::span<const std::string> topics) {
  flatbuffers::FlatBufferBuilder fbb(64 + topics.size() * 32);
  std::vector<flatbuffers::Offset<flatbuffers::String>> names;
  names.reserve(topics.size());
  for (const std::string& t : topics) names.push_back(fbb.CreateString(t));
  return finish_ns(fbb, fbn::CreateGetRoutesDirect(fbb, &names));
}

}  // namespace ferry::sdk
