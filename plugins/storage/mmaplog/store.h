#pragma once
// The mmaplog storage engine: commit log + consume queues + key index, the
// dispatcher thread that builds the latter from the former below the VISIBLE
// watermark, and the housekeeping thread (disk usage, checkpoints,
// retention). The plugin glue (plugin.cc) maps ferry_storage_ops onto it.
//
// Threads: append / append_raw / delete_topic on the single writer; every
// other method on any thread. Errors come back as a status plus text.
#include <ferry/storage.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "commit_log.h"
#include "consume_queue.h"
#include "dispatch_hints.h"
#include "index.h"
#include "options.h"
#include "topic_offsets.h"

namespace ferry::mmaplog {

class Store {
 public:
  // Recover (or create) the store in opt.dir. Does not start threads.
  static ferry_status open(const Options& opt, std::shared_ptr<Io> io, Env env,
                           std::unique_ptr<Store>* out, std::string* error);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  void start();
  // Join threads, sync the log, write the final checkpoint and the clean
  // shutdown marker. Idempotent.
  void stop();
  // Tests: stop the threads and walk away as a crash would — no sync, no
  // checkpoint, the abort marker stays. The Store is inert afterwards.
  void abandon();

  ferry_status append(const ferry_message* const* msgs, size_t n, ferry_append_result* results,
                      size_t* appended, uint64_t* write_offset, std::string* error);
  ferry_status sync(uint64_t upto, uint64_t* synced, std::string* error);
  uint64_t write_offset() const { return log_.write_offset(); }
  ferry_status read_queue(const ferry_read_request& req, ferry_read_result** out,
                          std::string* error);
  ferry_status read_at(uint64_t commit_offset, ferry_read_result** out, std::string* error);
  ferry_status read_log(uint64_t offset, uint32_t max_bytes, ferry_read_result** out,
                        std::string* error);
  // The writer's turn ended: write what is staged (CommitLog::end_turn).
  ferry_status end_turn(uint64_t* write_offset, std::string* error);
  ferry_status append_raw(uint64_t offset, ferry_slice bytes, uint64_t* write_offset,
                          std::string* error);
  ferry_status queue_range(std::string_view topic, int32_t queue_id, uint64_t* min,
                           uint64_t* max);
  ferry_status offset_for_time(std::string_view topic, int32_t queue_id, int64_t ts,
                               uint64_t* queue_offset);
  ferry_status query_key(std::string_view topic, std::string_view key, int64_t begin_ms,
                         int64_t end_ms, uint32_t max_count, ferry_read_result** out);
  ferry_status delete_topic(std::string_view topic);
  void stats(ferry_storage_stats* out) const;
  void set_dispatch_listener(ferry_dispatch_fn fn, void* user_data);
  // The VISIBLE watermark moved: wake the dispatcher (cheap, any thread).
  void on_visible();
  // The VISIBLE watermark moved to `visible` and pulls wait: make the
  // records below it readable on this thread (the writer's) when the
  // dispatcher is not dispatching, the backlog is short and its pages are
  // mapped — consume-queue entries buffered in memory only, no file write
  // of any kind — and the listener hears it before this returns; the
  // dispatcher, woken in every case, then puts their keys in the index and
  // writes the buffers (dispatched_offset moves then). true: readable up to
  // `visible`; false: declined or stopped short, the dispatcher does the rest.
  bool dispatch_inline(uint64_t visible);

  // ---- for tests and benchmarks ----
  uint64_t dispatched_offset() const { return dispatched_.load(std::memory_order_acquire); }
  ferry_status checkpoint_now(std::string* error);
  // One retention pass now; `force` ignores delete_when (as above disk_clean_ratio).
  size_t run_retention(bool force);
  void refresh_disk_usage();
  CommitLog& log() { return log_; }
  ConsumeQueues& queues() { return queues_; }
  KeyIndex& index() { return index_; }
  bool recovered_dirty() const { return recovered_dirty_; }

 private:
  Store(const Options& opt, std::shared_ptr<Io> io, Env env);
  ferry_status recover(std::string* error);
  // stop() and abandon(): mark stopped, join the threads, stop the log.
  // False (nothing done) when already stopped.
  bool halt();
  struct SvHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  bool entry_matches(const ConsumeQueue& q, uint64_t qoff, const CqEntry& e) const;
  ferry_status repair_queues(
      const std::unordered_map<std::string, uint64_t, SvHash, std::equal_to<>>& rewritten_from,
      uint64_t* dispatch_from, std::string* error);
  void dispatch_loop();
  // Caller holds dispatch_run_mu_, with published_ == dispatched_.
  size_t dispatch_some(uint64_t limit);
  // dispatch_inline's part (writer, dispatch_run_mu_ held): records from
  // published_ made readable and reported, without a file write.
  size_t publish_some(uint64_t limit);
  // The dispatcher's part of what publish_some published: keys into the
  // index, full queue buffers written, dispatched_ advanced (below limit).
  size_t index_some(uint64_t limit);
  void put_keys(const ferry_record_view& v, uint64_t at, std::string* error);
  // [dispatch_run_mu_ held] The queue of the record at `pos`.
  ConsumeQueue* queue_of(uint64_t pos, const ferry_record_view& v, ConsumeQueuePtr& cq,
                         std::vector<ConsumeQueuePtr>& keep);
  void housekeeping_loop();
  void note_record(std::string_view topic, int32_t queue_id, uint64_t queue_offset);
  bool store_time_at(uint64_t commit_offset, int64_t* ts) const;
  uint64_t readable_min(const ConsumeQueue& q) const;
  bool cold(const Segment& seg, uint64_t off, uint32_t size) const;
  void log(ferry_log_level level, const std::string& text) const;

  Options opt_;
  std::shared_ptr<Io> io_;
  Env env_;
  CommitLog log_;
  ConsumeQueues queues_;
  KeyIndex index_;
  std::string store_host_;
  uint64_t hot_distance_ = 0;
  bool recovered_dirty_ = false;

  // Writer-only: next queue offset per topic/queue, and a batch's undo log.
  TopicOffsetTable next_qoff_;
  // Writer → dispatcher: each appended record's consume queue.
  DispatchHints hints_;
  uint64_t hinted_end_ = 0;  // one past the offset of the last hint given
  struct Retired {
    uint64_t upto;  // freed once dispatched_ reaches it
    std::vector<ConsumeQueuePtr> queues;
  };
  std::vector<Retired> retired_;  // writer only
  struct Undo {
    uint64_t* slot;
    uint64_t value;
  };
  std::vector<Undo> undo_;

  std::atomic<uint64_t> dispatched_{0};  // indexed, entries on file or buffered (dispatcher)
  // >= dispatched_: records below are readable through their queues and
  // were reported (the writer's publish_some, or dispatch_some).
  std::atomic<uint64_t> published_{0};
  // One dispatch at a time: the dispatcher thread's, or the writer's inline
  // one (which only try-locks it). Taken once per batch, not per record.
  // index_some runs without it (below published_, which only it passes).
  std::mutex dispatch_run_mu_;
  std::atomic<bool> inline_ok_{false};  // between start and stop
  ferry_dispatch_fn listener_ = nullptr;
  void* listener_data_ = nullptr;

  std::atomic<bool> disk_full_{false};
  std::atomic<double> disk_ratio_{0};

  std::mutex mu_;  // threads' wake-ups and stop flag
  std::condition_variable dispatch_cv_;
  std::condition_variable house_cv_;
  bool dispatch_wake_ = false;
  bool index_wake_ = false;  // mu_: dispatch_inline made all readable, index it
  bool running_ = false;
  bool stopped_ = false;
  std::thread dispatcher_;
  std::thread housekeeper_;
  std::mutex checkpoint_mu_;
};

}  // namespace ferry::mmaplog
