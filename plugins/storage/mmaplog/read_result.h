#pragma once
// The storage's side of a ferry_read_result: slices into pinned segments.
// One allocation per read (never per record); release() frees it and drops
// the pins, after which retention may unmap the segments.
#include <ferry/storage.h>

#include <memory>
#include <vector>

#include "segment.h"

namespace ferry::mmaplog {

struct ReadResult {
  ferry_read_result pub{};
  std::vector<ferry_slice> slices;
  std::vector<uint64_t> queue_offsets;
  std::vector<SegmentPtr> pins;

  ReadResult() {
    pub.struct_size = sizeof(pub);
    pub.release = &ReadResult::release;
    pub.private_data = this;
  }
  void add_pin(const SegmentPtr& s) {
    if (pins.empty() || pins.back() != s) pins.push_back(s);
  }
  // Point pub at the vectors and hand ownership to the caller.
  ferry_read_result* publish(bool with_queue_offsets) {
    pub.count = slices.size();
    pub.records = slices.empty() ? nullptr : slices.data();
    pub.queue_offsets = with_queue_offsets && !queue_offsets.empty() ? queue_offsets.data() : nullptr;
    return &pub;
  }
  static void release(ferry_read_result* self) {
    std::unique_ptr<ReadResult> owned(static_cast<ReadResult*>(self->private_data));
  }
};

}  // namespace ferry::mmaplog
