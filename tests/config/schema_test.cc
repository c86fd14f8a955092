#include "config/schema.h"

#include <gtest/gtest.h>

#include "config/kernel_schema.h"

namespace ferry::config {
namespace {

TEST(Schema, DefaultsAndBoundsUseTheUnitParser) {
  const ferry_config_key keys[] = {
      FERRY_CONFIG_KEY("segment", FERRY_CONFIG_SIZE, "1GiB", "4KiB", "2GiB", NULL, "d"),
      FERRY_CONFIG_KEY("interval", FERRY_CONFIG_DURATION, "500ms", "1ms", "1h", NULL, "d"),
      FERRY_CONFIG_KEY("mode", FERRY_CONFIG_ENUM, "sync", NULL, NULL, "sync|async", "d"),
      FERRY_CONFIG_KEY("paths", FERRY_CONFIG_STRING_LIST, "a, b", NULL, NULL, NULL, "d"),
      FERRY_CONFIG_KEY("name", FERRY_CONFIG_STRING, NULL, NULL, NULL, NULL, "required"),
  };
  std::string error;
  auto s = Schema::from_c(keys, sizeof(ferry_config_key), 5, &error);
  ASSERT_TRUE(s) << error;
  EXPECT_EQ(std::get<uint64_t>(*s->find("segment")->default_value), 1ull << 30);
  EXPECT_EQ(std::get<uint64_t>(*s->find("segment")->min_value), 4096u);
  EXPECT_EQ(std::get<int64_t>(*s->find("interval")->max_value), 3'600'000);
  EXPECT_EQ(s->find("mode")->enum_values, (std::vector<std::string>{"sync", "async"}));
  EXPECT_EQ(std::get<std::vector<std::string>>(*s->find("paths")->default_value),
            (std::vector<std::string>{"a", "b"}));
  EXPECT_FALSE(s->find("name")->default_value.has_value());
  EXPECT_EQ(s->names(), "segment, interval, mode, paths, name");
}

TEST(Schema, MalformedDeclarationsAreRefusedWithTheReason) {
  std::string error;
  const ferry_config_key bad_default[] = {
      FERRY_CONFIG_KEY("segment", FERRY_CONFIG_SIZE, "1 GiB", NULL, NULL, NULL, "d")};
  EXPECT_FALSE(Schema::from_c(bad_default, sizeof(ferry_config_key), 1, &error));
  EXPECT_EQ(error, "config key 'segment': default \"1 GiB\" is not a valid size");

  const ferry_config_key enum_without_values[] = {
      FERRY_CONFIG_KEY("mode", FERRY_CONFIG_ENUM, "a", NULL, NULL, NULL, "d")};
  EXPECT_FALSE(Schema::from_c(enum_without_values, sizeof(ferry_config_key), 1, &error));
  EXPECT_EQ(error, "config key 'mode' is an enum without enum_values");

  const ferry_config_key twice[] = {
      FERRY_CONFIG_KEY("a", FERRY_CONFIG_INT, "1", NULL, NULL, NULL, "d"),
      FERRY_CONFIG_KEY("a", FERRY_CONFIG_INT, "1", NULL, NULL, NULL, "d")};
  EXPECT_FALSE(Schema::from_c(twice, sizeof(ferry_config_key), 2, &error));
  EXPECT_EQ(error, "config key 'a' is declared twice");
}

// A plugin built against an older, smaller ferry_config_key: the kernel
// strides by the declared size and reads only the fields that exist.
TEST(Schema, OlderSmallerKeyStructIsReadByItsStride) {
  struct OldKey {  // ferry_config_key up to `default_value`
    uint32_t struct_size;
    const char* name;
    ferry_config_type type;
    const char* default_value;
  };
  const OldKey keys[] = {
      {FERRY_STRUCT_SIZE(ferry_config_key, default_value), "a", FERRY_CONFIG_INT, "7"},
      {FERRY_STRUCT_SIZE(ferry_config_key, default_value), "b", FERRY_CONFIG_BOOL, "true"}};
  std::string error;
  auto s = Schema::from_c(reinterpret_cast<const ferry_config_key*>(keys), sizeof(OldKey), 2,
                          &error);
  ASSERT_TRUE(s) << error;
  EXPECT_EQ(std::get<int64_t>(*s->find("a")->default_value), 7);
  EXPECT_TRUE(std::get<bool>(*s->find("b")->default_value));
  EXPECT_EQ(s->find("b")->description, "");
  EXPECT_FALSE(s->find("a")->min_value.has_value());
}

TEST(Schema, KernelKeysAreDeclaredLikePluginKeys) {
  EXPECT_EQ(kernel_schema().names(), "listen, data_dir, plugin_dir, log_level, max_frame_bytes, metrics_listen, busy_poll_us");
  EXPECT_EQ(broker_schema().names(), "cluster, name, id, advertised_address");
}

}  // namespace
}  // namespace ferry::config
