#pragma once
// The one parser of durations and sizes in Ferry. Config values, schema
// defaults and schema min/max texts all go through here, so "30s" means the
// same thing everywhere.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ferry::config {

// "500ms", "30s", "2m" (or "2min"), "1h", "3d" (a bare integer is milliseconds) ->
// milliseconds. nullopt on anything else (empty, negative, unknown unit,
// overflow). Whitespace between number and unit is not accepted.
std::optional<int64_t> parse_duration_ms(std::string_view text);

// "4096", "512B", "64KiB", "1MiB", "1GiB", "2TiB" (also KB/MB/GB as the same
// powers of 1024, which is what operators mean) -> bytes. nullopt on error.
std::optional<uint64_t> parse_size_bytes(std::string_view text);

// Shortest exact text for a value, for messages and --print-schema.
std::string format_duration_ms(int64_t ms);
std::string format_size_bytes(uint64_t bytes);

}  // namespace ferry::config
