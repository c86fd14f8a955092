#pragma once
// A config turned into a plan: the file validated, every plugin library
// loaded and fingerprint-checked, every instance block validated against its
// library's schema, instances ordered by requirements. This is all that
// `ferryd --check-config` does, and what the Kernel starts from.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config_file.h"
#include "loader/plugin_library.h"

namespace ferry {

struct PlannedInstance {
  std::string name;  // [plugins.<name>]
  std::shared_ptr<loader::PluginLibrary> library;
  config::Values values;
};

struct Assembly {
  config::ConfigFile file;
  std::string plugin_dir;  // resolved
  std::vector<PlannedInstance> instances;  // start order
};

struct AssemblyInput {
  std::string config_path;
  std::optional<std::string> config_text;  // used instead of reading config_path
  std::vector<std::string> overrides;      // "section.key=value" (--set)
  std::string exe_dir;                     // default plugin_dir is exe_dir/../lib/ferry/plugins
};

std::optional<Assembly> assemble(const AssemblyInput& input, config::ErrorList& errors);

// Where a `library = ...` value points: a value with a '/' is a path
// (relative to the config file's directory), anything else a file in
// plugin_dir; ".so" is appended when missing.
std::string resolve_library(const std::string& library, const std::string& plugin_dir,
                            const std::string& config_dir);

std::string default_plugin_dir(const std::string& exe_dir);

}  // namespace ferry
