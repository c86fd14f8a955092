// Store: the read side (pull, by offset, replication, ranges, time, keys).
#include <algorithm>
#include <cstring>

#include "ferry_common/record_verify.h"
#include "ferry_common/slice.h"
#include "read_result.h"
#include "store.h"

namespace ferry::mmaplog {

namespace {
using common::sv;
// Bound on consume-queue entries one filtered read may scan.
constexpr uint64_t kMaxScan = 16'000;
constexpr uint32_t kMaxCount = 4096;
}  // namespace

// Cold: far enough behind the head that the page cache may have dropped it,
// and mincore says some page is not resident. Near the head no syscall is made.
bool Store::cold(const Segment& seg, uint64_t off, uint32_t size) const {
  uint64_t head = log_.write_offset();
  if (head - off <= hot_distance_) return false;
  return !log_.resident(seg, off, size);
}

bool Store::store_time_at(uint64_t commit_offset, int64_t* ts) const {
  SegmentPtr seg = log_.pin(commit_offset);
  if (!seg || commit_offset + FERRY_RECORD_FIXED_V4 > seg->end()) return false;
  ferry_record_view v;
  if (ferry_record_decode(seg->data() + (commit_offset - seg->base()), seg->end() - commit_offset,
                          &v) != FERRY_OK)
    return false;
  *ts = v.store_timestamp_ms;
  return true;
}

ferry_status Store::read_queue(const ferry_read_request& req, ferry_read_result** out,
                               std::string* error) {
  auto r = std::make_unique<ReadResult>();
  ConsumeQueuePtr q = queues_.find(sv(req.topic), req.queue_id);
  uint64_t max = q ? q->max_offset.load(std::memory_order_acquire) : 0;
  uint64_t min = q ? readable_min(*q) : 0;
  const uint64_t log_min = log_.min_offset();
  ferry_read_result& pub = r->pub;
  pub.min_offset = min;
  pub.max_offset = max;
  uint64_t off = req.queue_offset;
  if (off < min) {
    pub.status = FERRY_READ_OFFSET_MOVED;
    pub.next_offset = min;
  } else if (off > max) {
    pub.status = FERRY_READ_OFFSET_OUT_OF_RANGE;
    pub.next_offset = max;
  } else if (off == max) {
    pub.status = FERRY_READ_NO_NEW_MESSAGE;
    pub.next_offset = max;
  } else {
    const uint32_t max_count = std::clamp<uint32_t>(req.max_count, 1, kMaxCount);
    const ferry_read_filter* f = req.filter;
    bool has_tag = f && FERRY_HAS_FIELD(ferry_read_filter, f->struct_size, match_tag_hash) && f->match_tag_hash;
    bool has_rec = f && FERRY_HAS_FIELD(ferry_read_filter, f->struct_size, match_record) && f->match_record;
    r->slices.reserve(std::min<uint32_t>(max_count, 64));
    r->queue_offsets.reserve(std::min<uint32_t>(max_count, 64));
    ConsumeQueues::Cursor cursor;
    SegmentPtr seg;
    uint64_t bytes = 0;
    uint64_t i = off;
    uint64_t scanned = 0;
    bool moved = false;
    for (; i < max && scanned < kMaxScan; ++i, ++scanned) {
      CqEntry e;
      if (!queues_.get(*q, i, &e, &cursor) || e.commit_offset < log_min) {
        // Retention removed what this entry points to.
        if (r->slices.empty()) moved = true;
        break;
      }
      // The tag hash decides when it can (1 keep, 0 drop); undecided (-1)
      // or no tag test: the record test decides (none = keep).
      int m = has_tag ? f->match_tag_hash(f->user_data, e.tag_hash) : -1;
      if (m == 0) continue;
      if (!seg || e.commit_offset < seg->base() || e.commit_offset >= seg->end()) {
        seg = log_.pin(e.commit_offset);
        if (!seg) {
          if (r->slices.empty()) moved = true;
          break;
        }
      }
      if (!(req.flags & FERRY_READ_MAY_BLOCK) && cold(*seg, e.commit_offset, e.size)) {
        *error = "cold data";
        return FERRY_E_WOULD_BLOCK;
      }
      const char* rec = seg->data() + (e.commit_offset - seg->base());
      if (m < 0 && has_rec && f->match_record(f->user_data, rec, e.size) == 0) continue;
      if (!r->slices.empty() && bytes + e.size > req.max_bytes) break;
      r->add_pin(seg);
      r->slices.push_back(ferry_slice{rec, e.size});
      r->queue_offsets.push_back(i);
      bytes += e.size;
      if (r->slices.size() >= max_count) {
        ++i;
        break;
      }
    }
    if (moved) {
      pub.status = FERRY_READ_OFFSET_MOVED;
      pub.next_offset = queues_.first_at_or_after(*q, log_min);
      pub.min_offset = pub.next_offset;
    } else {
      pub.status = r->slices.empty() ? FERRY_READ_NO_MATCHED : FERRY_READ_FOUND;
      pub.next_offset = i;
    }
  }
  *out = r.release()->publish(true);
  return FERRY_OK;
}

ferry_status Store::read_at(uint64_t commit_offset, ferry_read_result** out, std::string* error) {
  uint64_t limit = std::min(env_.visible ? env_.visible() : log_.write_offset(), log_.write_offset());
  SegmentPtr seg = commit_offset < limit ? log_.pin(commit_offset) : nullptr;
  ferry_record_view v;
  if (!seg || ferry_record_decode(seg->data() + (commit_offset - seg->base()),
                                  seg->end() - commit_offset, &v) != FERRY_OK ||
      static_cast<uint64_t>(v.physical_offset) != commit_offset ||
      commit_offset + v.total_size > limit) {
    *error = "no visible record at commit offset " + std::to_string(commit_offset);
    return FERRY_E_NOT_FOUND;
  }
  auto r = std::make_unique<ReadResult>();
  r->add_pin(seg);
  r->slices.push_back(ferry_slice{seg->data() + (commit_offset - seg->base()), v.total_size});
  r->pub.status = FERRY_READ_FOUND;
  r->pub.next_offset = commit_offset + v.total_size;
  r->pub.min_offset = log_.min_offset();
  r->pub.max_offset = log_.write_offset();
  *out = r.release()->publish(false);
  return FERRY_OK;
}

ferry_status Store::read_log(uint64_t offset, uint32_t max_bytes, ferry_read_result** out,
                             std::string* error) {
  auto r = std::make_unique<ReadResult>();
  const uint64_t head = log_.write_offset();
  const uint64_t min = log_.min_offset();
  r->pub.min_offset = min;
  r->pub.max_offset = head;
  if (offset < min) {
    r->pub.status = FERRY_READ_OFFSET_MOVED;
    r->pub.next_offset = min;
  } else if (offset > head) {
    r->pub.status = FERRY_READ_OFFSET_OUT_OF_RANGE;
    r->pub.next_offset = head;
  } else if (offset == head) {
    r->pub.status = FERRY_READ_NO_NEW_MESSAGE;
    r->pub.next_offset = head;
  } else {
    uint64_t pos = offset;
    uint64_t total = 0;
    SegmentPtr seg;
    while (pos < head) {
      if (!seg || pos >= seg->end()) {
        seg = log_.pin(pos);
        if (!seg) break;
        r->add_pin(seg);
      }
      uint64_t start = pos;
      // Whole records (and a segment's blank) from pos, within max_bytes.
      while (pos < head && pos < seg->end()) {
        uint64_t rem = seg->end() - pos;
        uint32_t size;
        if (rem < FERRY_RECORD_MIN_BLANK) {
          size = static_cast<uint32_t>(rem);
        } else {
          ferry_record_view v;
          ferry_status st = ferry_record_decode(seg->data() + (pos - seg->base()), rem, &v);
          if (st != FERRY_OK && st != FERRY_E_NOT_FOUND) {
            *error = "read_log: no record boundary at commit offset " + std::to_string(pos);
            return pos == offset ? FERRY_E_INVALID_ARGUMENT : FERRY_E_CORRUPTED;
          }
          if (st == FERRY_OK && static_cast<uint64_t>(v.physical_offset) != pos) {
            *error = "read_log: offset " + std::to_string(pos) + " is not a record boundary";
            return FERRY_E_INVALID_ARGUMENT;
          }
          size = v.total_size;
        }
        if (total > 0 && total + size > max_bytes) break;
        pos += size;
        total += size;
      }
      if (pos > start)
        r->slices.push_back(ferry_slice{seg->data() + (start - seg->base()), pos - start});
      if (pos < seg->end() || total >= max_bytes) break;
    }
    r->pub.status = FERRY_READ_FOUND;
    r->pub.next_offset = pos;
  }
  *out = r.release()->publish(false);
  return FERRY_OK;
}

// The smallest queue offset whose record still exists: q->min_offset moves
// by whole queue files, retention by whole segments, so the entries between
// may point below the log's minimum.
uint64_t Store::readable_min(const ConsumeQueue& q) const {
  uint64_t min = q.min_offset.load();
  if (min >= q.max_offset.load()) return min;
  CqEntry e;
  MappedFilePtr hold;
  FileKey key{};
  const uint64_t log_min = log_.min_offset();
  if (queues_.get(q, min, &e, &hold, &key) && e.commit_offset >= log_min) return min;
  return queues_.first_at_or_after(q, log_min);
}

ferry_status Store::queue_range(std::string_view topic, int32_t queue_id, uint64_t* min,
                                uint64_t* max) {
  ConsumeQueuePtr q = queues_.find(topic, queue_id);
  *min = q ? readable_min(*q) : 0;
  *max = q ? q->max_offset.load() : 0;
  return FERRY_OK;
}

ferry_status Store::offset_for_time(std::string_view topic, int32_t queue_id, int64_t ts,
                                    uint64_t* queue_offset) {
  ConsumeQueuePtr q = queues_.find(topic, queue_id);
  if (!q) {
    *queue_offset = 0;
    return FERRY_OK;
  }
  *queue_offset = queues_.offset_for_time(
      *q, ts, [this](uint64_t off, int64_t* t) { return store_time_at(off, t); });
  return FERRY_OK;
}

ferry_status Store::query_key(std::string_view topic, std::string_view key, int64_t begin_ms,
                              int64_t end_ms, uint32_t max_count, ferry_read_result** out) {
  std::vector<uint64_t> cands;
  max_count = std::clamp<uint32_t>(max_count, 1, kMaxCount);
  index_.query(topic, key, begin_ms, end_ms, size_t{max_count} * 4 + 64, &cands);
  auto r = std::make_unique<ReadResult>();
  const uint64_t limit = std::min(env_.visible ? env_.visible() : log_.write_offset(), log_.write_offset());
  std::vector<uint64_t> seen;
  for (uint64_t off : cands) {
    if (r->slices.size() >= max_count) break;
    if (off >= limit || std::find(seen.begin(), seen.end(), off) != seen.end()) continue;
    seen.push_back(off);
    SegmentPtr seg = log_.pin(off);
    if (!seg) continue;
    ferry_record_view v;
    const char* rec = seg->data() + (off - seg->base());
    if (ferry_record_decode(rec, seg->end() - off, &v) != FERRY_OK ||
        static_cast<uint64_t>(v.physical_offset) != off || off + v.total_size > limit)
      continue;
    if (sv(v.topic) != topic || v.store_timestamp_ms < begin_ms || v.store_timestamp_ms > end_ms)
      continue;
    // The index holds hashes: keep only records that carry the key.
    bool match = false;
    ferry_slice val;
    if (ferry_property_find(v.properties, FERRY_PROP_UNIQ_KEY, &val) && sv(val) == key) match = true;
    if (!match && ferry_property_find(v.properties, FERRY_PROP_KEYS, &val)) {
      std::string_view ks = sv(val);
      size_t b = 0;
      while (!match && b <= ks.size()) {
        size_t sp = ks.find(' ', b);
        if (sp == std::string_view::npos) sp = ks.size();
        match = ks.substr(b, sp - b) == key;
        b = sp + 1;
      }
    }
    if (!match) continue;
    r->add_pin(seg);
    r->slices.push_back(ferry_slice{rec, v.total_size});
  }
  r->pub.status = r->slices.empty() ? FERRY_READ_NO_MATCHED : FERRY_READ_FOUND;
  r->pub.min_offset = log_.min_offset();
  r->pub.max_offset = log_.write_offset();
  *out = r.release()->publish(false);
  return FERRY_OK;
}

ferry_status Store::delete_topic(std::string_view topic) {
  queues_.remove_topic(topic);
  // The core dropped the entry holding its slot first. Hints may still name
  // the topic's queues: kept until the dispatcher passed the last one.
  auto keep = next_qoff_.erase(topic);
  if (!keep.empty()) retired_.push_back(Retired{hinted_end_, std::move(keep)});
  return FERRY_OK;
}

void Store::stats(ferry_storage_stats* out) const {
  uint32_t size = out->struct_size;
  ferry_storage_stats s{};
  s.struct_size = size;
  s.min_commit_offset = log_.min_offset();
  s.write_offset = log_.write_offset();
  s.dispatched_offset = dispatched_.load();
  auto segs = log_.segments();
  s.segment_count = segs.size();
  s.disk_bytes_used = segs.size() * opt_.segment_size;
  s.disk_used_ratio = disk_ratio_.load();
  s.mapped_files = segs.size() + queues_.cache_size() + index_.file_count();
  s.read_only = disk_full_.load();
  std::memcpy(out, &s, std::min<size_t>(size, sizeof s));
}

}  // namespace ferry::mmaplog
