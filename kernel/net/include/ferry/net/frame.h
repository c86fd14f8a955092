#pragma once
// The frame: u32 total_len | u32 header_len | FlatBuffers Envelope | attachment.
//
// Both lengths are big-endian. total_len counts every byte after itself
// (4 + header_len + attachment_len), as RocketMQ's length field does, so a
// whole frame is total_len + 4 bytes. docs/protocol.md has the byte map.
//
// FrameDecoder is pure (no I/O): the connection and the fuzz target share it.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::net {

inline constexpr size_t kFramePrefixBytes = 8;       // total_len + header_len
inline constexpr size_t kMinHeaderBytes = 8;         // root offset + file identifier
inline constexpr uint32_t kDefaultMaxFrameBytes = 16u << 20;

// Envelope flag bits (mirror ferry.wire.Flags, kept here so users need not
// include the generated header).
inline constexpr uint32_t kFlagResponse = 1;
inline constexpr uint32_t kFlagOneway = 2;

// One decoded frame. Every view points into the bytes given to decode(); they
// stay valid as long as those bytes do.
struct FrameView {
  uint64_t request_id = 0;
  uint32_t code = 0;
  uint32_t flags = 0;
  int32_t status = 0;
  std::string_view message;
  std::span<const uint8_t> payload;
  std::span<const uint8_t> attachment;
  size_t frame_bytes = 0;  // bytes this frame occupies (prefix included)
  // Not on the wire: the server's look-ahead sets it to what the host's
  // PeekFn said of this frame (0 otherwise; decode() leaves it alone).
  uint64_t peek_hint = 0;

  bool is_response() const { return (flags & kFlagResponse) != 0; }
  bool is_oneway() const { return (flags & kFlagOneway) != 0; }
};

enum class DecodeStatus { kNeedMore, kFrame, kError };

class FrameDecoder {
 public:
  explicit FrameDecoder(uint32_t max_frame_bytes = kDefaultMaxFrameBytes)
      : max_frame_bytes_(max_frame_bytes) {}

  // Looks at the frame starting at data[0]. kFrame fills *out (views into
  // data). kNeedMore: needed() is the whole frame's size once its prefix is
  // known (8 before that) — the caller buffers at most that. kError: error()
  // says why; the stream cannot be resynchronised and must be closed.
  // The limit is checked as soon as total_len is readable, before the caller
  // buffers the rest.
  DecodeStatus decode(const uint8_t* data, size_t len, FrameView* out);

  size_t needed() const { return needed_; }
  const std::string& error() const { return error_; }
  uint32_t max_frame_bytes() const { return max_frame_bytes_; }

 private:
  DecodeStatus fail(std::string why);

  uint32_t max_frame_bytes_;
  size_t needed_ = kFramePrefixBytes;
  std::string error_;
  // 8-byte aligned copy of the header: the verifier and the accessors read
  // scalars through typed loads, which must not be misaligned.
  std::vector<uint64_t> aligned_;
};

inline uint32_t load_be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}
inline void store_be32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

// Fields of an Envelope to encode.
struct EnvelopeFields {
  uint64_t request_id = 0;
  uint32_t code = 0;
  uint32_t flags = 0;
  int32_t status = 0;
  std::string_view message;
  std::span<const uint8_t> payload;
};

// Appends a whole frame's prefix + header to `out` for an attachment of
// attachment_len bytes that the caller sends right after. Stateless; writes
// the envelope's fixed layout directly (frame_encoder.cc has the byte map).
class FrameEncoder {
 public:
  // Returns the bytes appended (prefix + header).
  size_t append(const EnvelopeFields& f, size_t attachment_len, std::vector<uint8_t>& out);
  // Size of the prefix + header write() produces for f.
  static size_t encoded_bytes(const EnvelopeFields& f);
  // Writes prefix + header (encoded_bytes(f) bytes, every one of them set)
  // at out; returns the bytes written.
  static size_t write(const EnvelopeFields& f, size_t attachment_len, uint8_t* out);
};

// Convenience for tests and tools: one complete frame (attachment copied).
std::vector<uint8_t> encode_frame(const EnvelopeFields& f,
                                  std::span<const uint8_t> attachment = {});

}  // namespace ferry::net
