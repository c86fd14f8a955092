#pragma once
// Consume queues: one per topic/queue id, fixed 20-byte big-endian entries
// (commit log offset u64, record size u32, tag hash i64) at position
// queue_offset * 20, in files of `queue_file_entries` entries named by the
// 20-digit byte offset of their first entry, created lazily and sparse:
//   <dir>/consumequeue/<topic>/<queue id>/<20 digits>
// Written by the dispatcher (and, for entries it buffered, by whichever
// thread drains them: every file write of a queue holds its pending_mu);
// read by any thread. An entry is published by the release store of the
// queue's max offset after its bytes are on file or in the queue's buffer.
#include <ferry/status.h>

#include <array>
#include <atomic>
#include <functional>
#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "mapped_file_cache.h"
#include "options.h"

namespace ferry::mmaplog {

inline constexpr size_t kCqEntrySize = 20;
// A queue's buffered entries are written once they fill a page.
inline constexpr size_t kQueueDrainBytes = 4096;

struct CqEntry {
  uint64_t commit_offset = 0;
  uint32_t size = 0;
  int64_t tag_hash = 0;
};

class ConsumeQueue : public std::enable_shared_from_this<ConsumeQueue> {
 public:
  ConsumeQueue(std::string topic, int32_t queue_id, uint64_t serial, std::string dir)
      : topic(std::move(topic)), queue_id(queue_id), serial(serial), dir(std::move(dir)) {}
  const std::string topic;
  const int32_t queue_id;
  const uint64_t serial;   // cache key; never reused within a process
  const std::string dir;
  std::atomic<uint64_t> min_offset{0};
  std::atomic<uint64_t> max_offset{0};  // entries below are readable
  std::atomic<bool> deleted{false};
  // Entries dispatched but not yet written (queue_buffer_bytes > 0): encoded
  // as on disk, from queue offset pending_from; every entry below it is on
  // file. pending_lo is pending_from while any are buffered, else
  // UINT64_MAX: a reader of an older entry takes no lock.
  mutable std::mutex pending_mu;
  std::vector<char> pending;
  uint64_t pending_from = 0;
  bool listed = false;  // in ConsumeQueues' list of queues with pending entries
  bool full_listed = false;  // in its list of buffers buffer_only filled to a page
  std::atomic<uint64_t> pending_lo{UINT64_MAX};
  // Under pending_mu: the last file found (or made) full size, so that
  // reopening it after its descriptor was closed needs no fstat.
  uint64_t sized_file = UINT64_MAX;
};
using ConsumeQueuePtr = std::shared_ptr<ConsumeQueue>;

// Builds a lookup key "topic\0<qid 4 bytes>" in `buf` without allocating.
std::string_view queue_key(std::string_view topic, int32_t queue_id, char (&buf)[160]);

class ConsumeQueues {
 public:
  ConsumeQueues(const Options& opt, Io& io);

  // Load existing queues; zero entries that point at or past log_end (the
  // log lost them in recovery). Each queue's min/max are set from its files.
  ferry_status load(uint64_t log_end, std::string* error);

  ConsumeQueuePtr find(std::string_view topic, int32_t queue_id) const;
  ConsumeQueuePtr find_or_create(std::string_view topic, int32_t queue_id);
  void for_each(const std::function<void(const ConsumeQueuePtr&)>& fn) const;
  size_t count() const;

  // Write a batch of entries (dispatcher only), given in commit-log order.
  // With queue_buffer_bytes > 0, a queue's entries are buffered in memory
  // across batches and written when they fill a page (kQueueDrainBytes), at a
  // checkpoint (flush), or when all queues' buffers pass queue_buffer_bytes:
  // at 10,000 topics each of 40,000 queues gets an entry or two per batch,
  // and writing each batch's costs an open + pwrite + close per entry, as
  // the descriptor LRU cannot hold 40,000 files (docs/benchmarks.md, "Many
  // topics", session 7). Buffered entries are read from memory (get), and
  // after a crash rebuilt from the commit log: a checkpoint writes them
  // all before it claims their records as dispatched. With 0, or for a run
  // of a page or more, entries are written at once, as follows.
  // Entries of one queue file at consecutive offsets go out in one pwrite
  // through a descriptor kept in a small LRU, not through a mapping: a
  // mapping per active queue does not fit the process's mapping limit at
  // 10,000 topics, and cycling them (open, mmap, fault, munmap with its TLB
  // shootdown) cost most of the dispatcher (docs/benchmarks.md, "Many
  // topics", session 6). Readers map the same files; the page cache keeps
  // both views coherent. *written: how many leading items are on file (all
  // of them unless an error is returned). Files written are appended to
  // *touched, for mark_dirty before the entries are published. Does not
  // publish (max_offset is the caller's, after mark_dirty).
  struct Write {
    ConsumeQueue* q;
    uint64_t qoff;
    CqEntry e;
  };
  ferry_status write(const std::vector<Write>& items, size_t* written,
                     std::vector<FileKey>* touched, std::string* error);
  void mark_dirty(std::vector<FileKey>* touched);
  // The writer's inline dispatch (Store::dispatch_inline): buffer one entry
  // in memory, never a file write (the loop must not block on the page
  // cache). false, nothing done, when it would need one: buffering is off,
  // qoff does not follow the buffer (or readers already see it), the buffer
  // holds two pages, or all buffers are at queue_buffer_bytes. A buffer that
  // reaches a page is listed for drain_full. Caller holds the store's
  // dispatch run (no write() at the same time); takes q.pending_mu.
  bool buffer_only(ConsumeQueue& q, uint64_t qoff, const CqEntry& e);
  // Write the buffers buffer_only filled to a page (the dispatcher thread;
  // a failure leaves them buffered: a later write or checkpoint retries).
  void drain_full(std::vector<FileKey>* touched);
  // Write every queue's buffered entries (a checkpoint does, first).
  ferry_status drain_all(std::string* error);
  size_t pending_bytes() const { return pending_bytes_.load(std::memory_order_relaxed); }
  // Read entry `qoff`. false when its file is gone (retention) or unreadable.
  bool get(const ConsumeQueue& q, uint64_t qoff, CqEntry* e, MappedFilePtr* hold,
           FileKey* hold_key) const;
  // A reader walking one queue forward: the file it holds, and a run of
  // buffered entries copied under one lock, so a pull of n buffered entries
  // takes the queue's pending_mu once per kRun entries, not once per entry.
  // Valid for one read (entries at an offset never change while it lasts).
  struct Cursor {
    static constexpr uint32_t kRun = 64;
    MappedFilePtr hold;
    FileKey key{};
    uint64_t run_from = 0;
    uint32_t run_n = 0;
    std::array<CqEntry, kRun> run;
  };
  bool get(const ConsumeQueue& q, uint64_t qoff, CqEntry* e, Cursor* c) const;

  // First queue offset whose entry points at or past `log_min`, found by
  // binary search (entries are ordered by commit offset).
  uint64_t first_at_or_after(const ConsumeQueue& q, uint64_t log_min) const;
  // First queue offset whose record was stored at or after timestamp_ms;
  // store_time(commit_offset) reads the record's STORETIMESTAMP.
  uint64_t offset_for_time(const ConsumeQueue& q, int64_t timestamp_ms,
                           const std::function<bool(uint64_t, int64_t*)>& store_time) const;

  // One past the last entry the queue's files can hold: the upper bound when
  // recovery searches a queue for its last entry that matches the log.
  uint64_t files_end(const ConsumeQueue& q) const;
  // After a crash: entries at queue offset `keep` and beyond may be torn or
  // point at records the log lost. Zero them on disk (files wholly past
  // `keep` are deleted, a partly kept file is cut and re-extended sparse),
  // durable before returning, and set max_offset = keep. *zeroed: whether
  // anything was stored past `keep`. Recovery only.
  ferry_status cut(ConsumeQueue& q, uint64_t keep, bool* zeroed, std::string* error);

  // Make every entry written so far durable (checkpoint).
  ferry_status flush(std::string* error);
  // Retention: delete files wholly below log_min; raise min offsets.
  void trim(uint64_t log_min);
  // Drop a topic's queues and files.
  void remove_topic(std::string_view topic);

  uint32_t entries_per_file() const { return opt_.queue_file_entries; }
  MappedFileCache& cache() { return cache_; }
  size_t cache_size() const { return cache_.size(); }
  size_t open_files() const { return fds_.size(); }
  size_t open_files_capacity() const { return fds_.capacity(); }

 private:
  // The first queue offset in [min, max) whose entry too_old(entry) is false
  // for (it holds for a prefix: entries are in log order); an entry that
  // cannot be read counts as too old. Binary search.
  template <class TooOld>
  uint64_t first_not(const ConsumeQueue& q, TooOld too_old) const;
  std::string topic_dir(std::string_view topic) const;
  std::string file_path(const ConsumeQueue& q, uint64_t file_no) const;
  size_t file_bytes() const { return size_t{opt_.queue_file_entries} * kCqEntrySize; }
  ConsumeQueuePtr insert_locked(std::string_view topic, int32_t queue_id);
  std::vector<uint64_t> list_files(const ConsumeQueue& q) const;
  // The descriptor to write `key` of q through (opened, created sparse at
  // full size, and cached on a miss). nullptr and *err = -errno on failure.
  OpenFilePtr writable(ConsumeQueue& q, const FileKey& key, int* err);
  // A run of entries of one file at consecutive queue offsets from qoff.
  // q.pending_mu held.
  int write_run(ConsumeQueue& q, uint64_t qoff, const Write* const* run, size_t n,
                std::vector<FileKey>* touched);
  // A run of one queue at consecutive offsets (any files): buffered, or
  // written at once when it is a page or more and nothing is buffered.
  int buffer_run(ConsumeQueue& q, uint64_t qoff, const Write* const* run, size_t n,
                 std::vector<FileKey>* touched);
  // Encoded entries from qoff, split at file boundaries. q.pending_mu held.
  int write_bytes(ConsumeQueue& q, uint64_t qoff, const char* data, size_t n,
                  std::vector<FileKey>* touched);
  // Write q's buffered entries and release the buffer. q.pending_mu held.
  int drain_locked(ConsumeQueue& q, std::vector<FileKey>* touched);
  void drop_pending(ConsumeQueue& q);
  ferry_status drain_all(std::vector<FileKey>* touched, std::string* error);
  void drop_file(const FileKey& key);

  const Options& opt_;
  Io& io_;
  std::string root_;
  mutable MappedFileCache cache_;  // readers' mappings
  FileLru<OpenFile> fds_;          // the dispatcher's descriptors
  // Dispatcher scratch (write() has one caller): no allocation per batch.
  std::vector<const Write*> order_;
  std::vector<char> buf_;
  std::vector<char> old_;
  mutable std::shared_mutex mu_;
  struct SvHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  std::unordered_map<std::string, ConsumeQueuePtr, SvHash, std::equal_to<>> queues_;
  std::unordered_map<uint64_t, std::weak_ptr<ConsumeQueue>> by_serial_;
  uint64_t next_serial_ = 1;
  std::mutex listed_mu_;
  std::vector<ConsumeQueuePtr> listed_;  // queues with buffered entries
  std::vector<ConsumeQueuePtr> full_;    // listed_mu_: buffers buffer_only filled to a page
  std::vector<ConsumeQueuePtr> full_scratch_;  // drain_full's (one caller)
  std::atomic<size_t> pending_bytes_{0};
  std::mutex dirty_mu_;
  std::unordered_set<FileKey, FileKeyHash> dirty_;
};

}  // namespace ferry::mmaplog
