#include "loader/plugin_library.h"

#include <cstdio>


namespace ferry::loader {
namespace {

// Boost wraps dlerror() as "...(dlerror system message: TEXT): errno text";
// TEXT is what the operator needs.
std::string dl_text(const std::exception& e) {
  std::string what = e.what();
  const std::string marker = "dlerror system message: ";
  size_t at = what.find(marker);
  if (at == std::string::npos) return what;
  size_t end = what.rfind("): ");
  if (end == std::string::npos || end < at) end = what.size();
  return what.substr(at + marker.size(), end - at - marker.size());
}

std::string hex(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

#define DESC_END(f) FERRY_STRUCT_SIZE(ferry_plugin_desc, f)

}  // namespace

std::shared_ptr<PluginLibrary> PluginLibrary::open(const std::string& path, std::string* error) {
  auto lib = std::make_shared<PluginLibrary>(Private{});
  lib->path_ = path;
  auto refuse = [&](const std::string& why) {
    *error = path + ": " + why;
    return nullptr;
  };
  // Throwing overloads: only they carry dlerror()'s text.
  try {
    lib->library_.load(boost::dll::fs::path(path), boost::dll::load_mode::rtld_now |
                                                        boost::dll::load_mode::rtld_local);
  } catch (const std::exception& e) {
    std::string text = dl_text(e);
    if (text.rfind(path + ": ", 0) == 0) text.erase(0, path.size() + 2);  // named already
    return refuse("cannot load: " + text);
  }
  ferry_plugin_entry_fn entry = nullptr;
  try {
    entry = &lib->library_.get<const ferry_plugin_desc*()>(FERRY_PLUGIN_ENTRY_SYMBOL);
  } catch (const std::exception& e) {
    return refuse(std::string("not a Ferry plugin: no symbol '") + FERRY_PLUGIN_ENTRY_SYMBOL +
                  "' (" + dl_text(e) + ")");
  }
  // The entry only returns a pointer to static storage: the one plugin call
  // made before the fingerprint is known to be good.
  const ferry_plugin_desc* d = entry();
  if (d == nullptr) return refuse("ferry_plugin_entry returned NULL");
  if (d->struct_size < DESC_END(plugin_version))
    return refuse("descriptor too small for a fingerprint (struct_size " +
                  std::to_string(d->struct_size) + ")");
  if (d->magic != FERRY_PLUGIN_MAGIC)
    return refuse("bad descriptor magic " + hex(d->magic) + " (expected " +
                  hex(FERRY_PLUGIN_MAGIC) + "): not a Ferry plugin");
  if (d->abi_major != FERRY_ABI_MAJOR)
    return refuse("ABI major mismatch: plugin built for ABI " + std::to_string(d->abi_major) +
                  "." + std::to_string(d->abi_minor) + ", this ferryd speaks ABI " +
                  std::to_string(FERRY_ABI_MAJOR) + "." + std::to_string(FERRY_ABI_MINOR));
  if (d->pointer_size != sizeof(void*))
    return refuse("pointer size mismatch: plugin " + std::to_string(d->pointer_size) +
                  " bytes, ferryd " + std::to_string(sizeof(void*)));
  if (d->kind < FERRY_KIND_STORAGE || d->kind > FERRY_KIND_FILTER)
    return refuse("unknown plugin kind " + std::to_string(d->kind));
  if (d->name == nullptr || d->name[0] == '\0') return refuse("plugin has no name");
  if (d->struct_size < kMinDescriptorSize)
    return refuse("descriptor struct_size " + std::to_string(d->struct_size) +
                  " is below the minimum " + std::to_string(kMinDescriptorSize) + " for ABI " +
                  std::to_string(FERRY_ABI_MAJOR));
  lib->desc_ = d;
  lib->desc_size_ = d->struct_size;
  if (d->create == nullptr || d->destroy == nullptr)
    return refuse("descriptor lacks create or destroy");

  std::string schema_error;
  auto schema = config::Schema::from_c(d->config_keys, d->config_key_size, d->config_key_count,
                                       &schema_error);
  if (!schema) return refuse("bad config schema: " + schema_error);
  lib->schema_ = std::move(*schema);

  if (d->requirement_count > 0) {
    if (d->requirements == nullptr ||
        d->requirement_size < FERRY_STRUCT_SIZE(ferry_requirement, kind))
      return refuse("bad requirements declaration");
    const char* base = reinterpret_cast<const char*>(d->requirements);
    for (uint32_t i = 0; i < d->requirement_count; ++i) {
      const auto* r =
          reinterpret_cast<const ferry_requirement*>(base + size_t{i} * d->requirement_size);
      uint32_t rsize = r->struct_size < d->requirement_size ? r->struct_size : d->requirement_size;
      if (r->kind < FERRY_KIND_STORAGE || r->kind > FERRY_KIND_FILTER)
        return refuse("requirement #" + std::to_string(i) + " names unknown kind " +
                      std::to_string(r->kind));
      bool optional = FERRY_HAS_FIELD(ferry_requirement, rsize, optional) && r->optional != 0;
      lib->requirements_.push_back({r->kind, optional});
    }
  }
  return lib;
}

std::string PluginLibrary::version() const {
  return desc_->plugin_version ? desc_->plugin_version : "";
}

std::string PluginLibrary::description() const {
  const char* d = field(&ferry_plugin_desc::description, DESC_END(description));
  return d ? d : "";
}

decltype(ferry_plugin_desc::create) PluginLibrary::create_fn() const {
  return field(&ferry_plugin_desc::create, DESC_END(create));
}
decltype(ferry_plugin_desc::start) PluginLibrary::start_fn() const {
  return field(&ferry_plugin_desc::start, DESC_END(start));
}
decltype(ferry_plugin_desc::stop) PluginLibrary::stop_fn() const {
  return field(&ferry_plugin_desc::stop, DESC_END(stop));
}
decltype(ferry_plugin_desc::destroy) PluginLibrary::destroy_fn() const {
  return field(&ferry_plugin_desc::destroy, DESC_END(destroy));
}
decltype(ferry_plugin_desc::ops) PluginLibrary::ops_fn() const {
  return field(&ferry_plugin_desc::ops, DESC_END(ops));
}

}  // namespace ferry::loader
