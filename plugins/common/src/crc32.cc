#include "ferry_common/crc32.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstdint>

#if defined(__x86_64__) || defined(__i386__)
#define FERRY_CRC32_X86 1
#include <immintrin.h>
#endif

namespace ferry::common {

namespace crc32_impl {

uint32_t portable(uint32_t crc, const void* data, size_t len) {
  auto* p = static_cast<const Bytef*>(data);
  uLong c = crc;
  // zlib takes uInt lengths; records are < 4 GiB but callers may pass more.
  while (len > 0) {
    auto chunk = static_cast<uInt>(std::min<size_t>(len, UINT_MAX));
    c = ::crc32(c, p, chunk);
    p += chunk;
    len -= chunk;
  }
  return static_cast<uint32_t>(c);
}

#if FERRY_CRC32_X86

namespace {

// Folding constants for the bit-reflected CRC-32 polynomial (Gopal, Ozturk
// et al., "Fast CRC Computation for Generic Polynomials Using PCLMULQDQ
// Instruction", Intel 2009): k1 = x^(4*128+32) mod P, k2 = x^(4*128-32) mod P
// (fold 64 bytes), k3/k4 the same for 128 bits, k5 = x^64 mod P, then P and
// mu = x^64 / P for the Barrett reduction — each bit-reflected, shifted
// left by one.
alignas(16) constexpr uint64_t kK1K2[2] = {0x0154442bd4, 0x01c6e41596};
alignas(16) constexpr uint64_t kK3K4[2] = {0x01751997d0, 0x00ccaa009e};
alignas(16) constexpr uint64_t kK5K0[2] = {0x0163cd6124, 0x0000000000};
alignas(16) constexpr uint64_t kPoly[2] = {0x01db710641, 0x01f7011641};

#define FERRY_CLMUL __attribute__((target("sse4.1,pclmul")))

inline __m128i load(const unsigned char* p) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}

// acc * x^128 folded onto `next`, with k = (x^(128+32), x^(128-32)) mod P.
FERRY_CLMUL inline __m128i fold16(__m128i acc, __m128i next, __m128i k) {
  __m128i lo = _mm_clmulepi64_si128(acc, k, 0x00);
  __m128i hi = _mm_clmulepi64_si128(acc, k, 0x11);
  return _mm_xor_si128(_mm_xor_si128(hi, next), lo);
}

// The 128-bit remainder of a fold reduced to the 32-bit CRC register.
FERRY_CLMUL inline uint32_t reduce(__m128i x1) {
  __m128i k = _mm_load_si128(reinterpret_cast<const __m128i*>(kK3K4));
  // 128 -> 64 bits.
  __m128i x2r = _mm_clmulepi64_si128(x1, k, 0x10);
  const __m128i mask32 = _mm_setr_epi32(~0, 0, ~0, 0);
  x1 = _mm_xor_si128(_mm_srli_si128(x1, 8), x2r);
  k = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(kK5K0));
  x2r = _mm_srli_si128(x1, 4);
  x1 = _mm_and_si128(x1, mask32);
  x1 = _mm_clmulepi64_si128(x1, k, 0x00);
  x1 = _mm_xor_si128(x1, x2r);
  // Barrett reduction to 32 bits.
  k = _mm_load_si128(reinterpret_cast<const __m128i*>(kPoly));
  __m128i t = _mm_and_si128(x1, mask32);
  t = _mm_clmulepi64_si128(t, k, 0x10);
  t = _mm_and_si128(t, mask32);
  t = _mm_clmulepi64_si128(t, k, 0x00);
  x1 = _mm_xor_si128(x1, t);
  return static_cast<uint32_t>(_mm_extract_epi32(x1, 1));
}

// CRC register (not inverted) of `len` bytes, len >= 16 and a multiple of 16.
// Below 64 bytes (a record's head and tail) one lane only.
FERRY_CLMUL uint32_t fold(const unsigned char* buf, size_t len, uint32_t crc) {
  __m128i x1 = _mm_xor_si128(load(buf), _mm_cvtsi32_si128(static_cast<int>(crc)));
  __m128i k;
  if (len < 64) {
    k = _mm_load_si128(reinterpret_cast<const __m128i*>(kK3K4));
    buf += 16;
    len -= 16;
    while (len >= 16) {
      x1 = fold16(x1, load(buf), k);
      buf += 16;
      len -= 16;
    }
    return reduce(x1);
  }
  __m128i x2 = load(buf + 16), x3 = load(buf + 32), x4 = load(buf + 48);
  k = _mm_load_si128(reinterpret_cast<const __m128i*>(kK1K2));
  buf += 64;
  len -= 64;
  // Four independent 128-bit lanes, each folded 64 bytes forward.
  while (len >= 64) {
    __m128i x5 = _mm_clmulepi64_si128(x1, k, 0x00);
    __m128i x6 = _mm_clmulepi64_si128(x2, k, 0x00);
    __m128i x7 = _mm_clmulepi64_si128(x3, k, 0x00);
    __m128i x8 = _mm_clmulepi64_si128(x4, k, 0x00);
    x1 = _mm_clmulepi64_si128(x1, k, 0x11);
    x2 = _mm_clmulepi64_si128(x2, k, 0x11);
    x3 = _mm_clmulepi64_si128(x3, k, 0x11);
    x4 = _mm_clmulepi64_si128(x4, k, 0x11);
    x1 = _mm_xor_si128(_mm_xor_si128(x1, x5), load(buf));
    x2 = _mm_xor_si128(_mm_xor_si128(x2, x6), load(buf + 16));
    x3 = _mm_xor_si128(_mm_xor_si128(x3, x7), load(buf + 32));
    x4 = _mm_xor_si128(_mm_xor_si128(x4, x8), load(buf + 48));
    buf += 64;
    len -= 64;
  }
  // Fold the four lanes into one.
  k = _mm_load_si128(reinterpret_cast<const __m128i*>(kK3K4));
  x1 = fold16(x1, x2, k);
  x1 = fold16(x1, x3, k);
  x1 = fold16(x1, x4, k);
  while (len >= 16) {
    x1 = fold16(x1, load(buf), k);
    buf += 16;
    len -= 16;
  }
  return reduce(x1);
}

// The byte-at-a-time table of the reflected polynomial: one step of
// (r >> 8) ^ kTable[r & 0xff] multiplies the register r by x^8 mod P.
constexpr std::array<uint32_t, 256> make_table() {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0xEDB88320u : c >> 1;
    t[i] = c;
  }
  return t;
}
constexpr std::array<uint32_t, 256> kTable = make_table();

}  // namespace

bool folded_available() {
  return __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
}

// a(x) * b(x) mod P, both bit-reflected (bit 31 = x^0), as zlib's multmodp.
// The 63-bit carry-less product, shifted left once, is the reflected 64-bit
// product: its high half holds x^0..x^31, its low half h(x) the
// coefficients of x^32..x^63, and h(x) * x^32 mod P is four table steps.
// ~15 instructions instead of zlib's bit loop (~32 rounds).
FERRY_CLMUL uint32_t mulmod(uint32_t a, uint32_t b) {
  const __m128i prod = _mm_clmulepi64_si128(_mm_cvtsi32_si128(static_cast<int>(a)),
                                            _mm_cvtsi32_si128(static_cast<int>(b)), 0x00);
  const uint64_t r = static_cast<uint64_t>(_mm_cvtsi128_si64(prod)) << 1;
  uint32_t h = static_cast<uint32_t>(r);
  h = (h >> 8) ^ kTable[h & 0xff];
  h = (h >> 8) ^ kTable[h & 0xff];
  h = (h >> 8) ^ kTable[h & 0xff];
  h = (h >> 8) ^ kTable[h & 0xff];
  return static_cast<uint32_t>(r >> 32) ^ h;
}

uint32_t folded(uint32_t crc, const void* data, size_t len) {
  auto* p = static_cast<const unsigned char*>(data);
  if (len >= 16) {
    const size_t n = len & ~size_t{15};
    crc = ~fold(p, n, ~crc);
    p += n;
    len -= n;
  }
  // The last 0..15 bytes a byte at a time: zlib's call costs more than
  // this loop on so few (a record's head and tail each end in such a piece).
  uint32_t r = ~crc;
  for (; len > 0; --len) r = (r >> 8) ^ kTable[(r ^ *p++) & 0xff];
  return ~r;
}

#else  // not x86

bool folded_available() { return false; }
uint32_t folded(uint32_t crc, const void* data, size_t len) { return portable(crc, data, len); }
uint32_t mulmod(uint32_t, uint32_t) { return 0; }  // never called: folded_available() is false

#endif

}  // namespace crc32_impl

uint32_t crc32(uint32_t crc, const void* data, size_t len) {
  // Decided once per process; immutable afterwards.
  static const bool kFolded = crc32_impl::folded_available();
  return kFolded ? crc32_impl::folded(crc, data, len) : crc32_impl::portable(crc, data, len);
}

uint32_t crc32_combine(uint32_t crc_a, uint32_t crc_b, size_t len_b) {
  // The combine operator x^(8 * len_b) mod P depends on len_b alone and
  // costs zlib ~log2(len_b) modular multiplications to build; records
  // repeat a few lengths (the body, the tail after it), so each thread keeps
  // the last few operators (a memo of a pure function: results identical).
  // Profiled at 0.15-0.2 us per record before (two combines per record).
  struct Op {
    size_t len = SIZE_MAX;
    uLong op = 0;
  };
  thread_local Op memo[8];
  Op& m = memo[(len_b ^ (len_b >> 3)) & 7];
  if (m.len != len_b) {
    m.op = ::crc32_combine_gen64(static_cast<z_off64_t>(len_b));
    m.len = len_b;
  }
  static const bool kClmul = crc32_impl::folded_available();  // decided once per process
  if (kClmul) return crc32_impl::mulmod(static_cast<uint32_t>(m.op), crc_a) ^ crc_b;
  return static_cast<uint32_t>(::crc32_combine_op(crc_a, crc_b, m.op));
}

}  // namespace ferry::common
