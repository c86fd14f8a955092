#include "offset_store.h"

#include <charconv>

#include "line_file.h"
#include "topic_table.h"

namespace ferry::core {
namespace {

constexpr std::string_view kHeader = "# ferry consumer offsets v1: group topic queue_id offset";

}  // namespace

ferry_status OffsetStore::load(std::string* why) {
  std::string text;
  bool found = false;
  ferry_status s = file_.read(&text, &found, why);
  if (s != FERRY_OK || !found) return s;
  groups_.clear();
  s = line_file::for_each_line(text, [&](std::string_view line, size_t line_no) {
    std::string_view f[4];
    int32_t qid = 0;
    uint64_t off = 0;
    if (!line_file::split(line, f, 4) || f[0].empty() || f[1].empty() ||
        !line_file::parse_num(f[2], &qid) || qid < 0 ||
        static_cast<uint32_t>(qid) >= kMaxQueues || !line_file::parse_num(f[3], &off)) {
      *why = file_.path() + ":" + std::to_string(line_no) + ": malformed offset line";
      return FERRY_E_CORRUPTED;
    }
    commit(f[0], f[1], qid, off);
    return FERRY_OK;
  });
  if (s != FERRY_OK) return s;
  file_.loaded();
  return FERRY_OK;
}

ferry_status OffsetStore::save(std::string* why, const BeforeRenameHook& hook) {
  return file_.save(snapshot(), why, hook);
}

std::optional<OffsetStore::Snapshot> OffsetStore::snapshot() const {
  if (!dirty()) return std::nullopt;
  Snapshot snap = file_.start_snapshot();
  std::string& text = snap.text;
  text += kHeader;
  text += '\n';
  for (const auto& [group, topics] : groups_) {
    for (const auto& [topic, queues] : topics) {
      for (size_t q = 0; q < queues.size(); ++q) {
        if (queues[q] == kNone) continue;
        text += group;
        text += ' ';
        text += topic;
        text += ' ';
        text += std::to_string(q);
        text += ' ';
        text += std::to_string(queues[q]);
        text += '\n';
      }
    }
  }
  return snap;
}

void OffsetStore::commit(std::string_view group, std::string_view topic, int32_t queue_id,
                         uint64_t offset) {
  if (queue_id < 0 || static_cast<uint32_t>(queue_id) >= kMaxQueues) return;
  auto g = groups_.find(group);
  if (g == groups_.end()) g = groups_.emplace(std::string(group), Topics{}).first;
  auto t = g->second.find(topic);
  if (t == g->second.end()) t = g->second.emplace(std::string(topic), Queues{}).first;
  Queues& q = t->second;
  if (q.size() <= static_cast<size_t>(queue_id)) q.resize(static_cast<size_t>(queue_id) + 1, kNone);
  auto v = static_cast<int64_t>(offset);
  if (q[static_cast<size_t>(queue_id)] != v) {
    q[static_cast<size_t>(queue_id)] = v;
    file_.changed();
  }
}

std::optional<uint64_t> OffsetStore::query(std::string_view group, std::string_view topic,
                                           int32_t queue_id) const {
  auto g = groups_.find(group);
  if (g == groups_.end() || queue_id < 0) return std::nullopt;
  auto t = g->second.find(topic);
  if (t == g->second.end() || static_cast<size_t>(queue_id) >= t->second.size()) return std::nullopt;
  int64_t v = t->second[static_cast<size_t>(queue_id)];
  if (v == kNone) return std::nullopt;
  return static_cast<uint64_t>(v);
}

void OffsetStore::for_group(
    std::string_view group, std::string_view topic,
    const std::function<void(const std::string&, int32_t, uint64_t)>& fn) const {
  auto g = groups_.find(group);
  if (g == groups_.end()) return;
  for (const auto& [name, queues] : g->second) {
    if (!topic.empty() && name != topic) continue;
    for (size_t q = 0; q < queues.size(); ++q)
      if (queues[q] != kNone) fn(name, static_cast<int32_t>(q), static_cast<uint64_t>(queues[q]));
  }
}

std::vector<std::string> OffsetStore::groups() const {
  std::vector<std::string> out;
  for (const auto& [group, topics] : groups_) {
    bool any = false;
    for (const auto& [name, queues] : topics)
      for (int64_t o : queues) any = any || o != kNone;
    if (any) out.push_back(group);
  }
  return out;
}

std::vector<std::string> OffsetStore::topics_of(std::string_view group) const {
  std::vector<std::string> out;
  auto g = groups_.find(group);
  if (g == groups_.end()) return out;
  for (const auto& [name, queues] : g->second)
    for (int64_t o : queues)
      if (o != kNone) {
        out.push_back(name);
        break;
      }
  return out;
}

void OffsetStore::remove_topic(std::string_view topic) {
  for (auto& [group, topics] : groups_) {
    auto t = topics.find(topic);
    if (t != topics.end()) {
      topics.erase(t);
      file_.changed();
    }
  }
}

}  // namespace ferry::core
