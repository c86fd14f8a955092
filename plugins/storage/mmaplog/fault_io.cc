#include "fault_io.h"

#include <algorithm>
#include <cerrno>

namespace ferry::mmaplog {

FaultIo::FaultIo(std::shared_ptr<Io> inner) : inner_(std::move(inner)) {}

void FaultIo::add_rule(const Rule& rule) {
  std::lock_guard lk(mu_);
  rules_.push_back(RuleState{rule});
}
void FaultIo::clear_rules() {
  std::lock_guard lk(mu_);
  rules_.clear();
}
void FaultIo::set_disk_used_ratio(double ratio) {
  std::lock_guard lk(mu_);
  disk_ratio_ = ratio;
}
int FaultIo::injected() const {
  std::lock_guard lk(mu_);
  return injected_;
}
uint64_t FaultIo::synced_prefix(const std::string& path) const {
  std::lock_guard lk(mu_);
  auto it = synced_.find(path);
  return it == synced_.end() ? 0 : it->second;
}
std::map<std::string, uint64_t> FaultIo::synced_prefixes() const {
  std::lock_guard lk(mu_);
  return synced_;
}

FaultIo::RuleState* FaultIo::match(Op op, const std::string& path) {
  for (auto& r : rules_) {
    if (r.rule.op != op) continue;
    if (!r.rule.path_contains.empty() && path.find(r.rule.path_contains) == std::string::npos)
      continue;
    if (r.seen++ < r.rule.skip) continue;
    if (r.rule.count >= 0 && r.failed >= r.rule.count) continue;
    r.failed++;
    injected_++;
    return &r;
  }
  return nullptr;
}

std::string FaultIo::path_of(int fd) const {
  auto it = fd_paths_.find(fd);
  return it == fd_paths_.end() ? std::string() : it->second;
}

int FaultIo::open(const std::string& path, int flags, int mode) {
  {
    std::lock_guard lk(mu_);
    if (auto* r = match(Op::Open, path)) return -r->rule.error;
  }
  int fd = inner_->open(path, flags, mode);
  if (fd >= 0) {
    std::lock_guard lk(mu_);
    fd_paths_[fd] = path;
  }
  return fd;
}
int FaultIo::close(int fd) {
  {
    std::lock_guard lk(mu_);
    fd_paths_.erase(fd);
  }
  return inner_->close(fd);
}
ssize_t FaultIo::pwrite(int fd, const void* buf, size_t len, off_t off) {
  std::string path;
  size_t short_bytes = 0;
  {
    std::lock_guard lk(mu_);
    path = path_of(fd);
    if (auto* r = match(Op::Pwrite, path)) {
      if (r->rule.short_bytes == 0) return -r->rule.error;
      short_bytes = std::min(len, r->rule.short_bytes);
    }
  }
  ssize_t n = inner_->pwrite(fd, buf, short_bytes ? short_bytes : len, off);
  if (n > 0) {
    std::lock_guard lk(mu_);
    auto& w = written_[path];
    w = std::max<uint64_t>(w, static_cast<uint64_t>(off) + static_cast<uint64_t>(n));
  }
  return n;
}
ssize_t FaultIo::pread(int fd, void* buf, size_t len, off_t off) {
  {
    std::lock_guard lk(mu_);
    if (auto* r = match(Op::Pread, path_of(fd))) return -r->rule.error;
  }
  ssize_t n = inner_->pread(fd, buf, len, off);
  if (n > 0) bytes_read_.fetch_add(static_cast<uint64_t>(n));
  return n;
}
int FaultIo::ftruncate(int fd, off_t len) {
  {
    std::lock_guard lk(mu_);
    if (auto* r = match(Op::Ftruncate, path_of(fd))) return -r->rule.error;
  }
  return inner_->ftruncate(fd, len);
}
int FaultIo::fdatasync(int fd) {
  std::string path;
  uint64_t covers = 0;
  {
    std::lock_guard lk(mu_);
    path = path_of(fd);
    if (auto* r = match(Op::Fdatasync, path)) return -r->rule.error;
    // What this sync will make durable is decided before it runs: bytes
    // written after it starts are not covered.
    auto w = written_.find(path);
    if (w != written_.end()) covers = w->second;
    auto m = mapped_writable_.find(path);
    if (m != mapped_writable_.end()) covers = std::max(covers, m->second);
  }
  int rc = inner_->fdatasync(fd);
  if (rc == 0) {
    std::lock_guard lk(mu_);
    auto& s = synced_[path];
    s = std::max(s, covers);
  }
  return rc;
}
void* FaultIo::mmap(int fd, size_t len, bool writable, int* err) {
  std::string path;
  {
    std::lock_guard lk(mu_);
    path = path_of(fd);
    if (auto* r = match(Op::Mmap, path)) {
      *err = r->rule.error;
      return nullptr;
    }
  }
  void* p = inner_->mmap(fd, len, writable, err);
  if (p) {
    std::lock_guard lk(mu_);
    mappings_[reinterpret_cast<uintptr_t>(p)] = Mapping{path, len, writable};
    if (writable) {
      auto& m = mapped_writable_[path];
      m = std::max<uint64_t>(m, len);
    }
  }
  return p;
}
int FaultIo::munmap(void* addr, size_t len) {
  {
    std::lock_guard lk(mu_);
    mappings_.erase(reinterpret_cast<uintptr_t>(addr));
  }
  return inner_->munmap(addr, len);
}
int FaultIo::msync(void* addr, size_t len) {
  std::string path;
  uint64_t end = 0;
  {
    std::lock_guard lk(mu_);
    uint64_t off = 0;
    path = path_of_addr(addr, &off);
    if (!path.empty()) end = off + len;
    if (auto* r = match(Op::Msync, path)) return -r->rule.error;
  }
  int rc = inner_->msync(addr, len);
  if (rc == 0 && !path.empty()) {
    std::lock_guard lk(mu_);
    auto& s = synced_[path];
    s = std::max(s, end);
  }
  return rc;
}
int FaultIo::sync_data(int fd, uint64_t from, uint64_t end) {
  std::string path;
  {
    std::lock_guard lk(mu_);
    path = path_of(fd);
    if (auto* r = match(Op::Fdatasync, path)) return -r->rule.error;
    if (mapped_writable_.count(path)) {
      if (auto* r = match(Op::Msync, path)) return -r->rule.error;
    }
  }
  int rc = inner_->sync_data(fd, from, end);
  if (rc == 0) {
    std::lock_guard lk(mu_);
    auto& s = synced_[path];
    s = std::max(s, end);
  }
  return rc;
}
int FaultIo::unlink(const std::string& path) {
  {
    std::lock_guard lk(mu_);
    if (auto* r = match(Op::Unlink, path)) return -r->rule.error;
    synced_.erase(path);
    written_.erase(path);
  }
  return inner_->unlink(path);
}
int FaultIo::rename(const std::string& from, const std::string& to) {
  {
    std::lock_guard lk(mu_);
    if (auto* r = match(Op::Rename, from)) return -r->rule.error;
  }
  int rc = inner_->rename(from, to);
  if (rc == 0) {
    std::lock_guard lk(mu_);
    if (auto s = synced_.find(from); s != synced_.end()) {
      synced_[to] = s->second;
      synced_.erase(from);
    }
  }
  return rc;
}
int FaultIo::mkdirs(const std::string& path) { return inner_->mkdirs(path); }
int FaultIo::sync_dir(const std::string& path) { return inner_->sync_dir(path); }
int FaultIo::list_dir(const std::string& path, std::vector<std::string>* names) {
  return inner_->list_dir(path, names);
}
int FaultIo::disk_used_ratio(const std::string& path, double* ratio) {
  {
    std::lock_guard lk(mu_);
    if (disk_ratio_ >= 0) {
      *ratio = disk_ratio_;
      return 0;
    }
  }
  return inner_->disk_used_ratio(path, ratio);
}
int FaultIo::mtime_ms(const std::string& path, int64_t* out) {
  return inner_->mtime_ms(path, out);
}

int FaultIo::file_size(int fd, uint64_t* out) { return inner_->file_size(fd, out); }
int64_t FaultIo::seek_data(int fd, uint64_t off, bool hole) {
  data_seeks_.fetch_add(1);
  return inner_->seek_data(fd, off, hole);
}
int FaultIo::rmdir(const std::string& path) { return inner_->rmdir(path); }
std::string FaultIo::path_of_addr(const void* addr, uint64_t* file_off) const {
  auto a = reinterpret_cast<uintptr_t>(addr);
  auto it = mappings_.upper_bound(a);
  if (it == mappings_.begin()) return {};
  --it;
  if (a >= it->first + it->second.len) return {};
  *file_off = a - it->first;
  return it->second.path;
}
int FaultIo::populate(void* addr, size_t len) {
  {
    std::lock_guard lk(mu_);
    uint64_t off = 0;
    if (auto* r = match(Op::Populate, path_of_addr(addr, &off))) return -r->rule.error;
  }
  return inner_->populate(addr, len);
}

// syncfs makes every file of the file system durable: each written or
// writably mapped file (tests keep all their files on one) is covered as an
// fdatasync of it would be. A sync fails on an Fdatasync rule matching path.
int FaultIo::sync_filesystem(const std::string& path) {
  std::map<std::string, uint64_t> covers;
  {
    std::lock_guard lk(mu_);
    if (auto* r = match(Op::Fdatasync, path)) return -r->rule.error;
    covers = written_;
    for (const auto& [p, len] : mapped_writable_) covers[p] = std::max(covers[p], len);
  }
  int rc = inner_->sync_filesystem(path);
  if (rc == 0) {
    std::lock_guard lk(mu_);
    for (const auto& [p, end] : covers) synced_[p] = std::max(synced_[p], end);
  }
  return rc;
}

int FaultIo::write_zeros(int fd, uint64_t off, uint64_t len) {
  {
    std::lock_guard lk(mu_);
    const std::string path = path_of(fd);
    if (auto* r = match(Op::WriteZeros, path)) return -r->rule.error;
    zero_writes_++;
    // Checked under mu_, as pwrite raises written_ under it after its write.
    if (auto w = written_.find(path); w != written_.end() && off < w->second) zeros_below_data_++;
  }
  return inner_->write_zeros(fd, off, len);
}

int FaultIo::populate_read(const void* addr, size_t len) {
  std::string path;
  uint64_t off = 0;
  {
    std::lock_guard lk(mu_);
    path = path_of_addr(addr, &off);
    if (auto* r = match(Op::PopulateRead, path)) {
      populate_reads_.push_back({path, off, len, -r->rule.error});
      return -r->rule.error;
    }
  }
  int rc = inner_->populate_read(addr, len);
  std::lock_guard lk(mu_);
  populate_reads_.push_back({path, off, len, rc});
  return rc;
}

std::vector<FaultIo::PopulateCall> FaultIo::populate_reads() const {
  std::lock_guard lk(mu_);
  return populate_reads_;
}

int FaultIo::readahead(int fd, uint64_t off, uint64_t len) { return inner_->readahead(fd, off, len); }

int FaultIo::start_writeback(int fd, uint64_t off, uint64_t len) {
  writebacks_.fetch_add(1);
  return inner_->start_writeback(fd, off, len);
}

int FaultIo::wait_writeback(int fd, uint64_t off, uint64_t len) {
  return inner_->wait_writeback(fd, off, len);
}

}  // namespace ferry::mmaplog
