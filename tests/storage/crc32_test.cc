// The folded (PCLMULQDQ) CRC-32 against zlib's: random lengths, alignments
// and starting values, so the on-disk checksum never depends on the CPU.
#include <gtest/gtest.h>
#include <zlib.h>

#include <random>
#include <vector>

#include "ferry_common/crc32.h"

namespace ferry::common {
namespace {

uint32_t zlib_crc(uint32_t crc, const unsigned char* p, size_t n) {
  return static_cast<uint32_t>(::crc32(crc, p, static_cast<uInt>(n)));
}

TEST(Crc32, KnownVector) {
  const char* s = "123456789";
  EXPECT_EQ(crc32(0, s, 9), 0xCBF43926u);
  EXPECT_EQ(crc32_impl::portable(0, s, 9), 0xCBF43926u);
  EXPECT_EQ(crc32(0, s, 0), 0u);
}

TEST(Crc32, FoldedMatchesZlibOnRandomLengthsAndAlignments) {
  if (!crc32_impl::folded_available()) GTEST_SKIP() << "no PCLMULQDQ on this CPU";
  std::mt19937_64 rng(42);
  std::vector<unsigned char> buf((1 << 16) + 128);
  for (auto& c : buf) c = static_cast<unsigned char>(rng());
  for (int i = 0; i < 20000; ++i) {
    // Mostly small and record-sized lengths, some up to 64 KiB.
    size_t len = i % 10 == 0 ? rng() % (1 << 16) : rng() % 2100;
    size_t off = rng() % 64;
    uint32_t start = i % 3 == 0 ? 0 : static_cast<uint32_t>(rng());
    const unsigned char* p = buf.data() + off;
    ASSERT_EQ(crc32_impl::folded(start, p, len), zlib_crc(start, p, len))
        << "len " << len << " offset " << off << " start " << start;
    ASSERT_EQ(crc32(start, p, len), zlib_crc(start, p, len));
  }
}

TEST(Crc32, EveryLengthAroundTheFoldingThresholds) {
  std::vector<unsigned char> buf(600);
  for (size_t i = 0; i < buf.size(); ++i) buf[i] = static_cast<unsigned char>(i * 131 + 7);
  for (size_t len = 0; len <= 300; ++len) {
    for (size_t off : {0, 1, 7, 15}) {
      ASSERT_EQ(crc32(0, buf.data() + off, len), zlib_crc(0, buf.data() + off, len))
          << "len " << len << " offset " << off;
    }
  }
}

TEST(Crc32, ChunkedEqualsWholeAndCombineAgrees) {
  std::mt19937_64 rng(3);
  std::vector<unsigned char> buf(200000);
  for (auto& c : buf) c = static_cast<unsigned char>(rng());
  const uint32_t whole = zlib_crc(0, buf.data(), buf.size());
  for (int i = 0; i < 200; ++i) {
    size_t cut = rng() % buf.size();
    uint32_t a = crc32(0, buf.data(), cut);
    EXPECT_EQ(crc32(a, buf.data() + cut, buf.size() - cut), whole);
    uint32_t b = crc32(0, buf.data() + cut, buf.size() - cut);
    EXPECT_EQ(crc32_combine(a, b, buf.size() - cut), whole);
  }
}

// crc32_combine keeps the last operators per length: lengths that share a
// memo slot, repeat, or alternate (body, tail, body...) all still agree.
TEST(Crc32, CombineAgreesWhenLengthsRepeatAlternateAndCollide) {
  std::mt19937_64 rng(11);
  std::vector<unsigned char> buf(4096);
  for (auto& c : buf) c = static_cast<unsigned char>(rng());
  const size_t lens[] = {1024, 61, 1024, 61, 0, 1, 8, 16, 24, 1024, 1032, 4000, 61, 1024, 7, 15};
  for (int round = 0; round < 3; ++round) {
    for (size_t len_b : lens) {
      size_t len_a = rng() % (buf.size() - len_b);
      uint32_t a = zlib_crc(0, buf.data(), len_a);
      uint32_t b = zlib_crc(0, buf.data() + len_a, len_b);
      EXPECT_EQ(crc32_combine(a, b, len_b), zlib_crc(0, buf.data(), len_a + len_b))
          << "len_a " << len_a << " len_b " << len_b;
    }
  }
}

// The carry-less mulmod crc32_combine applies its operator with equals
// zlib's multmodp (crc32_combine_op(a, 0, op) = multmodp(op, a)).
TEST(Crc32, MulmodMatchesZlibsOperator) {
  if (!crc32_impl::folded_available()) GTEST_SKIP() << "no PCLMULQDQ on this CPU";
  std::mt19937_64 rng(5);
  for (int i = 0; i < 100000; ++i) {
    uint32_t a = static_cast<uint32_t>(rng());
    uLong op = i % 2 ? static_cast<uint32_t>(rng()) | 1u
                     : ::crc32_combine_gen64(static_cast<z_off64_t>(rng() % (1 << 20)));
    if (i < 8) a = i < 4 ? 0u : 0xffffffffu;
    ASSERT_EQ(crc32_impl::mulmod(static_cast<uint32_t>(op), a),
              static_cast<uint32_t>(::crc32_combine_op(a, 0, op)))
        << "a " << a << " op " << op;
  }
}

TEST(Crc32, AllZeroAndAllOnesBuffers) {
  for (unsigned char v : {0x00, 0xff}) {
    std::vector<unsigned char> buf(4096 + 17, v);
    for (size_t len : {64u, 65u, 1000u, 4096u, 4113u})
      EXPECT_EQ(crc32(0, buf.data(), len), zlib_crc(0, buf.data(), len)) << int(v) << " " << len;
  }
}

}  // namespace
}  // namespace ferry::common
