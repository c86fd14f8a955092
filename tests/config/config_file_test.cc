#include "config/config_file.h"

#include <gtest/gtest.h>

#include "config/kernel_schema.h"

namespace ferry::config {
namespace {

// Parses `text` as test.toml and validates its structure; returns the errors.
std::vector<std::string> errors_of(const std::string& text,
                                   const std::vector<std::string>& overrides = {}) {
  ErrorList errors;
  auto file = ConfigFile::parse(text, "test.toml", errors);
  if (file) {
    for (const auto& o : overrides) file->apply_override(o, errors);
    file->validate_structure(kernel_schema(), broker_schema(), core_schema(), errors);
  }
  std::vector<std::string> out;
  for (const auto& e : errors.all()) out.push_back(e.text());
  return out;
}

using Lines = std::vector<std::string>;

TEST(ConfigFile, EmptyFileGetsEveryDefault) {
  ErrorList errors;
  auto file = ConfigFile::parse("", "test.toml", errors);
  ASSERT_TRUE(file);
  file->validate_structure(kernel_schema(), broker_schema(), core_schema(), errors);
  EXPECT_TRUE(errors.empty()) << errors.text();
  EXPECT_EQ(file->kernel().str("listen"), "127.0.0.1:10911");
  EXPECT_EQ(file->kernel().str("data_dir"), "./data");
  EXPECT_EQ(file->kernel().u64("max_frame_bytes"), 16u << 20);
  EXPECT_EQ(file->broker().i64("id"), 0);
  EXPECT_TRUE(file->plugins().empty());
}

TEST(ConfigFile, UnknownTopLevelKeyListsTheValidOnes) {
  EXPECT_EQ(errors_of("colour = 3\n"),
            Lines{"test.toml:1:1: unknown key 'colour'; valid keys: kernel, broker, core, plugins"});
}

TEST(ConfigFile, UnknownKernelKeyListsTheValidOnes) {
  EXPECT_EQ(errors_of("[kernel]\nlisten = \"127.0.0.1:1\"\n  lissten = 3\n"),
            Lines{"test.toml:3:3: unknown key 'kernel.lissten'; valid keys: listen, data_dir, "
                  "plugin_dir, log_level, max_frame_bytes, metrics_listen, busy_poll_us"});
}

TEST(ConfigFile, WrongType) {
  EXPECT_EQ(errors_of("[kernel]\ndata_dir = 5\n"),
            Lines{"test.toml:2:1: key 'kernel.data_dir' must be a string, got integer"});
  EXPECT_EQ(errors_of("[broker]\nid = \"one\"\n"),
            Lines{"test.toml:2:1: key 'broker.id' must be an integer, got string"});
  EXPECT_EQ(errors_of("[kernel]\nmax_frame_bytes = true\n"),
            Lines{"test.toml:2:1: key 'kernel.max_frame_bytes' must be a size (4096, \"64KiB\", "
                  "\"1MiB\", \"1GiB\"), got boolean"});
  EXPECT_EQ(errors_of("kernel = 1\n"),
            Lines{"test.toml:1:10: key 'kernel' must be a table, got integer"});
}

TEST(ConfigFile, OutOfRange) {
  EXPECT_EQ(errors_of("[kernel]\nmax_frame_bytes = \"1KiB\"\n"),
            Lines{"test.toml:2:1: key 'kernel.max_frame_bytes' = \"1KiB\" is below the minimum "
                  "\"4KiB\""});
  EXPECT_EQ(errors_of("[kernel]\nmax_frame_bytes = \"2GiB\"\n"),
            Lines{"test.toml:2:1: key 'kernel.max_frame_bytes' = \"2GiB\" is above the maximum "
                  "\"1GiB\""});
  EXPECT_EQ(errors_of("[kernel]\nbusy_poll_us = 10001\n"),
            Lines{"test.toml:2:1: key 'kernel.busy_poll_us' = 10001 is above the maximum 10000"});
  EXPECT_EQ(errors_of("[kernel]\nbusy_poll_us = -1\n"),
            Lines{"test.toml:2:1: key 'kernel.busy_poll_us' = -1 is below the minimum 0"});
  EXPECT_EQ(errors_of("[kernel]\nbusy_poll_us = 200\n"), Lines{});
  EXPECT_EQ(errors_of("[broker]\nid = -1\n"),
            Lines{"test.toml:2:1: key 'broker.id' = -1 is below the minimum 0"});
}

TEST(ConfigFile, BadEnumValue) {
  EXPECT_EQ(errors_of("[kernel]\nlog_level = \"loud\"\n"),
            Lines{"test.toml:2:1: key 'kernel.log_level' = \"loud\" is not one of: trace, debug, "
                  "info, warn, error, off"});
}

TEST(ConfigFile, BadSizeText) {
  EXPECT_EQ(errors_of("[kernel]\nmax_frame_bytes = \"16 MB\"\n"),
            Lines{"test.toml:2:1: key 'kernel.max_frame_bytes' = \"16 MB\" is not a size (4096, "
                  "\"64KiB\", \"1MiB\", \"1GiB\")"});
}

TEST(ConfigFile, SyntaxErrorNamesThePosition) {
  auto errors = errors_of("[kernel]\nlisten = \n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].rfind("test.toml:2:", 0), 0u) << errors[0];
}

TEST(ConfigFile, PluginBlockNeedsALibrary) {
  EXPECT_EQ(errors_of("[plugins.store]\nsegment = 1\n"),
            Lines{"test.toml:1:1: missing required key 'plugins.store.library'"});
  EXPECT_EQ(errors_of("[plugins.store]\nlibrary = 3\n"),
            Lines{"test.toml:2:11: key 'plugins.store.library' must be a non-empty string, got 3"});
}

TEST(ConfigFile, EveryErrorIsReportedTogether) {
  auto errors = errors_of(
      "bogus = 1\n"
      "[kernel]\n"
      "lissten = \"x\"\n"
      "log_level = \"loud\"\n"
      "[broker]\n"
      "id = 5000\n"
      "[plugins.a]\n"
      "nolib = 1\n");
  EXPECT_EQ(errors,
            (Lines{"test.toml:1:1: unknown key 'bogus'; valid keys: kernel, broker, core, plugins",
                   "test.toml:3:1: unknown key 'kernel.lissten'; valid keys: listen, data_dir, "
                   "plugin_dir, log_level, max_frame_bytes, metrics_listen, busy_poll_us",
                   "test.toml:4:1: key 'kernel.log_level' = \"loud\" is not one of: trace, debug, "
                   "info, warn, error, off",
                   "test.toml:6:1: key 'broker.id' = 5000 is above the maximum 1024",
                   "test.toml:7:1: missing required key 'plugins.a.library'"}));
}

TEST(ConfigFile, OverridesReplaceFileValuesAndAreNamedInErrors) {
  ErrorList errors;
  auto file = ConfigFile::parse("[kernel]\ndata_dir = \"./data\"\n", "test.toml", errors);
  ASSERT_TRUE(file);
  file->apply_override("kernel.data_dir=/tmp/ferry x", errors);
  file->apply_override("kernel.listen=127.0.0.1:0", errors);
  file->apply_override("broker.id=3", errors);
  file->validate_structure(kernel_schema(), broker_schema(), core_schema(), errors);
  EXPECT_TRUE(errors.empty()) << errors.text();
  EXPECT_EQ(file->kernel().str("data_dir"), "/tmp/ferry x");
  EXPECT_EQ(file->kernel().str("listen"), "127.0.0.1:0");
  EXPECT_EQ(file->broker().i64("id"), 3);

  EXPECT_EQ(errors_of("", {"broker.id=-4"}),
            Lines{"--set broker.id=-4:1:8: key 'broker.id' = -4 is below the minimum 0"});
  EXPECT_EQ(errors_of("[broker]\nid = 1\n", {"broker.id=x"}),
            Lines{"--set broker.id=x:1:8: key 'broker.id' must be an integer, got string"});
  EXPECT_EQ(errors_of("", {"nothing"}), Lines{"--set nothing: expected section.key=value"});
}

TEST(ConfigFile, PluginKeysAreCheckedAgainstTheirSchema) {
  const ferry_config_key keys[] = {
      FERRY_CONFIG_KEY("segment_size", FERRY_CONFIG_SIZE, "1GiB", "1MiB", NULL, NULL, "d"),
      FERRY_CONFIG_KEY("interval", FERRY_CONFIG_DURATION, "500ms", NULL, NULL, NULL, "d"),
      FERRY_CONFIG_KEY("mode", FERRY_CONFIG_ENUM, "sync", NULL, NULL, "sync|async", "d"),
      FERRY_CONFIG_KEY("dirs", FERRY_CONFIG_STRING_LIST, "", NULL, NULL, NULL, "d"),
      FERRY_CONFIG_KEY("ratio", FERRY_CONFIG_DOUBLE, "0.5", "0", "1", NULL, "d"),
  };
  std::string schema_error;
  auto schema = Schema::from_c(keys, sizeof(ferry_config_key), 5, &schema_error);
  ASSERT_TRUE(schema) << schema_error;

  ErrorList errors;
  auto file = ConfigFile::parse(
      "[plugins.store]\n"
      "library = \"ferry_storage_x\"\n"
      "segment_size = \"64KiB\"\n"
      "interval = \"2 s\"\n"
      "mode = \"fast\"\n"
      "dirs = [\"a\", 3]\n"
      "ratio = 1.5\n"
      "colour = 1\n",
      "test.toml", errors);
  ASSERT_TRUE(file);
  file->validate_structure(kernel_schema(), broker_schema(), core_schema(), errors);
  ASSERT_EQ(file->plugins().size(), 1u);
  EXPECT_EQ(file->plugins()[0].library, "ferry_storage_x");
  file->validate_plugin(file->plugins()[0], *schema, errors);
  std::vector<std::string> got;
  for (const auto& e : errors.all()) got.push_back(e.text());
  EXPECT_EQ(got,
            (Lines{"test.toml:3:1: key 'plugins.store.segment_size' = \"64KiB\" is below the "
                   "minimum \"1MiB\"",
                   "test.toml:4:1: key 'plugins.store.interval' = \"2 s\" is not a duration "
                   "(\"500ms\", \"30s\", \"2m\", \"1h\", \"3d\")",
                   "test.toml:5:1: key 'plugins.store.mode' = \"fast\" is not one of: sync, async",
                   "test.toml:6:1: key 'plugins.store.dirs' must be an array of strings, got integer 3 "
                   "in the array",
                   "test.toml:7:1: key 'plugins.store.ratio' = 1.5 is above the maximum 1.0",
                   "test.toml:8:1: unknown key 'plugins.store.colour'; valid keys: library, "
                   "segment_size, interval, mode, dirs, ratio"}));
}

TEST(ConfigFile, PluginValuesGetDefaultsAndUnits) {
  const ferry_config_key keys[] = {
      FERRY_CONFIG_KEY("segment_size", FERRY_CONFIG_SIZE, "1GiB", NULL, NULL, NULL, "d"),
      FERRY_CONFIG_KEY("interval", FERRY_CONFIG_DURATION, "500ms", NULL, NULL, NULL, "d"),
      FERRY_CONFIG_KEY("path", FERRY_CONFIG_STRING, NULL, NULL, NULL, NULL, "required"),
  };
  std::string schema_error;
  auto schema = Schema::from_c(keys, sizeof(ferry_config_key), 3, &schema_error);
  ASSERT_TRUE(schema);
  ErrorList errors;
  auto file = ConfigFile::parse(
      "[plugins.a]\nlibrary = \"l\"\ninterval = \"2m\"\npath = \"/x\"\n"
      "[plugins.b]\nlibrary = \"l\"\n",
      "test.toml", errors);
  ASSERT_TRUE(file);
  file->validate_structure(kernel_schema(), broker_schema(), core_schema(), errors);
  Values a = file->validate_plugin(file->plugins()[0], *schema, errors);
  EXPECT_TRUE(errors.empty()) << errors.text();
  EXPECT_EQ(a.u64("segment_size"), 1ull << 30);
  EXPECT_EQ(a.i64("interval"), 120'000);
  EXPECT_EQ(a.str("path"), "/x");
  file->validate_plugin(file->plugins()[1], *schema, errors);
  EXPECT_EQ(errors.text(), "test.toml:5:1: missing required key 'plugins.b.path'\n");
}

}  // namespace
}  // namespace ferry::config
