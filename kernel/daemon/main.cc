// ferryd: the Ferry broker / name server process.
//   ferryd --config FILE [--set section.key=value]...   run until SIGINT/SIGTERM
//   ferryd --check-config FILE [--set ...]              validate only (exit 0 / 1)
//   ferryd --print-schema [--plugin-dir DIR]            every key, as documentation
// Exit status: 0 clean stop, 1 a plugin failed to start (or --check-config
// found errors), 2 configuration errors.
#include <csignal>
#include <iostream>

#include <CLI/CLI.hpp>
#include <boost/dll/runtime_symbol_info.hpp>

#include "assembly.h"
#include "kernel.h"
#include "print_schema.h"

int main(int argc, char** argv) {
  // A write to a client that reset raises SIGPIPE, which would end the
  // broker silently (exit 141): ignored, the write fails with EPIPE and
  // only that connection closes (kernel/net/README.md, "SIGPIPE").
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App app{"ferryd — Ferry message broker kernel"};
  std::string config_path, check_path, plugin_dir;
  std::vector<std::string> overrides;
  bool schema = false;
  auto* run_opt = app.add_option("--config", config_path, "Start with this config file");
  auto* check_opt =
      app.add_option("--check-config", check_path, "Validate a config file and exit (0 valid, 1 not)");
  auto* schema_opt = app.add_flag("--print-schema", schema, "Print every config key and exit");
  app.add_option("--set", overrides,
                 "Override a key: section.key=value (e.g. kernel.data_dir=/tmp/x); repeatable");
  app.add_option("--plugin-dir", plugin_dir, "With --print-schema: where to look for plugins");
  run_opt->excludes(check_opt)->excludes(schema_opt);
  check_opt->excludes(schema_opt);
  app.require_option(1, 3);
  CLI11_PARSE(app, argc, argv);

  std::string exe_dir;
  try {
    exe_dir = boost::dll::program_location().parent_path().string();
  } catch (...) {
    exe_dir = ".";
  }

  if (schema) {
    ferry::print_schema(std::cout,
                        plugin_dir.empty() ? ferry::default_plugin_dir(exe_dir) : plugin_dir);
    return 0;
  }
  const bool check_only = !check_path.empty();
  if (!check_only && config_path.empty()) {
    std::cerr << "ferryd: --config FILE, --check-config FILE or --print-schema is required\n";
    return 2;
  }
  ferry::config::ErrorList errors;
  ferry::AssemblyInput input;
  input.config_path = check_only ? check_path : config_path;
  input.overrides = overrides;
  input.exe_dir = exe_dir;
  auto assembly = ferry::assemble(input, errors);
  if (!assembly) {
    std::cerr << errors.text() << "ferryd: " << errors.size() << " configuration error"
              << (errors.size() == 1 ? "" : "s") << " in " << input.config_path << "\n";
    return check_only ? 1 : 2;
  }
  if (check_only) {
    std::cout << input.config_path << ": OK (" << assembly->instances.size()
              << " plugin instances)\n";
    return 0;
  }
  ferry::Kernel kernel(std::move(*assembly), ferry::KernelOptions{});
  kernel.attach_transport();
  kernel.enable_core();
  return kernel.run();
}
