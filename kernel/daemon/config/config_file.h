#pragma once
// A Ferry TOML config: parse, apply --set overrides, validate every block
// against its schema. Errors are collected in an ErrorList, each naming
// FILE:LINE:COL and the key (docs/configuration.md).
//
// Layout:
//   [kernel]                 kernel keys (kernel_schema.h)
//   [broker]                 broker identity keys
//   [core]                   the messaging core's keys (kernel/core/config.h)
//   [plugins.<instance>]     library = "ferry_<kind>_<name>" + the plugin's keys
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include "config/errors.h"
#include "config/schema.h"
#include "config/values.h"

namespace ferry::config {

// One [plugins.<instance>] block; its keys are validated once the library's
// schema is known (validate_plugin).
struct PluginBlock {
  std::string instance;
  std::string library;     // as written: a file name in plugin_dir, or a path
  Location where;          // the block's header
  Location library_where;  // the library = ... line
};

class ConfigFile {
 public:
  // `label` names the text in messages (the file path).
  static std::optional<ConfigFile> parse(std::string_view text, const std::string& label,
                                         ErrorList& errors);
  static std::optional<ConfigFile> load(const std::string& path, ErrorList& errors);

  // "section.key=value": value is read as a TOML value when it parses as one
  // (3, true, "x"), else as a plain string (/tmp/data, 127.0.0.1:0).
  void apply_override(std::string_view assignment, ErrorList& errors);

  // Checks the top level, [kernel], [broker] and [core], and lists
  // [plugins.*].
  void validate_structure(const Schema& kernel, const Schema& broker, const Schema& core,
                          ErrorList& errors);

  // Validates one plugin block against the library's schema.
  Values validate_plugin(const PluginBlock& block, const Schema& schema, ErrorList& errors) const;

  const std::string& label() const { return label_; }
  // Directory relative library paths are resolved against.
  std::string directory() const;
  const Values& kernel() const { return kernel_; }
  const Values& broker() const { return broker_; }
  const Values& core() const { return core_; }
  const std::vector<PluginBlock>& plugins() const { return plugins_; }

 private:
  std::string label_;
  toml::table root_;
  Values kernel_, broker_, core_;
  std::vector<PluginBlock> plugins_;
};

// Validates `table` against `schema`; keys in `extra` are allowed and left
// to the caller. `prefix` ("kernel", "plugins.x") qualifies key names in
// messages.
Values validate_table(const toml::table& table, const Schema& schema, const std::string& prefix,
                      const std::set<std::string>& extra, const std::string& label,
                      ErrorList& errors);

}  // namespace ferry::config
