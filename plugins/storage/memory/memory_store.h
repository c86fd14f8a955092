#pragma once
// In-memory storage: the commit log as a list of fixed-size chunks holding
// records in exactly mmaplog's layout (plugins/common encoder; a blank record
// ends a chunk), consume queues as vectors, keys in a hash map. Nothing
// survives the process. Bounded: `max_bytes` of chunks, oldest dropped first
// (consumers behind get OFFSET_MOVED). Same threading as mmaplog: one writer,
// a dispatcher thread that indexes below the VISIBLE watermark, reads from
// any thread; a read's slices keep their chunk alive until released.
#include <ferry/storage.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace ferry::memstore {

struct Options {
  uint64_t chunk_size = 64ull << 20;
  uint64_t max_bytes = 1ull << 30;
  uint32_t max_message_size = 4u << 20;
  int64_t dispatch_poll_ms = 1;
  std::string store_host{"\x7f\0\0\x01", 4};
  uint32_t store_port = 0;
};

struct Env {
  std::function<int64_t()> now_ms;
  std::function<uint64_t()> visible;
};

struct Chunk {
  uint64_t base;
  std::unique_ptr<char[]> data;
  uint64_t size;
};
using ChunkPtr = std::shared_ptr<Chunk>;

class MemoryStore {
 public:
  MemoryStore(Options opt, Env env);
  ~MemoryStore();
  void start();
  void stop();

  ferry_status append(const ferry_message* const* msgs, size_t n, ferry_append_result* results,
                      size_t* appended, uint64_t* write_offset, std::string* error);
  uint64_t write_offset() const { return write_.load(std::memory_order_acquire); }
  ferry_status read_queue(const ferry_read_request& req, ferry_read_result** out);
  ferry_status read_at(uint64_t off, ferry_read_result** out, std::string* error);
  ferry_status read_log(uint64_t off, uint32_t max_bytes, ferry_read_result** out,
                        std::string* error);
  ferry_status append_raw(uint64_t off, ferry_slice bytes, uint64_t* write_offset,
                          std::string* error);
  void queue_range(std::string_view topic, int32_t qid, uint64_t* min, uint64_t* max);
  uint64_t offset_for_time(std::string_view topic, int32_t qid, int64_t ts);
  ferry_status query_key(std::string_view topic, std::string_view key, int64_t begin_ms,
                         int64_t end_ms, uint32_t max_count, ferry_read_result** out);
  void delete_topic(std::string_view topic);
  void stats(ferry_storage_stats* out) const;
  void set_dispatch_listener(ferry_dispatch_fn fn, void* ud) {
    listener_ = fn;
    listener_data_ = ud;
  }
  void on_visible();

 private:
  struct Entry {
    uint64_t commit_offset;
    uint32_t size;
    int64_t tag_hash;
    int64_t store_ms;
  };
  struct Queue {
    uint64_t min = 0;                // queue offset of entries[0]
    std::vector<Entry> entries;
  };
  struct SvHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  ChunkPtr chunk_at(uint64_t off) const;
  ChunkPtr new_chunk(uint64_t base);
  char* reserve(uint32_t size, uint64_t* off);
  void dispatch_loop();
  void dispatch_some(uint64_t limit);
  void drop_old_chunks();
  uint64_t min_offset() const { return min_.load(std::memory_order_acquire); }

  Options opt_;
  Env env_;
  mutable std::mutex chunks_mu_;
  std::vector<ChunkPtr> chunks_;
  std::atomic<uint64_t> write_{0};
  std::atomic<uint64_t> min_{0};
  ChunkPtr active_;
  uint64_t head_ = 0;
  std::unordered_map<std::string, uint64_t, SvHash, std::equal_to<>> next_qoff_;

  mutable std::shared_mutex q_mu_;
  std::unordered_map<std::string, Queue, SvHash, std::equal_to<>> queues_;
  std::unordered_multimap<std::string, uint64_t> keys_;  // "topic#key" -> commit offset
  std::atomic<uint64_t> dispatched_{0};
  ferry_dispatch_fn listener_ = nullptr;
  void* listener_data_ = nullptr;

  std::mutex mu_;
  std::condition_variable cv_;
  bool wake_ = false;
  bool running_ = false;
  std::thread dispatcher_;
};

}  // namespace ferry::memstore
