#include "ferry/net/attachment.h"

#include <utility>

namespace ferry::net {

Attachment& Attachment::operator=(Attachment&& o) noexcept {
  if (this != &o) {
    reset();
    if (o.count_ == 0 && o.owned_.capacity() == 0 && !o.release_) return *this;  // empty
    // A moved vector keeps its heap buffer, so iovecs into owned_ stay valid.
    owned_ = std::move(o.owned_);
    first_ = o.first_;
    rest_ = std::move(o.rest_);
    count_ = std::exchange(o.count_, 0);
    size_ = std::exchange(o.size_, 0);
    release_ = std::exchange(o.release_, nullptr);
    ctx_ = std::exchange(o.ctx_, nullptr);
    o.rest_.clear();
  }
  return *this;
}

Attachment Attachment::owned(std::vector<uint8_t> bytes) {
  Attachment a;
  a.owned_ = std::move(bytes);
  a.size_ = a.owned_.size();
  if (a.size_ > 0) a.add_slice(iovec{a.owned_.data(), a.size_});
  return a;
}

void Attachment::add_slice(const iovec& v) {
  if (count_ == 0) {
    first_ = v;
  } else {
    rest_.push_back(v);
  }
  ++count_;
}

Attachment Attachment::copy(std::span<const uint8_t> bytes) {
  return owned(std::vector<uint8_t>(bytes.begin(), bytes.end()));
}

Attachment Attachment::borrow(const ferry_slice* slices, size_t count, ReleaseFn release,
                              void* ctx) {
  Attachment a;
  if (count > 1) a.rest_.reserve(count - 1);
  for (size_t i = 0; i < count; ++i) {
    if (slices[i].len == 0) continue;
    a.add_slice(iovec{const_cast<void*>(slices[i].data), slices[i].len});
    a.size_ += slices[i].len;
  }
  a.release_ = release;
  a.ctx_ = ctx;
  return a;
}

void Attachment::reset() {
  if (count_ == 0 && owned_.capacity() == 0 && !release_) return;  // empty: the common case
  first_ = iovec{};
  rest_.clear();
  count_ = 0;
  std::vector<uint8_t>().swap(owned_);
  size_ = 0;
  if (auto fn = std::exchange(release_, nullptr)) fn(std::exchange(ctx_, nullptr));
}

}  // namespace ferry::net
