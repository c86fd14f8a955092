#pragma once
// The checkpoint file (<dir>/checkpoint, 48 bytes, big-endian, replaced
// atomically: write checkpoint.tmp, fdatasync, rename, fsync the directory):
//   magic "FRCK" | version u32 (1) | log_synced u64 | dispatched u64 |
//   log_end u64 | reserved u32 | crc32 of the previous 36 bytes u32
// log_synced: the commit log was durable up to here; dispatched: consume
// queues and index were durable for every record below; log_end: the write
// offset, meaningful only after a clean shutdown (no <dir>/abort marker).
#include <cstdint>
#include <string>

#include "io.h"

namespace ferry::mmaplog {

struct Checkpoint {
  uint64_t log_synced = 0;
  uint64_t dispatched = 0;
  uint64_t log_end = 0;
};

// False when absent or damaged (then recovery scans the whole log).
bool read_checkpoint(Io& io, const std::string& dir, Checkpoint* out);
// 0 or -errno.
int write_checkpoint(Io& io, const std::string& dir, const Checkpoint& cp);

}  // namespace ferry::mmaplog
