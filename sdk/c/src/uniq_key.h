#pragma once
// The UNIQ_KEY (msg id) a producer stamps on every message it sends:
// prefix (12 hex digits: random + pid) + 48-bit wall ms (12 hex) + a 32-bit
// counter (8 hex), upper case — what "%s%012llX%08X" printed, written by
// hand because it runs once per message (snprintf was ~0.3 µs of it); eight
// digits at a time in one 64-bit word (a loop per digit was ~200
// instructions per key).
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace ferry::sdk {

// Room for any key format_uniq_key writes with a prefix of up to 16 chars.
constexpr size_t kUniqKeyMax = 16 + 12 + 8;

// v as 8 upper-case hex digits, most significant first, in out[0..8).
inline void hex8(uint32_t v, char* out) {
  uint64_t x = v;
  // One nibble per byte, the lowest nibble in the lowest byte.
  x = ((x & 0xFFFF0000ull) << 16) | (x & 0xFFFFull);
  x = ((x & 0x0000FF000000FF00ull) << 8) | (x & 0x000000FF000000FFull);
  x = ((x & 0x00F000F000F000F0ull) << 4) | (x & 0x000F000F000F000Full);
  // '0' + d, and 7 more for d >= 10 ('A' = '0' + 17): bit 4 of d + 6.
  const uint64_t letters = ((x + 0x0606060606060606ull) >> 4) & 0x0101010101010101ull;
  x += 0x3030303030303030ull + letters * 7;
  // Most significant digit first in memory.
  if constexpr (std::endian::native == std::endian::little) x = __builtin_bswap64(x);
  std::memcpy(out, &x, 8);
}

// Writes the key into out[0..kUniqKeyMax) and returns its length; the
// prefix is cut at 16 chars (the producer's is 12).
inline size_t format_uniq_key(std::string_view prefix, uint64_t wall_ms, uint32_t counter, char* out) {
  size_t n = prefix.size() < 16 ? prefix.size() : 16;
  std::memcpy(out, prefix.data(), n);
  char high[8];
  hex8(static_cast<uint32_t>((wall_ms >> 32) & 0xFFFF), high);  // 48-bit ms: 4 digits above 32 bits
  std::memcpy(out + n, high + 4, 4);
  hex8(static_cast<uint32_t>(wall_ms), out + n + 4);
  hex8(counter, out + n + 12);
  return n + 20;
}

}  // namespace ferry::sdk
