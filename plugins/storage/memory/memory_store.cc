#include "memory_store.h"

#include <ferry/record.h>
#include <pthread.h>

#include <algorithm>
#include <cstring>

#include "ferry_common/record_encoder.h"
#include "ferry_common/record_verify.h"
#include "ferry_common/slice.h"

namespace ferry::memstore {

namespace {

using common::sv;
std::string_view qkey(std::string_view topic, int32_t qid, char (&buf)[160]) {
  size_t n = std::min<size_t>(topic.size(), sizeof buf - 5);
  std::memcpy(buf, topic.data(), n);
  buf[n] = '\0';
  std::memcpy(buf + n + 1, &qid, 4);
  return std::string_view(buf, n + 5);
}
std::string index_key(std::string_view topic, std::string_view key) {
  std::string k(topic);
  k.push_back('#');
  k.append(key);
  return k;
}
constexpr uint32_t kMaxCount = 4096;
constexpr uint64_t kMaxScan = 16'000;

struct Result {
  ferry_read_result pub{};
  std::vector<ferry_slice> slices;
  std::vector<uint64_t> qoffs;
  std::vector<ChunkPtr> pins;
  Result() {
    pub.struct_size = sizeof(pub);
    pub.release = [](ferry_read_result* self) {
      std::unique_ptr<Result> owned(static_cast<Result*>(self->private_data));
    };
    pub.private_data = this;
  }
  void pin(const ChunkPtr& c) {
    if (pins.empty() || pins.back() != c) pins.push_back(c);
  }
  ferry_read_result* publish(bool with_qoffs) {
    pub.count = slices.size();
    pub.records = slices.empty() ? nullptr : slices.data();
    pub.queue_offsets = with_qoffs && !qoffs.empty() ? qoffs.data() : nullptr;
    return &pub;
  }
};

}  // namespace

MemoryStore::MemoryStore(Options opt, Env env) : opt_(std::move(opt)), env_(std::move(env)) {
  active_ = new_chunk(0);
}

MemoryStore::~MemoryStore() { stop(); }

ChunkPtr MemoryStore::new_chunk(uint64_t base) {
  auto c = std::make_shared<Chunk>();
  c->base = base;
  c->size = opt_.chunk_size;
  c->data.reset(new char[opt_.chunk_size]());
  std::lock_guard lk(chunks_mu_);
  chunks_.push_back(c);
  return c;
}

ChunkPtr MemoryStore::chunk_at(uint64_t off) const {
  std::lock_guard lk(chunks_mu_);
  if (chunks_.empty() || off < chunks_.front()->base) return nullptr;
  size_t i = static_cast<size_t>((off - chunks_.front()->base) / opt_.chunk_size);
  return i < chunks_.size() ? chunks_[i] : nullptr;
}

void MemoryStore::drop_old_chunks() {
  std::vector<ChunkPtr> dropped;  // freed outside the lock (or later, when released)
  std::lock_guard lk(chunks_mu_);
  while (chunks_.size() > 1 && chunks_.size() * opt_.chunk_size > opt_.max_bytes) {
    dropped.push_back(chunks_.front());
    chunks_.erase(chunks_.begin());
    min_.store(chunks_.front()->base, std::memory_order_release);
  }
}

char* MemoryStore::reserve(uint32_t size, uint64_t* off) {
  uint64_t end = active_->base + active_->size;
  uint64_t rem = end - head_;
  if (size != rem && uint64_t{size} + FERRY_RECORD_MIN_BLANK > rem) {
    if (rem >= FERRY_RECORD_MIN_BLANK)
      common::encode_blank(active_->data.get() + (head_ - active_->base), static_cast<uint32_t>(rem));
    active_ = new_chunk(end);
    head_ = end;
    drop_old_chunks();
  }
  *off = head_;
  char* p = active_->data.get() + (head_ - active_->base);
  head_ += size;
  return p;
}

ferry_status MemoryStore::append(const ferry_message* const* msgs, size_t n,
                                 ferry_append_result* results, size_t* appended,
                                 uint64_t* write_offset, std::string* error) {
  const ferry_slice host{opt_.store_host.data(), opt_.store_host.size()};
  const int64_t now = env_.now_ms();
  ferry_status st = FERRY_OK;
  size_t i = 0;
  for (; i < n; ++i) {
    const ferry_message& m = *msgs[i];
    if (m.queue_id < 0) {
      *error = "message " + std::to_string(i) + ": queue_id must be >= 0";
      st = FERRY_E_INVALID_ARGUMENT;
      break;
    }
    common::RecordPlan plan;
    const char* why = nullptr;
    if ((st = common::plan_record(m, host.len, opt_.max_message_size, &plan, &why)) != FERRY_OK) {
      *error = "message " + std::to_string(i) + ": " + why;
      break;
    }
    char buf[160];
    auto key = qkey(sv(m.topic), m.queue_id, buf);
    auto it = next_qoff_.find(key);
    if (it == next_qoff_.end()) it = next_qoff_.emplace(std::string(key), 0).first;
    uint64_t off = 0;
    char* dst = reserve(plan.size, &off);
    common::RecordStamp stamp;
    stamp.queue_offset = it->second;
    stamp.physical_offset = off;
    stamp.store_timestamp_ms = now;
    stamp.store_host = host;
    stamp.store_port = opt_.store_port;
    common::encode_record(m, plan, stamp, dst);
    results[i].struct_size = sizeof(ferry_append_result);
    results[i].commit_offset = off;
    results[i].size = plan.size;
    results[i].queue_id = m.queue_id;
    results[i].queue_offset = it->second++;
    results[i].store_timestamp_ms = now;
  }
  write_.store(head_, std::memory_order_release);
  *appended = i;
  *write_offset = head_;
  return st;
}

ferry_status MemoryStore::append_raw(uint64_t off, ferry_slice bytes, uint64_t* write_offset,
                                     std::string* error) {
  *write_offset = head_;
  if (off != head_) {
    *error = "append_raw at " + std::to_string(off) + " but the log ends at " + std::to_string(head_);
    return FERRY_E_INVALID_ARGUMENT;
  }
  auto* p = static_cast<const char*>(bytes.data);
  struct Seen {
    std::string_view topic;
    int32_t qid;
    uint64_t qoff;
  };
  std::vector<Seen> seen;
  for (size_t pos = 0; pos < bytes.len;) {
    uint64_t at = off + pos;
    uint64_t rem = (at / opt_.chunk_size + 1) * opt_.chunk_size - at;
    ferry_record_view v;
    const char* why = nullptr;
    ferry_status vs = common::verify_record(p + pos, std::min<uint64_t>(bytes.len - pos, rem), &v, &why);
    if (vs == FERRY_E_NOT_FOUND && v.total_size == rem) {
      pos += rem;
      continue;
    }
    if (vs != FERRY_OK || static_cast<uint64_t>(v.physical_offset) != at) {
      *error = "append_raw: bad record at commit offset " + std::to_string(at) + ": " +
               (vs == FERRY_OK ? "PHYSICALOFFSET does not match" : why);
      return FERRY_E_CORRUPTED;
    }
    seen.push_back({sv(v.topic), v.queue_id, static_cast<uint64_t>(v.queue_offset)});
    pos += v.total_size;
  }
  for (size_t pos = 0; pos < bytes.len;) {
    uint64_t end = active_->base + active_->size;
    if (head_ == end) {
      active_ = new_chunk(end);
      drop_old_chunks();
    }
    size_t n = static_cast<size_t>(std::min<uint64_t>(bytes.len - pos, active_->base + active_->size - head_));
    std::memcpy(active_->data.get() + (head_ - active_->base), p + pos, n);
    head_ += n;
    pos += n;
  }
  for (auto& s : seen) {
    char buf[160];
    auto key = qkey(s.topic, s.qid, buf);
    auto it = next_qoff_.find(key);
    if (it == next_qoff_.end()) it = next_qoff_.emplace(std::string(key), 0).first;
    it->second = std::max(it->second, s.qoff + 1);
  }
  write_.store(head_, std::memory_order_release);
  *write_offset = head_;
  return FERRY_OK;
}

void MemoryStore::start() {
  std::lock_guard lk(mu_);
  if (running_) return;
  running_ = true;
  dispatcher_ = std::thread([this] { dispatch_loop(); });
}

void MemoryStore::stop() {
  {
    std::lock_guard lk(mu_);
    running_ = false;
  }
  cv_.notify_all();
  if (dispatcher_.joinable()) dispatcher_.join();
}

void MemoryStore::on_visible() {
  {
    std::lock_guard lk(mu_);
    wake_ = true;
  }
  cv_.notify_one();
}

void MemoryStore::dispatch_loop() {
  ::pthread_setname_np(::pthread_self(), "ferry-dispatch");  // for top -H, perf, gdb
  for (;;) {
    uint64_t w = write_offset();
    uint64_t limit = std::min(env_.visible ? env_.visible() : w, w);
    if (dispatched_.load() < limit) {
      dispatch_some(limit);
      continue;
    }
    std::unique_lock lk(mu_);
    if (!running_) return;
    if (!wake_) cv_.wait_for(lk, std::chrono::milliseconds(opt_.dispatch_poll_ms));
    wake_ = false;
    if (!running_) return;
  }
}

void MemoryStore::dispatch_some(uint64_t limit) {
  thread_local std::vector<ferry_dispatch_entry> batch;
  batch.clear();
  std::vector<ChunkPtr> pins;
  uint64_t pos = std::max(dispatched_.load(), min_offset());
  {
    std::unique_lock lk(q_mu_);
    ChunkPtr c;
    while (pos < limit && batch.size() < 1024) {
      if (!c || pos >= c->base + c->size) {
        c = chunk_at(pos);
        if (!c) break;
        pins.push_back(c);
      }
      uint64_t rem = c->base + c->size - pos;
      ferry_record_view v;
      ferry_status st = rem < FERRY_RECORD_MIN_BLANK ? FERRY_E_NOT_FOUND
                                                     : ferry_record_decode(c->data.get() + (pos - c->base), rem, &v);
      if (st != FERRY_OK) {  // blank (or the short tail): next chunk
        pos = c->base + c->size;
        continue;
      }
      char buf[160];
      auto key = qkey(sv(v.topic), v.queue_id, buf);
      auto it = queues_.find(key);
      if (it == queues_.end()) it = queues_.emplace(std::string(key), Queue{}).first;
      Queue& q = it->second;
      ferry_slice tag;
      int64_t th = ferry_property_find(v.properties, FERRY_PROP_TAGS, &tag) ? ferry_tag_hash(tag) : 0;
      uint64_t qoff = static_cast<uint64_t>(v.queue_offset);
      if (q.entries.empty()) q.min = qoff;
      if (qoff == q.min + q.entries.size())
        q.entries.push_back(Entry{pos, v.total_size, th, v.store_timestamp_ms});
      ferry_slice keys;
      if (ferry_property_find(v.properties, FERRY_PROP_KEYS, &keys)) {
        std::string_view ks = sv(keys);
        for (size_t b = 0; b < ks.size();) {
          size_t sp = ks.find(' ', b);
          if (sp == std::string_view::npos) sp = ks.size();
          if (sp > b) keys_.emplace(index_key(sv(v.topic), ks.substr(b, sp - b)), pos);
          b = sp + 1;
        }
      }
      ferry_slice uniq;
      if (ferry_property_find(v.properties, FERRY_PROP_UNIQ_KEY, &uniq) && uniq.len)
        keys_.emplace(index_key(sv(v.topic), sv(uniq)), pos);
      ferry_dispatch_entry de;
      de.struct_size = sizeof(de);
      de.topic = v.topic;
      de.queue_id = v.queue_id;
      de.queue_offset = qoff;
      de.tag_hash = th;
      batch.push_back(de);
      pos += v.total_size;
    }
  }
  dispatched_.store(pos, std::memory_order_release);
  if (listener_ && !batch.empty()) listener_(listener_data_, batch.data(), batch.size(), pos);
}

ferry_status MemoryStore::read_queue(const ferry_read_request& req, ferry_read_result** out) {
  auto r = std::make_unique<Result>();
  std::shared_lock lk(q_mu_);
  char buf[160];
  auto it = queues_.find(qkey(sv(req.topic), req.queue_id, buf));
  const Queue* q = it == queues_.end() ? nullptr : &it->second;
  uint64_t min = q ? q->min : 0, max = q ? q->min + q->entries.size() : 0;
  const uint64_t log_min = min_offset();
  // Entries whose chunk was dropped are gone: the readable min moves up.
  if (q) {
    auto first = std::lower_bound(q->entries.begin(), q->entries.end(), log_min,
                                  [](const Entry& e, uint64_t m) { return e.commit_offset < m; });
    min = q->min + static_cast<uint64_t>(first - q->entries.begin());
  }
  r->pub.min_offset = min;
  r->pub.max_offset = max;
  uint64_t off = req.queue_offset;
  if (off < min) {
    r->pub.status = FERRY_READ_OFFSET_MOVED;
    r->pub.next_offset = min;
  } else if (off > max) {
    r->pub.status = FERRY_READ_OFFSET_OUT_OF_RANGE;
    r->pub.next_offset = max;
  } else if (off == max) {
    r->pub.status = FERRY_READ_NO_NEW_MESSAGE;
    r->pub.next_offset = max;
  } else {
    const ferry_read_filter* f = req.filter;
    bool has_tag = f && FERRY_HAS_FIELD(ferry_read_filter, f->struct_size, match_tag_hash) && f->match_tag_hash;
    bool has_rec = f && FERRY_HAS_FIELD(ferry_read_filter, f->struct_size, match_record) && f->match_record;
    uint32_t max_count = std::clamp<uint32_t>(req.max_count, 1, kMaxCount);
    uint64_t bytes = 0, i = off, scanned = 0;
    ChunkPtr c;
    for (; i < max && scanned < kMaxScan; ++i, ++scanned) {
      const Entry& e = q->entries[i - q->min];
      int m = has_tag ? f->match_tag_hash(f->user_data, e.tag_hash) : -1;
      if (m == 0) continue;
      if (!c || e.commit_offset < c->base || e.commit_offset >= c->base + c->size) {
        c = chunk_at(e.commit_offset);
        if (!c) break;
      }
      const char* rec = c->data.get() + (e.commit_offset - c->base);
      if (m < 0 && has_rec && f->match_record(f->user_data, rec, e.size) == 0) continue;
      if (!r->slices.empty() && bytes + e.size > req.max_bytes) break;
      r->pin(c);
      r->slices.push_back(ferry_slice{rec, e.size});
      r->qoffs.push_back(i);
      bytes += e.size;
      if (r->slices.size() >= max_count) {
        ++i;
        break;
      }
    }
    r->pub.status = r->slices.empty() ? FERRY_READ_NO_MATCHED : FERRY_READ_FOUND;
    r->pub.next_offset = i;
  }
  *out = r.release()->publish(true);
  return FERRY_OK;
}

ferry_status MemoryStore::read_at(uint64_t off, ferry_read_result** out, std::string* error) {
  uint64_t limit = std::min(env_.visible ? env_.visible() : write_offset(), write_offset());
  ChunkPtr c = off < limit ? chunk_at(off) : nullptr;
  ferry_record_view v;
  if (!c || ferry_record_decode(c->data.get() + (off - c->base), c->base + c->size - off, &v) != FERRY_OK ||
      static_cast<uint64_t>(v.physical_offset) != off || off + v.total_size > limit) {
    *error = "no visible record at commit offset " + std::to_string(off);
    return FERRY_E_NOT_FOUND;
  }
  auto r = std::make_unique<Result>();
  r->pin(c);
  r->slices.push_back(ferry_slice{c->data.get() + (off - c->base), v.total_size});
  r->pub.status = FERRY_READ_FOUND;
  r->pub.next_offset = off + v.total_size;
  r->pub.min_offset = min_offset();
  r->pub.max_offset = write_offset();
  *out = r.release()->publish(false);
  return FERRY_OK;
}

ferry_status MemoryStore::read_log(uint64_t off, uint32_t max_bytes, ferry_read_result** out,
                                   std::string* error) {
  auto r = std::make_unique<Result>();
  const uint64_t head = write_offset(), min = min_offset();
  r->pub.min_offset = min;
  r->pub.max_offset = head;
  if (off < min) {
    r->pub.status = FERRY_READ_OFFSET_MOVED;
    r->pub.next_offset = min;
  } else if (off > head) {
    r->pub.status = FERRY_READ_OFFSET_OUT_OF_RANGE;
    r->pub.next_offset = head;
  } else if (off == head) {
    r->pub.status = FERRY_READ_NO_NEW_MESSAGE;
    r->pub.next_offset = head;
  } else {
    uint64_t pos = off, total = 0;
    while (pos < head) {
      ChunkPtr c = chunk_at(pos);
      if (!c) break;
      r->pin(c);
      uint64_t start = pos, cend = c->base + c->size;
      while (pos < head && pos < cend) {
        uint64_t rem = cend - pos;
        uint32_t size;
        if (rem < FERRY_RECORD_MIN_BLANK) {
          size = static_cast<uint32_t>(rem);
        } else {
          ferry_record_view v;
          ferry_status st = ferry_record_decode(c->data.get() + (pos - c->base), rem, &v);
          if ((st != FERRY_OK && st != FERRY_E_NOT_FOUND) ||
              (st == FERRY_OK && static_cast<uint64_t>(v.physical_offset) != pos)) {
            *error = "read_log: " + std::to_string(pos) + " is not a record boundary";
            return FERRY_E_INVALID_ARGUMENT;
          }
          size = v.total_size;
        }
        if (total > 0 && total + size > max_bytes) break;
        pos += size;
        total += size;
      }
      if (pos > start) r->slices.push_back(ferry_slice{c->data.get() + (start - c->base), pos - start});
      if (pos < cend || total >= max_bytes) break;
    }
    r->pub.status = FERRY_READ_FOUND;
    r->pub.next_offset = pos;
  }
  *out = r.release()->publish(false);
  return FERRY_OK;
}

void MemoryStore::queue_range(std::string_view topic, int32_t qid, uint64_t* min, uint64_t* max) {
  std::shared_lock lk(q_mu_);
  char buf[160];
  auto it = queues_.find(qkey(topic, qid, buf));
  if (it == queues_.end()) {
    *min = *max = 0;
    return;
  }
  const Queue& q = it->second;
  auto first = std::lower_bound(q.entries.begin(), q.entries.end(), min_offset(),
                                [](const Entry& e, uint64_t m) { return e.commit_offset < m; });
  *min = q.min + static_cast<uint64_t>(first - q.entries.begin());
  *max = q.min + q.entries.size();
}

uint64_t MemoryStore::offset_for_time(std::string_view topic, int32_t qid, int64_t ts) {
  std::shared_lock lk(q_mu_);
  char buf[160];
  auto it = queues_.find(qkey(topic, qid, buf));
  if (it == queues_.end()) return 0;
  const Queue& q = it->second;
  auto first = std::lower_bound(q.entries.begin(), q.entries.end(), ts,
                                [](const Entry& e, int64_t t) { return e.store_ms < t; });
  return q.min + static_cast<uint64_t>(first - q.entries.begin());
}

ferry_status MemoryStore::query_key(std::string_view topic, std::string_view key, int64_t begin_ms,
                                    int64_t end_ms, uint32_t max_count, ferry_read_result** out) {
  std::vector<uint64_t> offs;
  {
    std::shared_lock lk(q_mu_);
    auto [b, e] = keys_.equal_range(index_key(topic, key));
    for (auto it = b; it != e; ++it) offs.push_back(it->second);
  }
  std::sort(offs.rbegin(), offs.rend());  // newest first
  offs.erase(std::unique(offs.begin(), offs.end()), offs.end());
  auto r = std::make_unique<Result>();
  uint64_t limit = std::min(env_.visible ? env_.visible() : write_offset(), write_offset());
  for (uint64_t off : offs) {
    if (r->slices.size() >= std::clamp<uint32_t>(max_count, 1, kMaxCount)) break;
    ChunkPtr c = off < limit ? chunk_at(off) : nullptr;
    if (!c) continue;
    ferry_record_view v;
    const char* rec = c->data.get() + (off - c->base);
    if (ferry_record_decode(rec, c->base + c->size - off, &v) != FERRY_OK) continue;
    if (v.store_timestamp_ms < begin_ms || v.store_timestamp_ms > end_ms) continue;
    r->pin(c);
    r->slices.push_back(ferry_slice{rec, v.total_size});
  }
  r->pub.status = r->slices.empty() ? FERRY_READ_NO_MATCHED : FERRY_READ_FOUND;
  r->pub.min_offset = min_offset();
  r->pub.max_offset = write_offset();
  *out = r.release()->publish(false);
  return FERRY_OK;
}

void MemoryStore::delete_topic(std::string_view topic) {
  std::unique_lock lk(q_mu_);
  for (auto it = queues_.begin(); it != queues_.end();) {
    std::string_view k = it->first;
    if (k.size() == topic.size() + 5 && k.substr(0, topic.size()) == topic && k[topic.size()] == '\0')
      it = queues_.erase(it);
    else
      ++it;
  }
  for (auto it = next_qoff_.begin(); it != next_qoff_.end();) {
    std::string_view k = it->first;
    if (k.size() == topic.size() + 5 && k.substr(0, topic.size()) == topic && k[topic.size()] == '\0')
      it = next_qoff_.erase(it);
    else
      ++it;
  }
}

void MemoryStore::stats(ferry_storage_stats* out) const {
  ferry_storage_stats s{};
  s.struct_size = out->struct_size;
  s.min_commit_offset = min_offset();
  s.write_offset = write_offset();
  s.dispatched_offset = dispatched_.load();
  {
    std::lock_guard lk(chunks_mu_);
    s.segment_count = chunks_.size();
    s.disk_bytes_used = 0;
  }
  std::memcpy(out, &s, std::min<size_t>(out->struct_size, sizeof s));
}

}  // namespace ferry::memstore
