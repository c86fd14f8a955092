#pragma once
// Read buffer of one connection: reference-counted blocks. A request handed
// to a handler keeps its block alive (payload and attachment are views into
// it: a send body is copied once, from here into the commit log). A block
// that was never handed out is reused in place; one that was is only filled
// further and then dropped (its last holder frees it) — never rewritten
// while another thread may still read it. (Checking use_count() instead
// would be a relaxed load: no happens-before with the other thread's reads.)
#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <memory>

namespace ferry::net {

class ReadBuffer {
 public:
  explicit ReadBuffer(size_t block_bytes) : block_bytes_(block_bytes) {}

  // Room to read into. `frame_bytes` is the size of the frame being read
  // when known (0 otherwise): the buffer makes room for all of it in one
  // block, so a frame never straddles two blocks.
  uv_buf_t prepare(size_t frame_bytes);
  void commit(size_t n) { end_ += n; }

  const uint8_t* data() const { return block_.get() + pos_; }
  size_t size() const { return end_ - pos_; }
  void consume(size_t n) { pos_ += n; }
  // Shared ownership of the current block (for views handed out, on the
  // loop thread): from now on the block is only filled further, never
  // rewritten.
  std::shared_ptr<const void> share() {
    shared_ = true;
    return block_;
  }
  uint64_t blocks_allocated() const { return blocks_allocated_; }

 private:
  void replace(size_t capacity);

  size_t block_bytes_;
  std::shared_ptr<uint8_t[]> block_;
  size_t capacity_ = 0;
  size_t pos_ = 0;  // first unconsumed byte
  size_t end_ = 0;  // one past the last byte read
  bool shared_ = false;  // block_ was handed out: never rewrite it
  uint64_t blocks_allocated_ = 0;
};

}  // namespace ferry::net
