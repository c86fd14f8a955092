#include "flusher.h"

#include <algorithm>

namespace ferry::flush {

Flusher::Flusher(const ferry_host_api* api, ferry_host* host, StorageLink storage, Metrics metrics)
    : api_(api), host_(host), storage_(storage), metrics_(metrics) {}

Flusher::~Flusher() { stop(); }

void Flusher::start() {
  std::lock_guard g(m_);
  if (running_) return;
  stopping_ = false;
  running_ = true;
  thread_ = std::thread([this] { run(); });
}

void Flusher::request(uint64_t upto) {
  uint64_t cur = requested_.load();
  while (cur < upto && !requested_.compare_exchange_weak(cur, upto)) {
  }
  if (cur >= upto) return;  // someone already asked for as much
  if (sleeping_.load()) {
    std::lock_guard g(m_);
    cv_.notify_one();
  }
}

ferry_status Flusher::flush_all() {
  if (faulted_) return fault_status_.load();
  uint64_t target = storage_.ops->write_offset(storage_.instance);
  std::unique_lock l(m_);
  if (!running_) {
    // No thread (never started or stopped): this caller is the only syncer.
    l.unlock();
    if (target > durable_.load()) sync_once(target);
    return faulted_ ? fault_status_.load() : FERRY_OK;
  }
  l.unlock();
  request(target);
  l.lock();
  done_cv_.wait(l, [&] { return durable_.load() >= target || faulted_.load() || !running_; });
  if (faulted_) return fault_status_.load();
  return durable_.load() >= target ? FERRY_OK : FERRY_E_SHUTTING_DOWN;
}

void Flusher::stop() {
  {
    std::lock_guard g(m_);
    if (!thread_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_one();
  thread_.join();
}

void Flusher::run() {
  std::unique_lock l(m_);
  for (;;) {
    sleeping_.store(true);
    cv_.wait(l, [&] { return stopping_ || requested_.load() > durable_.load(); });
    sleeping_.store(false);
    uint64_t target = requested_.load();
    if (target <= durable_.load()) break;  // stopping, nothing left to sync
    l.unlock();
    bool ok = sync_once(target);
    l.lock();
    done_cv_.notify_all();
    if (!ok) break;
  }
  running_ = false;
  done_cv_.notify_all();
}

bool Flusher::sync_once(uint64_t target) {
  // Everything written so far, not just what was asked: appends whose
  // wake-up has not arrived yet ride along with this sync.
  uint64_t upto = std::max(target, storage_.ops->write_offset(storage_.instance));
  uint64_t t0 = api_->monotonic_ns(host_);
  uint64_t synced = 0;
  // The storage logs the details of a failure itself; the ABI gives a
  // plugin no ferry_error of its own to pass (the kernel owns them).
  ferry_status st = storage_.ops->sync(storage_.instance, upto, &synced, nullptr);
  if (metrics_.syncs) api_->metric_add(metrics_.syncs, 1);
  if (metrics_.sync_micros) {
    api_->metric_observe(metrics_.sync_micros, static_cast<double>(api_->monotonic_ns(host_) - t0) / 1e3);
  }
  if (st != FERRY_OK) {
    fault(st, "storage sync up to offset " + std::to_string(upto) + " failed: " + ferry_status_name(st) +
                  " (" + ferry_status_str(st) + "); durable offset stays at " +
                  std::to_string(durable_.load()) + ", no further acknowledgements");
    return false;
  }
  if (synced < target) {
    fault(FERRY_E_INTERNAL, "storage sync reported offset " + std::to_string(synced) +
                                " durable, below the requested " + std::to_string(target));
    return false;
  }
  uint64_t cur = durable_.load();
  while (cur < synced && !durable_.compare_exchange_weak(cur, synced)) {
  }
  api_->watermark_advance(host_, FERRY_WATERMARK_DURABLE, synced);
  return true;
}

void Flusher::fault(ferry_status status, const std::string& text) {
  fault_status_ = status;
  faulted_ = true;
  api_->report_fault(host_, status, text.c_str());
}

}  // namespace ferry::flush
