#pragma once
// Consumer offsets: the next queue offset each group will consume, per
// topic/queue. Kept in memory; persisted by replacing one text file
// atomically (periodically and at shutdown), so a restart resumes where the
// last persisted commit left it. The core takes a snapshot() on the loop and
// writes it on a worker (the fsyncs never stall the loop), then marks the
// snapshot's generation saved.
#include <ferry/status.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "saved_file.h"

namespace ferry::core {

class OffsetStore {
 public:
  explicit OffsetStore(std::string path) : file_(std::move(path)) {}

  ferry_status load(std::string* why);  // absent file = empty
  ferry_status save(std::string* why, const BeforeRenameHook& hook = {});  // if changed, here

  // The offsets as file text, for a write elsewhere (a worker): empty
  // optional when nothing changed since the last save.
  using Snapshot = SavedFile::Snapshot;
  std::optional<Snapshot> snapshot() const;
  // A snapshot of `generation` is on disk (a later one may be marked first;
  // the older one then changes nothing).
  void mark_saved(uint64_t generation) { file_.mark_saved(generation); }

  void commit(std::string_view group, std::string_view topic, int32_t queue_id, uint64_t offset);
  std::optional<uint64_t> query(std::string_view group, std::string_view topic,
                                int32_t queue_id) const;
  // Every (topic, queue, offset) of a group; topic empty = all topics.
  void for_group(std::string_view group, std::string_view topic,
                 const std::function<void(const std::string& topic, int32_t queue_id,
                                          uint64_t offset)>& fn) const;
  void remove_topic(std::string_view topic);
  // Groups with at least one committed offset, sorted (admin listings).
  std::vector<std::string> groups() const;
  // Topics a group committed offsets on, sorted.
  std::vector<std::string> topics_of(std::string_view group) const;

  // Every change bumps the generation; dirty until a save covers it.
  bool dirty() const { return file_.dirty(); }
  uint64_t generation() const { return file_.generation(); }
  uint64_t writes() const { return file_.writes(); }  // files written, for tests and stats
  const std::string& path() const { return file_.path(); }

 private:
  static constexpr int64_t kNone = -1;
  using Queues = std::vector<int64_t>;  // index = queue id, kNone = never committed
  using Topics = std::map<std::string, Queues, std::less<>>;

  SavedFile file_;
  std::map<std::string, Topics, std::less<>> groups_;
};

}  // namespace ferry::core
