#include "commit_log.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <cstring>

#include "ferry_common/record_encoder.h"
#include "ferry_common/record_verify.h"

namespace ferry::mmaplog {

namespace {

const uint64_t kPage = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
// The pre-fault's step: one zero write (the only thing done under zero_mu_)
// and one populate of one aligned 2 MiB piece. Small enough that neither a
// writer waiting for zero_mu_ nor a thread waiting for this CPU waits long
// (a populate of holes ran 30-55 ms uninterrupted: workload 6's tail,
// docs/benchmarks.md); aligned and whole so the page cache holds it as one
// 2 MiB folio, mapped with one PMD entry (64 KiB pieces: 4 KiB mappings,
// and the appender's copies into them ran at a third of the speed).
constexpr uint64_t kZeroStep = 2 << 20;
// The pwrite path's pre-fault step (a readahead call, pwrite_prefault):
// small, so the window follows the head closely.
constexpr uint64_t kPwriteReadStep = 256 << 10;

// The pre-fault only saves the writer work; it must never take a CPU from
// the loop, the dispatcher or the clients on a busy 2-core box. Lowest nice
// (not SCHED_IDLE: the writer may wait for zero_mu_ behind one of its zero
// writes, and a SCHED_IDLE thread can be starved for long), lowest
// best-effort I/O priority. Best effort: failure changes speed only.
// Named last: a thread seen by its name has its priorities set (the test
// looks it up by name).
void lower_priority_of_this_thread() {
  ::setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), 19);
#ifdef SYS_ioprio_set
  constexpr int kWhoProcess = 1, kClassBestEffort = 2, kClassShift = 13;
  ::syscall(SYS_ioprio_set, kWhoProcess, 0, (kClassBestEffort << kClassShift) | 7);
#endif
  ::pthread_setname_np(::pthread_self(), "ferry-prefault");
}

std::string errno_text(int neg_errno) { return std::strerror(-neg_errno); }

// Read one byte of every page of [p, p+len) through the mapping. Why: on a
// VM that shadows the guest's page tables (this one) the first user-space
// access to each 4 KiB mapping costs ~12 us however the kernel populated it
// (docs/benchmarks.md, "Session 8 (flush)"); a read here pays it for the
// whole process, so the writer's copies into these pages do not. The value
// is never used and the writer may be storing to the same bytes: plain asm,
// so neither the compiler nor a sanitizer treats it as a data access.
void touch_pages(const char* p, uint64_t len) {
  for (uint64_t off = 0; off < len; off += kPage) {
#if defined(__x86_64__) || defined(__i386__)
    asm volatile("movb (%0), %%al" : : "r"(p + off) : "al", "memory");
#elif defined(__aarch64__)
    asm volatile("ldrb w16, [%0]" : : "r"(p + off) : "w16", "memory");
#else
    (void)p;
    return;
#endif
  }
}

void fetch_max(std::atomic<uint64_t>& a, uint64_t v) {
  uint64_t cur = a.load(std::memory_order_relaxed);
  while (cur < v && !a.compare_exchange_weak(cur, v, std::memory_order_acq_rel)) {
  }
}

ferry_status io_status(int neg_errno) {
  return neg_errno == -ENOSPC || neg_errno == -EDQUOT ? FERRY_E_DISK_FULL : FERRY_E_IO;
}

}  // namespace

CommitLog::CommitLog(const Options& opt, Io& io, const Env& env)
    : opt_(opt), io_(io), env_(env), dir_(opt.dir + "/commitlog") {}

CommitLog::~CommitLog() { stop(); }

SegmentPtr CommitLog::create_segment(uint64_t base, std::string* error) {
  int err = 0;
  const char* what = "";
  SegmentPtr s = Segment::open(io_, dir_, base, opt_.segment_size,
                               opt_.write_mode == WriteMode::Mmap, true, &err, &what);
  if (!s) {
    *error = "cannot create commit log segment " + dir_ + "/" + Segment::file_name(base) +
             ": " + what + ": " + errno_text(err);
    return nullptr;
  }
  io_.sync_dir(dir_);
  return s;
}

ferry_status CommitLog::check_segment_files(const std::vector<uint64_t>& bases, std::string* error) {
  for (uint64_t base : bases) {
    const std::string name = Segment::file_name(base);
    if (base % opt_.segment_size != 0) {
      *error = "commit log segment " + dir_ + "/" + name + " does not start at a multiple of segment_size " +
               std::to_string(opt_.segment_size) + " (segment_size changed?)";
      return FERRY_E_CORRUPTED;
    }
    int fd = io_.open(dir_ + "/" + name, O_RDONLY, 0);
    if (fd < 0) continue;  // opening it for the log reports why
    uint64_t size = 0;
    const int rc = io_.file_size(fd, &size);
    io_.close(fd);
    if (rc == 0 && size > opt_.segment_size) {
      *error = "commit log segment " + dir_ + "/" + name + " is " + std::to_string(size) +
               " bytes, more than segment_size " + std::to_string(opt_.segment_size) + " (segment_size changed?)";
      return FERRY_E_CORRUPTED;
    }
  }
  return FERRY_OK;
}

ferry_status CommitLog::drop_after_gap(std::vector<SegmentPtr>* segs, std::string* error) {
  size_t gap = 1;
  while (gap < segs->size() && (*segs)[gap]->base() == (*segs)[gap - 1]->base() + opt_.segment_size) ++gap;
  if (gap >= segs->size()) return FERRY_OK;
  const std::string missing = Segment::file_name((*segs)[gap - 1]->base() + opt_.segment_size);
  // A power cut can take a segment file whose creation was never synced
  // while a later one (made ahead by the fill) kept some synced zeros: the
  // log then ends before the gap, if nothing valid lies after it.
  bool records = false;
  uint64_t ignored = 0;
  for (size_t j = gap; !records && j < segs->size(); ++j)
    records = valid_record_after((*segs)[j], (*segs)[j]->base(), &ignored);
  if (records && !opt_.truncate_on_corruption) {
    *error = "commit log segment " + dir_ + "/" + missing + " is missing and later segments hold records; " +
             "refusing to start (recovery_on_corruption = \"refuse\"); set recovery_on_corruption = " +
             "\"truncate\" to drop everything from offset " + std::to_string((*segs)[gap - 1]->end());
    return FERRY_E_CORRUPTED;
  }
  if (env_.log) {
    env_.log(records ? FERRY_LOG_ERROR : FERRY_LOG_WARN,
             "commit log segment " + dir_ + "/" + missing + " is missing; the " +
                 std::to_string(segs->size() - gap) + " segment(s) after it " +
                 (records ? "hold records, dropped (recovery_on_corruption = \"truncate\")"
                          : "hold no record: removed; the log ends before it"));
  }
  while (segs->size() > gap) {
    std::string path = segs->back()->path();
    segs->pop_back();
    io_.unlink(path);
  }
  io_.sync_dir(dir_);
  return FERRY_OK;
}

ferry_status CommitLog::open(uint64_t scan_from, uint64_t clean_end, const RecordFn& on_record, std::string* error,
                             bool* truncated) {
  *truncated = false;
  if (int rc = io_.mkdirs(dir_); rc < 0) {
    *error = "cannot create " + dir_ + ": " + errno_text(rc);
    return FERRY_E_IO;
  }
  std::vector<std::string> names;
  if (int rc = io_.list_dir(dir_, &names); rc < 0) {
    *error = "cannot list " + dir_ + ": " + errno_text(rc);
    return FERRY_E_IO;
  }
  std::vector<uint64_t> bases;
  for (const auto& n : names) {
    uint64_t b;
    if (Segment::parse_name(n, &b)) bases.push_back(b);
  }
  std::sort(bases.begin(), bases.end());
  if (ferry_status st = check_segment_files(bases, error); st != FERRY_OK) return st;
  std::vector<SegmentPtr> segs;
  for (size_t i = 0; i < bases.size(); ++i) {
    int err = 0;
    const char* what = "";
    // A short file is a segment whose size a crash cut: its creation was
    // interrupted (the last one), or the power went before its size was
    // synced while a later one (made ahead by the fill) had some of its
    // zeros synced. Extended, it reads as zeros past what it kept; the scan
    // below then ends the log there only if no valid record follows (in
    // it or any later segment), else it is damage in the middle.
    SegmentPtr s = Segment::open(io_, dir_, bases[i], opt_.segment_size,
                                 opt_.write_mode == WriteMode::Mmap, false, &err, &what);
    uint64_t fsize = 0;
    // (Longer than segment_size: refused by check_segment_files.)
    if (s && io_.file_size(s->fd(), &fsize) == 0 && fsize < opt_.segment_size) {
      if (i + 1 != bases.size() && env_.log) {
        env_.log(FERRY_LOG_WARN, "commit log segment " + s->path() + " is " + std::to_string(fsize) +
                                     " bytes, not segment_size " + std::to_string(opt_.segment_size) +
                                     ", and is not the last: extended; recovery checks what follows it");
      }
      if (int rc = io_.ftruncate(s->fd(), static_cast<off_t>(opt_.segment_size)); rc < 0) {
        *error = "cannot extend short commit log segment " + s->path() + ": " + errno_text(rc);
        return io_status(rc);
      }
    }
    if (!s) {
      *error = "cannot open commit log segment " + dir_ + "/" + Segment::file_name(bases[i]) +
               ": " + what + ": " + errno_text(err);
      return FERRY_E_IO;
    }
    segs.push_back(std::move(s));
  }
  if (ferry_status st = drop_after_gap(&segs, error); st != FERRY_OK) return st;
  const bool names_empty = segs.empty();
  if (segs.empty()) {
    SegmentPtr s = create_segment(0, error);
    if (!s) return FERRY_E_IO;
    segs.push_back(std::move(s));
  }

  uint64_t pos = std::max(scan_from, segs.front()->base());
  if (pos > segs.back()->end()) pos = segs.front()->base();  // checkpoint from elsewhere
  size_t si = 0;
  while (si < segs.size() && segs[si]->end() <= pos && si + 1 < segs.size()) ++si;
  uint64_t scan_start = pos;
  const char* why = nullptr;
  bool refill = false;  // the head segment's rest was made a hole: fill it again
  // At the end of segment si: on to the next one (true), or the scan ends
  // at this one's end (false).
  auto next_segment = [&] {
    if (si + 1 < segs.size()) {
      ++si;
      pos = segs[si]->base();
      return true;
    }
    pos = segs[si]->end();
    return false;
  };
  for (;;) {
    const SegmentPtr& seg = segs[si];
    uint64_t rem = seg->end() - pos;
    if (rem < FERRY_RECORD_MIN_BLANK) {
      // The segment is full (a record ended exactly at its end, or a short
      // remainder that is never written).
      if (next_segment()) continue;
      break;
    }
    ferry_record_view v;
    const char* p = seg->data() + (pos - seg->base());
    ferry_status st = common::verify_record(p, rem, &v, &why);
    if (st == FERRY_OK && static_cast<uint64_t>(v.physical_offset) == pos) {
      on_record(v, pos);
      pos += v.total_size;
      continue;
    }
    if (st == FERRY_E_NOT_FOUND && v.total_size == rem) {
      if (next_segment()) continue;
      break;
    }
    if (st == FERRY_OK) why = "record's PHYSICALOFFSET does not match its position";
    if (st == FERRY_E_NOT_FOUND) why = "blank record that does not end the segment";
    // Is there anything valid after this point? Then this is damage in the
    // middle of the log, not a torn tail.
    bool zero_header = std::memcmp(p, "\0\0\0\0\0\0\0\0", 8) == 0;
    const bool clean = zero_header && pos == clean_end;  // nothing was written past it
    // Each segment's search stops at a long run of zeros (the pre-filled
    // rest of the head's segment, a pre-filled next one): bounded reads,
    // not the whole segment (docs/storage.md, "Recovery").
    uint64_t zeros_from = seg->size(), ignored = 0;
    bool more = !clean && valid_record_after(seg, pos + 1, &zeros_from);
    for (size_t j = si + 1; !clean && !more && j < segs.size(); ++j)
      more = valid_record_after(segs[j], segs[j]->base(), &ignored);
    if (more) {
      char buf[512];
      std::snprintf(buf, sizeof buf,
                    "commit log corrupted at offset %llu in %s: %s; valid records follow",
                    static_cast<unsigned long long>(pos), seg->path().c_str(),
                    zero_header ? "zeroed bytes" : why);
      if (!opt_.truncate_on_corruption) {
        *error = std::string(buf) +
                 "; refusing to start (recovery_on_corruption = \"refuse\"); set "
                 "recovery_on_corruption = \"truncate\" to drop everything from offset " +
                 std::to_string(pos);
        return FERRY_E_CORRUPTED;
      }
      if (env_.log) env_.log(FERRY_LOG_ERROR, std::string(buf) + "; truncating the log there (recovery_on_corruption = \"truncate\")");
    } else if (!zero_header && env_.log) {
      char buf[256];
      std::snprintf(buf, sizeof buf, "commit log torn tail at offset %llu (%s): truncated",
                    static_cast<unsigned long long>(pos), why);
      env_.log(FERRY_LOG_WARN, buf);
    }
    // Truncate: zero the rest of this segment's written bytes, drop later
    // segments. What the search did not read (past a run of zeros) becomes
    // a hole, after the later segments are gone (a crash in between leaves
    // a short last file, which open extends).
    const uint64_t keep = std::min(seg->size(), (zeros_from + kPage - 1) / kPage * kPage);
    if (ferry_status zs = clean ? FERRY_OK : zero_range(seg, pos, keep, error); zs != FERRY_OK) return zs;
    if (!zero_header || more) *truncated = true;
    while (segs.size() > si + 1) {
      std::string path = segs.back()->path();
      segs.pop_back();
      io_.unlink(path);
      *truncated = true;
    }
    io_.sync_dir(dir_);
    if (!clean && keep < seg->size()) {
      if (int rc = drop_rest(seg, keep); rc < 0) {
        *error = "cannot truncate " + seg->path() + " at " + std::to_string(keep) + ": " + errno_text(rc);
        return FERRY_E_IO;
      }
      refill = true;
    }
    break;
  }
  {
    std::lock_guard lk(seg_mu_);
    segments_ = std::move(segs);
    active_ = segments_.back();
    min_offset_.store(segments_.front()->base());
  }
  head_ = pos;
  staged_from_ = pos;
  write_offset_.store(pos, std::memory_order_release);
  writeback_asked_ = pos;  // before start(): the pre-fault thread is not running
  writeback_done_ = pos;
  synced_.store(std::min(scan_start, pos));
  faulted_.store(pos);
  zero_floor_.store(pos);
  // The fill never writes below the recovered end. A brand-new log's first
  // segment is all holes: fill it ahead of the writer (segment_prefill) as
  // an unfinished next segment is after a roll; so is one whose rest
  // recovery just made a hole. Any other reopened log's active segment is
  // left as it is (its rest may be filled already; finding out would read
  // it).
  fill_claimed_ = pos;
  fill_floor_.store(pos);
  fill_started_base_ = active_->base();  // filled, being filled below, or left as it is
  if (fills() && (names_empty || refill)) start_fill(active_);
  if (fills() && names_empty) filled_ = prefill_first(active_);
  return FERRY_OK;
}

uint64_t CommitLog::prefill_first(const SegmentPtr& seg) {
  // Why: a fresh log's first groups otherwise sync into holes while the
  // fill writes its first 16 MiB lead beside them (ack p50 ~1 ms in the
  // first ~25 ms vs ~0.35 ms after: docs/benchmarks.md "Session 12
  // (flush)"); here, before the log takes its first append, that costs a
  // brand-new broker tens of ms once and no send anything. Pieces of the
  // fill's size (a disk full is met as the fill meets it), then one
  // fdatasync so no group's sync carries these zeros or their allocation.
  constexpr uint64_t kFirst = 16 << 20, kStep = 256 << 10;
  const uint64_t len = std::min<uint64_t>(kFirst, seg->size());
  uint64_t at = 0;
  for (; at < len; at += kStep) {
    if (int rc = io_.write_zeros(seg->fd(), at, std::min(kStep, len - at)); rc < 0) {
      if (env_.log) {
        env_.log(FERRY_LOG_ERROR, "cannot pre-fill commit log segment " + seg->path() + " at " +
                                      std::to_string(at) + ": " + errno_text(rc) +
                                      (rc == -ENOSPC || rc == -EDQUOT ? " (disk full)" : "") +
                                      "; the rest of it is left sparse (segment_prefill), no record is affected");
      }
      fill_seg_.reset();  // as prefill_piece's failure: the next segment's fill follows
      break;
    }
  }
  if (at > 0) io_.fdatasync(seg->fd());  // advice: a failure only leaves the sync to the first group
  return at;
}

bool CommitLog::valid_record_after(const SegmentPtr& seg, uint64_t from, uint64_t* zeros_from) const {
  // Only data regions can hold records: holes are skipped with SEEK_DATA
  // (they count as zeros). Read in chunks through io_, 3 bytes overlapping
  // so a magic split between two chunks is seen.
  static const unsigned char kMagic[4] = {0xDA, 0xA3, 0x20, 0xA7};
  constexpr uint64_t kChunk = 256 << 10;
  const uint64_t bound = zero_run_bound(opt_.max_message_size);
  const uint64_t size = seg->size();
  const uint64_t lo = from - seg->base();
  *zeros_from = size;
  std::vector<char> buf(kChunk);
  uint64_t run = lo;  // where the current run of zeros began
  uint64_t off = lo;
  while (off < size) {
    int64_t d = io_.seek_data(seg->fd(), off, false);
    if (d == -ENXIO) d = static_cast<int64_t>(size);  // the rest is a hole
    else if (d < 0) d = static_cast<int64_t>(off);    // no SEEK_DATA: read everything
    if (static_cast<uint64_t>(d) - run >= bound) {
      *zeros_from = run;
      return false;
    }
    off = static_cast<uint64_t>(d);
    if (off >= size) break;
    int64_t h = io_.seek_data(seg->fd(), off, true);
    const uint64_t region_end = h <= d ? size : std::min<uint64_t>(static_cast<uint64_t>(h), size);
    while (off < region_end) {
      const uint64_t want = std::min(kChunk, region_end - off);
      ssize_t got = read_full(io_, seg->fd(), buf.data(), want, static_cast<off_t>(off));
      if (got <= 0) return false;  // unreadable: nothing found there
      const uint64_t n = static_cast<uint64_t>(got);
      // Where in this chunk the run of zeros reaches the bound: a record
      // can start only before it. Word by word; a non-zero word restarts
      // the run at its end (at most 7 bytes late: the bound is approximate).
      uint64_t lim = n;
      for (uint64_t k = 0; k < n; k += 8) {
        uint64_t w = 0;
        std::memcpy(&w, buf.data() + k, std::min<uint64_t>(8, n - k));
        if (w != 0) {
          run = std::max(run, off + std::min<uint64_t>(k + 8, n));
        } else if (off + std::min<uint64_t>(k + 8, n) - run >= bound) {
          lim = std::min<uint64_t>(k + 8, n);
          break;
        }
      }
      for (uint64_t i = 0; i + 4 <= lim;) {
        auto* m = static_cast<const char*>(memmem(buf.data() + i, lim - i, kMagic, 4));
        if (!m) break;
        const uint64_t at = off + static_cast<uint64_t>(m - buf.data());
        if (at >= 4 && at - 4 >= lo) {
          const uint64_t rec = at - 4;
          ferry_record_view v;
          const char* why = nullptr;
          if (common::verify_record(seg->data() + rec, size - rec, &v, &why) == FERRY_OK &&
              static_cast<uint64_t>(v.physical_offset) == seg->base() + rec)
            return true;
        }
        i = static_cast<uint64_t>(m - buf.data()) + 1;
      }
      if (lim < n || off + n - run >= bound) {
        *zeros_from = run;
        return false;
      }
      off = n < want || off + n >= region_end ? off + n : off + n - 3;
      if (n < want) break;  // end of file
    }
    if (off < region_end) break;
  }
  return false;
}

ferry_status CommitLog::zero_range(const SegmentPtr& seg, uint64_t from, uint64_t to, std::string* error) {
  static const char kZeros[64 * 1024] = {};
  uint64_t off = from - seg->base();
  const uint64_t stop = std::min(to, seg->size());
  bool wrote = false;
  while (off < stop) {
    int64_t d = io_.seek_data(seg->fd(), off, false);
    if (d == -ENXIO) break;
    if (d < 0) d = static_cast<int64_t>(off);
    int64_t h = io_.seek_data(seg->fd(), static_cast<uint64_t>(d), true);
    uint64_t end = h < 0 ? stop : std::min<uint64_t>(static_cast<uint64_t>(h), stop);
    // Zero only what is not zero already: data regions may be long runs of
    // pre-faulted zeros.
    for (uint64_t pos = std::max<uint64_t>(static_cast<uint64_t>(d), off); pos < end;) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(sizeof kZeros, end - pos));
      if (std::memcmp(seg->data() + pos, kZeros, n) != 0) {
        if (int rc = write_all(io_, seg->fd(), kZeros, n, static_cast<off_t>(pos)); rc < 0) {
          *error = "cannot truncate " + seg->path() + ": " + errno_text(rc);
          return FERRY_E_IO;
        }
        wrote = true;
      }
      pos += n;
    }
    off = std::max(end, off + 1);
  }
  if (wrote) {
    if (int rc = io_.fdatasync(seg->fd()); rc < 0) {
      *error = "cannot sync truncated " + seg->path() + ": " + errno_text(rc);
      return FERRY_E_IO;
    }
  }
  return FERRY_OK;
}

int CommitLog::drop_rest(const SegmentPtr& seg, uint64_t at) {
  if (int rc = io_.ftruncate(seg->fd(), static_cast<off_t>(at)); rc < 0) return rc;
  if (int rc = io_.ftruncate(seg->fd(), static_cast<off_t>(seg->size())); rc < 0) return rc;
  return io_.fdatasync(seg->fd());
}

void CommitLog::advise_head(const SegmentPtr& seg, bool head) {
  // pwrite path only. The dispatcher reads just-written records through the
  // read-only mapping; with normal advice each of its faults reads ahead into
  // the sparse rest of the segment, zero-filling large folios past the head,
  // and every later small pwrite then walks a large folio's buffers
  // (ext4_block_write_begin): 1.6-1.9x slower single appends
  // (docs/benchmarks.md, Storage). The head's pages are in the page cache
  // anyway; a segment that is no longer the head gets normal readahead back
  // for cold reads. Advice only: a failure changes speed, not correctness.
  // Not on the mmap path: measured there (session 5) it cut batches of 32
  // to a third and made workload 6 fall seconds behind.
  if (opt_.write_mode != WriteMode::Pwrite || !seg) return;
  ::madvise(seg->data(), seg->size(), head ? MADV_RANDOM : MADV_NORMAL);
}

void CommitLog::populate_for_read(const Segment& seg, uint64_t pos, uint64_t limit) {
  // Each fault on this VM costs microseconds and, while the writer fills
  // the same pages, slows its pwrites too; one populate per 2 MiB replaces
  // 512 of them (docs/benchmarks.md, "Session 7 (flush)").
  constexpr uint64_t kPiece = 2 << 20;
  if (opt_.write_mode != WriteMode::Pwrite || populate_unsupported_ || limit <= pos) return;
  const uint64_t from = std::max({read_populated_, seg.base(), pos & ~(kPiece - 1)});
  // At most two pieces past pos: a dispatcher far behind (or a batch of
  // large records) does not populate a whole segment in one call.
  const uint64_t to = std::min({seg.end(), (limit + kPiece - 1) & ~(kPiece - 1),
                                (pos & ~(kPiece - 1)) + 2 * kPiece});
  if (from >= to) return;
  if (io_.populate_read(seg.data() + (from - seg.base()), to - from) == -EINVAL)
    populate_unsupported_ = true;  // before Linux 5.14: faults as before, no more calls
  read_populated_ = to;
}

uint64_t CommitLog::read_mapped_end(const Segment& seg, uint64_t pos) const {
  if (opt_.write_mode != WriteMode::Pwrite || populate_unsupported_) return seg.end();
  return pos < read_populated_ ? std::min(read_populated_, seg.end()) : pos;
}

void CommitLog::start() {
  advise_head(active_, true);  // after recovery, which wants readahead
  std::lock_guard lk(alloc_mu_);
  stopping_ = false;
  if (!allocator_.joinable()) allocator_ = std::thread([this] { allocator_loop(); });
  alloc_cv_.notify_one();
}

void CommitLog::stop() {
  {
    std::lock_guard lk(alloc_mu_);
    stopping_ = true;
  }
  alloc_cv_.notify_all();
  if (allocator_.joinable()) allocator_.join();
}

void CommitLog::allocator_loop() {
  lower_priority_of_this_thread();
  std::unique_lock lk(alloc_mu_);
  while (!stopping_) {
    uint64_t base;
    {
      std::lock_guard sl(seg_mu_);
      base = segments_.back()->end();
    }
    // Keep exactly one segment ready past the last one (state, not a
    // request flag, so a wake-up raced with a roll is never lost).
    if ((!next_ || next_->base() != base) && failed_base_ != base) {
      creating_ = base;
      lk.unlock();
      std::string err;
      // Nothing faulted in here: when the writer outran the allocator and
      // created this same file itself a moment ago, it may hold records, and
      // a populate of holes would read ahead (zero-fill) megabytes in one
      // call. The writer's first record there asks for the window
      // (ensure_faulted), which zero_ahead then fills under zero_floor_.
      SegmentPtr s = create_segment(base, &err);
      lk.lock();
      creating_ = UINT64_MAX;
      if (s) {
        next_ = std::move(s);
        // One fill at a time: one still going on in the active segment
        // (ahead of the writer) finishes first, then moves here.
        if (fills() && !fill_seg_) {
          if (SegmentPtr f = next_fill()) start_fill(f);
        }
      } else {
        alloc_error_ = err;
        failed_base_ = base;  // the writer creates it itself and reports
      }
      created_cv_.notify_all();
      continue;
    }
    uint64_t target = fault_request_.load();
    uint64_t from = faulted_.load();
    if (target > from) {
      lk.unlock();
      zero_ahead(from, target);
      lk.lock();
      if (fault_request_.load() <= faulted_.load()) continue;
      if (faulted_.load() == from) {
        // Could not advance (error, or the head is in a newer segment):
        // wait for the writer to ask again.
        fault_request_.store(0);
      }
      continue;
    }
    if (writeback_due()) {
      lk.unlock();
      start_writeback();
      lk.lock();
      continue;
    }
    if (fill_seg_) {
      // Last in line: creating, the head's window and its write-back come
      // first; one piece per turn so they are never behind a whole segment.
      const uint64_t w = write_offset();
      fill_idle_ = fill_idle_ && w == fill_idle_at_;
      if (fill_idle_ || prefill_due(*fill_seg_, w)) {
        SegmentPtr seg = fill_seg_;
        lk.unlock();
        const bool more = prefill_piece(seg);
        lk.lock();
        if (!more) {
          fill_seg_.reset();
          if (SegmentPtr f = next_fill()) start_fill(f);
        }
        continue;
      }
      // Ahead of the writer: wait for it (publish_written wakes this thread
      // every writeback_bytes). No append for a while: the disk is idle,
      // fill at its pace.
      alloc_cv_.wait_for(lk, std::chrono::milliseconds(20));
      fill_idle_ = write_offset() == w;
      fill_idle_at_ = w;
      continue;
    }
    alloc_cv_.wait(lk);
  }
}

// How far past the writer's last write the fill may start: the writer
// raises fill_floor_ kFillClaim past what it writes (so it touches the
// floor once per kFillClaim bytes), and the fill keeps kFillGap above the
// floor, so the writer's next raise never meets a piece in flight.
constexpr uint64_t kFillClaim = 256 << 10;
constexpr uint64_t kFillGap = 512 << 10;

bool CommitLog::fills() const { return opt_.segment_prefill && opt_.write_mode == WriteMode::Pwrite; }

// The writer may have rolled past the segment after the one being filled
// while that fill ran (a burst outran it), or into a segment it had to
// create itself (the allocator was late): that segment is the head's now,
// and unfilled. Fill it first, ahead of the writer; skipped for next_, it
// left the writer a whole segment of holes to allocate and the pre-fault
// thread its read-ahead to zero (~0.35 of a core here), and workload 6 a
// p99 of 24-66 ms late in compare.sh (docs/benchmarks.md, "Session 18
// (background)"). Fills begin in segment order, so "begun" is one base.
SegmentPtr CommitLog::next_fill() {
  SegmentPtr head = pin(write_offset());
  if (head && head->base() > fill_started_base_) return head;
  if (next_ && next_->base() > fill_started_base_) return next_;
  return nullptr;
}

void CommitLog::start_fill(const SegmentPtr& seg) {
  fill_started_base_ = std::max(fill_started_base_, seg->base());
  fill_seg_ = seg;
  filled_ = 0;
  fill_from_w_ = write_offset();
  fill_back_[0] = fill_back_[1] = UINT64_MAX;
}

void CommitLog::fence_fill(uint64_t end) {
  if (end <= fill_claimed_ || !fills()) return;
  fill_claimed_ = end + kFillClaim;
  fill_floor_.store(fill_claimed_, std::memory_order_seq_cst);
  // A piece started below the new floor before the fill could see it: wait
  // for its write (it holds fill_mu_ across it); its zeros then lie under
  // this write and the next ones up to the floor (made without this check),
  // not over them.
  if (fill_busy_.load(std::memory_order_seq_cst) < fill_claimed_) {
    std::lock_guard fl(fill_mu_);
  }
}

bool CommitLog::prefill_due(const Segment& seg, uint64_t write_offset) const {
  // Spread over the active segment's life, in step with the writer: done
  // when it is two thirds through. A segment of zeros written in one burst
  // (64 MiB in ~70 ms here) made every group sync in that burst wait for
  // the device to take megabytes of zeros (pass end -> wake ~4 ms: ack p99
  // x1.5, docs/benchmarks.md "Session 11 (flush)").
  constexpr uint64_t kFillLead = 2 << 20;
  // In the active segment: this far ahead of the writer, at its pace. Far
  // enough that the writer meets only zeros whose write-back finished long
  // before (16 MiB = ~150 ms of sync-flush appends here). Measured against
  // twice the writer's pace and leads growing from 1-2 MiB to 8-16 MiB:
  // no better (docs/benchmarks.md, "Session 12 (flush)").
  constexpr uint64_t kActiveLead = 16 << 20;
  const uint64_t active_base = write_offset / opt_.segment_size * opt_.segment_size;
  const uint64_t written = write_offset - active_base;
  if (seg.base() <= active_base) {
    // The writer is in it (a fresh log's first segment, or a fill the roll
    // cut short): a bounded distance ahead of the writer, at its pace; the
    // next segment's fill follows when this one reaches the end. Behind the
    // writer: prefill_piece ends it.
    if (seg.base() < active_base) return true;
    const uint64_t lo = fill_floor_.load(std::memory_order_relaxed) + kFillGap;
    const uint64_t at = std::max(filled_, lo > seg.base() ? lo - seg.base() : 0);
    return at < written + kActiveLead;
  }
  // The next segment: 1.5 x the writer's pace, and never faster than twice
  // its pace since this fill began (a fill that starts mid-segment does not
  // burst to catch up).
  const uint64_t since = write_offset > fill_from_w_ ? write_offset - fill_from_w_ : 0;
  return filled_ < std::min(written + written / 2, 2 * since) + kFillLead;
}

bool CommitLog::prefill_piece(const SegmentPtr& seg) {
  // Why: a group-commit fdatasync over blocks already written costs about
  // half one over holes (no block allocation, no inode write) and the pwrite
  // into cached pages a third (docs/benchmarks.md, "Session 10 (flush)");
  // zeros written and synced beside the groups tripled their p99, buffered
  // zeros in another file cost little (the same section). So: buffered
  // zeros, write-back started here and paced, never an fdatasync. Small
  // pieces: a group sync finds at most a few hundred KiB of zeros in the
  // device's queue, and a writer that meets a piece in flight waits for at
  // most one piece's copy (its own pwrite there would wait for it on the
  // inode lock anyway).
  constexpr uint64_t kFillStep = 256 << 10;
  const int fd = seg->fd();
  // At most two pieces' write-back in flight: the disk queue never holds
  // more zeros than that ahead of a group's sync. Waits for I/O, not a flush.
  if (fill_back_[0] != UINT64_MAX) io_.wait_writeback(fd, fill_back_[0], kFillStep);
  int rc;
  uint64_t at, n;
  {
    std::lock_guard fl(fill_mu_);
    // Never at or below the writer's floor; with a gap above it while the
    // writer is in this segment.
    const uint64_t lo = fill_floor_.load(std::memory_order_seq_cst) + kFillGap;
    at = std::max(filled_, lo > seg->base() ? lo - seg->base() : 0);
    if (at >= seg->size()) return false;  // done, or the writer is past it
    n = std::min(kFillStep, seg->size() - at);
    fill_busy_.store(seg->base() + at, std::memory_order_seq_cst);
    if (fill_floor_.load(std::memory_order_seq_cst) > seg->base() + at) {
      fill_busy_.store(UINT64_MAX, std::memory_order_release);
      return true;  // the writer moved up meanwhile: the next turn starts above it
    }
    rc = io_.write_zeros(fd, at, n);
    fill_busy_.store(UINT64_MAX, std::memory_order_release);
  }
  if (rc < 0) {
    // Nothing is lost: no record is there yet. The rest stays sparse; the
    // writer allocates it as it appends, and its own write fails (and
    // reports) if the disk is still full then.
    if (env_.log) {
      env_.log(FERRY_LOG_ERROR, "cannot pre-fill commit log segment " + seg->path() + " at " +
                                    std::to_string(at) + ": " + errno_text(rc) +
                                    (rc == -ENOSPC || rc == -EDQUOT ? " (disk full)" : "") +
                                    "; the rest of it is left sparse (segment_prefill), no record is affected");
    }
    return false;
  }
  io_.start_writeback(fd, at, n);
  fill_back_[0] = fill_back_[1];
  fill_back_[1] = at;
  filled_ = at + n;
  return filled_ < seg->size();
}

void CommitLog::publish_written(uint64_t pos) {
  write_offset_.store(pos, std::memory_order_release);
  if (opt_.writeback_bytes && pos - writeback_asked_ >= opt_.writeback_bytes) {
    writeback_asked_ = pos;
    alloc_cv_.notify_one();  // a wake lost to a race waits for the next one
  }
}

bool CommitLog::writeback_due() const {
  return opt_.writeback_bytes &&
         (write_offset() & ~(kPage - 1)) >= std::max(writeback_done_, synced_.load()) + opt_.writeback_bytes;
}

void CommitLog::start_writeback() {
  // Whole pages only: the writer appends into the page holding the head, and
  // a page under write-back may make that append wait (stable pages).
  // Advice: an error changes when bytes reach the disk, never whether a sync
  // makes them durable.
  const uint64_t end = write_offset() & ~(kPage - 1);
  for (uint64_t pos = std::max(writeback_done_, synced_.load()) & ~(kPage - 1); pos < end;) {
    SegmentPtr seg = pin(pos);
    if (!seg) {  // deleted by retention
      pos = std::max(pos + 1, min_offset());
      continue;
    }
    uint64_t upto = std::min(end, seg->end());
    io_.start_writeback(seg->fd(), pos - seg->base(), upto - pos);
    pos = upto;
  }
  writeback_done_ = std::max(writeback_done_, end);
}

void CommitLog::zero_ahead(uint64_t from, uint64_t target) {
  // Why: a fresh page of the sparse segment costs the kernel a page-cache
  // allocation, and faulted through the mapping (MADV_POPULATE_WRITE) a
  // read-ahead that zero-fills large folios: 64 % of all samples of mmap
  // single appends, half of it on the appending thread (48 % of ferryd's
  // samples in workload 7). Writing zeros with pwrite builds those pages
  // here without read-ahead; populate then only maps them and allocates
  // blocks (a full disk shows there): mmap single appends +7-31 %, batches
  // of 32 +32-45 % (docs/benchmarks.md, Storage, session 4). Zeros are
  // written only at or above both faulted_ and zero_floor_, under zero_mu_,
  // so never over a record. Not on the pwrite path: there a group-commit
  // fdatasync would also write the zero pages (measured +17-31 %
  // throughput but p99 twice as long).
  // In kZeroStep pieces; only the zero write holds zero_mu_. The populate
  // needs no lock: it maps pages without changing a byte, and the zero write
  // already reserved their blocks (a full disk shows there), so the writer
  // may use a page between the two (a minor fault at worst).
  SegmentPtr seg = pin(from);
  if (!seg) return;
  const uint64_t end = std::min(target, seg->end());
  if (opt_.write_mode == WriteMode::Pwrite) {
    // pwrite_prefault: read ahead over the holes past the head, which puts
    // clean zero-filled pages in the page cache for the loop's pwrites to
    // copy into. Not zero writes: a buffered write holds the inode's lock
    // for its whole copy, and the loop's pwrite spun on it behind each one
    // (rwsem_spin_on_owner, docs/benchmarks.md "Session 8 (tput)"); and
    // clean pages are never written back, so no flush syncs zeros. Never
    // changes a byte (a page the writer already filled is skipped; one
    // evicted since is read back), so no zero_mu_; advice only.
    for (uint64_t start = std::max(faulted_.load(), seg->base()); start < end;) {
      uint64_t n = std::min(kPwriteReadStep - (start - seg->base()) % kPwriteReadStep, end - start);
      if (io_.readahead(seg->fd(), start - seg->base(), n) < 0) break;
      fetch_max(faulted_, start + n);
      start += n;
    }
    return;
  }
  for (;;) {
    uint64_t start, n;
    {
      std::lock_guard zl(zero_mu_);
      start = std::max(faulted_.load(), zero_floor_.load());
      if (start < seg->base() || start >= end) break;
      n = std::min(kZeroStep - (start - seg->base()) % kZeroStep, end - start);
      if (io_.write_zeros(seg->fd(), start - seg->base(), n) < 0) break;  // disk full: the writer reports
      fetch_max(faulted_, start + n);
    }
    uint64_t a = (start - seg->base()) & ~(kPage - 1);
    if (io_.populate(seg->data() + a, start + n - seg->base() - a) < 0) break;
    // Populated (blocks allocated): reading cannot SIGBUS; `seg` keeps the
    // mapping alive.
    touch_pages(seg->data() + a, start + n - seg->base() - a);
  }
}

SegmentPtr CommitLog::take_next(uint64_t base, std::string* error) {
  SegmentPtr s;
  {
    std::unique_lock lk(alloc_mu_);
    // Being created right now: waiting costs less than creating it twice.
    created_cv_.wait_for(lk, std::chrono::seconds(5), [&] { return creating_ != base; });
    if (next_ && next_->base() == base) s = std::move(next_);
    next_.reset();
  }
  alloc_cv_.notify_one();
  if (!s) {
    // The allocator has not caught up (or failed): create it here.
    s = create_segment(base, error);
    if (!s) return nullptr;
    if (env_.log) env_.log(FERRY_LOG_WARN, "next commit log segment was not ready: created it on the writer");
  } else if (prefaults()) {
    // Nothing of it is faulted in yet (allocator_loop): the window starts
    // at its base, and the first reserve there asks for it.
    fetch_max(faulted_, base);
  }
  {
    std::lock_guard lk(seg_mu_);
    segments_.push_back(s);
  }
  alloc_cv_.notify_one();
  return s;
}

void CommitLog::request_window(uint64_t end) {
  fault_request_.store(std::min(end + opt_.prefault_window, active_->end()));
  alloc_cv_.notify_one();
}

bool CommitLog::prefaults() const {
  return opt_.prefault_window &&
         (opt_.write_mode == WriteMode::Mmap || opt_.pwrite_prefault);
}

void CommitLog::claim_for_pwrite(uint64_t end) {
  if (opt_.write_mode != WriteMode::Pwrite || !prefaults()) return;
  // A segment the writer had to create itself (take_next) starts its
  // window at its base, as one the allocator handed over does.
  if (faulted_.load(std::memory_order_acquire) < active_->base()) fetch_max(faulted_, active_->base());
  // The pre-fault only reads ahead here (zero_ahead): nothing to fence off.
  const uint64_t f = faulted_.load(std::memory_order_acquire);
  if (f < active_->end() && (end > f || f - end < opt_.prefault_window / 2)) {
    request_window(end);
  }
}

ferry_status CommitLog::ensure_faulted(uint64_t end, std::string* error) {
  if (opt_.write_mode != WriteMode::Mmap || opt_.prefault_window == 0) return FERRY_OK;
  uint64_t f = faulted_.load(std::memory_order_acquire);
  if (end <= f && f > active_->base()) {
    if (f - end < opt_.prefault_window / 2 && f < active_->end()) {
      request_window(end);
    }
    return FERRY_OK;
  }
  // The window fell behind (or the segment is new): fault in what this
  // write needs, to the next kZeroStep boundary, on the writer, and ask the
  // allocator for the window past it — not the whole window here, which
  // would stall this append for megabytes of zeros.
  uint64_t from = std::max(f, head_);
  if (from < active_->base()) from = active_->base();
  uint64_t to = std::min((end - active_->base() + kZeroStep) / kZeroStep * kZeroStep + active_->base(),
                         active_->end());
  uint64_t a = (from - active_->base()) & ~(kPage - 1);
  {
    // No zero write of the allocator's is in flight once we hold the lock,
    // and none starts below `to` afterwards.
    std::lock_guard zl(zero_mu_);
    fetch_max(zero_floor_, to);
  }
  // Bytes from the head on hold nothing yet (this record is encoded after
  // reserve returns); below it, this batch's records are left alone.
  uint64_t z = std::max(from, head_);
  io_.write_zeros(active_->fd(), z - active_->base(), to - z);
  int rc = io_.populate(active_->data() + a, to - active_->base() - a);
  if (rc < 0) {
    *error = "cannot allocate commit log space in " + active_->path() + ": " + errno_text(rc);
    return io_status(rc);
  }
  fetch_max(faulted_, to);
  if (to < active_->end()) {
    request_window(end);
  }
  return FERRY_OK;
}

void CommitLog::begin_batch() {
  write_mu_.lock();
  batch_start_ = head_;
  if (staging_.empty()) staged_from_ = head_;
}

ferry_status CommitLog::reserve(uint32_t size, char** dst, uint64_t* offset, std::string* error) {
  if (size > active_->size()) {
    *error = "record of " + std::to_string(size) + " bytes is larger than a segment";
    return FERRY_E_MESSAGE_TOO_LARGE;
  }
  uint64_t rem = active_->end() - head_;
  if (size != rem && static_cast<uint64_t>(size) + FERRY_RECORD_MIN_BLANK > rem) {
    // Does not fit: a blank record fills the rest, the next segment begins.
    if (rem >= FERRY_RECORD_MIN_BLANK) {
      if (opt_.write_mode == WriteMode::Mmap) {
        if (ferry_status st = ensure_faulted(head_ + FERRY_RECORD_MIN_BLANK, error); st != FERRY_OK)
          return st;
        common::encode_blank(active_->data() + (head_ - active_->base()), static_cast<uint32_t>(rem));
      } else {
        size_t at = staging_.size();
        staging_.resize(at + FERRY_RECORD_MIN_BLANK);
        common::encode_blank(staging_.data() + at, static_cast<uint32_t>(rem));
        // Staged: a retry after a failed write below must not stage it twice.
        head_ = active_->end();
      }
    }
    if (opt_.write_mode == WriteMode::Pwrite) {
      if (ferry_status st = flush_staged(error); st != FERRY_OK) return st;
    }
    // Everything up to the old segment's end is published with the batch.
    if (ferry_status st = roll(error); st != FERRY_OK) return st;
    staging_.clear();
  }
  *offset = head_;
  if (opt_.write_mode == WriteMode::Mmap) {
    if (ferry_status st = ensure_faulted(head_ + size, error); st != FERRY_OK) return st;
    *dst = active_->data() + (head_ - active_->base());
  } else {
    // Every record staged so far is encoded by now: write them out before
    // the buffer passes its bound.
    if (turn_staging_ && !staging_.empty() && staging_.size() + size > kStageLimit) {
      if (ferry_status st = flush_staged(error); st != FERRY_OK) return st;
    }
    size_t at = staging_.size();
    staging_.resize(at + size);
    *dst = staging_.data() + at;
  }
  head_ += size;
  return FERRY_OK;
}

ferry_status CommitLog::roll(std::string* error) {
  SegmentPtr next = take_next(active_->end(), error);
  if (!next) return FERRY_E_IO;
  advise_head(active_, false);
  advise_head(next, true);
  active_ = std::move(next);
  head_ = active_->base();
  staged_from_ = head_;
  return FERRY_OK;
}

ferry_status CommitLog::flush_staged(std::string* error) {
  if (staging_.empty()) return FERRY_OK;
  claim_for_pwrite(staged_from_ + staging_.size());
  fence_fill(staged_from_ + staging_.size());
  int rc = write_all(io_, active_->fd(), staging_.data(), staging_.size(),
                     static_cast<off_t>(staged_from_ - active_->base()));
  if (rc < 0) {
    *error = "cannot write commit log segment " + active_->path() + ": " + errno_text(rc);
    if (turn_staging_) {
      // Earlier batches' records are in here, their appends answered: keep
      // them for a retry (the same bytes at the same offset) and refuse new
      // batches until one succeeds (check_writable).
      write_failed_ = io_status(rc);
      write_error_ = *error;
      return write_failed_;
    }
    head_ = staged_from_;
    staging_.clear();
    return io_status(rc);
  }
  staged_from_ += staging_.size();
  staging_.clear();
  write_failed_ = FERRY_OK;
  // In the file now: readers, sync and checkpoints may use these bytes.
  publish_written(staged_from_);
  return FERRY_OK;
}

ferry_status CommitLog::check_writable(std::string* error) {
  if (write_failed_ == FERRY_OK) return FERRY_OK;
  if (flush_staged(error) == FERRY_OK) return FERRY_OK;
  *error = write_error_ +
           " (records already appended are held until that write succeeds; new appends are refused)";
  return write_failed_;
}

ferry_status CommitLog::end_batch(uint64_t* new_head, std::string* error) {
  ferry_status st = FERRY_OK;
  if (opt_.write_mode == WriteMode::Pwrite) {
    if (!turn_staging_ || staging_.size() >= kStageLimit) st = flush_staged(error);
  } else {
    publish_written(head_);
  }
  *new_head = head_;
  write_mu_.unlock();
  return st;
}

ferry_status CommitLog::end_turn(uint64_t* write_offset, std::string* error) {
  std::lock_guard lk(write_mu_);
  if (opt_.write_mode == WriteMode::Pwrite) turn_staging_ = true;
  ferry_status st = flush_staged(error);
  *write_offset = this->write_offset();
  return st;
}

ferry_status CommitLog::append_raw(const char* bytes, size_t len, std::string* error) {
  // The caller verified that `bytes` are whole records (and blanks ending
  // segments) starting at the head; copy them segment by segment, after
  // anything staged.
  if (ferry_status st = flush_staged(error); st != FERRY_OK) return st;
  size_t done = 0;
  while (done < len) {
    if (head_ == active_->end()) {
      if (ferry_status st = roll(error); st != FERRY_OK) return st;
    }
    size_t n = static_cast<size_t>(std::min<uint64_t>(len - done, active_->end() - head_));
    if (opt_.write_mode == WriteMode::Mmap) {
      if (ferry_status st = ensure_faulted(head_ + n, error); st != FERRY_OK) return st;
      std::memcpy(active_->data() + (head_ - active_->base()), bytes + done, n);
    } else {
      claim_for_pwrite(head_ + n);
      fence_fill(head_ + n);
      int rc = write_all(io_, active_->fd(), bytes + done, n,
                         static_cast<off_t>(head_ - active_->base()));
      if (rc < 0) {
        *error = "cannot write commit log segment " + active_->path() + ": " + errno_text(rc);
        return io_status(rc);
      }
    }
    head_ += n;
    staged_from_ = head_;
    done += n;
    // pwrite: in the file now (end_batch publishes only what it writes).
    if (opt_.write_mode == WriteMode::Pwrite) publish_written(head_);
  }
  return FERRY_OK;
}

SegmentPtr CommitLog::pin(uint64_t offset) const {
  std::lock_guard lk(seg_mu_);
  if (segments_.empty() || offset < segments_.front()->base()) return nullptr;
  size_t i = static_cast<size_t>((offset - segments_.front()->base()) / opt_.segment_size);
  if (i >= segments_.size()) return nullptr;
  return segments_[i];
}

std::vector<SegmentPtr> CommitLog::segments() const {
  std::lock_guard lk(seg_mu_);
  return segments_;
}

ferry_status CommitLog::sync(uint64_t upto, uint64_t* synced, std::string* error) {
  std::lock_guard lk(sync_mu_);
  uint64_t from = synced_.load();
  uint64_t target = std::min(upto, write_offset());
  if (target <= from) {
    *synced = from;
    return FERRY_OK;
  }
  for (uint64_t pos = from; pos < target;) {
    SegmentPtr seg = pin(pos);
    if (!seg) {  // deleted by retention: nothing left to sync there
      pos = std::max(pos + 1, min_offset());
      continue;
    }
    uint64_t end = std::min(target, seg->end());
    // Both write modes: fdatasync of the segment file (msync of the same
    // dirty range cost ~3x in session 1's bench). Bytes below `end` were written before
    // write_offset() published them, so this sync covers them.
    int rc = io_.sync_data(seg->fd(), pos - seg->base(), end - seg->base());
    if (rc < 0) {
      *error = "cannot sync commit log segment " + seg->path() + ": " + errno_text(rc);
      *synced = synced_.load();
      return io_status(rc) == FERRY_E_DISK_FULL ? FERRY_E_DISK_FULL : FERRY_E_IO;
    }
    // A segment that ended is synced through its end (its blank included).
    pos = end == target && end < seg->end() ? end : seg->end();
    if (pos > target) pos = target;
    synced_.store(pos, std::memory_order_release);
  }
  *synced = synced_.load();
  return FERRY_OK;
}

bool CommitLog::delete_oldest(std::string* path) {
  SegmentPtr victim;
  {
    std::lock_guard lk(seg_mu_);
    if (segments_.size() < 2) return false;
    if (segments_.front()->end() > write_offset()) return false;
    victim = segments_.front();
    segments_.erase(segments_.begin());
    min_offset_.store(segments_.front()->base(), std::memory_order_release);
  }
  *path = victim->path();
  io_.unlink(*path);
  return true;
}

bool CommitLog::resident(const Segment& seg, uint64_t offset, uint64_t len) const {
  uint64_t start = (offset - seg.base()) & ~(kPage - 1);
  uint64_t end = std::min(offset - seg.base() + len, seg.size());
  unsigned char vec[256];
  while (start < end) {
    uint64_t n = std::min<uint64_t>(end - start, sizeof vec * kPage);
    if (::mincore(seg.data() + start, n, vec) != 0) return true;  // cannot tell: assume hot
    for (uint64_t i = 0; i < (n + kPage - 1) / kPage; ++i)
      if (!(vec[i] & 1)) return false;
    start += n;
  }
  return true;
}

}  // namespace ferry::mmaplog
