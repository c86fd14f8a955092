// Every plugin library exports exactly one symbol, ferry_plugin_entry
// (`nm -D --defined-only`), whatever its C++ instantiates.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "ferry_test/paths.h"

namespace {

std::vector<std::string> exported_symbols(const std::string& path) {
  std::vector<std::string> out;
  std::string cmd = "nm -D --defined-only '" + path + "' 2>&1";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.c_str(), "r"), pclose);
  if (!pipe) return {"<popen failed>"};
  char line[1024];
  while (std::fgets(line, sizeof line, pipe.get()) != nullptr) {
    std::string s(line);
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    // "0000000000001920 T ferry_plugin_entry": the name is the last field.
    size_t sp = s.rfind(' ');
    out.push_back(sp == std::string::npos ? s : s.substr(sp + 1));
  }
  return out;
}

std::vector<std::string> libraries_in(const std::string& dir) {
  std::vector<std::string> libs;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    if (e.path().extension() == ".so") libs.push_back(e.path().string());
  return libs;
}

TEST(Exports, EveryBuiltPluginExportsOnlyItsEntry) {
  auto libs = libraries_in(ferry::test::plugin_dir());
  ASSERT_FALSE(libs.empty()) << "no plugin built in " << ferry::test::plugin_dir();
  for (const std::string& lib : libs)
    EXPECT_EQ(exported_symbols(lib), std::vector<std::string>{"ferry_plugin_entry"}) << lib;
}

TEST(Exports, FakePluginsExportOnlyTheirEntry) {
  auto libs = libraries_in(ferry::test::build_dir() + "/lib/ferry/test-plugins");
  ASSERT_GE(libs.size(), 10u);
  for (const std::string& lib : libs) {
    // The fake without an entry exports a wrongly named one instead.
    std::string expected = lib.find("fakenoentry") != std::string::npos ? "ferry_plugin_entry_v2"
                                                                         : "ferry_plugin_entry";
    EXPECT_EQ(exported_symbols(lib), std::vector<std::string>{expected}) << lib;
  }
}

}  // namespace
