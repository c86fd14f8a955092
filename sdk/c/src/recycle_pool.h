#pragma once
// RecyclePool<T>: hands out std::shared_ptr<T> whose object *and* control
// block come back to the pool when the last reference drops, so a producer's
// per-send object (its strings and vectors keep their capacity) costs no
// malloc/free once the pool is warm. Bounded: at most `capacity` idle
// objects are kept; more in flight are allocated and freed as usual.
//
// Threads: acquire() and the release (wherever the last shared_ptr drops)
// from any thread, lock-free (a bounded MPMC ring, D. Vyukov's). The pool
// lives until its last object is released (each object holds a reference).
//
// T needs `void recycle()` that clears it for reuse, keeping capacity.
#include <atomic>
#include <cstddef>
#include <memory>
#include <new>

namespace ferry::sdk {

template <typename T>
class RecyclePool : public std::enable_shared_from_this<RecyclePool<T>> {
  struct Slot;

 public:
  // capacity: idle objects kept, rounded up to a power of two.
  static std::shared_ptr<RecyclePool> create(size_t capacity) {
    return std::shared_ptr<RecyclePool>(new RecyclePool(capacity));
  }
  ~RecyclePool() {
    while (Slot* s = pop()) delete s;
  }
  RecyclePool(const RecyclePool&) = delete;
  RecyclePool& operator=(const RecyclePool&) = delete;

  // A cleared T (recycled or new).
  std::shared_ptr<T> acquire() {
    Slot* s = pop();
    if (!s) s = new Slot;
    s->owner = this->shared_from_this();
    // The control block lives in the slot (SlotAlloc); the deleter does
    // nothing: the slot goes back when the control block is deallocated,
    // the last thing shared_ptr does with it.
    return std::shared_ptr<T>(&s->value, [](T*) {}, SlotAlloc<T>{s});
  }

  size_t idle_for_test() const {
    return static_cast<size_t>(enqueue_.load() - dequeue_.load());
  }

 private:
  static constexpr size_t kControlBytes = 64;
  struct Slot {
    T value;
    alignas(std::max_align_t) unsigned char control[kControlBytes];
    std::shared_ptr<RecyclePool> owner;  // set while handed out
  };

  // Allocates exactly one control block: the slot's storage.
  template <typename U>
  struct SlotAlloc {
    using value_type = U;
    Slot* slot;
    explicit SlotAlloc(Slot* s) : slot(s) {}
    template <typename V>
    SlotAlloc(const SlotAlloc<V>& o) : slot(o.slot) {}  // NOLINT: rebinding
    U* allocate(size_t n) {
      static_assert(sizeof(U) <= kControlBytes && alignof(U) <= alignof(std::max_align_t),
                    "shared_ptr control block does not fit the slot");
      if (n != 1) throw std::bad_alloc();
      return reinterpret_cast<U*>(slot->control);
    }
    void deallocate(U*, size_t) { release(slot); }
    template <typename V>
    bool operator==(const SlotAlloc<V>& o) const { return slot == o.slot; }
    template <typename V>
    bool operator!=(const SlotAlloc<V>& o) const { return slot != o.slot; }
  };

  static void release(Slot* s) {
    auto pool = std::move(s->owner);  // may be the pool's last reference
    s->value.recycle();
    if (!pool->push(s)) delete s;
  }

  explicit RecyclePool(size_t capacity) {
    size_t n = 1;
    while (n < capacity) n <<= 1;
    cells_ = std::make_unique<Cell[]>(n);
    mask_ = n - 1;
    for (size_t i = 0; i < n; ++i) cells_[i].seq.store(i, std::memory_order_relaxed);
  }

  struct Cell {
    std::atomic<size_t> seq{0};
    Slot* slot = nullptr;
  };

  bool push(Slot* s) {
    size_t pos = enqueue_.load(std::memory_order_relaxed);
    for (;;) {
      Cell& c = cells_[pos & mask_];
      size_t seq = c.seq.load(std::memory_order_acquire);
      auto diff = static_cast<std::ptrdiff_t>(seq) - static_cast<std::ptrdiff_t>(pos);
      if (diff == 0) {
        if (enqueue_.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) {
          c.slot = s;
          c.seq.store(pos + 1, std::memory_order_release);
          return true;
        }
      } else if (diff < 0) {
        return false;  // full
      } else {
        pos = enqueue_.load(std::memory_order_relaxed);
      }
    }
  }

  Slot* pop() {
    size_t pos = dequeue_.load(std::memory_order_relaxed);
    for (;;) {
      Cell& c = cells_[pos & mask_];
      size_t seq = c.seq.load(std::memory_order_acquire);
      auto diff = static_cast<std::ptrdiff_t>(seq) - static_cast<std::ptrdiff_t>(pos + 1);
      if (diff == 0) {
        if (dequeue_.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) {
          Slot* s = c.slot;
          c.seq.store(pos + mask_ + 1, std::memory_order_release);
          return s;
        }
      } else if (diff < 0) {
        return nullptr;  // empty
      } else {
        pos = dequeue_.load(std::memory_order_relaxed);
      }
    }
  }

  std::unique_ptr<Cell[]> cells_;
  size_t mask_ = 0;
  alignas(64) std::atomic<size_t> enqueue_{0};
  alignas(64) std::atomic<size_t> dequeue_{0};
};

}  // namespace ferry::sdk
