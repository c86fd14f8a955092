#pragma once
// ferry-bench's `--set key=value` (produce and consume): libferry client keys
// added after the bench's own, so a later one overrides (libferry keeps the
// last value of a repeated key).
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace ferry::bench {

// Appends each "key=value" of sets to kv; false (after a message on stderr)
// for one without a key or an '='.
inline bool append_set_keys(const std::vector<std::string>& sets,
                            std::vector<std::pair<std::string, std::string>>* kv) {
  for (const auto& set : sets) {
    size_t eq = set.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::fprintf(stderr, "--set wants key=value, got '%s'\n", set.c_str());
      return false;
    }
    kv->emplace_back(set.substr(0, eq), set.substr(eq + 1));
  }
  return true;
}

}  // namespace ferry::bench
