#pragma once
// Which consume queue each appended record belongs to, handed from the
// writer to the dispatcher so that it need not look the queue up by name:
// with 10,000 topics written at once that lookup (shared lock, a hash of
// "topic\0qid", bucket, node, the key's heap string, a shared_ptr copy) was
// a few cold cache lines per record (docs/benchmarks.md, "Session 10
// (topics)"). One writer, one reader (single-producer single-consumer ring,
// bounded): the writer stages hints during an append and publishes those of
// the records it stored; when the ring is full it drops hints, and a record
// without one (or any record not appended through Store::append: recovery,
// replication) is looked up as before.
// Lifetime: a hint's queue must outlive it. The store keeps every queue it
// hints at alive (TopicOffsets) until the dispatcher has passed the last
// hint given for it (Store::delete_topic retires them).
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace ferry::mmaplog {

class ConsumeQueue;

class DispatchHints {
 public:
  static constexpr size_t kCapacity = 8192;  // a few dispatch batches; 128 KiB

  // ---- writer ----
  // Stage the hint of the append's next record, at commit offset `offset`.
  // false: ring full, not staged, and neither is any later record of this
  // append (the staged hints stay a prefix of its records).
  bool stage(uint64_t offset, ConsumeQueue* q) {
    if (full_) return false;
    const uint64_t t = tail_.load(std::memory_order_relaxed) + staged_;
    if (t - head_cache_ >= kCapacity) {
      head_cache_ = head_.load(std::memory_order_acquire);
      if (t - head_cache_ >= kCapacity) {
        full_ = true;
        return false;
      }
    }
    ring_[t % kCapacity] = Hint{offset, q};
    ++staged_;
    return true;
  }
  // The append stored its first `n` records: publish their hints, drop
  // the rest.
  void publish(size_t n) {
    if (n > staged_) n = staged_;
    tail_.store(tail_.load(std::memory_order_relaxed) + n, std::memory_order_release);
    staged_ = 0;
    full_ = false;
  }

  // ---- reader (the dispatcher) ----
  // The queue hinted for the record at `offset`, or nullptr. Hints below
  // `offset` are dropped (records read before, or never hinted for); a hint
  // above it stays for a later record.
  ConsumeQueue* take(uint64_t offset) {
    uint64_t h = head_.load(std::memory_order_relaxed);
    if (h == tail_cache_) {
      tail_cache_ = tail_.load(std::memory_order_acquire);
      if (h == tail_cache_) return nullptr;
    }
    ConsumeQueue* q = nullptr;
    while (h != tail_cache_) {
      const Hint& e = ring_[h % kCapacity];
      if (e.offset > offset) break;
      if (e.offset == offset) q = e.q;
      ++h;
      if (q) break;
    }
    head_.store(h, std::memory_order_release);
    return q;
  }

 private:
  struct Hint {
    uint64_t offset;
    ConsumeQueue* q;
  };
  std::unique_ptr<Hint[]> ring_ = std::make_unique<Hint[]>(kCapacity);
  alignas(64) std::atomic<uint64_t> tail_{0};  // published by the writer
  uint64_t staged_ = 0;                        // writer only
  bool full_ = false;                          // writer only
  uint64_t head_cache_ = 0;                    // writer's view of head_
  alignas(64) std::atomic<uint64_t> head_{0};  // consumed by the reader
  uint64_t tail_cache_ = 0;                    // reader's view of tail_
};

}  // namespace ferry::mmaplog
