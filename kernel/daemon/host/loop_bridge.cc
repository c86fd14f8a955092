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
  uv_check_init(loop_, &check_);
  check_.data = this;
  uv_idle_init(loop_, &idle_);
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

void LoopBridge::defer(std::function<void()> fn) {
  if (closed_) return;  // closed_ is only written on the loop thread
  deferred_.push_back(std::move(fn));
  if (check_started_) return;
  check_started_ = true;
  uv_check_start(&check_, &LoopBridge::on_check);
  uv_idle_start(&idle_, [](uv_idle_t*) {});
}

void LoopBridge::on_check(uv_check_t* handle) { static_cast<LoopBridge*>(handle->data)->run_deferred(); }

void LoopBridge::run_deferred() {
  // Work deferred while these run (the turn's append defers its end_turn
  // and watermark work, which answers the sends) runs in the same check
  // phase, a few rounds deep; past that it waits for the next turn's (the
  // idle handle keeps that turn from blocking), so work that keeps
  // re-deferring itself cannot starve the loop.
  constexpr int kRounds = 4;
  for (int round = 0; round < kRounds && !deferred_.empty(); ++round) {
    deferred_run_.swap(deferred_);
    for (auto& fn : deferred_run_) fn();
    deferred_run_.clear();
  }
  if (deferred_.empty() && check_started_) {
    check_started_ = false;
    uv_check_stop(&check_);
    uv_idle_stop(&idle_);
  }
}

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
  run_deferred();
  deferred_.clear();  // deferred by what run_deferred ran: dropped, as posts are now
  uv_close(reinterpret_cast<uv_handle_t*>(&async_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&check_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&idle_), nullptr);
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
