#pragma once
// zlib's crc32 with the lengths and combine step records need. One place so
// the record encoder and verifier can never disagree on the polynomial.
#include <cstddef>
#include <cstdint>

namespace ferry::common {

// zlib crc32 of `len` bytes, continuing from `crc` (0 to start).
uint32_t crc32(uint32_t crc, const void* data, size_t len);

// crc32(A || B) from crc32(A), crc32(B) and len(B): lets the encoder checksum
// the body once and reuse it for both BODYCRC and the whole-record CRC.
uint32_t crc32_combine(uint32_t crc_a, uint32_t crc_b, size_t len_b);

}  // namespace ferry::common
