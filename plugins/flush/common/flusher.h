#pragma once
// Flusher: the one thread of a flush instance that calls storage.sync() and
// advances the DURABLE watermark after each successful sync.
//
// Group commit falls out of its shape: request(upto) only raises a target
// (an atomic) and wakes the thread if it sleeps; while a sync runs, any
// number of requests pile up into that target, and the next sync — always up
// to the storage's current write offset — covers them all. One fsync for
// every waiter, never one per message.
//
// A sync error is a fault: the flusher reports it (api->report_fault), never
// advances DURABLE again and answers flush_all with the error. The kernel
// turns the broker read-only.
//
// Threads: request() [any], never blocks except a brief lock to wake a
// sleeping thread; flush_all() and stop() block (loop thread, shutdown).
#include <ferry/host.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "storage_link.h"

namespace ferry::flush {

class Flusher {
 public:
  // Metrics may be null. REQUIRES: api, host and storage outlive the flusher.
  struct Metrics {
    ferry_metric* syncs = nullptr;        // counter: storage.sync calls
    ferry_metric* sync_micros = nullptr;  // histogram: one sync's duration
  };
  // group_wait_us > 0: after a sync, when more is already requested, wait up
  // to that long for one more request before the next sync (PostgreSQL's
  // commit_delay): senders acked by the sync just finished, sending again
  // at once, join the next group instead of waiting a whole sync for the one
  // after. 0: the next sync starts the moment the previous returns.
  Flusher(const ferry_host_api* api, ferry_host* host, StorageLink storage, Metrics metrics,
          uint32_t group_wait_us = 0);
  ~Flusher();
  Flusher(const Flusher&) = delete;
  Flusher& operator=(const Flusher&) = delete;

  void start();
  // Make everything up to `upto` durable soon. Coalesces. [any]
  void request(uint64_t upto);
  // Sync everything the storage has written and wait for it. [loop], blocks.
  ferry_status flush_all();
  // Finish what was requested, then join the thread. Idempotent.
  void stop();

  uint64_t durable() const { return durable_.load(); }
  bool faulted() const { return faulted_.load(); }
  ferry_status fault_status() const { return fault_status_.load(); }

 private:
  void run();
  // One sync up to at least `target`; false once faulted.
  bool sync_once(uint64_t target);
  void fault(ferry_status status, const std::string& text);

  struct ErrorDeleter {
    const ferry_host_api* api;
    void operator()(ferry_error* e) const { api->error_destroy(e); }
  };

  const ferry_host_api* api_;
  ferry_host* host_;
  StorageLink storage_;
  Metrics metrics_;
  uint32_t group_wait_us_;
  // The flusher's own ferry_error for storage.sync to fill (host ABI minor
  // 2); null on an older host, where the storage's text only reaches the log.
  std::unique_ptr<ferry_error, ErrorDeleter> sync_err_;

  std::atomic<uint64_t> requested_{0};
  std::atomic<uint64_t> durable_{0};
  // Set by the thread just before it sleeps: request() takes the lock and
  // notifies only then (both seq_cst, so a wake-up is never lost).
  std::atomic<bool> sleeping_{false};
  std::atomic<bool> faulted_{false};
  std::atomic<ferry_status> fault_status_{FERRY_OK};

  std::mutex m_;
  std::condition_variable cv_;       // wakes the thread
  std::condition_variable done_cv_;  // wakes flush_all after each sync
  bool stopping_ = false;
  bool running_ = false;
  std::thread thread_;
};

}  // namespace ferry::flush
