#pragma once
// The key index: a hash index on message KEYS and UNIQ_KEY with store
// timestamps, in bounded files that roll over (RocketMQ's IndexFile layout,
// big-endian):
//   header  40 B: begin_ts i64 | end_ts i64 | begin_phy i64 | end_phy i64 |
//                 slot_count u32 (top bit: key slots, below) | index_count u32
//   slots   slot_count x u32: number of the newest entry in the slot (0 = none)
//   entries index_entries x 20 B: key_hash i32 | commit_offset i64 |
//                 time_diff_s i32 (store time - begin_ts, seconds) | prev u32
// Files: <dir>/index/<20-digit commit offset of the first indexed record>.
// The hash is Java's String.hashCode of "topic#key", made non-negative. The
// slot is chosen by the hash of the key alone (top bit of slot_count set;
// files without it use the topic#key hash): unique keys carry a counter, so
// consecutive messages fill neighbouring slots whatever topics they go to,
// where topic#key scattered each message of many interleaved topics over the
// whole 20 MB slot table (a TLB miss, a dirty page to sync at every
// checkpoint: docs/benchmarks.md, "Many topics", session 5). Chains then mix
// topics; the stored topic#key hash filters them.
// Entries are candidates: a query reads each record back and keeps only
// those whose topic and key really match, so collisions, duplicates (after
// a re-dispatch) and entries past a truncated log end are harmless.
//
// Written by the dispatcher thread only; queried from any thread.
#include <ferry/status.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "mapped_file_cache.h"
#include "options.h"

namespace ferry::mmaplog {

class IndexFile;

class KeyIndex {
 public:
  KeyIndex(const Options& opt, Io& io);
  ~KeyIndex();
  // Load existing files. After a crash (`dirty`) the next put starts a new
  // file: the last one's tail may be torn.
  ferry_status load(bool dirty, std::string* error);
  ferry_status put(std::string_view topic, std::string_view key, uint64_t commit_offset,
                   int64_t store_ms, std::string* error);
  // Candidate commit offsets for topic#key stored within [begin_ms, end_ms],
  // newest first, at most max_candidates.
  void query(std::string_view topic, std::string_view key, int64_t begin_ms, int64_t end_ms,
             size_t max_candidates, std::vector<uint64_t>* out) const;
  ferry_status flush(std::string* error);
  // Retention: drop files whose every entry is below log_min.
  void trim(uint64_t log_min);
  size_t file_count() const;

  static int32_t key_hash(std::string_view topic, std::string_view key);
  // Java's String.hashCode of the key, made non-negative: picks the slot.
  static int32_t slot_hash(std::string_view key);

 private:
  std::shared_ptr<IndexFile> create(uint64_t begin_phy, int64_t begin_ms, std::string* error);

  const Options& opt_;
  Io& io_;
  std::string dir_;
  mutable std::mutex mu_;
  std::vector<std::shared_ptr<IndexFile>> files_;
  bool roll_next_ = false;
};

}  // namespace ferry::mmaplog
