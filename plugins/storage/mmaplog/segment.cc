#include "segment.h"

#include <fcntl.h>

#include <cstdio>

namespace ferry::mmaplog {

std::string Segment::file_name(uint64_t base) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%020llu", static_cast<unsigned long long>(base));
  return buf;
}

bool Segment::parse_name(const std::string& name, uint64_t* base) {
  if (name.size() != 20) return false;
  uint64_t v = 0;
  for (char c : name) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  *base = v;
  return true;
}

std::shared_ptr<Segment> Segment::open(Io& io, const std::string& dir, uint64_t base,
                                       uint64_t size, bool writable_map, bool create,
                                       int* error, const char** what) {
  std::shared_ptr<Segment> s(new Segment(io, dir + "/" + file_name(base), base, size));
  int fd = io.open(s->path_, O_RDWR | (create ? O_CREAT : 0), 0644);
  if (fd < 0) {
    *error = fd;
    *what = "open";
    return nullptr;
  }
  s->fd_ = fd;
  if (create) {
    // Sparse: blocks are allocated as the head (and its pre-fault window)
    // reaches them, never by zero-filling the whole file.
    if (int rc = io.ftruncate(fd, static_cast<off_t>(size)); rc < 0) {
      *error = rc;
      *what = "ftruncate";
      return nullptr;
    }
  }
  int err = 0;
  void* p = io.mmap(fd, size, writable_map, &err);
  if (!p) {
    *error = -err;
    *what = "mmap";
    return nullptr;
  }
  s->data_ = static_cast<char*>(p);
  return s;
}

Segment::~Segment() {
  if (data_) io_.munmap(data_, size_);
  if (fd_ >= 0) io_.close(fd_);
}

}  // namespace ferry::mmaplog
