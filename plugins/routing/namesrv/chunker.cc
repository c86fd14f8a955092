#include "chunker.h"

#include <algorithm>
#include <string>

#include "codec.h"

namespace ferry::namesrv {

namespace {

constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ull;
constexpr uint64_t kFnvPrime = 0x100000001b3ull;
// Room for the envelope header around a payload: request id, code, flags and
// a status message; far more than it needs.
constexpr uint64_t kFrameMargin = 64 * 1024;

void mix(uint64_t& h, const void* data, size_t len) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < len; ++i) {
    h ^= p[i];
    h *= kFnvPrime;
  }
}

void mix_u32(uint64_t& h, uint32_t v) {
  unsigned char b[4] = {static_cast<unsigned char>(v), static_cast<unsigned char>(v >> 8),
                        static_cast<unsigned char>(v >> 16), static_cast<unsigned char>(v >> 24)};
  mix(h, b, sizeof b);
}

}  // namespace

TopicSnapshot make_snapshot(std::vector<TopicConfig> topics) {
  std::stable_sort(topics.begin(), topics.end(),
                   [](const TopicConfig& a, const TopicConfig& b) { return a.name < b.name; });
  // Keep the last of equal names (stable sort kept their order).
  std::vector<TopicConfig> unique;
  unique.reserve(topics.size());
  for (TopicConfig& t : topics) {
    if (!unique.empty() && unique.back().name == t.name) {
      unique.back() = std::move(t);
    } else {
      unique.push_back(std::move(t));
    }
  }
  TopicSnapshot s;
  s.topics = std::move(unique);
  s.version = topics_fingerprint(s.topics);
  return s;
}

uint64_t topics_fingerprint(std::span<const TopicConfig> topics) {
  uint64_t h = kFnvOffset;
  for (const TopicConfig& t : topics) {
    mix_u32(h, static_cast<uint32_t>(t.name.size()));
    mix(h, t.name.data(), t.name.size());
    mix_u32(h, t.read_queues);
    mix_u32(h, t.write_queues);
    mix_u32(h, t.perm);
    mix_u32(h, t.flags);
  }
  return h == 0 ? 1 : h;
}

size_t chunk_budget(uint64_t max_frame_bytes, uint64_t target) {
  uint64_t room = max_frame_bytes > 2 * kFrameMargin ? max_frame_bytes - kFrameMargin
                                                     : max_frame_bytes / 2;
  return static_cast<size_t>(std::min(room, target));
}

Outcome plan_chunks(const BrokerIdentity& broker, std::span<const TopicConfig> topics,
                    size_t budget, std::vector<ChunkRange>* out) {
  out->clear();
  const size_t fixed = register_fixed_cost(broker);
  if (fixed >= budget)
    return Outcome::fail(FERRY_E_TOO_LARGE, "chunk budget of " + std::to_string(budget) +
                                                " bytes leaves no room for topics");
  ChunkRange cur{0, 0};
  size_t used = fixed;
  for (size_t i = 0; i < topics.size(); ++i) {
    const size_t cost = register_topic_cost(topics[i]);
    if (fixed + cost > budget)
      return Outcome::fail(FERRY_E_TOO_LARGE, "topic '" + topics[i].name.substr(0, 64) +
                                                  "' does not fit a chunk of " +
                                                  std::to_string(budget) + " bytes");
    if (used + cost > budget) {
      out->push_back(cur);
      cur = ChunkRange{i, i};
      used = fixed;
    }
    used += cost;
    cur.end = i + 1;
  }
  out->push_back(cur);
  return {};
}

}  // namespace ferry::namesrv
