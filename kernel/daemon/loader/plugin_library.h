#pragma once
// One loaded plugin library (ferry_<kind>_<name>.so). Opening it checks the
// descriptor's frozen fingerprint — magic, ABI major, pointer size, kind,
// name — before any other plugin code runs, and refuses a mismatch with a
// message naming the file. Fields are read only below the descriptor's
// struct_size, so a plugin built against an older minor (smaller struct) is
// accepted and its missing trailing fields read as absent.
#include <ferry/plugin.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/dll/shared_library.hpp>

#include "config/schema.h"

namespace ferry::loader {

struct Requirement {
  uint32_t kind;
  bool optional;
};

class PluginLibrary {
 public:
  // Loads with RTLD_NOW (an unresolved symbol fails here, not mid-run).
  // nullptr with *error set on refusal.
  static std::shared_ptr<PluginLibrary> open(const std::string& path, std::string* error);

  const std::string& path() const { return path_; }
  uint32_t kind() const { return desc_->kind; }
  const char* kind_name() const { return ferry_kind_name(desc_->kind); }
  std::string name() const { return desc_->name; }
  std::string version() const;
  std::string description() const;
  uint16_t abi_minor() const { return desc_->abi_minor; }
  const config::Schema& schema() const { return schema_; }
  const std::vector<Requirement>& requirements() const { return requirements_; }

  // Lifecycle entries; nullptr when the plugin's descriptor lacks the field
  // or left it NULL (stop and ops are optional; create/destroy are checked at
  // open).
  decltype(ferry_plugin_desc::create) create_fn() const;
  decltype(ferry_plugin_desc::start) start_fn() const;
  decltype(ferry_plugin_desc::stop) stop_fn() const;
  decltype(ferry_plugin_desc::destroy) destroy_fn() const;
  decltype(ferry_plugin_desc::ops) ops_fn() const;

 private:
  struct Private {};

 public:
  explicit PluginLibrary(Private) {}

 private:
  // True when the plugin's descriptor holds field `f` (its struct_size).
  template <class F>
  F field(F ferry_plugin_desc::*member, size_t min_size) const {
    return desc_size_ >= min_size ? desc_->*member : F{};
  }

  boost::dll::shared_library library_;  // declared first: destroyed last
  std::string path_;
  const ferry_plugin_desc* desc_ = nullptr;
  uint32_t desc_size_ = 0;
  config::Schema schema_;
  std::vector<Requirement> requirements_;
};

// Smallest descriptor the kernel accepts: everything up to `destroy`.
// (`ops` may be absent in an older minor: the instance then offers no ops.)
constexpr uint32_t kMinDescriptorSize = FERRY_STRUCT_SIZE(ferry_plugin_desc, destroy);

}  // namespace ferry::loader
