#pragma once
// A bounded set of open consume-queue files (mappings or descriptors) keyed
// by queue and file number, closed least-recently-used. Files are shared_ptrs:
// one handed out stays usable while its holder keeps it, even after
// eviction. Evicted and dropped files are handed back to the caller so they
// are closed after the lock is released. Thread-safe; one short lock a call.
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace ferry::mmaplog {

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

template <class File>
class FileLru {
 public:
  using Ptr = std::shared_ptr<File>;
  explicit FileLru(size_t capacity) : capacity_(capacity) {}

  // The file for `key` if open, counted as a use; no allocation.
  Ptr lookup(const FileKey& key) {
    std::lock_guard lk(mu_);
    auto it = index_.find(key);
    if (it == index_.end()) return nullptr;
    lru_.splice(lru_.begin(), lru_, it->second);
    return it->second->file;
  }
  // Open already? Not counted as a use.
  Ptr peek(const FileKey& key) const {
    std::lock_guard lk(mu_);
    auto it = index_.find(key);
    return it == index_.end() ? nullptr : it->second->file;
  }
  // Keep `file` for `key` and return it, or, if another thread inserted one
  // meanwhile, return that one (`file` goes to *out). Files beyond capacity
  // go to *out too, least recently used first.
  Ptr insert(const FileKey& key, Ptr file, std::vector<Ptr>* out) {
    std::lock_guard lk(mu_);
    auto it = index_.find(key);
    if (it != index_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second);
      out->push_back(std::move(file));
      return it->second->file;
    }
    lru_.push_front(Entry{key, file});
    index_[key] = lru_.begin();
    while (lru_.size() > capacity_) {
      out->push_back(std::move(lru_.back().file));
      index_.erase(lru_.back().key);
      lru_.pop_back();
    }
    return file;
  }
  // Forget every file of `owner` (a deleted queue), or one file.
  void drop_owner(uint64_t owner, std::vector<Ptr>* out) {
    std::lock_guard lk(mu_);
    for (auto it = lru_.begin(); it != lru_.end();) {
      if (it->key.owner == owner) {
        out->push_back(std::move(it->file));
        index_.erase(it->key);
        it = lru_.erase(it);
      } else {
        ++it;
      }
    }
  }
  void drop(const FileKey& key, std::vector<Ptr>* out) {
    std::lock_guard lk(mu_);
    auto it = index_.find(key);
    if (it == index_.end()) return;
    out->push_back(std::move(it->second->file));
    lru_.erase(it->second);
    index_.erase(it);
  }
  size_t size() const {
    std::lock_guard lk(mu_);
    return lru_.size();
  }
  size_t capacity() const { return capacity_; }

 private:
  struct Entry {
    FileKey key;
    Ptr file;
  };
  const size_t capacity_;
  mutable std::mutex mu_;
  std::list<Entry> lru_;  // front = most recent
  std::unordered_map<FileKey, typename std::list<Entry>::iterator, FileKeyHash> index_;
};

}  // namespace ferry::mmaplog
