#pragma once
// Replace a small file atomically: write `path.tmp`, fsync it, rename over
// `path`, fsync the directory. A crash at any point leaves either the old or
// the new file whole, never a mix (a stale .tmp is ignored and overwritten).
#include <ferry/status.h>

#include <functional>
#include <string>
#include <string_view>

namespace ferry::core {

// Test seam: called after the temp file is written and synced, before the
// rename. Returning false fails the write there, as a crash would.
using BeforeRenameHook = std::function<bool(const std::string& tmp_path)>;

ferry_status write_file_atomically(const std::string& path, std::string_view bytes,
                                   std::string* why, const BeforeRenameHook& hook = {});

// Whole file into *out. FERRY_E_NOT_FOUND when it does not exist.
ferry_status read_file(const std::string& path, std::string* out, std::string* why);

}  // namespace ferry::core
