#pragma once
// Consumer offsets: the next queue offset each group will consume, per
// topic/queue. Kept in memory; persisted by replacing one text file
// atomically (periodically and at shutdown), so a restart resumes where the
// last persisted commit left it.
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

class OffsetStore {
 public:
  explicit OffsetStore(std::string path) : path_(std::move(path)) {}

  ferry_status load(std::string* why);  // absent file = empty
  ferry_status save(std::string* why, const BeforeRenameHook& hook = {});  // if changed

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

  bool dirty() const { return dirty_; }
  uint64_t writes() const { return writes_; }

 private:
  static constexpr int64_t kNone = -1;
  using Queues = std::vector<int64_t>;  // index = queue id, kNone = never committed
  using Topics = std::map<std::string, Queues, std::less<>>;

  std::string path_;
  std::map<std::string, Topics, std::less<>> groups_;
  bool dirty_ = false;
  uint64_t writes_ = 0;
};

}  // namespace ferry::core
