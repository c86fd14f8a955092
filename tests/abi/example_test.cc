// The out-of-tree example plugin (abi/examples/prefix_filter, plain C) is
// built against an install prefix holding only what `cmake --install` put
// there for plugin authors — once with find_package(FerryAbi), once with
// pkg-config — then loaded by ferryd and the kernel, and its ops called.
#include <gtest/gtest.h>

#include <ferry/filter.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "ferry_test/temp_dir.h"
#include "kernel_harness.h"
#include "record_builder.h"

namespace ferry::test {
namespace {

int sh(const std::string& cmd, const std::string& log) {
  int rc = std::system(("(" + cmd + ") >>'" + log + "' 2>&1").c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class ExamplePlugin : public ::testing::Test {
 protected:
  void SetUp() override {
    prefix_ = tmp_.str() + "/prefix";
    log_ = tmp_.str() + "/build.log";
    // Only the ABI part of the build tree: headers, CMake package, .pc file.
    ASSERT_EQ(sh("cmake --install '" + build_dir() + "/abi' --prefix '" + prefix_ + "'", log_), 0)
        << slurp(log_);
    ASSERT_TRUE(std::filesystem::exists(prefix_ + "/include/ferry/plugin.h"));
  }

  TempDir tmp_{"ferry-example"};
  std::string prefix_, log_;
};

TEST_F(ExamplePlugin, BuildsWithFindPackageLoadsAndFilters) {
  std::string src = source_dir() + "/abi/examples/prefix_filter";
  std::string bld = tmp_.str() + "/build";
  ASSERT_EQ(sh("cmake -S '" + src + "' -B '" + bld + "' -DCMAKE_PREFIX_PATH='" + prefix_ +
                   "' -DCMAKE_BUILD_TYPE=Release -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF",
               log_),
            0)
      << slurp(log_);
  ASSERT_EQ(sh("cmake --build '" + bld + "'", log_), 0) << slurp(log_);
  std::string lib = bld + "/ferry_filter_prefix.so";
  ASSERT_TRUE(std::filesystem::exists(lib)) << slurp(log_);

  std::string config = "[plugins.prefix]\nlibrary = \"" + bld +
                       "/ferry_filter_prefix\"\nignore_case = true\n";
  {
    std::ofstream(tmp_.str() + "/example.toml") << config;
  }
  // ferryd itself accepts the config that names it.
  EXPECT_EQ(sh("'" + bin_path("ferryd") + "' --check-config '" + tmp_.str() + "/example.toml'",
               log_),
            0)
      << slurp(log_);

  KernelRun run(config, tmp_.str() + "/data");
  ASSERT_TRUE(run.ok()) << run.errors();
  run.start();
  ASSERT_TRUE(run.wait_serving());
  auto svc = run.kernel().find_service(FERRY_KIND_FILTER, "prefix");
  ASSERT_TRUE(svc.has_value());
  const auto* ops = static_cast<const ferry_filter_ops*>(svc->ops);
  ASSERT_NE(ops, nullptr);
  EXPECT_STREQ(ops->expression_type(svc->instance), "PREFIX");

  void* compiled = nullptr;
  ferry_slice expr{"order-", 6};
  ASSERT_EQ(ops->compile(svc->instance, expr, &compiled, nullptr), FERRY_OK);
  EXPECT_EQ(ops->match_tag_hash(svc->instance, compiled, 42), -1);
  std::string keep = build_record("TopicA", "body", {{"TAGS", "ORDER-created"}});
  std::string drop = build_record("TopicA", "body", {{"TAGS", "invoice"}});
  std::string none = build_record("TopicA", "body", {{"KEYS", "order-1"}});
  EXPECT_EQ(ops->match_record(svc->instance, compiled, keep.data(), keep.size()), 1);
  EXPECT_EQ(ops->match_record(svc->instance, compiled, drop.data(), drop.size()), 0);
  EXPECT_EQ(ops->match_record(svc->instance, compiled, none.data(), none.size()), 0);
  ops->release(svc->instance, compiled);
  EXPECT_EQ(run.stop_and_join(), 0);
  EXPECT_EQ(run.lines_of("prefix"), std::vector<std::string>{"prefix: prefix filter ready"});
}

TEST_F(ExamplePlugin, BuildsWithPkgConfig) {
  std::string src = source_dir() + "/abi/examples/prefix_filter/prefix_filter.c";
  std::string out = tmp_.str() + "/ferry_filter_prefix.so";
  ASSERT_EQ(sh("cc -std=c11 -pedantic -Wall -Werror -shared -fPIC -o '" + out + "' '" + src +
                   "' $(PKG_CONFIG_PATH='" + prefix_ +
                   "/lib/pkgconfig' pkg-config --cflags ferry-plugin)",
               log_),
            0)
      << slurp(log_);
  std::string error;
  auto lib = loader::PluginLibrary::open(out, &error);
  ASSERT_NE(lib, nullptr) << error;
  EXPECT_EQ(lib->name(), "prefix");
  EXPECT_EQ(lib->kind(), static_cast<uint32_t>(FERRY_KIND_FILTER));
  EXPECT_EQ(lib->schema().names(), "expression_type, property, ignore_case");
}

}  // namespace
}  // namespace ferry::test
