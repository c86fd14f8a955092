#include "consume_queue.h"

#include <fcntl.h>
#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "segment.h"

namespace ferry::mmaplog {

namespace {

void put_be64(char* p, uint64_t v) {
  for (int i = 7; i >= 0; --i) {
    p[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
}
void put_be32(char* p, uint32_t v) {
  for (int i = 3; i >= 0; --i) {
    p[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
}
uint64_t be64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}
uint32_t be32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}
CqEntry decode(const char* p) {
  return CqEntry{be64(p), be32(p + 8), static_cast<int64_t>(be64(p + 12))};
}
// n entries in their on-disk form at out (n * kCqEntrySize bytes).
template <class Write>
void encode_run(const Write* const* run, size_t n, char* out) {
  for (size_t i = 0; i < n; ++i, out += kCqEntrySize) {
    put_be64(out, run[i]->e.commit_offset);
    put_be32(out + 8, run[i]->e.size);
    put_be64(out + 12, static_cast<uint64_t>(run[i]->e.tag_hash));
  }
}
bool safe_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '_' || c == '-' || c == '%' || c == '|';
}
std::string hex_decode(std::string_view s) {
  std::string out;
  auto nib = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  for (size_t i = 0; i + 1 < s.size(); i += 2)
    out.push_back(static_cast<char>(nib(s[i]) * 16 + nib(s[i + 1])));
  return out;
}
bool parse_int(const std::string& s, int32_t* out) {
  if (s.empty() || s.size() > 10) return false;
  long long v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  if (v > INT32_MAX) return false;
  *out = static_cast<int32_t>(v);
  return true;
}

// Descriptors kept for writing: the configured number, or by default a
// quarter of the process's descriptor limit (connections, segments and
// index files need the rest), at least 64.
size_t fd_capacity(const Options& opt) {
  if (opt.max_open_queue_files > 0) return opt.max_open_queue_files;
  struct rlimit rl {};
  uint64_t limit = ::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY
                       ? static_cast<uint64_t>(rl.rlim_cur) : 4096;
  return static_cast<size_t>(std::clamp<uint64_t>(limit / 4, 64, 65'536));
}

}  // namespace

std::string_view queue_key(std::string_view topic, int32_t queue_id, char (&buf)[160]) {
  size_t n = std::min<size_t>(topic.size(), sizeof buf - 5);
  std::memcpy(buf, topic.data(), n);
  buf[n] = '\0';
  std::memcpy(buf + n + 1, &queue_id, 4);
  return std::string_view(buf, n + 5);
}

ConsumeQueues::ConsumeQueues(const Options& opt, Io& io)
    : opt_(opt), io_(io), root_(opt.dir + "/consumequeue"),
      cache_(io, opt.max_mapped_queue_files), fds_(fd_capacity(opt)) {}

// Topic names become directory names: kept as they are when made of safe
// characters, else "~" + hex (no "..", "/" or odd bytes on disk).
std::string ConsumeQueues::topic_dir(std::string_view topic) const {
  bool safe = !topic.empty() && std::all_of(topic.begin(), topic.end(), safe_char);
  if (safe) return root_ + "/" + std::string(topic);
  std::string out = root_ + "/~";
  static const char* kHex = "0123456789abcdef";
  for (unsigned char c : topic) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

std::string ConsumeQueues::file_path(const ConsumeQueue& q, uint64_t file_no) const {
  return q.dir + "/" + Segment::file_name(file_no * file_bytes());
}

ConsumeQueuePtr ConsumeQueues::insert_locked(std::string_view topic, int32_t queue_id) {
  char buf[160];
  std::string_view key = queue_key(topic, queue_id, buf);
  auto q = std::make_shared<ConsumeQueue>(std::string(topic), queue_id, next_serial_++,
                                          topic_dir(topic) + "/" + std::to_string(queue_id));
  queues_.emplace(std::string(key), q);
  by_serial_[q->serial] = q;
  return q;
}

ConsumeQueuePtr ConsumeQueues::find(std::string_view topic, int32_t queue_id) const {
  char buf[160];
  std::string_view key = queue_key(topic, queue_id, buf);
  std::shared_lock lk(mu_);
  auto it = queues_.find(key);
  return it == queues_.end() ? nullptr : it->second;
}

ConsumeQueuePtr ConsumeQueues::find_or_create(std::string_view topic, int32_t queue_id) {
  if (auto q = find(topic, queue_id)) return q;
  std::unique_lock lk(mu_);
  char buf[160];
  auto it = queues_.find(queue_key(topic, queue_id, buf));
  if (it != queues_.end()) return it->second;
  return insert_locked(topic, queue_id);
}

void ConsumeQueues::for_each(const std::function<void(const ConsumeQueuePtr&)>& fn) const {
  std::vector<ConsumeQueuePtr> all;
  {
    std::shared_lock lk(mu_);
    all.reserve(queues_.size());
    for (auto& [k, q] : queues_) all.push_back(q);
  }
  for (auto& q : all) fn(q);
}

size_t ConsumeQueues::count() const {
  std::shared_lock lk(mu_);
  return queues_.size();
}

std::vector<uint64_t> ConsumeQueues::list_files(const ConsumeQueue& q) const {
  std::vector<std::string> names;
  std::vector<uint64_t> files;
  if (io_.list_dir(q.dir, &names) < 0) return files;
  for (auto& n : names) {
    uint64_t b;
    if (Segment::parse_name(n, &b) && b % file_bytes() == 0) files.push_back(b / file_bytes());
  }
  std::sort(files.begin(), files.end());
  return files;
}

ferry_status ConsumeQueues::load(uint64_t log_end, std::string* error) {
  if (int rc = io_.mkdirs(root_); rc < 0) {
    *error = "cannot create " + root_ + ": " + std::strerror(-rc);
    return FERRY_E_IO;
  }
  std::vector<std::string> topics;
  io_.list_dir(root_, &topics);
  for (const auto& tdir : topics) {
    std::string topic = tdir.size() > 1 && tdir[0] == '~' ? hex_decode(tdir.substr(1)) : tdir;
    std::vector<std::string> qids;
    io_.list_dir(root_ + "/" + tdir, &qids);
    for (const auto& qs : qids) {
      int32_t qid;
      if (!parse_int(qs, &qid)) continue;
      ConsumeQueuePtr q;
      {
        std::unique_lock lk(mu_);
        q = insert_locked(topic, qid);
      }
      std::vector<uint64_t> files = list_files(*q);
      if (files.empty()) continue;
      const uint64_t per = opt_.queue_file_entries;
      q->min_offset.store(files.front() * per);
      // The last file holds the tail: entries are contiguous from its start,
      // so binary-search the last non-empty one; then drop entries whose
      // records the commit log no longer has — into earlier files if the
      // log lost more than a file's worth.
      uint64_t max = files.front() * per;
      while (!files.empty()) {
        uint64_t last = files.back();
        int err = 0;
        MappedFilePtr f = cache_.open(FileKey{q->serial, last}, file_path(*q, last),
                                      file_bytes(), false, false, &err);
        if (!f) {
          *error = "cannot open consume queue " + file_path(*q, last) + ": " + std::strerror(-err);
          return FERRY_E_IO;
        }
        uint64_t lo = 0, hi = per;  // first empty index in [lo, hi]
        while (lo < hi) {
          uint64_t mid = (lo + hi) / 2;
          if (decode(f->data() + mid * kCqEntrySize).size != 0) lo = mid + 1; else hi = mid;
        }
        uint64_t n = lo;
        while (n > 0) {
          CqEntry e = decode(f->data() + (n - 1) * kCqEntrySize);
          if (e.size != 0 && e.commit_offset + e.size <= log_end) break;
          std::memset(f->data() + (n - 1) * kCqEntrySize, 0, kCqEntrySize);
          --n;
        }
        if (n > 0 || files.size() == 1) {
          max = last * per + n;
          break;
        }
        f.reset();
        drop_file(FileKey{q->serial, last});
        io_.unlink(file_path(*q, last));
        files.pop_back();
      }
      q->max_offset.store(std::max(max, q->min_offset.load()));
    }
  }
  return FERRY_OK;
}

uint64_t ConsumeQueues::files_end(const ConsumeQueue& q) const {
  std::vector<uint64_t> files = list_files(q);
  return files.empty() ? q.min_offset.load() : (files.back() + 1) * opt_.queue_file_entries;
}

ferry_status ConsumeQueues::cut(ConsumeQueue& q, uint64_t keep, bool* zeroed, std::string* error) {
  *zeroed = false;
  const uint64_t per = opt_.queue_file_entries;
  constexpr uint64_t kPage = 4096;
  std::vector<uint64_t> files = list_files(q);
  auto fail = [&](const std::string& path, int rc) {
    *error = "cannot cut consume queue " + path + " after a crash: " + std::strerror(-rc);
    return FERRY_E_IO;
  };
  for (size_t i = files.size(); i-- > 0;) {
    const uint64_t fno = files[i];
    const uint64_t first = fno * per;
    if (first + per <= keep) break;  // wholly kept, and so are the files before it
    const std::string path = file_path(q, fno);
    drop_file(FileKey{q.serial, fno});
    // The oldest file stays (its name carries the queue's min offset).
    if (first >= keep && i > 0) {
      if (int rc = io_.unlink(path); rc < 0 && rc != -ENOENT) return fail(path, rc);
      *zeroed = true;
      continue;
    }
    const uint64_t from = (std::max(keep, first) - first) * kCqEntrySize;
    const uint64_t page_end = std::min<uint64_t>((from + kPage - 1) / kPage * kPage, file_bytes());
    int fd = io_.open(path, O_RDWR, 0644);
    if (fd < 0) return fail(path, fd);
    // Anything stored past `from`? The partial page is read; after it, any
    // allocated block counts (a sparse, never-written tail has none).
    std::vector<char> head(page_end - from);
    ssize_t n = head.empty() ? 0 : read_full(io_, fd, head.data(), head.size(), static_cast<off_t>(from));
    bool dirty = n < 0 || std::any_of(head.begin(), head.begin() + std::max<ssize_t>(n, 0),
                                      [](char c) { return c != 0; });
    if (!dirty && page_end < file_bytes()) {
      int64_t data = io_.seek_data(fd, page_end, false);
      dirty = data != -ENXIO;
    }
    int rc = 0;
    if (dirty) {
      *zeroed = true;
      std::fill(head.begin(), head.end(), 0);
      // Zero the partial page, drop the blocks after it, restore the size.
      if (!head.empty()) rc = write_all(io_, fd, head.data(), head.size(), static_cast<off_t>(from));
      if (rc == 0) rc = io_.ftruncate(fd, static_cast<off_t>(page_end));
      if (rc == 0) rc = io_.ftruncate(fd, static_cast<off_t>(file_bytes()));
      if (rc == 0) rc = io_.fdatasync(fd);
    }
    io_.close(fd);
    if (rc < 0) return fail(path, rc);
  }
  q.sized_file = UINT64_MAX;  // cut short: checked again before the next write
  q.max_offset.store(std::max(keep, q.min_offset.load()), std::memory_order_release);
  return FERRY_OK;
}

// q.pending_mu held (q.sized_file).
OpenFilePtr ConsumeQueues::writable(ConsumeQueue& q, const FileKey& key, int* err) {
  if (OpenFilePtr f = fds_.lookup(key)) return f;
  std::string path = file_path(q, key.file_no);
  int fd = io_.open(path, O_RDWR | O_CREAT, 0644);
  if (fd == -ENOENT && io_.mkdirs(q.dir) == 0)  // the queue's first file
    fd = io_.open(path, O_RDWR | O_CREAT, 0644);
  if (fd < 0) {
    *err = fd;
    return nullptr;
  }
  auto file = std::make_shared<OpenFile>(io_, std::move(path), fd);
  // Full size at once, sparse (as a mapping sees it); a shorter file is new
  // or one whose creation a crash cut short.
  if (q.sized_file != key.file_no) {
    uint64_t have = 0;
    if (int rc = io_.file_size(fd, &have); rc < 0) {
      *err = rc;
      return nullptr;
    }
    if (have < file_bytes()) {
      if (int rc = io_.ftruncate(fd, static_cast<off_t>(file_bytes())); rc < 0) {
        *err = rc;
        return nullptr;
      }
    }
    q.sized_file = key.file_no;
  }
  std::vector<OpenFilePtr> closed;  // closed after the cache's lock is released
  return fds_.insert(key, std::move(file), &closed);
}

int ConsumeQueues::write_run(ConsumeQueue& q, uint64_t qoff, const Write* const* run,
                             size_t n, std::vector<FileKey>* touched) {
  const uint64_t per = opt_.queue_file_entries;
  const FileKey key{q.serial, qoff / per};
  int err = 0;
  OpenFilePtr f = writable(q, key, &err);
  if (!f) return err;
  touched->push_back(key);
  buf_.resize(n * kCqEntrySize);
  encode_run(run, n, buf_.data());
  const off_t at = static_cast<off_t>((qoff % per) * kCqEntrySize);
  // After recovery the dispatcher resumes at the checkpoint and meets entries
  // readers can already see (below max_offset): identical ones are left
  // alone, so no write races a reader and no clean page is dirtied.
  size_t skip = 0;
  const uint64_t visible = q.max_offset.load(std::memory_order_acquire);
  if (qoff < visible) {
    const size_t overlap = static_cast<size_t>(std::min<uint64_t>(n, visible - qoff));
    old_.resize(overlap * kCqEntrySize);
    ssize_t got = read_full(io_, f->fd(), old_.data(), old_.size(), at);
    while (got >= 0 && skip < overlap &&
           static_cast<size_t>(got) >= (skip + 1) * kCqEntrySize &&
           std::memcmp(old_.data() + skip * kCqEntrySize, buf_.data() + skip * kCqEntrySize,
                       kCqEntrySize) == 0)
      ++skip;
  }
  if (skip == n) return 0;
  return write_all(io_, f->fd(), buf_.data() + skip * kCqEntrySize, (n - skip) * kCqEntrySize,
                   at + static_cast<off_t>(skip * kCqEntrySize));
}

ferry_status ConsumeQueues::write(const std::vector<Write>& items, size_t* written,
                                  std::vector<FileKey>* touched, std::string* error) {
  *written = items.size();
  if (items.empty()) return FERRY_OK;
  const bool buffered = opt_.queue_buffer_bytes > 0;
  // Buffers over the bound because their writes failed: nothing more is
  // buffered until they are written (the dispatcher retries this batch).
  if (buffered && pending_bytes() > opt_.queue_buffer_bytes) {
    if (ferry_status st = drain_all(touched, error); st != FERRY_OK) {
      *written = 0;
      return st;
    }
  }
  // Group by queue, then offset: consecutive entries of one file are one
  // pwrite (with 4 queues and a 1,024-record batch, 4 calls instead of 1,024).
  order_.clear();
  for (const Write& w : items) order_.push_back(&w);
  std::sort(order_.begin(), order_.end(), [](const Write* a, const Write* b) {
    return a->q->serial != b->q->serial ? a->q->serial < b->q->serial : a->qoff < b->qoff;
  });
  const uint64_t per = opt_.queue_file_entries;
  const Write* first_failed = nullptr;
  int failed_rc = 0;
  std::string failed_path;
  for (size_t i = 0; i < order_.size();) {
    const Write* head = order_[i];
    size_t j = i + 1;
    while (j < order_.size() && order_[j]->q == head->q &&
           order_[j]->qoff == order_[j - 1]->qoff + 1 &&
           (buffered || order_[j]->qoff / per == head->qoff / per))
      ++j;
    int rc;
    {
      std::lock_guard lk(head->q->pending_mu);
      rc = buffered ? buffer_run(*head->q, head->qoff, order_.data() + i, j - i, touched)
                    : write_run(*head->q, head->qoff, order_.data() + i, j - i, touched);
    }
    if (rc < 0) {
      // Items before the run's earliest (in commit-log order) are unaffected.
      const Write* earliest = *std::min_element(order_.data() + i, order_.data() + j);
      if (!first_failed || earliest < first_failed) {
        first_failed = earliest;
        failed_rc = rc;
        failed_path = file_path(*head->q, head->qoff / per);
      }
    }
    i = j;
  }
  if (buffered && pending_bytes() > opt_.queue_buffer_bytes) {
    // A failure leaves them buffered: the next batch retries (above).
    std::string ignored;
    drain_all(touched, &ignored);
  }
  if (!first_failed) return FERRY_OK;
  *written = static_cast<size_t>(first_failed - items.data());
  *error = "cannot write consume queue " + failed_path + ": " + std::strerror(-failed_rc);
  return failed_rc == -ENOSPC ? FERRY_E_DISK_FULL : FERRY_E_IO;
}

int ConsumeQueues::write_bytes(ConsumeQueue& q, uint64_t qoff, const char* data, size_t n,
                               std::vector<FileKey>* touched) {
  const uint64_t per = opt_.queue_file_entries;
  while (n > 0) {
    const FileKey key{q.serial, qoff / per};
    const size_t k = static_cast<size_t>(std::min<uint64_t>(n, per - qoff % per));
    int err = 0;
    OpenFilePtr f = writable(q, key, &err);
    if (!f) return err;
    touched->push_back(key);
    if (int rc = write_all(io_, f->fd(), data, k * kCqEntrySize,
                           static_cast<off_t>((qoff % per) * kCqEntrySize));
        rc < 0)
      return rc;
    qoff += k;
    data += k * kCqEntrySize;
    n -= k;
  }
  return 0;
}

int ConsumeQueues::buffer_run(ConsumeQueue& q, uint64_t qoff, const Write* const* run, size_t n,
                              std::vector<FileKey>* touched) {
  const uint64_t per = opt_.queue_file_entries;
  // Entries readers can already see (the dispatcher resuming at the
  // checkpoint after a crash): checked against the file as before.
  const uint64_t visible = q.max_offset.load(std::memory_order_acquire);
  while (n > 0 && qoff < visible) {
    size_t k = static_cast<size_t>(std::min<uint64_t>({n, visible - qoff, per - qoff % per}));
    if (int rc = write_run(q, qoff, run, k, touched); rc < 0) return rc;
    qoff += k;
    run += k;
    n -= k;
  }
  if (n == 0) return 0;
  if (q.deleted.load(std::memory_order_relaxed)) return 0;
  const size_t pending_entries = q.pending.size() / kCqEntrySize;
  if (!q.pending.empty() && qoff != q.pending_from + pending_entries) {
    // Not contiguous with the buffer (a gap): write that first.
    if (int rc = drain_locked(q, touched); rc < 0) return rc;
  }
  if (q.pending.empty() && n * kCqEntrySize >= kQueueDrainBytes) {
    // A page or more at once (a busy queue): straight to the file.
    buf_.resize(n * kCqEntrySize);
    encode_run(run, n, buf_.data());
    return write_bytes(q, qoff, buf_.data(), n, touched);
  }
  if (q.pending.empty()) {
    q.pending_from = qoff;
    q.pending.reserve(std::min(kQueueDrainBytes, std::max<size_t>(n * kCqEntrySize, 512)));
  }
  const size_t at = q.pending.size();
  q.pending.resize(at + n * kCqEntrySize);
  encode_run(run, n, q.pending.data() + at);
  pending_bytes_.fetch_add(n * kCqEntrySize, std::memory_order_relaxed);
  q.pending_lo.store(q.pending_from, std::memory_order_release);
  if (!q.listed) {
    q.listed = true;
    std::lock_guard lk(listed_mu_);
    listed_.push_back(q.shared_from_this());
  }
  // A failure leaves them buffered (readable); a later drain retries.
  if (q.pending.size() >= kQueueDrainBytes) drain_locked(q, touched);
  return 0;
}

bool ConsumeQueues::buffer_only(ConsumeQueue& q, uint64_t qoff, const CqEntry& e) {
  if (opt_.queue_buffer_bytes == 0 || pending_bytes() + kCqEntrySize > opt_.queue_buffer_bytes)
    return false;
  std::lock_guard lk(q.pending_mu);
  if (qoff < q.max_offset.load(std::memory_order_acquire)) return false;
  const size_t n = q.pending.size() / kCqEntrySize;
  if (n > 0 && qoff != q.pending_from + n) return false;
  if (q.pending.size() + kCqEntrySize > 2 * kQueueDrainBytes) return false;
  if (n == 0) {
    q.pending_from = qoff;
    q.pending.reserve(kQueueDrainBytes);
  }
  const Write w{&q, qoff, e};
  const Write* run = &w;
  const size_t at = q.pending.size();
  q.pending.resize(at + kCqEntrySize);
  encode_run(&run, 1, q.pending.data() + at);
  pending_bytes_.fetch_add(kCqEntrySize, std::memory_order_relaxed);
  q.pending_lo.store(q.pending_from, std::memory_order_release);
  const bool full = q.pending.size() >= kQueueDrainBytes && !q.full_listed;
  if (full) q.full_listed = true;
  if (!q.listed || full) {
    std::lock_guard ll(listed_mu_);
    if (!q.listed) listed_.push_back(q.shared_from_this());
    if (full) full_.push_back(q.shared_from_this());
    q.listed = true;
  }
  return true;
}

void ConsumeQueues::drain_full(std::vector<FileKey>* touched) {
  {
    std::lock_guard ll(listed_mu_);
    if (full_.empty()) return;
    full_scratch_.swap(full_);
  }
  for (const ConsumeQueuePtr& q : full_scratch_) {
    std::lock_guard lk(q->pending_mu);
    q->full_listed = false;
    if (q->pending.size() >= kQueueDrainBytes) drain_locked(*q, touched);
  }
  full_scratch_.clear();
}

int ConsumeQueues::drain_locked(ConsumeQueue& q, std::vector<FileKey>* touched) {
  if (q.pending.empty()) return 0;
  const size_t n = q.pending.size() / kCqEntrySize;
  if (!q.deleted.load(std::memory_order_relaxed)) {
    if (int rc = write_bytes(q, q.pending_from, q.pending.data(), n, touched); rc < 0) return rc;
  }
  drop_pending(q);
  q.pending_from += n;
  return 0;
}

// Released, not kept: 40,000 idle queues would otherwise hold a page each.
void ConsumeQueues::drop_pending(ConsumeQueue& q) {
  pending_bytes_.fetch_sub(q.pending.size(), std::memory_order_relaxed);
  std::vector<char>().swap(q.pending);
  q.pending_lo.store(UINT64_MAX, std::memory_order_release);
}

ferry_status ConsumeQueues::drain_all(std::string* error) {
  std::vector<FileKey> touched;
  ferry_status st = drain_all(&touched, error);
  mark_dirty(&touched);
  return st;
}

ferry_status ConsumeQueues::drain_all(std::vector<FileKey>* touched, std::string* error) {
  std::vector<ConsumeQueuePtr> list;
  {
    std::lock_guard lk(listed_mu_);
    list.swap(listed_);
  }
  ferry_status st = FERRY_OK;
  std::vector<ConsumeQueuePtr> failed;
  for (const ConsumeQueuePtr& q : list) {
    std::lock_guard lk(q->pending_mu);
    if (int rc = drain_locked(*q, touched); rc < 0) {
      if (st == FERRY_OK) {
        st = rc == -ENOSPC ? FERRY_E_DISK_FULL : FERRY_E_IO;
        *error = "cannot write consume queue " +
                 file_path(*q, q->pending_from / opt_.queue_file_entries) + ": " + std::strerror(-rc);
      }
      failed.push_back(q);  // still listed
      continue;
    }
    q->listed = false;
  }
  if (!failed.empty()) {
    std::lock_guard lk(listed_mu_);
    listed_.insert(listed_.end(), failed.begin(), failed.end());
  }
  return st;
}

void ConsumeQueues::drop_file(const FileKey& key) {
  cache_.drop(key);
  std::vector<OpenFilePtr> closed;
  fds_.drop(key, &closed);
}

void ConsumeQueues::mark_dirty(std::vector<FileKey>* touched) {
  if (touched->empty()) return;
  std::lock_guard lk(dirty_mu_);
  dirty_.insert(touched->begin(), touched->end());
  touched->clear();
}

bool ConsumeQueues::get(const ConsumeQueue& q, uint64_t qoff, CqEntry* e, MappedFilePtr* hold,
                        FileKey* hold_key) const {
  const uint64_t per = opt_.queue_file_entries;
  const uint64_t pending_lo = q.pending_lo.load(std::memory_order_acquire);
  if (qoff >= pending_lo) {
    // Possibly buffered; if it was written meanwhile, the file has it.
    std::lock_guard lk(q.pending_mu);
    if (qoff >= q.pending_from && qoff - q.pending_from < q.pending.size() / kCqEntrySize) {
      *e = decode(q.pending.data() + (qoff - q.pending_from) * kCqEntrySize);
      return e->size != 0;
    }
  }
  FileKey key{q.serial, qoff / per};
  if (!*hold || !(*hold_key == key)) {
    hold->reset();
    *hold = cache_.lookup(key);
    if (!*hold) {
      int err = 0;
      const bool full = (key.file_no + 1) * per <=
                        std::min(q.max_offset.load(std::memory_order_acquire), pending_lo);
      *hold = cache_.open(key, file_path(q, key.file_no), file_bytes(), false, full, &err);
      if (!*hold) return false;
    }
    *hold_key = key;
  }
  *e = decode((*hold)->data() + (qoff % per) * kCqEntrySize);
  return e->size != 0;
}

bool ConsumeQueues::get(const ConsumeQueue& q, uint64_t qoff, CqEntry* e, Cursor* c) const {
  if (qoff >= c->run_from && qoff - c->run_from < c->run_n) {
    *e = c->run[qoff - c->run_from];
    return e->size != 0;
  }
  if (qoff >= q.pending_lo.load(std::memory_order_acquire)) {
    std::lock_guard lk(q.pending_mu);
    const uint64_t have = q.pending.size() / kCqEntrySize;
    if (qoff >= q.pending_from && qoff - q.pending_from < have) {
      const uint64_t first = qoff - q.pending_from;
      const uint32_t n = static_cast<uint32_t>(std::min<uint64_t>(have - first, Cursor::kRun));
      const char* p = q.pending.data() + first * kCqEntrySize;
      for (uint32_t i = 0; i < n; ++i) c->run[i] = decode(p + i * kCqEntrySize);
      c->run_from = qoff;
      c->run_n = n;
      *e = c->run[0];
      return e->size != 0;
    }
  }
  // On file (or written since pending_lo was read): the file path below.
  return get(q, qoff, e, &c->hold, &c->key);
}

template <class TooOld>
uint64_t ConsumeQueues::first_not(const ConsumeQueue& q, TooOld too_old) const {
  uint64_t lo = q.min_offset.load(), hi = q.max_offset.load();
  MappedFilePtr hold;
  FileKey key{};
  while (lo < hi) {
    uint64_t mid = lo + (hi - lo) / 2;
    CqEntry e;
    if (!get(q, mid, &e, &hold, &key) || too_old(e)) lo = mid + 1; else hi = mid;
  }
  return lo;
}

uint64_t ConsumeQueues::first_at_or_after(const ConsumeQueue& q, uint64_t log_min) const {
  return first_not(q, [&](const CqEntry& e) { return e.commit_offset < log_min; });
}

uint64_t ConsumeQueues::offset_for_time(
    const ConsumeQueue& q, int64_t timestamp_ms,
    const std::function<bool(uint64_t, int64_t*)>& store_time) const {
  // An entry whose record is gone (retention) counts as "too old".
  return first_not(q, [&](const CqEntry& e) {
    int64_t ts = 0;
    return !store_time(e.commit_offset, &ts) || ts < timestamp_ms;
  });
}

ferry_status ConsumeQueues::flush(std::string* error) {
  // Buffered entries first: the caller's checkpoint claims their records.
  if (ferry_status st = drain_all(error); st != FERRY_OK) return st;
  std::unordered_set<FileKey, FileKeyHash> dirty;
  {
    std::lock_guard lk(dirty_mu_);
    dirty.swap(dirty_);
  }
  auto restore = [&] {
    std::lock_guard lk(dirty_mu_);
    dirty_.insert(dirty.begin(), dirty.end());
  };
  // Entries are written with pwrite (their dirty pages are the page cache's,
  // whether or not a descriptor is still open). Past a handful of files, one
  // syncfs beats an fdatasync each: at 10,000 topics a checkpoint finds tens
  // of thousands of dirty queue files.
  constexpr size_t kPerFileLimit = 64;
  if (dirty.size() > kPerFileLimit) {
    if (int rc = io_.sync_filesystem(root_); rc < 0) {
      *error = "cannot sync the file system of " + root_ + ": " + std::strerror(-rc);
      restore();
      return FERRY_E_IO;
    }
    return FERRY_OK;
  }
  for (const FileKey& k : dirty) {
    ConsumeQueuePtr q;
    {
      std::shared_lock lk(mu_);
      auto it = by_serial_.find(k.owner);
      if (it != by_serial_.end()) q = it->second.lock();
    }
    if (!q || q->deleted.load()) continue;
    std::string path = file_path(*q, k.file_no);
    int rc = 0;
    if (OpenFilePtr f = fds_.peek(k)) {
      rc = io_.fdatasync(f->fd());
    } else {
      int fd = io_.open(path, O_RDWR, 0644);
      if (fd == -ENOENT) continue;  // trimmed by retention meanwhile
      rc = fd < 0 ? fd : io_.fdatasync(fd);
      if (fd >= 0) io_.close(fd);
    }
    if (rc < 0) {
      *error = "cannot sync consume queue " + path + ": " + std::strerror(-rc);
      restore();
      return FERRY_E_IO;
    }
  }
  return FERRY_OK;
}

void ConsumeQueues::trim(uint64_t log_min) {
  const uint64_t per = opt_.queue_file_entries;
  for_each([&](const ConsumeQueuePtr& q) {
    std::vector<uint64_t> files = list_files(*q);
    // Keep the file holding max_offset whatever happens: it is being written.
    uint64_t active = q->max_offset.load() / per;
    for (uint64_t fno : files) {
      if (fno >= active) break;
      MappedFilePtr hold;
      FileKey key{};
      CqEntry last;
      if (get(*q, fno * per + per - 1, &last, &hold, &key) &&
          last.commit_offset + last.size > log_min)
        break;
      hold.reset();
      drop_file(FileKey{q->serial, fno});
      io_.unlink(file_path(*q, fno));
      q->min_offset.store(std::max(q->min_offset.load(), (fno + 1) * per));
    }
  });
}

void ConsumeQueues::remove_topic(std::string_view topic) {
  std::vector<ConsumeQueuePtr> gone;
  {
    std::unique_lock lk(mu_);
    for (auto it = queues_.begin(); it != queues_.end();) {
      if (it->second->topic == topic) {
        gone.push_back(it->second);
        by_serial_.erase(it->second->serial);
        it = queues_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& q : gone) {
    q->deleted.store(true);
    {
      std::lock_guard lk(q->pending_mu);  // no drain writes its files after this
      drop_pending(*q);
    }
    cache_.drop_owner(q->serial);
    std::vector<OpenFilePtr> closed;
    fds_.drop_owner(q->serial, &closed);
    for (uint64_t fno : list_files(*q)) io_.unlink(file_path(*q, fno));
    io_.rmdir(q->dir);
  }
  io_.rmdir(topic_dir(topic));
}

}  // namespace ferry::mmaplog
