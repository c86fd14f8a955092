#pragma once
// `ferryd --print-schema`: every key of the kernel and of every plugin found
// in the plugin directory, written as commented TOML an operator can read
// as documentation (and copy from).
#include <ostream>
#include <string>

namespace ferry {

// Returns the number of plugin libraries that were refused (each is listed
// with its reason).
int print_schema(std::ostream& out, const std::string& plugin_dir);

}  // namespace ferry
