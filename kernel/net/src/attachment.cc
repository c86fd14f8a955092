#include "ferry/net/attachment.h"

#include <utility>

namespace ferry::net {

Attachment& Attachment::operator=(Attachment&& o) noexcept {
  if (this != &o) {
    reset();
    if (o.slices_.empty() && o.owned_.capacity() == 0 && !o.release_) return *this;  // empty
    // A moved vector keeps its heap buffer, so iovecs into owned_ stay valid.
    owned_ = std::move(o.owned_);
    slices_ = std::move(o.slices_);
    size_ = std::exchange(o.size_, 0);
    release_ = std::exchange(o.release_, nullptr);
    ctx_ = std::exchange(o.ctx_, nullptr);
    o.slices_.clear();
  }
  return *this;
}

Attachment Attachment::owned(std::vector<uint8_t> bytes) {
  Attachment a;
  a.owned_ = std::move(bytes);
  a.size_ = a.owned_.size();
  if (a.size_ > 0) a.slices_.push_back(iovec{a.owned_.data(), a.size_});
  return a;
}

Attachment Attachment::copy(std::span<const uint8_t> bytes) {
  return owned(std::vector<uint8_t>(bytes.begin(), bytes.end()));
}

Attachment Attachment::borrow(const ferry_slice* slices, size_t count, ReleaseFn release,
                              void* ctx) {
  Attachment a;
  a.slices_.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    if (slices[i].len == 0) continue;
    a.slices_.push_back(iovec{const_cast<void*>(slices[i].data), slices[i].len});
    a.size_ += slices[i].len;
  }
  a.release_ = release;
  a.ctx_ = ctx;
  return a;
}

void Attachment::reset() {
  if (slices_.empty() && owned_.capacity() == 0 && !release_) return;  // empty: the common case
  slices_.clear();
  std::vector<uint8_t>().swap(owned_);
  size_ = 0;
  if (auto fn = std::exchange(release_, nullptr)) fn(std::exchange(ctx_, nullptr));
}

}  // namespace ferry::net
