#pragma once
// The writer's next queue offset per topic/queue (Store::append assigns one
// per message). A topic's offsets live in one object the core's topic entry
// points at (ferry_message.storage_slot), so a send reaches them without a
// lookup by name: with 10,000 topics written at once, a hash of
// "topic\0qid" keys was ~3 cold cache lines per message (bucket, node, the
// key's heap string; docs/benchmarks.md, "Session 10 (topics)"). Messages
// without a slot (recovery, replication, plugins' puts) look the topic up.
// Each queue also names its consume queue, which the writer hands to the
// dispatcher with every record (dispatch_hints.h). Writer thread only.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ferry::mmaplog {

class ConsumeQueue;

struct QueueSlot {
  uint64_t next = 0;            // next queue offset to assign
  ConsumeQueue* cq = nullptr;   // its consume queue once appended to (kept alive by `keep`)
};

// One topic's queues: ids below kInline inline, four to a cache line.
struct alignas(64) TopicOffsets {
  static constexpr int32_t kInline = 8;
  QueueSlot q[kInline];
  std::unordered_map<int32_t, QueueSlot> more;  // other ids; node-based, so addresses stay
  std::vector<std::shared_ptr<ConsumeQueue>> keep;  // every `cq` above
  // The slot of `queue_id`; its address is stable for the object's life.
  QueueSlot& at(int32_t queue_id) {
    return queue_id >= 0 && queue_id < kInline ? q[queue_id] : more[queue_id];
  }
};

class TopicOffsetTable {
 public:
  // The topic's offsets, made (all zero) on first use. The object stays at
  // its address until erase(topic).
  TopicOffsets& get(std::string_view topic) {
    auto it = map_.find(topic);
    if (it == map_.end()) it = map_.emplace(std::string(topic), std::make_unique<TopicOffsets>()).first;
    return *it->second;
  }
  // delete_topic: the core dropped its entry (and the slot) first. Returns
  // the topic's consume queues, which hints may still name.
  std::vector<std::shared_ptr<ConsumeQueue>> erase(std::string_view topic) {
    std::vector<std::shared_ptr<ConsumeQueue>> keep;
    auto it = map_.find(topic);
    if (it == map_.end()) return keep;
    keep.swap(it->second->keep);
    map_.erase(it);
    return keep;
  }
  size_t size() const { return map_.size(); }

 private:
  struct SvHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  std::unordered_map<std::string, std::unique_ptr<TopicOffsets>, SvHash, std::equal_to<>> map_;
};

}  // namespace ferry::mmaplog
