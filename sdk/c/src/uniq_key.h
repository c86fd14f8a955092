#pragma once
// The UNIQ_KEY (msg id) a producer stamps on every message it sends:
// prefix (12 hex digits: random + pid) + 48-bit wall ms (12 hex) + a 32-bit
// counter (8 hex), upper case — what "%s%012llX%08X" printed, written by
// hand because it runs once per message (snprintf was ~0.3 µs of it).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace ferry::sdk {

// Room for any key format_uniq_key writes with a prefix of up to 16 chars.
constexpr size_t kUniqKeyMax = 16 + 12 + 8;

// Writes the key into out[0..kUniqKeyMax) and returns its length; the
// prefix is cut at 16 chars (the producer's is 12).
inline size_t format_uniq_key(std::string_view prefix, uint64_t wall_ms, uint32_t counter, char* out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  size_t n = prefix.size() < 16 ? prefix.size() : 16;
  std::memcpy(out, prefix.data(), n);
  uint64_t t = wall_ms & 0xFFFFFFFFFFFFull;
  for (int i = 11; i >= 0; --i, t >>= 4) out[n + static_cast<size_t>(i)] = kHex[t & 15];
  n += 12;
  for (int i = 7; i >= 0; --i, counter >>= 4) out[n + static_cast<size_t>(i)] = kHex[counter & 15];
  return n + 8;
}

}  // namespace ferry::sdk
