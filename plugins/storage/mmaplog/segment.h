#pragma once
// One commit log segment: a fixed-size file named by the 20-digit commit log
// offset of its first byte, mapped whole (read/write for the mmap write path,
// read-only for the pwrite path). Shared ownership: a reader's slices keep
// the mapping alive after retention has unlinked the file.
#include <cstdint>
#include <memory>
#include <string>

#include "io.h"

namespace ferry::mmaplog {

class Segment {
 public:
  // Open or create (sparse, via ftruncate) the segment of `size` bytes at
  // `base` in `dir`. nullptr and *error (-errno) on failure, *what naming
  // the step that failed.
  static std::shared_ptr<Segment> open(Io& io, const std::string& dir, uint64_t base,
                                       uint64_t size, bool writable_map, bool create,
                                       int* error, const char** what);
  ~Segment();
  Segment(const Segment&) = delete;
  Segment& operator=(const Segment&) = delete;

  uint64_t base() const { return base_; }
  uint64_t size() const { return size_; }
  uint64_t end() const { return base_ + size_; }
  char* data() const { return data_; }
  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  Io& io() const { return io_; }

  static std::string file_name(uint64_t base);  // 20 digits, zero padded
  // Parses a segment name; false for anything else.
  static bool parse_name(const std::string& name, uint64_t* base);

 private:
  Segment(Io& io, std::string path, uint64_t base, uint64_t size)
      : io_(io), path_(std::move(path)), base_(base), size_(size) {}
  Io& io_;
  std::string path_;
  uint64_t base_;
  uint64_t size_;
  int fd_ = -1;
  char* data_ = nullptr;
};

using SegmentPtr = std::shared_ptr<Segment>;

}  // namespace ferry::mmaplog
