#include "store.h"

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "checkpoint.h"
#include "ferry_common/record_encoder.h"
#include "ferry_common/record_verify.h"
#include "ferry_common/slice.h"

namespace ferry::mmaplog {

namespace {

using common::sv;

int64_t tag_hash_of(ferry_slice props) {
  ferry_slice tag;
  if (!ferry_property_find(props, FERRY_PROP_TAGS, &tag)) return 0;
  return ferry_tag_hash(tag);
}

// The decode reads a record's head and its tail (~1 KiB apart), written on
// the loop's core: a sparse stride the hardware does not prefetch across
// pages, and the tail's load was ~85 % of the decode's samples. Every line
// kPrefetchAhead ahead of `pos` is asked for once (`*prefetched`: lines
// below it were), within the written bytes of this segment (a prefetch
// never faults).
void prefetch_ahead(const Segment& seg, uint64_t pos, uint64_t limit, uint64_t* prefetched) {
  constexpr uint64_t kPrefetchAhead = 8192;
  const uint64_t ahead = std::min({pos + kPrefetchAhead, limit, seg.end()});
  for (*prefetched = std::max(*prefetched, pos); *prefetched < ahead; *prefetched += 64)
    __builtin_prefetch(seg.data() + (*prefetched - seg.base()));
}

// The record at *pos of `seg`, decoded (prefetching ahead of it). A tail too
// short for a record or the segment's end marker moves *pos to the segment's
// end and returns FERRY_E_NOT_FOUND; any other failure is the decode's.
ferry_status decode_next(const Segment& seg, uint64_t* pos, uint64_t limit, uint64_t* prefetched,
                         ferry_record_view* v) {
  const uint64_t rem = seg.end() - *pos;
  if (rem < FERRY_RECORD_MIN_BLANK) {
    *pos = seg.end();
    return FERRY_E_NOT_FOUND;
  }
  prefetch_ahead(seg, *pos, limit, prefetched);
  const ferry_status st = ferry_record_decode(seg.data() + (*pos - seg.base()), rem, v);
  if (st == FERRY_E_NOT_FOUND) *pos = seg.end();
  return st;
}

}  // namespace

// The writer named the record's queue (dispatch_hints.h); else by name, with
// `cq` a one-entry cache and a queue found by name kept alive in `keep`.
ConsumeQueue* Store::queue_of(uint64_t pos, const ferry_record_view& v, ConsumeQueuePtr& cq,
                              std::vector<ConsumeQueuePtr>& keep) {
  ConsumeQueue* q = hints_.take(pos);
  if (q && q->queue_id == v.queue_id) return q;
  std::string_view topic = sv(v.topic);
  if (!cq || cq->queue_id != v.queue_id || cq->topic != topic) {
    cq = queues_.find_or_create(topic, v.queue_id);
    keep.push_back(cq);
  }
  return cq.get();
}

Store::Store(const Options& opt, std::shared_ptr<Io> io, Env env)
    : opt_(opt), io_(std::move(io)), env_(std::move(env)), log_(opt_, *io_, env_),
      queues_(opt_, *io_), index_(opt_, *io_) {
  store_host_ = opt_.store_host;
  hot_distance_ = opt_.hot_read_distance;
  if (hot_distance_ == 0) {
    // RocketMQ's accessMessageInMemoryMaxRatio: data within 40% of RAM of
    // the head is assumed to be in the page cache.
    long pages = ::sysconf(_SC_PHYS_PAGES);
    long page = ::sysconf(_SC_PAGESIZE);
    hot_distance_ = pages > 0 && page > 0 ? static_cast<uint64_t>(pages) * page / 10 * 4 : (1ull << 30);
  }
  undo_.reserve(256);
}

Store::~Store() { stop(); }

void Store::log(ferry_log_level level, const std::string& text) const {
  if (env_.log) env_.log(level, text);
}

ferry_status Store::open(const Options& opt, std::shared_ptr<Io> io, Env env,
                         std::unique_ptr<Store>* out, std::string* error) {
  if (opt.max_message_size + FERRY_RECORD_MIN_BLANK > opt.segment_size) {
    *error = "max_message_size must be smaller than segment_size";
    return FERRY_E_CONFIG;
  }
  std::unique_ptr<Store> s(new Store(opt, std::move(io), std::move(env)));
  if (ferry_status st = s->recover(error); st != FERRY_OK) return st;
  *out = std::move(s);
  return FERRY_OK;
}

void Store::note_record(std::string_view topic, int32_t queue_id, uint64_t queue_offset) {
  uint64_t& next = next_qoff_.get(topic).at(queue_id).next;
  next = std::max(next, queue_offset + 1);
}

ferry_status Store::recover(std::string* error) {
  if (int rc = io_->mkdirs(opt_.dir); rc < 0) {
    *error = "cannot create storage directory " + opt_.dir + ": " + std::strerror(-rc);
    return FERRY_E_IO;
  }
  Checkpoint cp;
  bool have_cp = read_checkpoint(*io_, opt_.dir, &cp);
  std::string abort_path = opt_.dir + "/abort";
  int afd = io_->open(abort_path, O_RDONLY, 0);
  bool crashed = afd >= 0;
  if (afd >= 0) io_->close(afd);
  recovered_dirty_ = crashed || !have_cp;
  // Clean: only records the consume queues lack are scanned. After a crash:
  // from the older of "durable" and "indexed" — everything after either may
  // be torn, so every record from there is verified.
  uint64_t scan_from = !have_cp ? 0 : crashed ? std::min(cp.dispatched, cp.log_synced) : cp.dispatched;
  if (crashed) {
    log(FERRY_LOG_WARN, "storage was not shut down cleanly: recovering from commit log offset " +
                            std::to_string(scan_from));
  }
  // Mark the store open: a crash from here on is recovered next time.
  int fd = io_->open(abort_path, O_WRONLY | O_CREAT, 0644);
  if (fd < 0) {
    *error = "cannot create " + abort_path + ": " + std::strerror(-fd);
    return FERRY_E_IO;
  }
  io_->fdatasync(fd);
  io_->close(fd);
  io_->sync_dir(opt_.dir);

  bool truncated = false;
  uint64_t scanned = 0;
  // The dispatcher re-indexes from `redo`; each queue's first record at or
  // past it is where that queue's entries will be rewritten (see repair).
  const uint64_t redo = have_cp ? cp.dispatched : 0;
  std::unordered_map<std::string, uint64_t, SvHash, std::equal_to<>> rewritten_from;
  ferry_status st = log_.open(
      scan_from, have_cp && !crashed ? cp.log_end : UINT64_MAX,
      [&](const ferry_record_view& v, uint64_t off) {
        note_record(sv(v.topic), v.queue_id, static_cast<uint64_t>(v.queue_offset));
        ++scanned;
        if (recovered_dirty_ && off >= redo) {
          char buf[160];
          std::string_view key = queue_key(sv(v.topic), v.queue_id, buf);
          if (rewritten_from.find(key) == rewritten_from.end())
            rewritten_from.emplace(std::string(key), static_cast<uint64_t>(v.queue_offset));
        }
      },
      error, &truncated);
  if (st != FERRY_OK) return st;
  uint64_t end = log_.write_offset();
  if ((st = queues_.load(end, error)) != FERRY_OK) return st;
  uint64_t dispatch_from = have_cp ? std::min(cp.dispatched, end) : log_.min_offset();
  if (recovered_dirty_ &&
      (st = repair_queues(rewritten_from, &dispatch_from, error)) != FERRY_OK)
    return st;
  queues_.for_each([&](const ConsumeQueuePtr& q) {
    if (q->max_offset.load() > 0) note_record(q->topic, q->queue_id, q->max_offset.load() - 1);
  });
  if ((st = index_.load(recovered_dirty_ || truncated, error)) != FERRY_OK) return st;
  dispatched_.store(std::max(dispatch_from, log_.min_offset()));
  published_.store(dispatched_.load());
  refresh_disk_usage();
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "storage at %s: commit log %llu..%llu (%zu records verified), %zu consume queues, "
                "write_mode %s; disk_max_used_ratio %.2f, disk is %.1f%% used",
                opt_.dir.c_str(), static_cast<unsigned long long>(log_.min_offset()),
                static_cast<unsigned long long>(end), static_cast<size_t>(scanned),
                queues_.count(), opt_.write_mode == WriteMode::Mmap ? "mmap" : "pwrite",
                opt_.disk_max_used_ratio, disk_ratio_.load() * 100);
  log(FERRY_LOG_INFO, buf);
  return FERRY_OK;
}

// Does `e`, read at queue offset `qoff` of `q`, describe a record the log
// holds — that record's offset, size, topic, queue, queue offset and tag
// hash? Entries of records retention removed cannot be checked and pass.
bool Store::entry_matches(const ConsumeQueue& q, uint64_t qoff, const CqEntry& e) const {
  if (e.size == 0 || e.size > opt_.segment_size) return false;
  const uint64_t log_min = log_.min_offset();
  if (e.commit_offset < log_min) return e.commit_offset + e.size <= log_min;
  if (e.commit_offset >= log_.write_offset() || e.size > log_.write_offset() - e.commit_offset)
    return false;
  SegmentPtr seg = log_.pin(e.commit_offset);
  if (!seg || e.size > seg->end() - e.commit_offset) return false;
  ferry_record_view v;
  if (ferry_record_decode(seg->data() + (e.commit_offset - seg->base()), e.size, &v) != FERRY_OK)
    return false;
  return v.total_size == e.size && static_cast<uint64_t>(v.physical_offset) == e.commit_offset &&
         v.queue_id == q.queue_id && static_cast<uint64_t>(v.queue_offset) == qoff &&
         sv(v.topic) == q.topic && tag_hash_of(v.properties) == e.tag_hash;
}

// After a crash, consume-queue bytes written since the last checkpoint may
// be torn (the checkpoint made the queues durable only for records below
// cp.dispatched). Per queue:
//  - with records at or past the redo point, the entries from the first
//    such record's queue offset on are rewritten by the dispatcher, so the
//    queue is cut at the first of them that does not match the log;
//  - without, every entry it may keep points below the redo point, and
//    "matches the log" holds for a prefix: binary search for its end.
// Either way the entries just below the cut are checked back to the first
// good one (a page torn across the checkpoint); bad ones move the cut down
// and the redo point back to the end of the last good entry's record. Everything past
// the cut is zeroed on disk, so no torn entry is ever trusted later.
ferry_status Store::repair_queues(
    const std::unordered_map<std::string, uint64_t, SvHash, std::equal_to<>>& rewritten_from,
    uint64_t* dispatch_from, std::string* error) {
  constexpr uint64_t kTornWindow = 4096 / kCqEntrySize + 2;  // a page's entries
  ferry_status st = FERRY_OK;
  size_t cut_short = 0;
  queues_.for_each([&](const ConsumeQueuePtr& q) {
    if (st != FERRY_OK) return;
    MappedFilePtr hold;
    FileKey key{};
    auto good = [&](uint64_t qoff, CqEntry* e) {
      return queues_.get(*q, qoff, e, &hold, &key) && entry_matches(*q, qoff, *e);
    };
    const uint64_t min = q->min_offset.load();
    char buf[160];
    auto it = rewritten_from.find(queue_key(q->topic, q->queue_id, buf));
    uint64_t keep;
    if (it != rewritten_from.end()) {
      // Entries that still match stay readable until they are rewritten.
      keep = std::max(it->second, min);
      const uint64_t end = queues_.files_end(*q);
      CqEntry e;
      while (keep < end && good(keep, &e)) ++keep;
    } else {
      uint64_t lo = min, hi = queues_.files_end(*q);
      CqEntry e;
      while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (good(mid, &e)) lo = mid + 1; else hi = mid;
      }
      keep = lo;
    }
    uint64_t lowest = keep;
    CqEntry e;
    while (lowest > min && keep - lowest < kTornWindow && !good(lowest - 1, &e)) --lowest;
    if (lowest < keep) {
      uint64_t resume = log_.min_offset();
      if (lowest > min && good(lowest - 1, &e)) resume = e.commit_offset + e.size;
      *dispatch_from = std::min(*dispatch_from, resume);
      keep = lowest;
    }
    hold.reset();
    bool zeroed = false;
    st = queues_.cut(*q, keep, &zeroed, error);
    if (zeroed) ++cut_short;
  });
  if (st == FERRY_OK && cut_short > 0) {
    log(FERRY_LOG_WARN, "recovery: " + std::to_string(cut_short) +
                            " consume queues had torn or stale entries past the last checkpoint; "
                            "they are zeroed and rebuilt from the commit log");
  }
  return st;
}

void Store::start() {
  std::lock_guard lk(mu_);
  if (running_) return;
  running_ = true;
  stopped_ = false;
  log_.start();
  inline_ok_.store(true, std::memory_order_release);
  dispatcher_ = std::thread([this] { dispatch_loop(); });
  housekeeper_ = std::thread([this] { housekeeping_loop(); });
}

bool Store::halt() {
  {
    std::lock_guard lk(mu_);
    if (stopped_) return false;
    stopped_ = true;
    running_ = false;
  }
  inline_ok_.store(false, std::memory_order_release);
  dispatch_cv_.notify_all();
  house_cv_.notify_all();
  if (dispatcher_.joinable()) dispatcher_.join();
  if (housekeeper_.joinable()) housekeeper_.join();
  log_.stop();
  return true;
}

void Store::stop() {
  if (!halt()) return;
  std::string err;
  uint64_t synced = 0, written = 0;
  if (log_.end_turn(&written, &err) != FERRY_OK ||  // anything still staged
      log_.sync(log_.write_offset(), &synced, &err) != FERRY_OK ||
      checkpoint_now(&err) != FERRY_OK) {
    log(FERRY_LOG_ERROR, "storage shutdown is not clean: " + err);
    return;  // the abort marker stays: the next start recovers
  }
  io_->unlink(opt_.dir + "/abort");
  io_->sync_dir(opt_.dir);
}

void Store::abandon() { halt(); }

void Store::refresh_disk_usage() {
  double ratio = 0;
  if (io_->disk_used_ratio(opt_.dir, &ratio) == 0) {
    disk_ratio_.store(ratio);
    disk_full_.store(ratio > opt_.disk_max_used_ratio);
  }
}

ferry_status Store::append(const ferry_message* const* msgs, size_t n,
                           ferry_append_result* results, size_t* appended,
                           uint64_t* write_offset, std::string* error) {
  *appended = 0;
  *write_offset = log_.write_offset();
  if (disk_full_.load(std::memory_order_relaxed)) {
    char buf[512];
    std::snprintf(buf, sizeof buf,
                  "disk full: %s is %.1f%% used, above disk_max_used_ratio %.2f; appends are "
                  "refused until retention or an operator frees space (reads continue)",
                  log_.dir().c_str(), disk_ratio_.load() * 100, opt_.disk_max_used_ratio);
    *error = buf;
    return FERRY_E_DISK_FULL;
  }
  const ferry_slice host{store_host_.data(), store_host_.size()};
  const int64_t now = env_.now_ms();
  ferry_status st = FERRY_OK;
  size_t i = 0;
  undo_.clear();
  // Queues of deleted topics that hints named: freed once dispatched past.
  while (!retired_.empty() && dispatched_.load(std::memory_order_acquire) >= retired_.front().upto)
    retired_.erase(retired_.begin());
  // With thousands of topics each message's queue slot is a cold line
  // (~0.2 us/msg at 10,000 topics, docs/benchmarks.md "Session 15 (topics)"):
  // ask for them all first, so the misses overlap instead of stalling the
  // encode loop below one after another. Only slots the core already filled.
  for (size_t k = 0; k < n; ++k) {
    const ferry_message& m = *msgs[k];
    if (!FERRY_HAS_FIELD(ferry_message, m.struct_size, storage_slot) || !m.storage_slot) continue;
    if (auto* to = static_cast<TopicOffsets*>(*m.storage_slot);
        to && m.queue_id >= 0 && m.queue_id < TopicOffsets::kInline)
      __builtin_prefetch(&to->q[m.queue_id], 1);
  }
  log_.begin_batch();
  st = log_.check_writable(error);
  for (; st == FERRY_OK && i < n; ++i) {
    const ferry_message& m = *msgs[i];
    if (m.queue_id < 0) {
      *error = "message " + std::to_string(i) + ": queue_id " + std::to_string(m.queue_id) +
               " (the core picks a queue before storage)";
      st = FERRY_E_INVALID_ARGUMENT;
      break;
    }
    common::RecordPlan plan;
    const char* why = nullptr;
    st = common::plan_record(m, host.len, opt_.max_message_size, &plan, &why);
    if (st != FERRY_OK) {
      *error = "message " + std::to_string(i) + ": " + why;
      break;
    }
    // The topic's offsets through the core's slot when it passes one (see
    // topic_offsets.h), else by name; a slot is filled on its first use.
    void** slot = FERRY_HAS_FIELD(ferry_message, m.struct_size, storage_slot) ? m.storage_slot : nullptr;
    TopicOffsets* to = slot ? static_cast<TopicOffsets*>(*slot) : nullptr;
    if (!to) {
      to = &next_qoff_.get(sv(m.topic));
      if (slot) *slot = to;
    }
    QueueSlot& qs = to->at(m.queue_id);
    uint64_t& next = qs.next;
    char* dst = nullptr;
    uint64_t off = 0;
    st = log_.reserve(plan.size, &dst, &off, error);
    if (st != FERRY_OK) break;
    if (!qs.cq) {  // the queue's first append: name its consume queue once
      to->keep.push_back(queues_.find_or_create(sv(m.topic), m.queue_id));
      qs.cq = to->keep.back().get();
    }
    if (hints_.stage(off, qs.cq)) hinted_end_ = off + 1;
    common::RecordStamp stamp;
    stamp.queue_offset = next;
    stamp.physical_offset = off;
    stamp.store_timestamp_ms = now;
    stamp.store_host = host;
    stamp.store_port = opt_.store_port;
    common::encode_record(m, plan, stamp, dst);
    ferry_append_result& r = results[i];
    r.struct_size = sizeof(r);
    r.commit_offset = off;
    r.size = plan.size;
    r.queue_id = m.queue_id;
    r.queue_offset = next;
    r.store_timestamp_ms = now;
    undo_.push_back(Undo{&next, next});
    ++next;
  }
  uint64_t head = 0;
  std::string end_error;
  ferry_status est = log_.end_batch(&head, &end_error);
  size_t stored = i;
  if (est != FERRY_OK) {
    // The pwrite path failed part-way: keep the prefix that reached the file.
    stored = 0;
    while (stored < i && results[stored].commit_offset + results[stored].size <= head) ++stored;
    if (st == FERRY_OK) {
      st = est;
      *error = end_error;
    }
  }
  for (size_t k = undo_.size(); k > stored; --k) *undo_[k - 1].slot = undo_[k - 1].value;
  hints_.publish(stored);  // staged in order from the batch's first message
  if (st == FERRY_E_DISK_FULL) disk_full_.store(true);
  *appended = stored;
  // What is in the file: with turn staging the batch may still be staged
  // (end_turn writes it and publishes).
  *write_offset = log_.write_offset();
  return st;
}

ferry_status Store::end_turn(uint64_t* write_offset, std::string* error) {
  ferry_status st = log_.end_turn(write_offset, error);
  if (st == FERRY_E_DISK_FULL) disk_full_.store(true);
  return st;
}

ferry_status Store::sync(uint64_t upto, uint64_t* synced, std::string* error) {
  return log_.sync(upto, synced, error);
}

ferry_status Store::append_raw(uint64_t offset, ferry_slice bytes, uint64_t* write_offset,
                               std::string* error) {
  *write_offset = log_.write_offset();
  if (offset != *write_offset) {
    *error = "append_raw at offset " + std::to_string(offset) + " but the log ends at " +
             std::to_string(*write_offset);
    return FERRY_E_INVALID_ARGUMENT;
  }
  if (disk_full_.load()) {
    *error = "disk full: " + log_.dir() + " is above disk_max_used_ratio";
    return FERRY_E_DISK_FULL;
  }
  // Verify everything before writing anything.
  auto* p = static_cast<const char*>(bytes.data);
  size_t pos = 0;
  undo_.clear();
  struct Seen {
    ferry_slice topic;
    int32_t qid;
    uint64_t qoff;
  };
  std::vector<Seen> seen;
  while (pos < bytes.len) {
    uint64_t at = offset + pos;
    uint64_t seg_end = (at / opt_.segment_size + 1) * opt_.segment_size;
    uint64_t rem = seg_end - at;
    ferry_record_view v;
    const char* why = nullptr;
    ferry_status vs = common::verify_record(p + pos, std::min<uint64_t>(bytes.len - pos, rem), &v, &why);
    if (vs == FERRY_E_NOT_FOUND && v.total_size == rem) {
      pos += v.total_size;
      continue;
    }
    if (vs != FERRY_OK || static_cast<uint64_t>(v.physical_offset) != at) {
      *error = "append_raw: bad record at commit offset " + std::to_string(at) + ": " +
               (vs == FERRY_OK ? "PHYSICALOFFSET does not match" : why);
      return FERRY_E_CORRUPTED;
    }
    seen.push_back(Seen{v.topic, v.queue_id, static_cast<uint64_t>(v.queue_offset)});
    pos += v.total_size;
  }
  log_.begin_batch();
  ferry_status st = log_.append_raw(p, bytes.len, error);
  uint64_t head = 0;
  std::string end_error;
  log_.end_batch(&head, &end_error);
  *write_offset = head;
  if (st != FERRY_OK) return st;
  for (auto& s : seen) note_record(sv(s.topic), s.qid, s.qoff);
  return FERRY_OK;
}

void Store::set_dispatch_listener(ferry_dispatch_fn fn, void* user_data) {
  listener_ = fn;
  listener_data_ = user_data;
}

void Store::on_visible() {
  {
    std::lock_guard lk(mu_);
    dispatch_wake_ = true;
  }
  dispatch_cv_.notify_one();
}

// The writer's own dispatch (storage.h, dispatch_inline): the records its
// turn made visible become readable and are reported on its thread, so a
// held pull is answered without the dispatcher's wake-up and its report's
// wake-up of the loop (two cross-thread hand-offs per turn, session 11's
// tail). Only what needs no file write is done here: the consume-queue
// entries go to the queues' memory buffers (readers read them there); the
// key index (a shared file mapping: a store to a clean page faults and can
// wait for the page cache) and every buffer's pwrite stay on the dispatcher,
// woken in every case. Bounded: a backlog larger than kInlineMaxBytes, a
// dispatch in progress, pages the dispatcher has not mapped yet, or an entry
// that would need a file write go to the dispatcher as before.
bool Store::dispatch_inline(uint64_t visible) {
  constexpr uint64_t kInlineMaxBytes = 256 << 10;
  bool done = false;
  if (inline_ok_.load(std::memory_order_acquire)) {
    std::unique_lock run(dispatch_run_mu_, std::try_to_lock);
    if (run.owns_lock()) {
      const uint64_t limit = std::min(visible, log_.write_offset());
      if (published_.load() < limit && limit - published_.load() <= kInlineMaxBytes) {
        while (published_.load() < limit && publish_some(limit) > 0) {
        }
      }
      done = published_.load() >= limit;
    }
  }
  {
    // Done: the dispatcher only indexes it (a full dispatch would take the
    // next turn's records, and the run lock, from this path).
    std::lock_guard lk(mu_);
    (done ? index_wake_ : dispatch_wake_) = true;
  }
  dispatch_cv_.notify_one();
  return done;
}

// Woken by on_visible (or a declined dispatch_inline), or by nothing for
// dispatch_poll_ms: dispatch up to VISIBLE. Woken by a dispatch_inline that
// made everything readable: only index what it published.
void Store::dispatch_loop() {
  ::pthread_setname_np(::pthread_self(), "ferry-dispatch");  // for top -H, perf, gdb
  bool full = true;
  for (;;) {
    bool progress = false;
    if (dispatched_.load() < published_.load(std::memory_order_acquire)) {
      progress = index_some(published_.load(std::memory_order_acquire)) > 0;
    } else if (full) {
      uint64_t limit = std::min(env_.visible ? env_.visible() : log_.write_offset(), log_.write_offset());
      if (dispatched_.load() < limit) {
        std::lock_guard run(dispatch_run_mu_);
        // The writer may have published meanwhile: index that first.
        progress = published_.load() != dispatched_.load() || dispatch_some(limit) > 0;
      }
    }
    if (progress) continue;
    std::unique_lock lk(mu_);
    if (!running_) return;
    const bool woken = dispatch_wake_ || index_wake_ ||
                       dispatch_cv_.wait_for(lk, std::chrono::milliseconds(opt_.dispatch_poll_ms),
                                             [this] { return dispatch_wake_ || index_wake_ || !running_; });
    full = dispatch_wake_ || !woken;
    dispatch_wake_ = index_wake_ = false;
    if (!running_) return;
  }
}

// Keys: every space-separated word of KEYS, and UNIQ_KEY.
void Store::put_keys(const ferry_record_view& v, uint64_t at, std::string* error) {
  std::string_view topic = sv(v.topic);
  ferry_slice keys;
  if (ferry_property_find(v.properties, FERRY_PROP_KEYS, &keys)) {
    std::string_view ks = sv(keys);
    size_t b = 0;
    while (b < ks.size()) {
      size_t sp = ks.find(' ', b);
      if (sp == std::string_view::npos) sp = ks.size();
      if (sp > b && index_.put(topic, ks.substr(b, sp - b), at, v.store_timestamp_ms, error) != FERRY_OK)
        log(FERRY_LOG_ERROR, "index: " + *error);
      b = sp + 1;
    }
  }
  ferry_slice uniq;
  if (ferry_property_find(v.properties, FERRY_PROP_UNIQ_KEY, &uniq) && uniq.len > 0 &&
      index_.put(topic, sv(uniq), at, v.store_timestamp_ms, error) != FERRY_OK)
    log(FERRY_LOG_ERROR, "index: " + *error);
}

// [writer, dispatch_run_mu_ held] Records from published_ up to `limit`, a
// bounded batch: decoded where the dispatcher already mapped them, each
// entry buffered in memory (ConsumeQueues::buffer_only), the queues' max
// offsets published, the batch reported. Stops, for the dispatcher to go
// on, at the first record that would need a file write or a populate.
size_t Store::publish_some(uint64_t limit) {
  constexpr size_t kMaxBatch = 1024;
  struct Pub {
    ConsumeQueue* q;
    uint64_t qoff;
  };
  thread_local std::vector<Pub> pubs;
  thread_local std::vector<ConsumeQueuePtr> queues;  // keeps pubs' queues alive
  thread_local std::vector<ferry_dispatch_entry> batch;
  thread_local std::vector<SegmentPtr> pins;
  pubs.clear();
  queues.clear();
  batch.clear();
  pins.clear();
  const uint64_t start = published_.load();
  uint64_t pos = start;
  ConsumeQueuePtr cq;
  SegmentPtr seg;
  uint64_t prefetched = pos;
  uint64_t mapped_end = 0;
  while (pos < limit && batch.size() < kMaxBatch) {
    if (!seg || pos >= seg->end()) {
      seg = log_.pin(pos);
      if (!seg) break;  // retention: the dispatcher resumes at the log's start
      pins.push_back(seg);
      mapped_end = log_.read_mapped_end(*seg, pos);
    }
    if (pos >= mapped_end) break;  // the dispatcher maps the rest
    ferry_record_view v;
    const ferry_status st = decode_next(*seg, &pos, limit, &prefetched, &v);
    if (st == FERRY_E_NOT_FOUND) continue;  // at the segment's end now
    if (st != FERRY_OK) break;  // the dispatcher logs it and retries
    ConsumeQueue* q = queue_of(pos, v, cq, queues);
    const int64_t tag_hash = tag_hash_of(v.properties);
    const auto qoff = static_cast<uint64_t>(v.queue_offset);
    if (!q->deleted.load(std::memory_order_relaxed)) {
      if (!queues_.buffer_only(*q, qoff, CqEntry{pos, v.total_size, tag_hash})) break;
      pubs.push_back(Pub{q, qoff});
    }
    ferry_dispatch_entry de;
    de.struct_size = sizeof(de);
    de.topic = v.topic;
    de.queue_id = v.queue_id;
    de.queue_offset = qoff;
    de.tag_hash = tag_hash;
    batch.push_back(de);
    pos += v.total_size;
  }
  for (const Pub& p : pubs) {
    if (p.q->max_offset.load(std::memory_order_relaxed) <= p.qoff)
      p.q->max_offset.store(p.qoff + 1, std::memory_order_release);
  }
  pubs.clear();
  queues.clear();
  if (pos == start) {
    pins.clear();
    return 0;
  }
  published_.store(pos, std::memory_order_release);
  if (listener_ && !batch.empty()) listener_(listener_data_, batch.data(), batch.size(), pos);
  pins.clear();
  return static_cast<size_t>(pos - start);
}

// [dispatcher, without dispatch_run_mu_] What publish_some made readable,
// from dispatched_ to `limit` (<= published_): keys into the index, the
// buffers it filled written; then dispatched_ (the checkpoint's) moves.
size_t Store::index_some(uint64_t limit) {
  constexpr size_t kMaxBatch = 1024;
  thread_local std::vector<FileKey> touched;
  touched.clear();
  const uint64_t start = dispatched_.load();
  uint64_t pos = start;
  std::string error;
  SegmentPtr seg;
  size_t n = 0;
  while (pos < limit && n < kMaxBatch) {
    if (!seg || pos >= seg->end()) {
      seg = log_.pin(pos);
      if (!seg) {
        pos = std::max(pos, log_.min_offset());
        continue;
      }
    }
    uint64_t rem = seg->end() - pos;
    if (rem < FERRY_RECORD_MIN_BLANK) {
      pos = seg->end();
      continue;
    }
    ferry_record_view v;
    ferry_status st = ferry_record_decode(seg->data() + (pos - seg->base()), rem, &v);
    if (st == FERRY_E_NOT_FOUND) {
      pos = seg->end();
      continue;
    }
    if (st != FERRY_OK) {  // publish_some decoded it: not expected
      log(FERRY_LOG_ERROR, "dispatcher: unreadable record at commit offset " + std::to_string(pos));
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      break;
    }
    put_keys(v, pos, &error);
    pos += v.total_size;
    ++n;
  }
  pos = std::min(pos, limit);
  queues_.drain_full(&touched);
  queues_.mark_dirty(&touched);
  if (pos <= start) return 0;
  dispatched_.store(pos, std::memory_order_release);
  return static_cast<size_t>(pos - start);
}

// Index records in [dispatched, limit), at most a bounded batch: decode
// them, write their consume-queue entries in one pass (grouped per queue
// file), publish the queues' max offsets, put their keys, then report them
// to the listener in one call. Returns how many bytes it advanced.
size_t Store::dispatch_some(uint64_t limit) {
  constexpr size_t kMaxBatch = 1024;
  struct Rec {
    ferry_record_view v;
    uint64_t pos;
    int64_t tag_hash;
  };
  thread_local std::vector<Rec> recs;
  thread_local std::vector<ConsumeQueues::Write> writes;
  thread_local std::vector<size_t> write_rec;        // writes[i] belongs to recs[write_rec[i]]
  thread_local std::vector<ConsumeQueuePtr> queues;  // keeps writes' queues alive
  thread_local std::vector<ferry_dispatch_entry> batch;
  thread_local std::vector<FileKey> touched;
  thread_local std::vector<SegmentPtr> pins;
  recs.clear();
  writes.clear();
  write_rec.clear();
  queues.clear();
  batch.clear();
  pins.clear();
  const uint64_t start = dispatched_.load();
  uint64_t pos = start;
  ConsumeQueuePtr cq;
  std::string error;
  SegmentPtr seg;
  uint64_t prefetched = pos;  // lines below it were asked for
  while (pos < limit && recs.size() < kMaxBatch) {
    if (!seg || pos >= seg->end()) {
      seg = log_.pin(pos);
      if (!seg) {  // retention removed it: resume at the log's start
        pos = std::max(pos, log_.min_offset());
        if (pos >= limit) break;
        continue;
      }
      pins.push_back(seg);
      log_.populate_for_read(*seg, pos, limit);
    }
    ferry_record_view v;
    const ferry_status st = decode_next(*seg, &pos, limit, &prefetched, &v);
    if (st == FERRY_E_NOT_FOUND) continue;  // at the segment's end now
    if (st != FERRY_OK) {
      log(FERRY_LOG_ERROR, "dispatcher: unreadable record at commit offset " + std::to_string(pos));
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      break;
    }
    ConsumeQueue* q = queue_of(pos, v, cq, queues);
    const int64_t tag_hash = tag_hash_of(v.properties);
    if (!q->deleted.load(std::memory_order_relaxed)) {
      writes.push_back({q, static_cast<uint64_t>(v.queue_offset),
                        CqEntry{pos, v.total_size, tag_hash}});
      write_rec.push_back(recs.size());
    }
    recs.push_back(Rec{v, pos, tag_hash});
    pos += v.total_size;
  }
  // Records [0, done) have their entries on file; pos = where the next
  // dispatch starts (at the first record whose entry failed, to retry it).
  size_t done = recs.size();
  size_t written = 0;
  if (queues_.write(writes, &written, &touched, &error) != FERRY_OK) {
    // Logged once per distinct failure, not once per retry.
    thread_local std::string last_error;
    if (error != last_error) log(FERRY_LOG_ERROR, "dispatcher: " + error + " (retrying)");
    last_error = error;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    done = write_rec[written];
    pos = recs[done].pos;
  }
  for (size_t r = 0; r < done; ++r) {
    const ferry_record_view& v = recs[r].v;
    const uint64_t at = recs[r].pos;
    put_keys(v, at, &error);
    ferry_dispatch_entry de;
    de.struct_size = sizeof(de);
    de.topic = v.topic;
    de.queue_id = v.queue_id;
    de.queue_offset = static_cast<uint64_t>(v.queue_offset);
    de.tag_hash = recs[r].tag_hash;
    batch.push_back(de);
  }
  // Published last: a reader that sees a queue's new max offset finds the
  // records' keys too (not so for records the writer published inline:
  // their keys follow here, in index_some). Files marked dirty first: a checkpoint that sees an
  // entry's record as dispatched syncs its file.
  queues_.mark_dirty(&touched);
  for (size_t i = 0; i < writes.size() && write_rec[i] < done; ++i) {
    ConsumeQueue& q = *writes[i].q;
    if (q.max_offset.load(std::memory_order_relaxed) <= writes[i].qoff)
      q.max_offset.store(writes[i].qoff + 1, std::memory_order_release);
  }
  queues.clear();
  if (pos == start) {
    pins.clear();
    return 0;
  }
  published_.store(pos, std::memory_order_release);  // >= dispatched_ at every instant
  dispatched_.store(pos, std::memory_order_release);
  if (listener_ && !batch.empty()) listener_(listener_data_, batch.data(), batch.size(), pos);
  pins.clear();
  return static_cast<size_t>(pos - start);
}

ferry_status Store::checkpoint_now(std::string* error) {
  std::lock_guard lk(checkpoint_mu_);
  Checkpoint cp;
  cp.dispatched = dispatched_.load();
  cp.log_synced = log_.synced_offset();
  cp.log_end = log_.write_offset();
  if (ferry_status st = queues_.flush(error); st != FERRY_OK) return st;
  if (ferry_status st = index_.flush(error); st != FERRY_OK) return st;
  if (int rc = write_checkpoint(*io_, opt_.dir, cp); rc < 0) {
    *error = "cannot write checkpoint in " + opt_.dir + ": " + std::strerror(-rc);
    return FERRY_E_IO;
  }
  return FERRY_OK;
}

size_t Store::run_retention(bool force) {
  size_t deleted = 0;
  const int64_t now = env_.now_ms();
  // Oldest first, only a contiguous prefix of expired segments, never the
  // one being written; a bounded number per pass so one pass stays short.
  for (int k = 0; k < 16; ++k) {
    std::vector<SegmentPtr> segs = log_.segments();
    if (segs.size() < 2) break;
    int64_t mtime = 0;
    if (io_->mtime_ms(segs.front()->path(), &mtime) < 0) break;
    if (mtime + opt_.file_reserved_ms > now) break;  // only expired data ever goes
    segs.clear();
    std::string path;
    if (!log_.delete_oldest(&path)) break;
    log(FERRY_LOG_INFO, std::string("retention: deleted ") + path +
                            (force ? " (disk above disk_clean_ratio)" : ""));
    ++deleted;
  }
  if (deleted) {
    uint64_t min = log_.min_offset();
    queues_.trim(min);
    index_.trim(min);
  }
  return deleted;
}

void Store::housekeeping_loop() {
  ::pthread_setname_np(::pthread_self(), "ferry-housekeep");  // for top -H, perf, gdb
  using clock = std::chrono::steady_clock;
  auto last_retention = clock::now();
  auto last_checkpoint = clock::now();
  for (;;) {
    {
      std::unique_lock lk(mu_);
      house_cv_.wait_for(lk, std::chrono::milliseconds(opt_.housekeeping_interval_ms),
                         [this] { return !running_; });
      if (!running_) return;
    }
    refresh_disk_usage();
    if (clock::now() - last_checkpoint >= std::chrono::milliseconds(opt_.checkpoint_interval_ms)) {
      last_checkpoint = clock::now();
      std::string err;
      if (checkpoint_now(&err) != FERRY_OK) log(FERRY_LOG_ERROR, "checkpoint: " + err);
    }
    if (clock::now() - last_retention >= std::chrono::milliseconds(opt_.retention_interval_ms)) {
      last_retention = clock::now();
      time_t t = static_cast<time_t>(env_.now_ms() / 1000);
      struct tm lt {};
      localtime_r(&t, &lt);
      bool over = disk_ratio_.load() > opt_.disk_clean_ratio;
      if (over || lt.tm_hour == opt_.delete_hour) run_retention(over);
    }
  }
}

}  // namespace ferry::mmaplog
