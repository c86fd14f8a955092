#include "index.h"

#include <fcntl.h>
#include <sys/mman.h>

#include <algorithm>
#include <cstring>

#include "segment.h"

namespace ferry::mmaplog {

namespace {
constexpr size_t kHeader = 40;
constexpr size_t kEntry = 20;

void be_put(char* p, uint64_t v, int n) {
  for (int i = n - 1; i >= 0; --i) {
    p[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
}
uint64_t be_get(const char* p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}
// Slots are read concurrently with the dispatcher's writes: one aligned
// 32-bit word, published with release after the entry it points to.
uint32_t load_slot(const char* p) {
  uint32_t raw = __atomic_load_n(reinterpret_cast<const uint32_t*>(p), __ATOMIC_ACQUIRE);
  return be_get(reinterpret_cast<const char*>(&raw), 4);
}
void store_slot(char* p, uint32_t v) {
  uint32_t raw;
  be_put(reinterpret_cast<char*>(&raw), v, 4);
  __atomic_store_n(reinterpret_cast<uint32_t*>(p), raw, __ATOMIC_RELEASE);
}
// No read-around on faults in an index file. It is sparse (420 MB by
// default, written a slot and an entry at a time) and read by hash lookups;
// with normal advice one fault reads around it (read_ahead_kb, 8 MiB on this
// VM's disk), zero-filling 2,048 pages of holes. The first puts into a new
// file took the dispatcher ~65 ms of kernel time that way (a few faults over
// the slot table and the first entries), with the run lock held and the
// loop waiting behind it on the same vCPU: workload 6's start-up stall
// (docs/benchmarks.md, "Session 14 (e2e)"). The same advice as the
// consume-queue mappings (mapped_file_cache.cc). Advice only: a failure
// changes speed, not correctness.
void advise_random(void* p, size_t size) { ::madvise(p, size, MADV_RANDOM); }
// Set in the header's slot_count: slots are chosen by the key's hash alone
// (KeyIndex::slot_hash); clear in files written before that (topic#key).
constexpr uint32_t kKeySlots = 0x80000000u;
}  // namespace

class IndexFile {
 public:
  IndexFile(MappedFilePtr file, uint32_t slots, uint32_t entries, bool key_slots)
      : file(std::move(file)), slots(slots), entries(entries), key_slots(key_slots) {}
  MappedFilePtr file;
  const uint32_t slots;
  const uint32_t entries;
  const bool key_slots;  // slot chosen by slot_hash(key), else by key_hash(topic, key)
  std::atomic<uint32_t> count{1};  // entry 0 is never used
  std::atomic<int64_t> begin_ms{0}, end_ms{0};
  std::atomic<uint64_t> begin_phy{0}, end_phy{0};
  bool sealed = false;

  char* header() const { return file->data(); }
  char* slot(uint32_t i) const { return file->data() + kHeader + size_t{i} * 4; }
  uint32_t slot_of(int32_t full_hash, std::string_view key) const {
    return static_cast<uint32_t>(key_slots ? KeyIndex::slot_hash(key) : full_hash) % slots;
  }
  char* entry(uint32_t i) const {
    return file->data() + kHeader + size_t{slots} * 4 + size_t{i} * kEntry;
  }
  void write_header() {
    be_put(header(), static_cast<uint64_t>(begin_ms.load()), 8);
    be_put(header() + 8, static_cast<uint64_t>(end_ms.load()), 8);
    be_put(header() + 16, begin_phy.load(), 8);
    be_put(header() + 24, end_phy.load(), 8);
    be_put(header() + 32, slots | (key_slots ? kKeySlots : 0), 4);
    be_put(header() + 36, count.load(), 4);
  }
};

KeyIndex::KeyIndex(const Options& opt, Io& io)
    : opt_(opt), io_(io), dir_(opt.dir + "/index") {}
KeyIndex::~KeyIndex() = default;

int32_t KeyIndex::key_hash(std::string_view topic, std::string_view key) {
  int32_t h = 0;
  auto mix = [&h](std::string_view s) {
    for (unsigned char c : s) h = static_cast<int32_t>(static_cast<uint32_t>(h) * 31u + c);
  };
  mix(topic);
  mix("#");
  mix(key);
  return h == INT32_MIN ? 0 : (h < 0 ? -h : h);
}

int32_t KeyIndex::slot_hash(std::string_view key) {
  int32_t h = 0;
  for (unsigned char c : key) h = static_cast<int32_t>(static_cast<uint32_t>(h) * 31u + c);
  return h == INT32_MIN ? 0 : (h < 0 ? -h : h);
}

std::shared_ptr<IndexFile> KeyIndex::create(uint64_t begin_phy, int64_t begin_ms,
                                            std::string* error) {
  size_t size = kHeader + size_t{opt_.index_slots} * 4 + size_t{opt_.index_entries} * kEntry;
  std::string path = dir_ + "/" + Segment::file_name(begin_phy);
  int fd = io_.open(path, O_RDWR | O_CREAT, 0644);
  int err = 0;
  void* p = nullptr;
  if (fd >= 0 && (err = -io_.ftruncate(fd, static_cast<off_t>(size))) == 0)
    p = io_.mmap(fd, size, true, &err);
  if (p) advise_random(p, size);
  if (!p) {
    if (fd >= 0) io_.close(fd);
    *error = "cannot create index file " + path + ": " + std::strerror(fd < 0 ? -fd : err);
    return nullptr;
  }
  auto f = std::make_shared<IndexFile>(
      std::make_shared<MappedFile>(io_, path, fd, static_cast<char*>(p), size), opt_.index_slots,
      opt_.index_entries, true);
  f->begin_phy = begin_phy;
  f->end_phy = begin_phy;
  f->begin_ms = begin_ms;
  f->end_ms = begin_ms;
  f->write_header();
  return f;
}

ferry_status KeyIndex::load(bool dirty, std::string* error) {
  if (int rc = io_.mkdirs(dir_); rc < 0) {
    *error = "cannot create " + dir_ + ": " + std::strerror(-rc);
    return FERRY_E_IO;
  }
  std::vector<std::string> names;
  io_.list_dir(dir_, &names);
  std::sort(names.begin(), names.end());
  for (const auto& n : names) {
    uint64_t b;
    if (!Segment::parse_name(n, &b)) continue;
    std::string path = dir_ + "/" + n;
    int fd = io_.open(path, O_RDWR, 0644);
    uint64_t size = 0;
    if (fd < 0 || io_.file_size(fd, &size) < 0 || size < kHeader) {
      if (fd >= 0) io_.close(fd);
      continue;
    }
    int err = 0;
    void* p = io_.mmap(fd, size, true, &err);
    if (!p) {
      io_.close(fd);
      *error = "cannot map index file " + path + ": " + std::strerror(err);
      return FERRY_E_IO;
    }
    advise_random(p, size);
    auto mf = std::make_shared<MappedFile>(io_, path, fd, static_cast<char*>(p), size);
    const char* h = mf->data();
    const uint32_t raw_slots = static_cast<uint32_t>(be_get(h + 32, 4));
    const uint32_t slots = raw_slots & ~kKeySlots;
    if (slots == 0 || kHeader + size_t{slots} * 4 > size) continue;
    uint32_t entries = static_cast<uint32_t>((size - kHeader - size_t{slots} * 4) / kEntry);
    auto f = std::make_shared<IndexFile>(mf, slots, entries, (raw_slots & kKeySlots) != 0);
    f->begin_ms = static_cast<int64_t>(be_get(h, 8));
    f->end_ms = static_cast<int64_t>(be_get(h + 8, 8));
    f->begin_phy = be_get(h + 16, 8);
    f->end_phy = be_get(h + 24, 8);
    f->count = std::clamp<uint32_t>(static_cast<uint32_t>(be_get(h + 36, 4)), 1, entries);
    f->sealed = true;
    files_.push_back(std::move(f));
  }
  if (!files_.empty() && !dirty && files_.back()->slots == opt_.index_slots &&
      files_.back()->entries == opt_.index_entries && files_.back()->key_slots)
    files_.back()->sealed = false;
  roll_next_ = files_.empty() || files_.back()->sealed;
  return FERRY_OK;
}

ferry_status KeyIndex::put(std::string_view topic, std::string_view key, uint64_t commit_offset,
                           int64_t store_ms, std::string* error) {
  std::shared_ptr<IndexFile> f;
  {
    std::lock_guard lk(mu_);
    if (!roll_next_ && !files_.empty() && files_.back()->count.load() >= files_.back()->entries) {
      files_.back()->write_header();
      files_.back()->sealed = true;
      roll_next_ = true;
    }
    if (roll_next_) {
      auto nf = create(commit_offset, store_ms, error);
      if (!nf) return FERRY_E_IO;
      files_.push_back(nf);
      roll_next_ = false;
    }
    f = files_.back();
  }
  int32_t h = key_hash(topic, key);
  uint32_t slot_no = f->slot_of(h, key);
  uint32_t n = f->count.load(std::memory_order_relaxed);
  char* e = f->entry(n);
  int64_t diff = (store_ms - f->begin_ms.load()) / 1000;
  be_put(e, static_cast<uint32_t>(h), 4);
  be_put(e + 4, commit_offset, 8);
  be_put(e + 12, static_cast<uint32_t>(std::clamp<int64_t>(diff, 0, INT32_MAX)), 4);
  be_put(e + 16, load_slot(f->slot(slot_no)), 4);
  store_slot(f->slot(slot_no), n);
  f->count.store(n + 1, std::memory_order_release);
  if (store_ms > f->end_ms.load()) f->end_ms.store(store_ms);
  if (commit_offset > f->end_phy.load()) f->end_phy.store(commit_offset);
  return FERRY_OK;
}

void KeyIndex::query(std::string_view topic, std::string_view key, int64_t begin_ms,
                     int64_t end_ms, size_t max_candidates, std::vector<uint64_t>* out) const {
  std::vector<std::shared_ptr<IndexFile>> files;
  {
    std::lock_guard lk(mu_);
    files = files_;
  }
  int32_t h = key_hash(topic, key);
  // Seconds granularity in entries: widen by a second each side (the caller
  // checks the record's exact store time), saturating because clients pass
  // INT64_MIN / INT64_MAX for an open range.
  const int64_t lo = begin_ms < INT64_MIN + 1000 ? INT64_MIN : begin_ms - 1000;
  const int64_t hi = end_ms > INT64_MAX - 1000 ? INT64_MAX : end_ms + 1000;
  for (auto it = files.rbegin(); it != files.rend() && out->size() < max_candidates; ++it) {
    const IndexFile& f = **it;
    if (f.end_ms.load() < lo || f.begin_ms.load() > hi) continue;
    uint32_t count = f.count.load(std::memory_order_acquire);
    uint32_t i = load_slot(f.slot(f.slot_of(h, key)));
    // Chains run to older entries; a strictly decreasing index bounds the
    // walk even over a torn tail.
    uint32_t guard = UINT32_MAX;
    while (i > 0 && i < f.entries && i < guard && out->size() < max_candidates) {
      const char* e = f.entry(i);
      if (i < count && static_cast<int32_t>(be_get(e, 4)) == h) {
        int64_t ts = f.begin_ms.load() + static_cast<int64_t>(be_get(e + 12, 4)) * 1000;
        if (ts >= lo && ts <= hi) out->push_back(be_get(e + 4, 8));
      }
      guard = i;
      i = static_cast<uint32_t>(be_get(e + 16, 4));
    }
  }
}

ferry_status KeyIndex::flush(std::string* error) {
  std::vector<std::shared_ptr<IndexFile>> files;
  {
    std::lock_guard lk(mu_);
    files = files_;
  }
  if (files.empty()) return FERRY_OK;
  // The newest file (and one just sealed) are the only ones still changing.
  for (size_t i = files.size() >= 2 ? files.size() - 2 : 0; i < files.size(); ++i) {
    files[i]->write_header();
    if (int rc = files[i]->file->msync(); rc < 0) {
      *error = "cannot sync index file " + files[i]->file->path() + ": " + std::strerror(-rc);
      return FERRY_E_IO;
    }
  }
  return FERRY_OK;
}

void KeyIndex::trim(uint64_t log_min) {
  std::vector<std::string> gone;
  {
    std::lock_guard lk(mu_);
    while (files_.size() > 1 && files_.front()->end_phy.load() < log_min) {
      gone.push_back(files_.front()->file->path());
      files_.erase(files_.begin());
    }
  }
  for (auto& p : gone) io_.unlink(p);
}

size_t KeyIndex::file_count() const {
  std::lock_guard lk(mu_);
  return files_.size();
}

}  // namespace ferry::mmaplog
