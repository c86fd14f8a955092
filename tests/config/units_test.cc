#include "config/units.h"

#include <gtest/gtest.h>

namespace ferry::config {
namespace {

TEST(Units, DurationsInEveryUnit) {
  EXPECT_EQ(parse_duration_ms("500ms"), 500);
  EXPECT_EQ(parse_duration_ms("30s"), 30'000);
  EXPECT_EQ(parse_duration_ms("2m"), 120'000);
  EXPECT_EQ(parse_duration_ms("10min"), 600'000);
  EXPECT_EQ(parse_duration_ms("1h"), 3'600'000);
  EXPECT_EQ(parse_duration_ms("3d"), 3 * 86'400'000LL);
  EXPECT_EQ(parse_duration_ms("250"), 250);  // bare number: milliseconds
  EXPECT_EQ(parse_duration_ms("0s"), 0);
}

TEST(Units, BadDurationsAreRefused) {
  for (const char* bad : {"", "s", "30 s", "-1s", "1.5s", "30sec", "1w", "30S", "ms", " 30s"})
    EXPECT_FALSE(parse_duration_ms(bad).has_value()) << bad;
  EXPECT_FALSE(parse_duration_ms("99999999999999999d").has_value());  // overflow
}

TEST(Units, SizesInEveryUnit) {
  EXPECT_EQ(parse_size_bytes("4096"), 4096u);
  EXPECT_EQ(parse_size_bytes("512B"), 512u);
  EXPECT_EQ(parse_size_bytes("64KiB"), 64u * 1024);
  EXPECT_EQ(parse_size_bytes("1MiB"), 1024u * 1024);
  EXPECT_EQ(parse_size_bytes("1GiB"), 1024ull * 1024 * 1024);
  EXPECT_EQ(parse_size_bytes("2TiB"), 2ull << 40);
  EXPECT_EQ(parse_size_bytes("1GB"), 1024ull * 1024 * 1024);
}

TEST(Units, BadSizesAreRefused) {
  for (const char* bad : {"", "KiB", "1 GiB", "-1", "1.5GiB", "1gib", "1XiB"})
    EXPECT_FALSE(parse_size_bytes(bad).has_value()) << bad;
  EXPECT_FALSE(parse_size_bytes("17179869184GiB").has_value());  // overflow
}

TEST(Units, FormattingRoundTrips) {
  EXPECT_EQ(format_duration_ms(30'000), "30s");
  EXPECT_EQ(format_duration_ms(1500), "1500ms");
  EXPECT_EQ(format_duration_ms(7'200'000), "2h");
  EXPECT_EQ(format_size_bytes(16u << 20), "16MiB");
  EXPECT_EQ(format_size_bytes(1000), "1000");
  for (int64_t ms : {0LL, 1LL, 999LL, 60'000LL, 86'400'000LL, 90'061'001LL})
    EXPECT_EQ(parse_duration_ms(format_duration_ms(ms)), ms);
  for (uint64_t b : {0ull, 1ull, 4096ull, 1ull << 30, (1ull << 30) + 1})
    EXPECT_EQ(parse_size_bytes(format_size_bytes(b)), b);
}

}  // namespace
}  // namespace ferry::config
