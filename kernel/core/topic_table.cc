#include "topic_table.h"

#include <charconv>

#include "line_file.h"
#include "names.h"

namespace ferry::core {
namespace {

constexpr std::string_view kHeader = "# ferry topic table v1: name read_queues write_queues perm flags";

}  // namespace

ferry_status TopicTable::load(std::string* why) {
  std::string text;
  bool found = false;
  ferry_status s = file_.read(&text, &found, why);
  if (s != FERRY_OK || !found) return s;
  flush_counts();
  index_.clear();
  topics_.clear();
  file_.changed();  // entries held by generation (Core::TurnSend) are gone
  s = line_file::for_each_line(text, [&](std::string_view line, size_t line_no) {
    std::string_view f[5];
    TopicConfig c;
    if (!line_file::split(line, f, 5) || !line_file::parse_num(f[1], &c.read_queues) ||
        !line_file::parse_num(f[2], &c.write_queues) || !line_file::parse_num(f[3], &c.perm) ||
        !line_file::parse_num(f[4], &c.flags)) {
      *why = file_.path() + ":" + std::to_string(line_no) + ": malformed topic line";
      return FERRY_E_CORRUPTED;
    }
    c.name = std::string(f[0]);
    std::string reason;
    if (validate(c, true, &reason) != FERRY_OK) {
      *why = file_.path() + ":" + std::to_string(line_no) + ": " + reason;
      return FERRY_E_CORRUPTED;
    }
    topics_[c.name] = std::move(c);
    return FERRY_OK;
  });
  reindex();  // also after a bad line: the lines before it are in topics_
  if (s != FERRY_OK) return s;
  file_.loaded();
  return FERRY_OK;
}

std::optional<TopicTable::Snapshot> TopicTable::snapshot() const {
  if (!dirty()) return std::nullopt;
  Snapshot snap = file_.start_snapshot();
  std::string& text = snap.text;
  text.reserve(kHeader.size() + 1 + topics_.size() * 48);
  text += kHeader;
  text += '\n';
  for (const auto& [name, c] : topics_) {
    text += name;
    for (uint32_t v : {c.read_queues, c.write_queues, c.perm, c.flags}) {
      text += ' ';
      text += std::to_string(v);
    }
    text += '\n';
  }
  return snap;
}

ferry_status TopicTable::save(std::string* why, const BeforeRenameHook& hook) {
  return file_.save(snapshot(), why, hook);
}

const TopicConfig* TopicTable::find(std::string_view name, uint64_t h) const {
  return index_.find(name, h,
                     [](const TopicConfig& t) -> std::string_view { return t.name; });
}

void TopicTable::reindex() {
  index_.clear();
  for (const auto& [name, c] : topics_) index_.insert(&c, TopicIndex::hash(name));
}

ferry_status TopicTable::validate(TopicConfig& c, bool system, std::string* why) const {
  ferry_status s = check_name("topic", c.name, why);
  if (s != FERRY_OK) return s;
  if (is_system_topic(c.name)) {
    if (!system) {
      *why = "topic name '" + c.name + "' uses a reserved system prefix (%RETRY%, %DLQ%, RMQ_SYS_, SCHEDULE_TOPIC_XXXX)";
      return FERRY_E_RESERVED_NAME;
    }
    c.flags |= FERRY_TOPIC_SYSTEM;
  } else if (!system) {
    c.flags &= ~static_cast<uint32_t>(FERRY_TOPIC_SYSTEM);
  }
  if (c.read_queues == 0 || c.write_queues == 0 || c.read_queues > kMaxQueues ||
      c.write_queues > kMaxQueues) {
    *why = "topic '" + c.name + "': read and write queue counts must be 1.." +
           std::to_string(kMaxQueues) + " (got " + std::to_string(c.read_queues) + "/" +
           std::to_string(c.write_queues) + ")";
    return FERRY_E_INVALID_ARGUMENT;
  }
  if (c.perm & ~static_cast<uint32_t>(FERRY_PERM_INHERIT | FERRY_PERM_READ | FERRY_PERM_WRITE)) {
    *why = "topic '" + c.name + "': perm " + std::to_string(c.perm) +
           " has unknown bits (INHERIT=1 WRITE=2 READ=4)";
    return FERRY_E_INVALID_ARGUMENT;
  }
  return FERRY_OK;
}

ferry_status TopicTable::create(TopicConfig c, bool system, std::string* why) {
  ferry_status s = validate(c, system, why);
  if (s != FERRY_OK) return s;
  if (topics_.count(c.name) != 0) {
    *why = "topic '" + c.name + "' already exists";
    return FERRY_E_ALREADY_EXISTS;
  }
  std::string name = c.name;
  auto it = topics_.emplace(std::move(name), std::move(c)).first;
  index_.insert(&it->second, TopicIndex::hash(it->first));
  file_.changed();
  return FERRY_OK;
}

ferry_status TopicTable::update(TopicConfig c, bool system, std::string* why) {
  ferry_status s = validate(c, system, why);
  if (s != FERRY_OK) return s;
  auto it = topics_.find(c.name);
  if (it == topics_.end()) {
    *why = "topic '" + c.name + "' does not exist";
    return FERRY_E_TOPIC_NOT_FOUND;
  }
  c.runtime = it->second.runtime;  // same entry: counts and series stay
  it->second = std::move(c);
  file_.changed();
  return FERRY_OK;
}

ferry_status TopicTable::remove(std::string_view name, bool system, std::string* why) {
  auto it = topics_.find(name);
  if (it == topics_.end()) {
    *why = "topic '" + std::string(name) + "' does not exist";
    return FERRY_E_TOPIC_NOT_FOUND;
  }
  if (!system && (it->second.flags & FERRY_TOPIC_SYSTEM)) {
    *why = "topic '" + std::string(name) + "' is a system topic";
    return FERRY_E_RESERVED_NAME;
  }
  flush_one(it->second);
  index_.erase(&it->second, TopicIndex::hash(name));
  topics_.erase(it);
  file_.changed();
  return FERRY_OK;
}

void TopicTable::count_in(const TopicConfig& t, uint64_t messages, uint64_t bytes) {
  TopicRuntime& r = t.runtime;
  r.messages_in += messages;
  r.bytes_in += bytes;
  if (r.counted_at == 0) {
    counted_.push_back(&t);
    r.counted_at = counted_.size();
  }
}

void TopicTable::drain(const TopicConfig& t) {
  TopicRuntime& r = t.runtime;
  if (sink_) sink_(t, r.messages_in, r.bytes_in);
  r = TopicRuntime{r.metrics};  // counts and listing cleared, series kept
}

void TopicTable::flush_counts() {
  for (const TopicConfig* t : counted_) drain(*t);
  counted_.clear();
}

void TopicTable::flush_one(const TopicConfig& t) {
  const size_t at = t.runtime.counted_at;
  if (at == 0) return;
  // Unlist by moving the last entry into its slot.
  const TopicConfig* last = counted_.back();
  counted_[at - 1] = last;
  last->runtime.counted_at = at;
  counted_.pop_back();
  drain(t);
}

std::vector<const TopicConfig*> TopicTable::list(std::string_view start_after, size_t limit,
                                                 bool include_system, bool* more) const {
  std::vector<const TopicConfig*> out;
  *more = false;
  auto it = start_after.empty() ? topics_.begin() : topics_.upper_bound(start_after);
  for (; it != topics_.end(); ++it) {
    if (!include_system && (it->second.flags & FERRY_TOPIC_SYSTEM)) continue;
    if (out.size() == limit) {
      *more = true;
      break;
    }
    out.push_back(&it->second);
  }
  return out;
}

void TopicTable::for_each(const std::function<void(const TopicConfig&)>& fn) const {
  for (const auto& [name, c] : topics_) fn(c);
}

}  // namespace ferry::core
