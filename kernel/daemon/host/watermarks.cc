#include "host/watermarks.h"

#include <algorithm>

namespace ferry::host {

bool Watermarks::raise(std::atomic<uint64_t>& w, uint64_t v) {
  uint64_t cur = w.load(std::memory_order_relaxed);
  while (cur < v) {
    if (w.compare_exchange_weak(cur, v, std::memory_order_release, std::memory_order_relaxed))
      return true;
  }
  return false;
}

bool Watermarks::advance(ferry_watermark which, uint64_t offset) {
  bool moved = false;
  switch (which) {
    case FERRY_WATERMARK_WRITE: moved = raise(write_, offset); break;
    case FERRY_WATERMARK_DURABLE: moved = raise(durable_, offset); break;
    case FERRY_WATERMARK_REPLICATED: moved = raise(replicated_offset_, offset); break;
    case FERRY_WATERMARK_VISIBLE: return false;  // derived, never set
  }
  if (moved && on_advance_) on_advance_();
  return moved;
}

uint64_t Watermarks::get(ferry_watermark which) const {
  uint64_t write = write_.load(std::memory_order_acquire);
  switch (which) {
    case FERRY_WATERMARK_WRITE: return write;
    case FERRY_WATERMARK_DURABLE: return durable_.load(std::memory_order_acquire);
    case FERRY_WATERMARK_REPLICATED: return replicated_offset_.load(std::memory_order_acquire);
    case FERRY_WATERMARK_VISIBLE: {
      uint64_t durable = sync_flush_ ? durable_.load(std::memory_order_acquire) : write;
      uint64_t replicated = has_replication_ ? replicated_offset_.load(std::memory_order_acquire) : write;
      return std::min({write, durable, replicated});
    }
  }
  return 0;
}

}  // namespace ferry::host
