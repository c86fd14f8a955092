#include "pending_table.h"

#include <stdexcept>

namespace ferry::net {

uint64_t PendingTable::add(ResponseFn fn, uint64_t deadline_ms) {
  uint32_t slot;
  if (!free_.empty()) {
    slot = free_.back();
    free_.pop_back();
  } else {
    if (slots_.size() >= (size_t{1} << kSlotBits)) throw std::length_error("too many pending requests");
    slot = static_cast<uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  const uint64_t id = (seq_++ << kSlotBits) | slot;
  slots_[slot].id = id;
  slots_[slot].fn = std::move(fn);
  ++live_;
  heap_.push_back(Deadline{deadline_ms, id});
  std::push_heap(heap_.begin(), heap_.end(), std::greater<>());
  if (heap_.size() > 2 * live_ + 1024) compact();
  return id;
}

bool PendingTable::take(uint64_t id, ResponseFn* fn) {
  const size_t slot = id & ((uint64_t{1} << kSlotBits) - 1);
  if (slot >= slots_.size() || slots_[slot].id != id || id == 0) return false;
  *fn = std::move(slots_[slot].fn);
  slots_[slot].fn = nullptr;
  slots_[slot].id = 0;
  free_.push_back(static_cast<uint32_t>(slot));
  --live_;
  return true;
}

void PendingTable::take_expired(uint64_t now_ms, std::vector<ResponseFn>* out) {
  while (!heap_.empty() && heap_.front().at <= now_ms) {
    const uint64_t id = heap_.front().id;
    pop();
    ResponseFn fn;
    if (take(id, &fn)) out->push_back(std::move(fn));
  }
}

void PendingTable::take_all(std::vector<ResponseFn>* out) {
  for (auto& s : slots_) {
    if (s.id != 0) {
      out->push_back(std::move(s.fn));
      s.fn = nullptr;
      s.id = 0;
    }
  }
  slots_.clear();
  free_.clear();
  heap_.clear();
  live_ = 0;
}

bool PendingTable::next_deadline(uint64_t* deadline_ms) {
  while (!heap_.empty()) {
    if (live(heap_.front().id)) {
      *deadline_ms = heap_.front().at;
      return true;
    }
    pop();  // stale: answered already
  }
  return false;
}

void PendingTable::pop() {
  std::pop_heap(heap_.begin(), heap_.end(), std::greater<>());
  heap_.pop_back();
}

void PendingTable::compact() {
  // O(n): drop answered entries, re-heapify.
  std::erase_if(heap_, [this](const Deadline& d) { return !live(d.id); });
  std::make_heap(heap_.begin(), heap_.end(), std::greater<>());
}

}  // namespace ferry::net
