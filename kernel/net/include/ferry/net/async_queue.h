#pragma once
// AsyncQueue<T>: hand items to a loop from any thread. uv_async_send is the
// one thread-safe doorway into a loop; the queue batches, so any number of
// pushes between two loop wake-ups cost one wake-up and one lock round-trip
// on the loop side (the pending vector is swapped out, capacities reused).
//
// Create and close on the loop thread; push from anywhere. Producers may hold
// the queue (shared_ptr) after the loop side closed it: push then returns
// false and leaves the item with the caller. Items still queued at close are
// destroyed on the loop thread without being handled.
#include <uv.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace ferry::net {

template <class T>
class AsyncQueue : public std::enable_shared_from_this<AsyncQueue<T>> {
 public:
  using Handler = std::function<void(T& item)>;  // runs on the loop thread

  // Returns nullptr if the async handle cannot be initialised.
  static std::shared_ptr<AsyncQueue> create(uv_loop_t* loop, Handler handler) {
    auto q = std::shared_ptr<AsyncQueue>(new AsyncQueue(std::move(handler)));
    if (uv_async_init(loop, &q->async_, &AsyncQueue::on_async) != 0) return nullptr;
    q->async_.data = q.get();
    q->self_ = q;  // the handle keeps the state alive until its close callback
    return q;
  }

  // [any thread] Moves from `item` only when it returns true.
  bool push(T& item) {
    std::lock_guard lock(mu_);
    if (closed_.load(std::memory_order_relaxed)) return false;
    const bool wake = pending_.empty();
    pending_.push_back(std::move(item));
    if (wake) uv_async_send(&async_);  // under the lock: never after close
    return true;
  }

  // [loop thread] Stops accepting, closes the handle. Items still queued go
  // to on_drop (may be empty) and are destroyed. on_closed (may be empty)
  // runs from the handle's close callback.
  void close(std::function<void()> on_closed = {}, const Handler& on_drop = {}) {
    std::vector<T> dropped;
    {
      std::lock_guard lock(mu_);
      if (closed_.load(std::memory_order_relaxed)) return;
      closed_.store(true, std::memory_order_relaxed);
      dropped.swap(pending_);
    }
    if (on_drop) {
      for (auto& item : dropped) on_drop(item);
    }
    dropped.clear();
    on_closed_ = std::move(on_closed);
    uv_close(reinterpret_cast<uv_handle_t*>(&async_), &AsyncQueue::on_close);
  }

 private:
  explicit AsyncQueue(Handler h) : handler_(std::move(h)) {}

  static void on_async(uv_async_t* a) {
    auto* q = static_cast<AsyncQueue*>(a->data);
    {
      std::lock_guard lock(q->mu_);
      q->draining_.swap(q->pending_);
    }
    for (auto& item : q->draining_) {
      if (q->closed_.load(std::memory_order_relaxed)) break;  // a handler closed the queue
      q->handler_(item);
    }
    q->draining_.clear();
  }
  static void on_close(uv_handle_t* h) {
    auto* q = static_cast<AsyncQueue*>(h->data);
    auto self = std::move(q->self_);  // may free q when this scope ends
    if (auto fn = std::move(q->on_closed_)) fn();
  }

  uv_async_t async_{};
  std::mutex mu_;
  std::vector<T> pending_;   // guarded by mu_
  std::vector<T> draining_;  // loop thread only
  // Written under mu_ (on the loop thread); read without it on the loop
  // thread between items, where only the loop itself can have changed it.
  std::atomic<bool> closed_{false};
  Handler handler_;
  std::function<void()> on_closed_;
  std::shared_ptr<AsyncQueue> self_;
};

}  // namespace ferry::net
