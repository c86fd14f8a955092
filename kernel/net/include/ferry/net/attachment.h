#pragma once
// Attachment: the raw bytes sent after a frame's header, never parsed by
// FlatBuffers. Either owned (a vector, moved in) or borrowed slices whose
// owner is told through `release` once the write that carries them has
// completed — or the connection died, or the attachment was dropped unsent.
// A pull answer borrows slices of a mapped commit-log segment this way.
//
// Move-only. release runs exactly once, on whichever thread drops the last
// use (the loop thread after a write).
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "ferry/abi.h"

namespace ferry::net {

class Attachment {
 public:
  using ReleaseFn = void (*)(void* ctx);

  Attachment() = default;
  ~Attachment() {
    if (!trivially_empty()) reset();
  }
  Attachment(Attachment&& o) noexcept {
    if (!o.trivially_empty()) *this = std::move(o);
  }
  Attachment& operator=(Attachment&& o) noexcept;
  Attachment(const Attachment&) = delete;
  Attachment& operator=(const Attachment&) = delete;

  // Takes ownership of bytes.
  static Attachment owned(std::vector<uint8_t> bytes);
  // Copies bytes.
  static Attachment copy(std::span<const uint8_t> bytes);
  // Borrows `slices` (the array itself is copied; the memory it points to is
  // not). release(ctx) is called once the bytes are no longer needed; it may
  // be NULL. REQUIRES: the memory stays valid until release is called.
  static Attachment borrow(const ferry_slice* slices, size_t count, ReleaseFn release, void* ctx);
  static Attachment borrow(std::span<const uint8_t> bytes, ReleaseFn release, void* ctx) {
    ferry_slice s{bytes.data(), bytes.size()};
    return borrow(&s, 1, release, ctx);
  }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  size_t slice_count() const { return count_; }
  const iovec& slice(size_t i) const { return i == 0 ? first_ : rest_[i - 1]; }
  // Drops the bytes now (calls release for borrowed ones).
  void reset();

 private:
  // Nothing to release or free: the common case on the answer path, kept
  // inline so empty attachments cost nothing.
  bool trivially_empty() const {
    return release_ == nullptr && count_ == 0 && owned_.capacity() == 0;
  }
  void add_slice(const iovec& v);

  std::vector<uint8_t> owned_;
  // Views into owned_ or the borrowed memory: the first inline (a send's one
  // body slice, an owned buffer: no allocation), any more in rest_.
  iovec first_{};
  std::vector<iovec> rest_;
  size_t count_ = 0;
  size_t size_ = 0;
  ReleaseFn release_ = nullptr;
  void* ctx_ = nullptr;
};

}  // namespace ferry::net
