#include "host/loop_bridge.h"

#include <memory>

namespace ferry::host {
namespace {

struct WorkItem {
  uv_work_t req{};
  std::function<void()> work, done;
  size_t* in_flight;
};

}  // namespace

LoopBridge::LoopBridge(uv_loop_t* loop) : loop_(loop) {
  uv_async_init(loop_, &async_, &LoopBridge::on_async);
  async_.data = this;
}

LoopBridge::~LoopBridge() = default;

ferry_status LoopBridge::post(std::function<void()> fn) {
  std::lock_guard lock(mu_);
  if (closed_) return FERRY_E_SHUTTING_DOWN;
  queue_.push_back(std::move(fn));
  // Sent under the lock so close() cannot close the handle between the check
  // and the send; libuv coalesces sends into one wake-up.
  uv_async_send(&async_);
  return FERRY_OK;
}

void LoopBridge::on_async(uv_async_t* handle) { static_cast<LoopBridge*>(handle->data)->drain(); }

void LoopBridge::drain() {
  // Tasks posted while these run are picked up by the next round, so a task
  // that re-posts itself cannot starve the loop.
  std::vector<std::function<void()>> batch;
  {
    std::lock_guard lock(mu_);
    batch.swap(queue_);
  }
  for (auto& fn : batch) fn();
}

void LoopBridge::close() {
  {
    std::lock_guard lock(mu_);
    if (closed_) return;
    closed_ = true;
  }
  drain();
  uv_close(reinterpret_cast<uv_handle_t*>(&async_), nullptr);
}

ferry_status LoopBridge::queue_work(std::function<void()> work, std::function<void()> done) {
  auto item = std::make_unique<WorkItem>();
  item->work = std::move(work);
  item->done = std::move(done);
  item->in_flight = &work_in_flight_;
  item->req.data = item.get();
  int rc = uv_queue_work(
      loop_, &item->req,
      [](uv_work_t* req) { static_cast<WorkItem*>(req->data)->work(); },
      [](uv_work_t* req, int) {
        std::unique_ptr<WorkItem> owned(static_cast<WorkItem*>(req->data));
        --*owned->in_flight;
        if (owned->done) owned->done();
      });
  if (rc != 0) return FERRY_E_INTERNAL;
  ++work_in_flight_;
  item.release();  // owned by the request until its after-work callback
  return FERRY_OK;
}

}  // namespace ferry::host
