#include "ordered_file.h"

#include <filesystem>

namespace ferry::core {

ferry_status OrderedFileWriter::write(uint64_t generation, std::string_view bytes, std::string* why,
                                      const BeforeRenameHook& hook) {
  std::lock_guard lock(mu_);
  if (generation <= written_) return FERRY_OK;
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path_).parent_path(), ec);
  ferry_status s = write_file_atomically(path_, bytes, why, hook);
  if (s == FERRY_OK) written_ = generation;
  return s;
}

uint64_t OrderedFileWriter::written() const {
  std::lock_guard lock(mu_);
  return written_;
}

}  // namespace ferry::core
