// FrameDecoder / FrameEncoder: the byte format and every way a frame can be
// wrong (LevelDB's log_test habit: one case per corruption).
#include <gtest/gtest.h>

#include <cstring>

#include "ferry/net/frame.h"

namespace ferry::net {
namespace {

std::span<const uint8_t> bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

std::vector<uint8_t> sample(std::string_view payload = "pay", std::string_view att = "attach") {
  EnvelopeFields f;
  f.request_id = 0x0102030405060708ull;
  f.code = 10001;
  f.flags = kFlagResponse;
  f.status = 207;
  f.message = "msg";
  f.payload = bytes(payload);
  return encode_frame(f, bytes(att));
}

TEST(Frame, RoundTripsEveryField) {
  const auto frame = sample();
  FrameDecoder d;
  FrameView v;
  ASSERT_EQ(d.decode(frame.data(), frame.size(), &v), DecodeStatus::kFrame) << d.error();
  EXPECT_EQ(v.request_id, 0x0102030405060708ull);
  EXPECT_EQ(v.code, 10001u);
  EXPECT_TRUE(v.is_response());
  EXPECT_FALSE(v.is_oneway());
  EXPECT_EQ(v.status, 207);
  EXPECT_EQ(v.message, "msg");
  EXPECT_EQ(std::string(v.payload.begin(), v.payload.end()), "pay");
  EXPECT_EQ(std::string(v.attachment.begin(), v.attachment.end()), "attach");
  EXPECT_EQ(v.frame_bytes, frame.size());
}

TEST(Frame, LengthsAreBigEndianAndCountAfterTotalLen) {
  const auto frame = sample("", "abc");
  const uint32_t total = load_be32(frame.data());
  const uint32_t header = load_be32(frame.data() + 4);
  EXPECT_EQ(total + 4u, frame.size());
  EXPECT_EQ(total, 4u + header + 3u);
  // The file identifier sits at header offset 4.
  EXPECT_EQ(std::memcmp(frame.data() + 8 + 4, "FRY0", 4), 0);
}

TEST(Frame, ViewsPointIntoTheCallersBytesNotACopy) {
  const auto frame = sample("payload-bytes", "attachment-bytes");
  FrameDecoder d;
  FrameView v;
  ASSERT_EQ(d.decode(frame.data(), frame.size(), &v), DecodeStatus::kFrame);
  EXPECT_GE(v.payload.data(), frame.data());
  EXPECT_LT(v.payload.data(), frame.data() + frame.size());
  EXPECT_EQ(v.attachment.data() + v.attachment.size(), frame.data() + frame.size());
}

TEST(Frame, NeedsMoreUntilTheLastByte) {
  const auto frame = sample();
  FrameDecoder d;
  FrameView v;
  for (size_t n = 0; n < frame.size(); ++n) {
    ASSERT_EQ(d.decode(frame.data(), n, &v), DecodeStatus::kNeedMore) << n;
    if (n >= 4) {
      EXPECT_EQ(d.needed(), frame.size());
    }
  }
  EXPECT_EQ(d.decode(frame.data(), frame.size(), &v), DecodeStatus::kFrame);
}

TEST(Frame, DecodesTheFirstOfSeveralFrames) {
  auto two = sample("one");
  const auto second = sample("two");
  const size_t first_len = two.size();
  two.insert(two.end(), second.begin(), second.end());
  FrameDecoder d;
  FrameView v;
  ASSERT_EQ(d.decode(two.data(), two.size(), &v), DecodeStatus::kFrame);
  EXPECT_EQ(v.frame_bytes, first_len);
  ASSERT_EQ(d.decode(two.data() + first_len, two.size() - first_len, &v), DecodeStatus::kFrame);
  EXPECT_EQ(std::string(v.payload.begin(), v.payload.end()), "two");
}

TEST(Frame, OversizedIsRejectedFromTheFirstFourBytes) {
  FrameDecoder d(1024);
  uint8_t prefix[4];
  store_be32(prefix, 1024);  // 1028 bytes with the length field itself
  FrameView v;
  EXPECT_EQ(d.decode(prefix, 4, &v), DecodeStatus::kError);
  EXPECT_NE(d.error().find("exceeds"), std::string::npos) << d.error();
}

TEST(Frame, TotalLenTooSmallIsAnError) {
  uint8_t b[8];
  store_be32(b, 4);
  store_be32(b + 4, 0);
  FrameDecoder d;
  FrameView v;
  EXPECT_EQ(d.decode(b, sizeof(b), &v), DecodeStatus::kError);
}

TEST(Frame, HeaderLenBeyondTotalIsAnError) {
  auto frame = sample();
  store_be32(frame.data() + 4, load_be32(frame.data()));  // header_len = total_len
  FrameDecoder d;
  FrameView v;
  EXPECT_EQ(d.decode(frame.data(), frame.size(), &v), DecodeStatus::kError);
  EXPECT_NE(d.error().find("header_len"), std::string::npos);
}

TEST(Frame, WrongFileIdentifierDoesNotVerify) {
  auto frame = sample();
  frame[8 + 4] = 'X';
  FrameDecoder d;
  FrameView v;
  EXPECT_EQ(d.decode(frame.data(), frame.size(), &v), DecodeStatus::kError);
  EXPECT_NE(d.error().find("verify"), std::string::npos) << d.error();
}

TEST(Frame, CorruptRootOffsetDoesNotVerify) {
  auto frame = sample();
  store_be32(frame.data() + 8, 0);  // little-endian root offset becomes huge
  frame[8] = 0xFF;
  frame[9] = 0xFF;
  FrameDecoder d;
  FrameView v;
  EXPECT_EQ(d.decode(frame.data(), frame.size(), &v), DecodeStatus::kError);
}

TEST(Frame, GarbageNeverCrashesAndNeverYieldsAFrameWithBadViews) {
  // A deterministic walk over mutated frames: each either decodes with views
  // inside the input or is rejected.
  const auto base = sample("some payload", "some attachment");
  FrameDecoder d(4096);
  uint32_t x = 12345;
  for (int i = 0; i < 20000; ++i) {
    auto f = base;
    for (int k = 0; k < 3; ++k) {
      x = x * 1103515245u + 12345u;
      f[(x >> 8) % f.size()] = static_cast<uint8_t>(x >> 24);
    }
    FrameView v;
    if (d.decode(f.data(), f.size(), &v) == DecodeStatus::kFrame) {
      ASSERT_LE(v.frame_bytes, f.size());
      ASSERT_GE(v.payload.data() ? v.payload.data() : f.data(), f.data());
      ASSERT_LE(v.attachment.data() + v.attachment.size(), f.data() + f.size());
    }
  }
}

}  // namespace
}  // namespace ferry::net

// The hand-written encoder and FlatBuffers agree both ways.
#include "ferry_generated.h"

namespace ferry::net {
namespace {

TEST(FrameInterop, FlatBuffersReadsWhatTheEncoderWrites) {
  for (bool with_msg : {false, true}) {
    for (bool with_payload : {false, true}) {
      EnvelopeFields f;
      f.request_id = 0xFFEEDDCCBBAA9988ull;
      f.code = 4242;
      f.flags = kFlagOneway;
      f.status = -5;
      if (with_msg) f.message = "a message of odd length";
      const std::string pay = "payload!!";
      if (with_payload) f.payload = bytes(pay);
      const auto frame = encode_frame(f);
      const uint32_t hlen = load_be32(frame.data() + 4);
      std::vector<uint64_t> aligned((hlen + 7) / 8);
      std::memcpy(aligned.data(), frame.data() + 8, hlen);
      const auto* h = reinterpret_cast<const uint8_t*>(aligned.data());
      flatbuffers::Verifier v(h, hlen);
      ASSERT_TRUE(wire::VerifyEnvelopeBuffer(v)) << with_msg << with_payload;
      const auto* env = wire::GetEnvelope(h);
      EXPECT_EQ(env->request_id(), f.request_id);
      EXPECT_EQ(env->code(), f.code);
      EXPECT_EQ(env->flags(), wire::Flags_Oneway);
      EXPECT_EQ(env->status(), -5);
      EXPECT_EQ(env->message() != nullptr, with_msg);
      if (with_msg) {
        EXPECT_EQ(env->message()->str(), f.message);
      }
      EXPECT_EQ(env->payload() != nullptr, with_payload);
      if (with_payload) {
        EXPECT_EQ(std::string(env->payload()->begin(), env->payload()->end()), pay);
      }
    }
  }
}

TEST(FrameInterop, TheDecoderReadsWhatFlatBufferBuilderWrites) {
  flatbuffers::FlatBufferBuilder b;
  const std::string pay = "builder payload";
  auto msg = b.CreateString("built");
  auto payload = b.CreateVector(reinterpret_cast<const uint8_t*>(pay.data()), pay.size());
  wire::FinishEnvelopeBuffer(
      b, wire::CreateEnvelope(b, 77, 10001, wire::Flags_Response, 208, msg, payload));
  std::vector<uint8_t> frame(8);
  store_be32(frame.data(), static_cast<uint32_t>(4 + b.GetSize() + 3));
  store_be32(frame.data() + 4, static_cast<uint32_t>(b.GetSize()));
  frame.insert(frame.end(), b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize());
  frame.insert(frame.end(), {'a', 'b', 'c'});
  FrameDecoder d;
  FrameView v;
  ASSERT_EQ(d.decode(frame.data(), frame.size(), &v), DecodeStatus::kFrame) << d.error();
  EXPECT_EQ(v.request_id, 77u);
  EXPECT_EQ(v.code, 10001u);
  EXPECT_TRUE(v.is_response());
  EXPECT_EQ(v.status, 208);
  EXPECT_EQ(v.message, "built");
  EXPECT_EQ(std::string(v.payload.begin(), v.payload.end()), pay);
  EXPECT_EQ(std::string(v.attachment.begin(), v.attachment.end()), "abc");
}

}  // namespace
}  // namespace ferry::net
