#pragma once
// The topic table: every topic's queue counts, permission and flags, kept in
// memory (sorted, for paged listing) and persisted as one small text file
// replaced atomically. The core debounces save() (topic_persist_delay) so a
// burst of creations shares one write, and answers a change only once a
// save covers its generation (group commit: a topic acknowledged as created
// survives a crash).
#include <ferry/host.h>
#include <ferry/status.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "saved_file.h"
#include "topic_index.h"

namespace ferry::core {

inline constexpr uint32_t kMaxQueues = 1024;

struct TopicMetrics;

// Runtime only, never persisted: what the send path keeps per topic in the
// table entry it already looked up. With 10,000 topics each extra object a
// send touches is a cache miss per message (docs/benchmarks.md, "Session 9
// (topics)"), so sends count here and the counts reach the metrics registry
// in one go (TopicTable::flush_counts, at scrape time).
struct TopicRuntime {
  const TopicMetrics* metrics = nullptr;  // the topic's series once registered
  uint64_t messages_in = 0;               // counted since the last flush
  uint64_t bytes_in = 0;
  size_t counted_at = 0;                  // 1 + index in TopicTable's counted list; 0 = not listed
  // The storage's per-topic state (ferry_message.storage_slot): handed to
  // storage.append with this topic's messages; dies with the entry.
  void* storage_slot = nullptr;
};

struct TopicConfig {
  std::string name;
  uint32_t read_queues = 4;
  uint32_t write_queues = 4;
  uint32_t perm = FERRY_PERM_READ | FERRY_PERM_WRITE;
  uint32_t flags = 0;
  // Kept by update(); a removed topic's counts go to the sink first.
  mutable TopicRuntime runtime;
};

class TopicTable {
 public:
  // Receives a topic's send counts (TopicRuntime) when they are flushed;
  // the entry is valid during the call (it may be about to be removed).
  using CountSink = std::function<void(const TopicConfig& t, uint64_t messages, uint64_t bytes)>;

  // `path`: the file, e.g. <data_dir>/core/topics.conf.
  explicit TopicTable(std::string path, CountSink sink = {})
      : file_(std::move(path)), sink_(std::move(sink)) {}
  TopicTable(const TopicTable&) = delete;  // the index points into topics_
  TopicTable& operator=(const TopicTable&) = delete;

  // Read the file (absent = empty table). FERRY_E_CORRUPTED naming the line.
  ferry_status load(std::string* why);
  // Write the whole table now if it changed since the last save.
  ferry_status save(std::string* why, const BeforeRenameHook& hook = {});

  // The table as file text, for a write elsewhere (a worker): empty
  // optional when nothing changed since the last save.
  using Snapshot = SavedFile::Snapshot;
  std::optional<Snapshot> snapshot() const;
  // A snapshot of `generation` is on disk (a later generation may be
  // marked first; the older one then changes nothing).
  void mark_saved(uint64_t generation) { file_.mark_saved(generation); }

  const TopicConfig* find(std::string_view name) const { return find(name, hash_of(name)); }
  // `h` = hash_of(name); with another h it finds nothing (never another entry).
  const TopicConfig* find(std::string_view name, uint64_t h) const;
  // What a find(name) to come will load, for prefetches (Core::peek):
  // `h` = hash_of(name); TopicIndex::home_slot / entry_of.
  static uint64_t hash_of(std::string_view name) { return TopicIndex::hash(name); }
  const void* home_slot(uint64_t h) const { return index_.home_slot(h); }
  const TopicConfig* entry_of(uint64_t h) const { return index_.entry_of(h); }
  // `system`: created by the core or a plugin; allowed under reserved
  // prefixes (and then flagged FERRY_TOPIC_SYSTEM). Users get
  // FERRY_E_RESERVED_NAME there.
  ferry_status create(TopicConfig config, bool system, std::string* why);
  ferry_status update(TopicConfig config, bool system, std::string* why);
  ferry_status remove(std::string_view name, bool system, std::string* why);

  // Up to `limit` topics named after `start_after`, in name order; *more set
  // when others follow.
  std::vector<const TopicConfig*> list(std::string_view start_after, size_t limit,
                                       bool include_system, bool* more) const;
  void for_each(const std::function<void(const TopicConfig&)>& fn) const;

  // Add a send's messages and body bytes to `t`'s counts (an entry of this
  // table): two adds in memory the send already touched, and the entry
  // listed once until the next flush.
  void count_in(const TopicConfig& t, uint64_t messages, uint64_t bytes);
  // Hand every listed topic's counts to the sink and zero them. remove()
  // and load() flush an entry before it goes, so no count is lost.
  void flush_counts();
  size_t counted() const { return counted_.size(); }  // topics with counts not flushed

  size_t size() const { return topics_.size(); }
  bool dirty() const { return file_.dirty(); }
  // Every change bumps the generation; a successful save() records the one
  // it wrote. A change is durable once saved_generation() >= its generation.
  uint64_t generation() const { return file_.generation(); }
  uint64_t saved_generation() const { return file_.saved_generation(); }
  uint64_t writes() const { return file_.writes(); }  // files written, for tests and stats
  const std::string& path() const { return file_.path(); }

 private:
  ferry_status validate(TopicConfig& config, bool system, std::string* why) const;
  void flush_one(const TopicConfig& t);  // sink it, unlist it
  void drain(const TopicConfig& t);      // sink its counts, zero them (not unlisting)
  void reindex();                        // the index from topics_ anew

  SavedFile file_;
  CountSink sink_;
  std::map<std::string, TopicConfig, std::less<>> topics_;  // node-based: entries never move
  TopicIndex index_;                                        // topics_' entries by name hash: find()
  std::vector<const TopicConfig*> counted_;                 // entries with counts since the last flush
};

}  // namespace ferry::core
