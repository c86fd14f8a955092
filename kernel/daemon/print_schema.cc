#include "print_schema.h"

#include <algorithm>
#include <filesystem>
#include <vector>

#include "config/kernel_schema.h"
#include "loader/plugin_library.h"

namespace ferry {
namespace {

void print_keys(std::ostream& out, const config::Schema& schema) {
  for (const config::KeySpec& k : schema.keys()) {
    out << "# " << k.description << "\n";
    out << "# type: " << config::type_name(k.type);
    if (!k.enum_values.empty()) {
      out << " (";
      for (size_t i = 0; i < k.enum_values.size(); ++i) out << (i ? "|" : "") << k.enum_values[i];
      out << ")";
    }
    if (k.min_value) out << ", min " << config::value_text(k.type, *k.min_value);
    if (k.max_value) out << ", max " << config::value_text(k.type, *k.max_value);
    out << "\n";
    if (k.default_value)
      out << k.name << " = " << config::value_text(k.type, *k.default_value) << "\n\n";
    else
      out << "# " << k.name << " = ...   (required)\n\n";
  }
}

}  // namespace

int print_schema(std::ostream& out, const std::string& plugin_dir) {
  out << "# Ferry configuration schema (ferryd --print-schema).\n"
      << "# Durations: \"500ms\", \"30s\", \"2m\", \"1h\", \"3d\" (an integer is ms).\n"
      << "# Sizes: 4096, \"64KiB\", \"1MiB\", \"1GiB\".\n\n";
  out << "[kernel]\n";
  print_keys(out, config::kernel_schema());
  out << "[broker]\n";
  print_keys(out, config::broker_schema());
  out << "# The messaging core (on when a storage plugin is configured).\n[core]\n";
  print_keys(out, config::core_schema());

  std::vector<std::filesystem::path> libs;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(plugin_dir, ec)) {
    std::string name = e.path().filename().string();
    if (name.rfind("ferry_", 0) == 0 && e.path().extension() == ".so") libs.push_back(e.path());
  }
  std::sort(libs.begin(), libs.end());
  out << "# Plugins found in " << plugin_dir << (ec ? " (cannot read: " + ec.message() + ")" : "")
      << ": " << libs.size() << "\n\n";
  int refused = 0;
  for (const auto& path : libs) {
    std::string error;
    auto lib = loader::PluginLibrary::open(path.string(), &error);
    if (!lib) {
      out << "# REFUSED " << error << "\n\n";
      ++refused;
      continue;
    }
    out << "# " << lib->kind_name() << " plugin '" << lib->name() << "' " << lib->version()
        << ": " << lib->description() << "\n";
    if (!lib->requirements().empty()) {
      out << "# requires:";
      for (const auto& r : lib->requirements())
        out << " " << ferry_kind_name(r.kind) << (r.optional ? " (optional)" : "");
      out << "\n";
    }
    out << "[plugins." << lib->name() << "]\n";
    out << "library = \"" << path.stem().string() << "\"\n";
    print_keys(out, lib->schema());
  }
  return refused;
}

}  // namespace ferry
