#pragma once
// A FIFO of movable values in one power-of-two array reused in place: the
// core's sends waiting for their watermark (Pending, ~250 bytes). A
// std::deque allocated and freed a node every second send (two Pendings a
// 512-byte node); the ring allocates only when it grows (doubling, rare: the
// queue is bounded by send_queue_capacity), and never shrinks.
// Single-threaded (the loop's), no iteration: push at the back, take from
// the front.
#include <cstddef>
#include <utility>
#include <vector>

namespace ferry::core {

template <typename T>
class FifoRing {
 public:
  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }
  T& front() { return slots_[head_]; }
  const T& front() const { return slots_[head_]; }

  void push_back(T&& v) {
    if (size_ == slots_.size()) grow();
    slots_[(head_ + size_) & (slots_.size() - 1)] = std::move(v);
    ++size_;
  }
  // The front value, moved out; its slot keeps a moved-from T until reused.
  T take_front() {
    T v = std::move(slots_[head_]);
    head_ = (head_ + 1) & (slots_.size() - 1);
    --size_;
    return v;
  }

 private:
  void grow() {
    std::vector<T> bigger(slots_.empty() ? 16 : slots_.size() * 2);
    for (size_t i = 0; i < size_; ++i) bigger[i] = std::move(slots_[(head_ + i) & (slots_.size() - 1)]);
    slots_ = std::move(bigger);
    head_ = 0;
  }

  std::vector<T> slots_;  // size 0 or a power of two
  size_t head_ = 0, size_ = 0;
};

}  // namespace ferry::core
