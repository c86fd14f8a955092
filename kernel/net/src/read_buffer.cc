#include "read_buffer.h"

#include <algorithm>
#include <cstring>

namespace ferry::net {

namespace {
constexpr size_t kMinRead = 4096;  // never ask the kernel for less than this
}

void ReadBuffer::replace(size_t capacity) {
  // for_overwrite: the bytes are read into at once, zeroing them is waste.
  auto fresh = std::make_shared_for_overwrite<uint8_t[]>(capacity);
  ++blocks_allocated_;
  const size_t partial = end_ - pos_;
  if (partial > 0) std::memcpy(fresh.get(), block_.get() + pos_, partial);
  block_ = std::move(fresh);
  shared_ = false;
  capacity_ = capacity;
  pos_ = 0;
  end_ = partial;
}

uv_buf_t ReadBuffer::prepare(size_t frame_bytes) {
  const size_t partial = end_ - pos_;
  const bool sole = block_ && !shared_;
  if (!block_) {
    replace(std::max(block_bytes_, frame_bytes));
  } else if (partial == 0 && sole) {
    // Everything consumed and nobody holds a view: start over, and give back
    // a block grown for one large frame.
    pos_ = end_ = 0;
    if (capacity_ > block_bytes_ && frame_bytes <= block_bytes_) replace(block_bytes_);
  }
  const size_t want = std::max(frame_bytes > partial ? frame_bytes - partial : 0, kMinRead);
  if (capacity_ - end_ < want) {
    const size_t need = std::max(block_bytes_, partial + want);
    if (!shared_ && capacity_ >= need) {
      std::memmove(block_.get(), block_.get() + pos_, partial);
      pos_ = 0;
      end_ = partial;
    } else {
      replace(need);
    }
  }
  return uv_buf_init(reinterpret_cast<char*>(block_.get() + end_),
                     static_cast<unsigned>(std::min<size_t>(capacity_ - end_, 1u << 30)));
}

}  // namespace ferry::net
