#pragma once
// What a Store is built from: validated settings (from the plugin's config
// block, docs/storage.md lists the keys) and the environment it reaches the
// outside world through (clock, VISIBLE watermark, log) — callbacks rather
// than the host table so the engine can be tested without a kernel.
#include <ferry/abi.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "io.h"

namespace ferry::mmaplog {

enum class WriteMode { Mmap, Pwrite };

struct Options {
  std::string dir;                        // root: commitlog/, consumequeue/, index/, checkpoint
  uint64_t segment_size = 1ull << 30;
  // pwrite by default: on this project's measurements it had the lower tail
  // latency and the higher batch and sync-flush throughput (docs/benchmarks.md,
  // "write_mode"); mmap remains for kernels where pwrite costs more.
  WriteMode write_mode = WriteMode::Pwrite;
  uint64_t prefault_window = 4ull << 20;  // bytes ahead of the head kept faulted in
  // pwrite path: the pre-fault thread also reads ahead prefault_window past
  // the head (holes: clean zero-filled pages), so the loop's pwrite copies
  // into page-cache pages that exist instead of making each one on the loop
  // thread (late in a run a new page cost ~18 us on this project's VM:
  // docs/benchmarks.md, "Session 8 (tput)"). On by default: in compare.sh's
  // Ferry rows it gave batch sends 1.21x (median of 4 alternated rounds),
  // sync-flush sends 0.92x within overlapping ranges, the rest within the
  // machine's spread ("Session 8 (lead)"); the pages it reads are clean, so
  // no flush ever writes them.
  bool pwrite_prefault = true;
  // Start the kernel's write-back of every this many bytes the writer has
  // written (sync_file_range WRITE, on the pre-fault thread), instead of
  // leaving the whole interval's dirty pages to the next flush. Why: with
  // async flush the 500 ms fdatasync wrote ~40 MiB at once (46-88 ms) and
  // the loop's pwrite stalled up to 23.7 ms inside it: workload 6's tail
  // (docs/benchmarks.md, "Session 10 (e2e)"); 1 MiB cut its p99 ~40 % for
  // 1-3 % of batch throughput ("Session 10 (lead)"). 0: the kernel decides.
  uint64_t writeback_bytes = 1ull << 20;
  // pwrite path: the pre-fault thread, once it has created the next segment,
  // fills it with zeros (buffered writes, write-back started and paced to
  // the disk, never synced), so when the writer rolls into it its blocks are
  // allocated and written: a group-commit fdatasync over written blocks
  // skips the block allocation and inode write a hole costs (169-188 vs
  // 304-367 us for a group of 64, docs/benchmarks.md "Session 10 (flush)").
  // Stops where the writer begins: the writer never waits for it.
  bool segment_prefill = true;
  uint32_t max_message_size = 4u << 20;
  uint32_t queue_file_entries = 300'000;
  uint32_t max_mapped_queue_files = 8192;  // readers' mappings (LRU)
  // Descriptors the dispatcher writes queue entries through (LRU); 0: a
  // quarter of RLIMIT_NOFILE, at least 64.
  uint32_t max_open_queue_files = 0;
  // Consume-queue entries buffered in memory across dispatch batches (all
  // queues together) before they are written; 0 writes each batch's at once.
  uint64_t queue_buffer_bytes = 32ull << 20;
  uint32_t index_slots = 5'000'000;
  uint32_t index_entries = 20'000'000;
  bool truncate_on_corruption = false;    // recovery_on_corruption = "truncate"
  int64_t file_reserved_ms = 72ll * 3600 * 1000;
  int delete_hour = 4;                    // local hour when expired segments go
  double disk_clean_ratio = 0.75;         // above: expired segments go at once
  double disk_max_used_ratio = 0.90;      // above: appends refused
  int64_t housekeeping_interval_ms = 1000;   // disk check (the housekeeping tick)
  // Queue/index sync + checkpoint, at the first tick this long after the
  // last. Queues and index are rebuilt from the log after a crash, so a
  // longer interval costs recovery time, not data; a short one re-syncs
  // every dirty queue file each time (one msync per file: the per-topic
  // cost at 100+ topics, docs/benchmarks.md "Many topics", session 5).
  int64_t checkpoint_interval_ms = 10'000;
  int64_t retention_interval_ms = 10'000;
  int64_t dispatch_poll_ms = 1;           // dispatcher's wait when not woken
  uint64_t hot_read_distance = 0;         // 0: 40% of RAM; farther reads check mincore
  std::string store_host;                 // 4 or 16 address bytes written into records
  uint32_t store_port = 0;
};

struct Env {
  std::function<int64_t()> now_ms;
  // The kernel's VISIBLE watermark: the dispatcher indexes only below it.
  std::function<uint64_t()> visible;
  std::function<void(ferry_log_level, const std::string&)> log;
};

}  // namespace ferry::mmaplog
