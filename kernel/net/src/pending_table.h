#pragma once
// Requests this side sent and waits answers for. Slots are reused, so the
// steady state allocates nothing: request_id = (sequence << 24) | slot, and
// an answer is matched by slot and checked by the full id. Deadlines sit in
// a min-heap; answered entries leave stale heap entries that are skipped
// (and compacted away when they outnumber live ones).
#include <cstdint>
#include <algorithm>
#include <vector>

#include "ferry/net/request.h"

namespace ferry::net {

class PendingTable {
 public:
  // Returns the request id. deadline_ms in loop time.
  uint64_t add(ResponseFn fn, uint64_t deadline_ms);
  // Removes and returns the callback of `id`; false if unknown (timed out).
  bool take(uint64_t id, ResponseFn* fn);
  // Removes and collects the entries whose deadline is <= now.
  void take_expired(uint64_t now_ms, std::vector<ResponseFn>* out);
  // Removes everything.
  void take_all(std::vector<ResponseFn>* out);
  // Earliest live deadline; false when none.
  bool next_deadline(uint64_t* deadline_ms);
  size_t size() const { return live_; }

 private:
  static constexpr unsigned kSlotBits = 24;
  struct Slot {
    uint64_t id = 0;  // 0 = free
    ResponseFn fn;
  };
  struct Deadline {
    uint64_t at;
    uint64_t id;
    bool operator>(const Deadline& o) const { return at > o.at; }
  };
  bool live(uint64_t id) const {
    const size_t slot = id & ((uint64_t{1} << kSlotBits) - 1);
    return slot < slots_.size() && slots_[slot].id == id;
  }
  void pop();
  void compact();

  std::vector<Slot> slots_;
  std::vector<uint32_t> free_;
  std::vector<Deadline> heap_;  // min-heap by `at` (std::greater)
  uint64_t seq_ = 1;
  size_t live_ = 0;
};

}  // namespace ferry::net
