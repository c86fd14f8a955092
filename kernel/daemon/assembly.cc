#include "assembly.h"

#include <filesystem>
#include <map>

#include "config/kernel_schema.h"
#include "loader/plugin_graph.h"

namespace ferry {

std::string default_plugin_dir(const std::string& exe_dir) {
  return (std::filesystem::path(exe_dir) / ".." / "lib" / "ferry" / "plugins")
      .lexically_normal()
      .string();
}

std::string resolve_library(const std::string& library, const std::string& plugin_dir,
                            const std::string& config_dir) {
  std::filesystem::path p(library);
  if (p.extension() != ".so") p += ".so";
  if (library.find('/') == std::string::npos) return (std::filesystem::path(plugin_dir) / p).string();
  if (p.is_relative()) p = std::filesystem::path(config_dir) / p;
  return p.lexically_normal().string();
}

std::optional<Assembly> assemble(const AssemblyInput& input, config::ErrorList& errors) {
  std::optional<config::ConfigFile> file =
      input.config_text ? config::ConfigFile::parse(*input.config_text, input.config_path, errors)
                        : config::ConfigFile::load(input.config_path, errors);
  if (!file) return std::nullopt;
  for (const std::string& o : input.overrides) file->apply_override(o, errors);
  file->validate_structure(config::kernel_schema(), config::broker_schema(),
                           config::core_schema(), errors);

  Assembly out{std::move(*file), {}, {}};
  const config::ConfigFile& cf = out.file;
  const config::Entry* dir = cf.kernel().find("plugin_dir");
  out.plugin_dir = dir && !std::get<std::string>(dir->value).empty()
                       ? std::get<std::string>(dir->value)
                       : default_plugin_dir(input.exe_dir);

  // Load each library once, however many instances use it.
  std::map<std::string, std::shared_ptr<loader::PluginLibrary>> loaded;
  std::vector<PlannedInstance> planned;
  std::vector<const config::PluginBlock*> blocks;
  for (const config::PluginBlock& block : cf.plugins()) {
    std::string path = resolve_library(block.library, out.plugin_dir, cf.directory());
    auto& lib = loaded[path];
    if (!lib) {
      std::string error;
      lib = loader::PluginLibrary::open(path, &error);
      if (!lib) {
        loaded.erase(path);
        errors.add(block.library_where, "plugins." + block.instance + ": " + error);
        continue;
      }
    }
    config::Values values = cf.validate_plugin(block, lib->schema(), errors);
    planned.push_back({block.instance, lib, std::move(values)});
    blocks.push_back(&block);
  }

  std::vector<loader::GraphNode> nodes;
  for (const PlannedInstance& p : planned)
    nodes.push_back({p.name, std::filesystem::path(p.library->path()).stem().string(),
                     p.library->kind(), p.library->requirements()});
  loader::GraphResult graph = loader::order_instances(nodes);
  for (const auto& e : graph.errors) errors.add(blocks[e.node]->where, e.message);
  if (!errors.empty()) return std::nullopt;
  for (size_t i : graph.order) out.instances.push_back(std::move(planned[i]));
  return out;
}

}  // namespace ferry
