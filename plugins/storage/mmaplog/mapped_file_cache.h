#pragma once
// Consume-queue file mappings, closed least-recently-used. A process may hold
// at most ~65,530 mappings and 100,000 queues must work, so no queue keeps a
// file mapped: every access goes through this cache, which holds at most
// `capacity` mappings. A mapping handed out stays valid while its holder keeps
// the shared_ptr, even after eviction. Thread-safe; one short lock per get.
#include <cstdint>
#include <memory>
#include <string>

#include "file_lru.h"
#include "io.h"

namespace ferry::mmaplog {

class MappedFile {
 public:
  MappedFile(Io& io, std::string path, int fd, char* data, size_t size)
      : io_(io), path_(std::move(path)), fd_(fd), data_(data), size_(size) {}
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  char* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }
  int msync();

 private:
  Io& io_;
  std::string path_;
  int fd_;
  char* data_;
  size_t size_;
};

using MappedFilePtr = std::shared_ptr<MappedFile>;

// A consume-queue file open for writing with pwrite (the dispatcher's path;
// see ConsumeQueues::write). Closed when the last holder lets go.
class OpenFile {
 public:
  OpenFile(Io& io, std::string path, int fd) : io_(io), path_(std::move(path)), fd_(fd) {}
  ~OpenFile() { io_.close(fd_); }
  OpenFile(const OpenFile&) = delete;
  OpenFile& operator=(const OpenFile&) = delete;
  int fd() const { return fd_; }
  const std::string& path() const { return path_; }

 private:
  Io& io_;
  std::string path_;
  int fd_;
};
using OpenFilePtr = std::shared_ptr<OpenFile>;

class MappedFileCache {
 public:
  MappedFileCache(Io& io, size_t capacity) : io_(io), lru_(capacity) {}

  // The mapping for `key` if mapped (counts as a use); no I/O, no allocation.
  MappedFilePtr lookup(const FileKey& key) { return lru_.lookup(key); }
  // Map `path` (size bytes) for `key`. create: make the file (sparse) if
  // missing; otherwise a missing file gives nullptr with *error = -ENOENT.
  // Other failures: nullptr, *error = -errno. Evicts the least recently used
  // mappings beyond capacity. full: every entry of the file is written (no
  // holes), so faults may read ahead; otherwise they bring one page each.
  MappedFilePtr open(const FileKey& key, const std::string& path, size_t size, bool create,
                     bool full, int* error);
  // Mapped already? (no I/O; does not count as a use)
  MappedFilePtr peek(const FileKey& key) const { return lru_.peek(key); }
  // Forget every mapping of `owner` (a deleted queue).
  void drop_owner(uint64_t owner);
  void drop(const FileKey& key);
  size_t size() const { return lru_.size(); }
  size_t capacity() const { return lru_.capacity(); }

 private:
  Io& io_;
  FileLru<MappedFile> lru_;
};

}  // namespace ferry::mmaplog
