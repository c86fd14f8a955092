#pragma once
// The bookkeeping of a table the core persists as one small text file
// (topic table, consumer offsets): the path, a generation every change
// bumps, the generation last saved, how many files were written, and the
// save of a snapshot (write_file_atomically, creating the folder first).
// Loop-thread only, like the tables that hold it.
#include <ferry/status.h>

#include <cstdint>
#include <optional>
#include <string>

#include "atomic_file.h"

namespace ferry::core {

class SavedFile {
 public:
  // The table as file text, taken on the loop for a write elsewhere.
  struct Snapshot {
    uint64_t generation = 0;
    std::string text;
  };

  explicit SavedFile(std::string path) : path_(std::move(path)) {}

  // The whole file into *text. *found = false (and FERRY_OK) when absent.
  ferry_status read(std::string* text, bool* found, std::string* why) const;
  // Write `snap` if there is one, and mark its generation saved; an error
  // leaves the table dirty (the next save retries). No snapshot = FERRY_OK.
  ferry_status save(const std::optional<Snapshot>& snap, std::string* why,
                    const BeforeRenameHook& hook);
  // A snapshot of `generation` is on disk (a later generation may be marked
  // first; the older one then changes nothing).
  void mark_saved(uint64_t generation);

  void changed() { ++generation_; }
  void loaded() { saved_generation_ = generation_; }  // memory == the file just read
  // An empty snapshot stamped with the current generation, to fill.
  Snapshot start_snapshot() const { return Snapshot{generation_, {}}; }

  bool dirty() const { return generation_ != saved_generation_; }
  uint64_t generation() const { return generation_; }
  uint64_t saved_generation() const { return saved_generation_; }
  uint64_t writes() const { return writes_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  uint64_t generation_ = 0;
  uint64_t saved_generation_ = 0;
  uint64_t writes_ = 0;
};

}  // namespace ferry::core
