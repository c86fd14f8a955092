#pragma once
// One file replaced atomically by snapshots that may be written from a
// worker thread and, at shutdown, from the loop: writes are serialised and a
// snapshot older than the one on disk is skipped, so a slow worker can never
// put an older table back over a newer one.
#include <ferry/status.h>

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "atomic_file.h"

namespace ferry::core {

class OrderedFileWriter {
 public:
  explicit OrderedFileWriter(std::string path) : path_(std::move(path)) {}

  // Write `bytes` (the snapshot of `generation`) with write_file_atomically,
  // unless a snapshot of `generation` or newer is already there (then OK,
  // nothing written). Blocks on disk I/O. [any thread]
  ferry_status write(uint64_t generation, std::string_view bytes, std::string* why,
                     const BeforeRenameHook& hook = {});
  // Generation of the newest snapshot on disk. [any thread]
  uint64_t written() const;

 private:
  const std::string path_;
  mutable std::mutex mu_;  // held across the write: one writer at a time
  uint64_t written_ = 0;
};

}  // namespace ferry::core
