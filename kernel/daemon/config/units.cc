#include "config/units.h"

#include <array>
#include <charconv>
#include <limits>
#include <utility>

namespace ferry::config {
namespace {

struct Unit {
  std::string_view suffix;
  uint64_t factor;
};

// Splits "64KiB" into 64 and "KiB". The number is an unsigned decimal.
std::optional<std::pair<uint64_t, std::string_view>> split_number(std::string_view text) {
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end == text.data()) return std::nullopt;
  return std::pair{value, text.substr(static_cast<size_t>(end - text.data()))};
}

template <size_t N>
std::optional<uint64_t> scale(std::string_view text, const std::array<Unit, N>& units,
                              uint64_t max) {
  auto split = split_number(text);
  if (!split) return std::nullopt;
  auto [number, suffix] = *split;
  for (const Unit& u : units) {
    if (suffix != u.suffix) continue;
    if (number > max / u.factor) return std::nullopt;
    return number * u.factor;
  }
  return std::nullopt;
}

constexpr std::array<Unit, 7> kDurationUnits{{{"", 1},
                                               {"ms", 1},
                                               {"s", 1000},
                                               {"m", 60'000},
                                               {"min", 60'000},
                                               {"h", 3'600'000},
                                               {"d", 86'400'000}}};

constexpr uint64_t KiB = 1024;
constexpr std::array<Unit, 10> kSizeUnits{{{"", 1},
                                           {"B", 1},
                                           {"KiB", KiB},
                                           {"MiB", KiB * KiB},
                                           {"GiB", KiB * KiB * KiB},
                                           {"TiB", KiB * KiB * KiB * KiB},
                                           {"KB", KiB},
                                           {"MB", KiB * KiB},
                                           {"GB", KiB * KiB * KiB},
                                           {"TB", KiB * KiB * KiB * KiB}}};

}  // namespace

std::optional<int64_t> parse_duration_ms(std::string_view text) {
  auto v = scale(text, kDurationUnits,
                 static_cast<uint64_t>(std::numeric_limits<int64_t>::max()));
  if (!v) return std::nullopt;
  return static_cast<int64_t>(*v);
}

std::optional<uint64_t> parse_size_bytes(std::string_view text) {
  return scale(text, kSizeUnits, std::numeric_limits<uint64_t>::max());
}

std::string format_duration_ms(int64_t ms) {
  // Largest unit that divides exactly, so the text parses back to `ms`.
  constexpr std::array<Unit, 4> units{{{"d", 86'400'000}, {"h", 3'600'000}, {"m", 60'000},
                                       {"s", 1000}}};
  if (ms > 0) {
    for (const Unit& u : units) {
      if (static_cast<uint64_t>(ms) % u.factor == 0)
        return std::to_string(static_cast<uint64_t>(ms) / u.factor) + std::string(u.suffix);
    }
  }
  return std::to_string(ms) + "ms";
}

std::string format_size_bytes(uint64_t bytes) {
  constexpr std::array<Unit, 4> units{{{"TiB", KiB * KiB * KiB * KiB},
                                       {"GiB", KiB * KiB * KiB},
                                       {"MiB", KiB * KiB},
                                       {"KiB", KiB}}};
  if (bytes > 0) {
    for (const Unit& u : units) {
      if (bytes % u.factor == 0) return std::to_string(bytes / u.factor) + std::string(u.suffix);
    }
  }
  return std::to_string(bytes);
}

}  // namespace ferry::config
