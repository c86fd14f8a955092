#include "flusher.h"

#include <pthread.h>

#include <algorithm>
#include <chrono>

namespace ferry::flush {

Flusher::Flusher(const ferry_host_api* api, ferry_host* host, StorageLink storage, Metrics metrics,
                 uint32_t group_wait_us)
    : api_(api),
      host_(host),
      storage_(storage),
      metrics_(metrics),
      group_wait_us_(group_wait_us),
      sync_err_(nullptr, ErrorDeleter{api}) {
  if (FERRY_HAS_FIELD(ferry_host_api, api->struct_size, error_destroy) && api->error_create &&
      api->error_get && api->error_destroy) {
    sync_err_.reset(api->error_create());
  }
}

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
  ::pthread_setname_np(::pthread_self(), "ferry-flush");  // for top -H, perf, gdb
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
    if (group_wait_us_ > 0 && !stopping_ && requested_.load() > durable_.load()) {
      // More is waiting already; give the senders this sync just acked a
      // moment to send again so they share the next sync.
      uint64_t seen = requested_.load();
      sleeping_.store(true);
      cv_.wait_for(l, std::chrono::microseconds(group_wait_us_),
                   [&] { return stopping_ || requested_.load() > seen; });
      sleeping_.store(false);
    }
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
  if (sync_err_) api_->set_error(sync_err_.get(), FERRY_OK, "");
  ferry_status st = storage_.ops->sync(storage_.instance, upto, &synced, sync_err_.get());
  if (metrics_.syncs) api_->metric_add(metrics_.syncs, 1);
  if (metrics_.sync_micros) {
    api_->metric_observe(metrics_.sync_micros, static_cast<double>(api_->monotonic_ns(host_) - t0) / 1e3);
  }
  if (st != FERRY_OK) {
    const char* detail = nullptr;
    if (sync_err_) api_->error_get(sync_err_.get(), &detail);
    fault(st, "storage sync up to offset " + std::to_string(upto) + " failed: " + ferry_status_name(st) +
                  " (" + (detail && *detail ? detail : ferry_status_str(st)) + "); durable offset stays at " +
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
