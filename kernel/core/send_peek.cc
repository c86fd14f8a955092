// Core::peek: the net layer shows the loop a read's next few requests before
// they are handled; for a send, the topic index's slot is prefetched then,
// so at 10,000 topics TopicTable::find no longer waits for it (one DRAM
// miss per message, ~0.2 us here: docs/benchmarks.md "Session 15 (topics)").
// The payload is not verified yet (handle_send does that), so the topic is
// read with every offset bounds-checked; anything odd is skipped.
#include <flatbuffers/flatbuffers.h>

#include <cstring>

#include "core_internal.h"
#include "send_peek.h"

namespace ferry::core {
namespace {

template <class T>
T load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);  // the payload may be unaligned
  return flatbuffers::EndianScalar(v);
}

}  // namespace

std::string_view peek_send_topic(const uint8_t* b, size_t len) {
  if (b == nullptr || len < 8 || len >= (size_t{1} << 31)) return {};
  const size_t table = load<uint32_t>(b);
  if (table > len - 4) return {};
  const int64_t vtable = static_cast<int64_t>(table) - load<int32_t>(b + table);
  constexpr size_t kField = fb::SendRequest::VT_TOPIC;
  if (vtable < 0 || static_cast<size_t>(vtable) > len - (kField + 2)) return {};
  const uint8_t* vt = b + vtable;
  if (load<uint16_t>(vt) < kField + 2) return {};
  const size_t field = table + load<uint16_t>(vt + kField);
  if (field == table || field > len - 4) return {};
  const size_t str = field + load<uint32_t>(b + field);
  if (str > len - 4) return {};
  const size_t n = load<uint32_t>(b + str);
  if (n > len - str - 4) return {};
  return {reinterpret_cast<const char*>(b + str + 4), n};
}

uint64_t Core::peek(uint32_t code, ferry_slice payload) {
  if (code != FERRY_CODE_SEND_MESSAGE && code != FERRY_CODE_SEND_BATCH) return 0;
  std::string_view topic = peek_send_topic(static_cast<const uint8_t*>(payload.data), payload.len);
  if (topic.empty()) return 0;
  const uint64_t h = TopicTable::hash_of(topic);
  if (const void* slot = topics_.home_slot(h)) __builtin_prefetch(slot);
  // The previous send's slot was prefetched a frame ago: its entry's first
  // 64 bytes (name, queue counts, perm), over at most two lines.
  if (const TopicConfig* t = peeked_ ? topics_.entry_of(peeked_hash_) : nullptr) {
    __builtin_prefetch(t);
    __builtin_prefetch(reinterpret_cast<const char*>(t) + 63);
  }
  peeked_hash_ = h;
  peeked_ = true;
  return h;
}

}  // namespace ferry::core
