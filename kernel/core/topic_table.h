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

#include "atomic_file.h"

namespace ferry::core {

inline constexpr uint32_t kMaxQueues = 1024;

struct TopicMetrics;

struct TopicConfig {
  std::string name;
  uint32_t read_queues = 4;
  uint32_t write_queues = 4;
  uint32_t perm = FERRY_PERM_READ | FERRY_PERM_WRITE;
  uint32_t flags = 0;
  // Runtime only, never persisted: the topic's metric series once the send
  // path registered them, so a send finds config and series in one lookup
  // (with 10,000 topics a second hash lookup per send was a cache miss).
  mutable const TopicMetrics* metrics = nullptr;
};

class TopicTable {
 public:
  // `path`: the file, e.g. <data_dir>/core/topics.conf.
  explicit TopicTable(std::string path) : path_(std::move(path)) {}

  // Read the file (absent = empty table). FERRY_E_CORRUPTED naming the line.
  ferry_status load(std::string* why);
  // Write the whole table now if it changed since the last save.
  ferry_status save(std::string* why, const BeforeRenameHook& hook = {});

  // The table as file text, for a write elsewhere (a worker): empty
  // optional when nothing changed since the last save.
  struct Snapshot {
    uint64_t generation = 0;
    std::string text;
  };
  std::optional<Snapshot> snapshot() const;
  // A snapshot of `generation` is on disk (a later generation may be
  // marked first; the older one then changes nothing).
  void mark_saved(uint64_t generation);

  const TopicConfig* find(std::string_view name) const;
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

  size_t size() const { return topics_.size(); }
  bool dirty() const { return generation_ != saved_generation_; }
  // Every change bumps the generation; a successful save() records the one
  // it wrote. A change is durable once saved_generation() >= its generation.
  uint64_t generation() const { return generation_; }
  uint64_t saved_generation() const { return saved_generation_; }
  uint64_t writes() const { return writes_; }  // files written, for tests and stats
  const std::string& path() const { return path_; }

 private:
  ferry_status validate(TopicConfig& config, bool system, std::string* why) const;

  std::string path_;
  std::map<std::string, TopicConfig, std::less<>> topics_;
  uint64_t generation_ = 0;
  uint64_t saved_generation_ = 0;
  uint64_t writes_ = 0;
};

}  // namespace ferry::core
