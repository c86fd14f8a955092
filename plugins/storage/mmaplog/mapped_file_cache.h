#pragma once
// Consume-queue file mappings, closed least-recently-used. A process may hold
// at most ~65,530 mappings and 100,000 queues must work, so no queue keeps a
// file mapped: every access goes through this cache, which holds at most
// `capacity` mappings. A mapping handed out stays valid while its holder keeps
// the shared_ptr, even after eviction. Thread-safe; one short lock per get.
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

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

struct FileKey {
  uint64_t owner;   // a queue's serial number
  uint64_t file_no;
  bool operator==(const FileKey& o) const { return owner == o.owner && file_no == o.file_no; }
};
struct FileKeyHash {
  size_t operator()(const FileKey& k) const {
    return std::hash<uint64_t>()(k.owner * 0x9E3779B97F4A7C15ull ^ k.file_no);
  }
};

class MappedFileCache {
 public:
  MappedFileCache(Io& io, size_t capacity) : io_(io), capacity_(capacity) {}

  // The mapping for `key` if mapped (counts as a use); no I/O, no allocation.
  MappedFilePtr lookup(const FileKey& key);
  // Map `path` (size bytes) for `key`. create: make the file (sparse) if
  // missing; otherwise a missing file gives nullptr with *error = -ENOENT.
  // Other failures: nullptr, *error = -errno. Evicts the least recently used
  // mappings beyond capacity. full: every entry of the file is written (no
  // holes), so faults may read ahead; otherwise they bring one page each.
  MappedFilePtr open(const FileKey& key, const std::string& path, size_t size, bool create,
                     bool full, int* error);
  // Mapped already? (no I/O; does not count as a use)
  MappedFilePtr peek(const FileKey& key);
  // Forget every mapping of `owner` (a deleted queue).
  void drop_owner(uint64_t owner);
  void drop(const FileKey& key);
  size_t size() const;
  size_t capacity() const { return capacity_; }

 private:
  struct Entry {
    FileKey key;
    MappedFilePtr file;
  };
  Io& io_;
  size_t capacity_;
  mutable std::mutex mu_;
  std::list<Entry> lru_;  // front = most recent
  std::unordered_map<FileKey, std::list<Entry>::iterator, FileKeyHash> index_;
};

}  // namespace ferry::mmaplog
