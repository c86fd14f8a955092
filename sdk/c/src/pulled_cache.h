#pragma once
// The messages a push consumer pulled from one queue and has not yet had
// acknowledged, in queue-offset order: the pull loop appends, the consume
// threads' answers acknowledge in any order, and the acknowledged prefix is
// freed. One deque slot per message — no map node or refcount block per
// message. Touched only on the I/O thread; consume threads read the messages
// (raw pointers) while their slots are unacknowledged, so never freed under them.
#include <algorithm>
#include <cstdint>
#include <deque>

#include "message.h"

namespace ferry::sdk {

class PulledCache {
 public:
  // Offsets must grow; a message at or below the newest cached offset is
  // already here (or was consumed) and is dropped.
  void add(MessagePtr m) {
    int64_t off = m->rec.queue_offset;
    if (!entries_.empty() && off <= entries_.back().offset) return;
    bytes_ += m->rec.body.len;
    ++live_;
    entries_.push_back(Entry{off, false, std::move(m)});
  }
  // Acknowledges the message at `offset` (no-op if absent or already done).
  void ack(int64_t offset) {
    auto it = std::lower_bound(entries_.begin(), entries_.end(), offset,
                               [](const Entry& e, int64_t o) { return e.offset < o; });
    if (it == entries_.end() || it->offset != offset || it->done) return;
    it->done = true;
    --live_;
    bytes_ -= it->msg->rec.body.len;
    while (!entries_.empty() && entries_.front().done) entries_.pop_front();
  }
  bool empty() const { return live_ == 0; }
  size_t size() const { return live_; }
  uint64_t bytes() const { return bytes_; }
  // The lowest unacknowledged offset (everything below it is done), or
  // `otherwise` when nothing is cached.
  int64_t first_offset(int64_t otherwise) const {
    return entries_.empty() ? otherwise : entries_.front().offset;
  }
  // Up to n unacknowledged messages from the front, in offset order.
  template <class Out>
  void front(size_t n, Out* out) const {
    for (auto it = entries_.begin(); it != entries_.end() && out->size() < n; ++it)
      if (!it->done) out->push_back(it->msg.get());
  }

 private:
  struct Entry {
    int64_t offset;
    bool done;
    MessagePtr msg;
  };
  std::deque<Entry> entries_;
  size_t live_ = 0;
  uint64_t bytes_ = 0;
};

}  // namespace ferry::sdk
