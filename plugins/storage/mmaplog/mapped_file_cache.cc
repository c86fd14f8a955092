#include "mapped_file_cache.h"

#include <fcntl.h>
#include <sys/mman.h>

#include <cerrno>
#include <vector>

namespace ferry::mmaplog {

MappedFile::~MappedFile() {
  io_.munmap(data_, size_);
  io_.close(fd_);
}

int MappedFile::msync() { return io_.msync(data_, size_); }

MappedFilePtr MappedFileCache::open(const FileKey& key, const std::string& path, size_t size,
                                    bool create, bool full, int* error) {
  if (MappedFilePtr f = lookup(key)) return f;
  // Map outside the lock: opening a file must not stall other readers.
  int fd = io_.open(path, O_RDWR | (create ? O_CREAT : 0), 0644);
  if (fd < 0) {
    *error = fd;
    return nullptr;
  }
  uint64_t have = 0;
  // A file shorter than expected is one whose creation a crash cut short.
  if (io_.file_size(fd, &have) == 0 && have < size) {
    if (int rc = io_.ftruncate(fd, static_cast<off_t>(size)); rc < 0) {
      io_.close(fd);
      *error = rc;
      return nullptr;
    }
  }
  int err = 0;
  void* p = io_.mmap(fd, size, true, &err);
  if (!p) {
    io_.close(fd);
    *error = -err;
    return nullptr;
  }
  // No read-around on faults in a file still being written. It is sparse
  // and written 20 bytes at a time; with normal advice one fault reads
  // around it (read_ahead_kb, 8 MiB on this VM's disk), zero-filling the
  // whole file's pages. With thousands of active queues that is gigabytes of
  // zeroed page cache, reclaimed and zeroed again as mappings churn through
  // the LRU: half of ferryd's time at 10,000 topics (docs/benchmarks.md,
  // "Many topics"). A full file has no holes: a reader catching up on it
  // keeps the kernel's read-around. Advice only: a failure changes speed,
  // not correctness.
  if (!full) ::madvise(p, size, MADV_RANDOM);
  auto file = std::make_shared<MappedFile>(io_, path, fd, static_cast<char*>(p), size);
  std::vector<MappedFilePtr> evicted;  // unmapped after the cache's lock is released
  return lru_.insert(key, std::move(file), &evicted);
}

void MappedFileCache::drop_owner(uint64_t owner) {
  std::vector<MappedFilePtr> dropped;
  lru_.drop_owner(owner, &dropped);
}

void MappedFileCache::drop(const FileKey& key) {
  std::vector<MappedFilePtr> dropped;
  lru_.drop(key, &dropped);
}

}  // namespace ferry::mmaplog
