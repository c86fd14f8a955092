#pragma once
// An in-test storage (ferry_storage_ops) whose dispatcher the test drives:
// appended records become readable only when the test calls dispatch(),
// which also calls the dispatch listener as a real dispatcher thread would.
// Knobs: would_block (first non-blocking read answers FERRY_E_WOULD_BLOCK),
// fail_append, retention (set_min). Records are encoded with
// plugins/common's encoder, so filters and clients see real records.
#include <ferry/storage.h>

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

namespace ferry::core::test {

class TestStorage {
 public:
  TestStorage();
  const ferry_storage_ops* ops() const { return &ops_; }
  void* inst() { return this; }

  // Make every appended record readable and notify the listener. Returns
  // how many entries were dispatched.
  size_t dispatch();
  void set_min(const std::string& topic, int32_t queue, uint64_t min);

  bool would_block = false;
  ferry_status fail_append = FERRY_OK;
  // When >= 0: an append stores this many messages, then fails with
  // fail_append, and so does every later append (a partial append, e.g.
  // the disk filling mid-batch).
  long fail_after = -1;
  int append_calls = 0;      // storage append calls so far
  int live_results = 0;      // read results not yet released
  int blocking_reads = 0;    // reads made with FERRY_READ_MAY_BLOCK
  uint64_t write_offset = 0;

  struct Entry {
    uint64_t commit_offset;
    uint32_t size;
    int64_t tag_hash;
    int64_t store_ms;
  };
  struct Queue {
    std::vector<Entry> entries;
    size_t dispatched = 0;
    uint64_t min = 0;
  };
  std::map<std::pair<std::string, int32_t>, Queue> queues;
  std::map<uint64_t, std::string> records;  // by commit offset
  // Every appended message's storage_slot (ferry_message, ABI 0.3) and what
  // it held on entry; the storage writes `this` into an empty slot, as a
  // real one stores its per-topic state there.
  struct SlotSeen {
    std::string topic;
    void** slot;
    void* held;
  };
  std::vector<SlotSeen> slots;

 private:
  ferry_storage_ops ops_;
  ferry_dispatch_fn listener_ = nullptr;
  void* listener_data_ = nullptr;
  std::vector<std::pair<std::pair<std::string, int32_t>, size_t>> undispatched_;
  friend struct TestStorageOps;
};

}  // namespace ferry::core::test
