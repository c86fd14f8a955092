#include "saved_file.h"

#include <filesystem>
#include <system_error>

namespace ferry::core {

ferry_status SavedFile::read(std::string* text, bool* found, std::string* why) const {
  ferry_status s = read_file(path_, text, why);
  *found = s != FERRY_E_NOT_FOUND;
  return *found ? s : FERRY_OK;
}

ferry_status SavedFile::save(const std::optional<Snapshot>& snap, std::string* why,
                             const BeforeRenameHook& hook) {
  if (!snap) return FERRY_OK;
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path_).parent_path(), ec);
  ferry_status s = write_file_atomically(path_, snap->text, why, hook);
  if (s != FERRY_OK) return s;  // still dirty: the next save retries
  mark_saved(snap->generation);
  return FERRY_OK;
}

void SavedFile::mark_saved(uint64_t generation) {
  if (generation <= saved_generation_) return;
  saved_generation_ = generation;
  ++writes_;
}

}  // namespace ferry::core
