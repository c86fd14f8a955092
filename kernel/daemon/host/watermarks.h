#pragma once
// Durability by watermarks (DESIGN.md). Four offsets into the commit log:
//   WRITE       end of the last appended record (the core advances it)
//   DURABLE     advanced by the flush plugin
//   REPLICATED  advanced by the replication plugin
//   VISIBLE     derived: min(WRITE, durable-for-acks, replicated-for-acks)
// durable-for-acks is DURABLE under sync flush and WRITE otherwise (async
// flush or no flush plugin); replicated-for-acks is REPLICATED when a
// replication plugin is configured and WRITE otherwise. A send is acked and
// a record becomes visible once VISIBLE has passed its end. Every advance is
// one atomic max and at most one wake-up of whoever waits (the core).
#include <ferry/host.h>

#include <atomic>
#include <cstdint>
#include <functional>

namespace ferry::host {

class Watermarks {
 public:
  // Set after plugins are created and before any starts (so before any
  // plugin thread reads it); never changed afterwards. [loop]
  void configure(bool sync_flush, bool replicated) {
    sync_flush_ = sync_flush;
    has_replication_ = replicated;
  }
  // Called after any advance that moved VISIBLE's inputs (the core wakes its
  // waiters with one uv_async_send). Set once at start. [loop]
  void on_advance(std::function<void()> fn) { on_advance_ = std::move(fn); }

  // Monotonic: a lower value is ignored. Returns true when it moved. [any]
  bool advance(ferry_watermark which, uint64_t offset);
  uint64_t get(ferry_watermark which) const;  // [any]

 private:
  static bool raise(std::atomic<uint64_t>& w, uint64_t v);
  std::atomic<uint64_t> write_{0}, durable_{0}, replicated_offset_{0};
  bool sync_flush_ = false;
  bool has_replication_ = false;
  std::function<void()> on_advance_;
};

}  // namespace ferry::host
