#pragma once
// Registration of a large topic table: a snapshot of the table sorted by name
// with its fingerprint, and its split into chunks whose encoded
// RegisterBroker payload stays under a byte budget (the frame limit minus
// the envelope's margin). RocketMQ sends one frame per registration and
// fails past its frame limit; 100,000 topics must register here.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "types.h"

namespace ferry::namesrv {

struct TopicSnapshot {
  std::vector<TopicConfig> topics;  // sorted by name, unique
  uint64_t version = 0;             // topics_fingerprint(topics)
};

// Sort by name, drop duplicate names (the last one wins) and fingerprint.
TopicSnapshot make_snapshot(std::vector<TopicConfig> topics);

// FNV-1a 64 over every field of every topic, in order. Never 0, so 0 can
// mean "no version yet".
uint64_t topics_fingerprint(std::span<const TopicConfig> topics);

// Bytes left for a payload in a frame of max_frame_bytes: the envelope's
// header (code, ids, status text) gets a margin; `target` (the chunk_bytes
// config) caps chunks further so the name server parses small pieces.
size_t chunk_budget(uint64_t max_frame_bytes, uint64_t target);

struct ChunkRange {
  size_t begin = 0;
  size_t end = 0;  // exclusive
};

// Split `topics` so that encode_register() of each range is at most `budget`
// bytes. An empty table still makes one (empty) chunk: its round removes
// every topic the broker had. FERRY_E_TOO_LARGE when one topic alone does not
// fit.
Outcome plan_chunks(const BrokerIdentity& broker, std::span<const TopicConfig> topics,
                    size_t budget, std::vector<ChunkRange>* out);

}  // namespace ferry::namesrv
