#pragma once
// Where the build put things: $FERRY_BUILD_DIR (set by ctest) or the build
// dir compiled in.
#include <string>

namespace ferry::test {

std::string build_dir();
std::string source_dir();
inline std::string bin_path(const std::string& name) { return build_dir() + "/bin/" + name; }
inline std::string plugin_dir() { return build_dir() + "/lib/ferry/plugins"; }

}  // namespace ferry::test
