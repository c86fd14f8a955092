#pragma once
// A storage instance for flush tests that only keeps offsets: append moves
// the write offset by the records' sizes, sync counts its calls, can take a
// fixed time (a disk's fsync), can be held at a gate, and can fail. It
// records the highest offset a returned sync reported, so a test can prove
// that DURABLE never ran ahead of a finished sync.
#include <ferry/storage.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace ferry::test {

class CountingStorage {
 public:
  CountingStorage();
  const ferry_storage_ops* ops() const { return &ops_; }
  void* instance() { return this; }

  // Append `bytes` of log (one record) as the writer would; returns its end.
  uint64_t append(uint64_t bytes);

  void set_sync_cost(std::chrono::microseconds cost) { cost_us_ = cost.count(); }
  // A sync covers what was written when it was called (on), or when it got
  // past the gate (off, the default).
  void cover_at_entry(bool on) { at_entry_ = on; }
  // While closed, sync() blocks at entry until open_gate().
  void close_gate();
  void open_gate();
  // sync() calls from the n-th on (1-based) fail with `status`, saying
  // kFailureText in the ferry_error they are given.
  static constexpr const char* kFailureText = "counting storage: injected sync failure";
  void fail_syncs_from(int n, ferry_status status) {
    fail_status_ = status;
    fail_from_ = n;
  }

  int syncs() const { return syncs_.load(); }
  int syncs_entered() const { return entered_.load(); }
  uint64_t max_returned_synced() const { return returned_.load(); }
  uint64_t write_offset() const { return write_.load(); }

 private:
  static ferry_status op_sync(void* inst, uint64_t upto, uint64_t* synced, ferry_error* err);
  static uint64_t op_write_offset(void* inst);

  ferry_storage_ops ops_{};
  std::atomic<uint64_t> write_{0};
  std::atomic<uint64_t> returned_{0};
  std::atomic<int> syncs_{0};
  std::atomic<int> entered_{0};
  std::atomic<int64_t> cost_us_{0};
  std::atomic<bool> at_entry_{false};
  std::atomic<int> fail_from_{0};
  std::atomic<ferry_status> fail_status_{FERRY_OK};
  std::mutex gate_m_;
  std::condition_variable gate_cv_;
  bool gate_closed_ = false;
};

}  // namespace ferry::test
