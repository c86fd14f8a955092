#include "checkpoint.h"

#include <fcntl.h>

#include <cstring>

#include "ferry_common/crc32.h"

namespace ferry::mmaplog {

namespace {
constexpr uint32_t kMagic = 0x4652434B;  // "FRCK"
constexpr size_t kSize = 40;

void put(unsigned char* p, uint64_t v, int n) {
  for (int i = n - 1; i >= 0; --i) {
    p[i] = static_cast<unsigned char>(v & 0xff);
    v >>= 8;
  }
}
uint64_t get(const unsigned char* p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}
}  // namespace

bool read_checkpoint(Io& io, const std::string& dir, Checkpoint* out) {
  int fd = io.open(dir + "/checkpoint", O_RDONLY, 0);
  if (fd < 0) return false;
  unsigned char b[kSize];
  ssize_t n = read_full(io, fd, b, kSize, 0);
  io.close(fd);
  if (n != static_cast<ssize_t>(kSize)) return false;
  if (get(b, 4) != kMagic || get(b + 4, 4) != 1) return false;
  if (get(b + 36, 4) != common::crc32(0, b, 36)) return false;
  out->log_synced = get(b + 8, 8);
  out->dispatched = get(b + 16, 8);
  out->log_end = get(b + 24, 8);
  return true;
}

int write_checkpoint(Io& io, const std::string& dir, const Checkpoint& cp) {
  unsigned char b[kSize] = {};
  put(b, kMagic, 4);
  put(b + 4, 1, 4);
  put(b + 8, cp.log_synced, 8);
  put(b + 16, cp.dispatched, 8);
  put(b + 24, cp.log_end, 8);
  put(b + 36, common::crc32(0, b, 36), 4);
  std::string tmp = dir + "/checkpoint.tmp";
  int fd = io.open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return fd;
  int rc = write_all(io, fd, b, kSize, 0);
  if (rc == 0) rc = io.fdatasync(fd);
  io.close(fd);
  if (rc == 0) rc = io.rename(tmp, dir + "/checkpoint");
  if (rc == 0) rc = io.sync_dir(dir);
  return rc;
}

}  // namespace ferry::mmaplog
