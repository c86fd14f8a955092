#include "counting_storage.h"

#include <string>
#include <thread>

#include "ferry_test/fake_host.h"  // completes ferry_error

namespace ferry::test {

CountingStorage::CountingStorage() {
  ops_.struct_size = sizeof(ops_);
  ops_.sync = op_sync;
  ops_.write_offset = op_write_offset;
}

uint64_t CountingStorage::append(uint64_t bytes) { return write_.fetch_add(bytes) + bytes; }

void CountingStorage::close_gate() {
  std::lock_guard g(gate_m_);
  gate_closed_ = true;
}

void CountingStorage::open_gate() {
  {
    std::lock_guard g(gate_m_);
    gate_closed_ = false;
  }
  gate_cv_.notify_all();
}

ferry_status CountingStorage::op_sync(void* inst, uint64_t upto, uint64_t* synced, ferry_error* err) {
  auto* self = static_cast<CountingStorage*>(inst);
  uint64_t written_at_entry = self->write_.load();
  int n = self->entered_.fetch_add(1) + 1;
  {
    std::unique_lock l(self->gate_m_);
    self->gate_cv_.wait(l, [&] { return !self->gate_closed_; });
  }
  // Like a real log: everything written when the sync starts is covered.
  uint64_t covered = self->at_entry_.load() ? written_at_entry : self->write_.load();
  if (int64_t us = self->cost_us_.load()) std::this_thread::sleep_for(std::chrono::microseconds(us));
  self->syncs_.fetch_add(1);
  if (self->fail_from_.load() > 0 && n >= self->fail_from_.load()) {
    ferry_status st = self->fail_status_.load();
    // What a storage says about its failure (the flusher passes its own
    // ferry_error since host ABI minor 2; a null one is allowed too).
    if (err) {
      err->status = st;
      err->message = std::string(kFailureText) + " #" + std::to_string(n);
    }
    return st;
  }
  if (covered < upto) return FERRY_E_OUT_OF_RANGE;
  uint64_t cur = self->returned_.load();
  while (cur < covered && !self->returned_.compare_exchange_weak(cur, covered)) {
  }
  *synced = covered;
  return FERRY_OK;
}

uint64_t CountingStorage::op_write_offset(void* inst) {
  return static_cast<CountingStorage*>(inst)->write_.load();
}

}  // namespace ferry::test
