#pragma once
// CRC-32 as zlib computes it (reflected polynomial 0xEDB88320, init and
// final xor ~0), with the lengths and combine step records need. One place
// so the record encoder and verifier can never disagree on the polynomial.
//
// crc32() folds 16-byte blocks with carry-less multiplication (PCLMULQDQ)
// when the CPU has it — checked once at run time — with a byte table for the
// last 0..15 bytes, and uses zlib on other CPUs. The result is bit-identical
// either way: the on-disk format does not depend on the machine. Recovery verifies every
// byte of the log with it, so its speed bounds recovery (docs/storage.md).
#include <cstddef>
#include <cstdint>

namespace ferry::common {

// zlib crc32 of `len` bytes, continuing from `crc` (0 to start).
uint32_t crc32(uint32_t crc, const void* data, size_t len);

// crc32(A || B) from crc32(A), crc32(B) and len(B).
uint32_t crc32_combine(uint32_t crc_a, uint32_t crc_b, size_t len_b);

// The two implementations behind crc32(), for tests and benchmarks.
namespace crc32_impl {
// zlib's crc32 (any length, any CPU).
uint32_t portable(uint32_t crc, const void* data, size_t len);
// True when this CPU can run folded().
bool folded_available();
// The PCLMULQDQ path for the 16-byte-multiple prefix, a byte table for the
// last 0..15 bytes.
// Only call when folded_available().
uint32_t folded(uint32_t crc, const void* data, size_t len);
// a(x) * b(x) mod P of two bit-reflected polynomials (zlib's multmodp), by
// one carry-less multiply: what crc32_combine applies its operator with.
// Only call when folded_available().
uint32_t mulmod(uint32_t a, uint32_t b);
}  // namespace crc32_impl

}  // namespace ferry::common
