// Fake plugins that each break one ABI rule get the documented outcome
// (docs/abi.md, "What the loader checks").
#include <gtest/gtest.h>

#include <ferry/filter.h>

#include "ferry_test/temp_dir.h"
#include "kernel_harness.h"
#include "loader/plugin_library.h"

namespace ferry::test {
namespace {

using Lines = std::vector<std::string>;

std::string block(const std::string& instance, const std::string& stem,
                  const std::string& extra = "") {
  return "[plugins." + instance + "]\nlibrary = \"" + fake_plugin(stem) + "\"\n" + extra;
}

TEST(Loader, NoEntrySymbolIsRefused) {
  std::string path = fake_plugin("ferry_storage_fakenoentry");
  std::string error;
  EXPECT_EQ(loader::PluginLibrary::open(path, &error), nullptr);
  EXPECT_EQ(error, path + ": not a Ferry plugin: no symbol 'ferry_plugin_entry' (" + path +
                       ": undefined symbol: ferry_plugin_entry)");
}

TEST(Loader, WrongMajorIsRefusedBeforeAnyPluginCodeRuns) {
  std::string path = fake_plugin("ferry_storage_fakemajor");
  std::string error;
  EXPECT_EQ(loader::PluginLibrary::open(path, &error), nullptr);
  EXPECT_EQ(error, path + ": ABI major mismatch: plugin built for ABI 7." + std::to_string(FERRY_ABI_MINOR) +
                       ", this ferryd speaks ABI " +
                       std::to_string(FERRY_ABI_MAJOR) + "." + std::to_string(FERRY_ABI_MINOR));
  // In a config, the refusal is a config error at the library line.
  EXPECT_EQ(assembly_errors(block("store", "ferry_storage_fakemajor")),
            Lines{"test.toml:2:11: plugins.store: " + error});
}

TEST(Loader, MissingFileIsRefusedWithTheLoadersText) {
  std::string path = fake_plugin("ferry_storage_doesnotexist");
  std::string error;
  EXPECT_EQ(loader::PluginLibrary::open(path, &error), nullptr);
  EXPECT_EQ(error, path + ": cannot load: cannot open shared object file: No such file or directory");
}

TEST(Loader, OlderMinorWithSmallerDescriptorIsAcceptedAndItsMissingFieldsUnread) {
  std::string error;
  auto lib = loader::PluginLibrary::open(fake_plugin("ferry_storage_fakeoldminor"), &error);
  ASSERT_NE(lib, nullptr) << error;
  EXPECT_EQ(lib->abi_minor(), 0);
  // `ops` lies past its struct_size: the poison pointer there is never read.
  EXPECT_EQ(lib->ops_fn(), nullptr);
  EXPECT_NE(lib->stop_fn(), nullptr);

  TempDir dir;
  KernelRun run(block("old", "ferry_storage_fakeoldminor", "greeting = \"v0\"\n"), dir.str());
  ASSERT_TRUE(run.ok()) << run.errors();
  run.start();
  ASSERT_TRUE(run.wait_serving());
  auto svc = run.kernel().find_service(FERRY_KIND_STORAGE);
  ASSERT_TRUE(svc.has_value());
  EXPECT_EQ(svc->ops, nullptr);  // would have aborted had the kernel called it
  EXPECT_EQ(run.stop_and_join(), 0);
  EXPECT_EQ(run.lines_of(), (Lines{"old: create v0", "old: start v0", "old: stop v0",
                                   "old: destroy v0"}));
}

TEST(Loader, CreateFailureIsReportedWithThePluginsMessage) {
  TempDir dir;
  KernelRun run(block("good", "ferry_storage_fakestore", "greeting = \"g\"\n") +
                    block("bad", "ferry_storage_fakecreatefails"),
                dir.str());
  ASSERT_TRUE(run.ok()) << run.errors();
  run.start();
  EXPECT_EQ(run.join(), 1);
  EXPECT_EQ(run.kernel().last_error(),
            "plugin 'bad' (ferry_storage_fakecreatefails.so) create failed: FERRY_E_IO: cannot "
            "open /nonexistent/segment: disk on fire");
  // The instance that was created is destroyed; the failed one is not.
  EXPECT_EQ(run.lines_of(),
            (Lines{"good: create g", "bad: create failing", "good: destroy g"}));
}

TEST(Loader, ThrowingCallbackIsCaughtByItsGuardAndReported) {
  TempDir dir;
  KernelRun run(block("store", "ferry_storage_fakestore") + block("delay", "ferry_delay_fakethrows"),
                dir.str());
  ASSERT_TRUE(run.ok()) << run.errors();
  run.start();
  EXPECT_EQ(run.join(), 1);
  EXPECT_EQ(run.kernel().last_error(),
            "plugin 'delay' (ferry_delay_fakethrows.so) start failed: FERRY_E_INTERNAL: start "
            "threw: boom");
  // Started instances stop, then every created one is destroyed, in reverse;
  // the one whose start failed is destroyed without a stop.
  EXPECT_EQ(run.lines_of(), (Lines{"store: create ", "delay: create", "store: start ",
                                   "delay: start", "store: stop ", "delay: destroy",
                                   "store: destroy "}));
}

TEST(Loader, NullOptionalOpsAreSkipped) {
  TempDir dir;
  KernelRun run(block("f", "ferry_filter_fakenullop"), dir.str());
  ASSERT_TRUE(run.ok()) << run.errors();
  run.start();
  ASSERT_TRUE(run.wait_serving());
  auto svc = run.kernel().find_service(FERRY_KIND_FILTER, "f");
  ASSERT_TRUE(svc.has_value());
  const auto* ops = static_cast<const ferry_filter_ops*>(svc->ops);
  ASSERT_NE(ops, nullptr);
  EXPECT_STREQ(ops->expression_type(svc->instance), "FAKE");
  EXPECT_EQ(ops->match_record, nullptr);  // optional op absent: callers check
  EXPECT_EQ(run.stop_and_join(), 0);
  // No stop op: the kernel goes straight to destroy.
  EXPECT_EQ(run.lines_of(), (Lines{"f: create ", "f: start ", "f: destroy "}));
}

TEST(Loader, MissingRequirementIsRefusedNamingThePluginAndTheKind) {
  EXPECT_EQ(assembly_errors(block("repl", "ferry_replication_fakeneeds")),
            Lines{"test.toml:1:1: plugin 'repl' (replication, ferry_replication_fakeneeds) "
                  "requires a routing plugin, but no routing instance is configured"});
}

TEST(Loader, RequirementCycleIsRefusedNamingBothPlugins) {
  EXPECT_EQ(assembly_errors(block("a", "ferry_delay_fakecyclea") +
                            block("b", "ferry_transaction_fakecycleb")),
            Lines{"test.toml:1:1: requirement cycle: plugin 'a' (delay, ferry_delay_fakecyclea) "
                  "requires 'b' (transaction, ferry_transaction_fakecycleb), which requires 'a' "
                  "(delay, ferry_delay_fakecyclea)"});
}

TEST(Loader, PluginKeysAreValidatedAgainstItsSchema) {
  EXPECT_EQ(assembly_errors(block("s", "ferry_storage_fakestore", "greeting = 1\ncolour = 2\n")),
            (Lines{"test.toml:3:1: key 'plugins.s.greeting' must be a string, got integer",
                   "test.toml:4:1: unknown key 'plugins.s.colour'; valid keys: library, greeting"}));
}

TEST(Loader, OneLibraryServesSeveralInstancesEachWithItsOwnConfig) {
  TempDir dir;
  KernelRun run(block("one", "ferry_storage_fakestore", "greeting = \"hello\"\n") +
                    block("two", "ferry_storage_fakestore", "greeting = \"bye\"\n"),
                dir.str());
  ASSERT_TRUE(run.ok()) << run.errors();
  run.start();
  ASSERT_TRUE(run.wait_serving());
  EXPECT_EQ(run.stop_and_join(), 0);
  EXPECT_EQ(run.lines_of("one"), (Lines{"one: create hello", "one: start hello",
                                        "one: stop hello", "one: destroy hello"}));
  EXPECT_EQ(run.lines_of("two"), (Lines{"two: create bye", "two: start bye", "two: stop bye",
                                        "two: destroy bye"}));
}

}  // namespace
}  // namespace ferry::test
