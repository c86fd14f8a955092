// The envelope is written by hand rather than with FlatBufferBuilder: its
// layout is fixed, and the builder (vtable bookkeeping, back-to-front buffer,
// a copy out) was the largest user-space cost per frame in the transport
// benchmark. The bytes are a standard FlatBuffer: frame_test checks that
// FlatBuffers' own verifier and accessors read them, and that this decoder
// reads what FlatBufferBuilder writes.
//
// Header layout (offsets from the header start, little-endian):
//   0  uoffset  root table            = 24
//   4  char[4]  file identifier       "FRY0"
//   8  vtable   u16 vtable size (16), u16 table size (32),
//               u16 field offsets: request_id 8, code 4, flags 16, status 20,
//               message 24 (0 when absent), payload 28 (0 when absent)
//   24 table    soffset to vtable (16), code u32, request_id u64 (at 32),
//               flags u32, status i32, message uoffset, payload uoffset
//   56 message  u32 length, bytes, NUL, padding to 4   (when present)
//   .. payload  u32 length, bytes, padding to 4         (when present)
#include <bit>
#include <cstring>

#include "ferry/net/frame.h"

namespace ferry::net {

namespace {

constexpr size_t kTableAt = 24;
constexpr size_t kTableEnd = 56;

// Little-endian stores; one plain store each on a little-endian host.
inline void put16(uint8_t* p, uint16_t v) {
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(p, &v, 2);
  } else {
    p[0] = static_cast<uint8_t>(v);
    p[1] = static_cast<uint8_t>(v >> 8);
  }
}
inline void put32(uint8_t* p, uint32_t v) {
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(p, &v, 4);
  } else {
    for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
  }
}
inline void put64(uint8_t* p, uint64_t v) {
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(p, &v, 8);
  } else {
    for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
  }
}
inline size_t pad4(size_t n) { return (n + 3) & ~size_t{3}; }

}  // namespace

size_t FrameEncoder::encoded_bytes(const EnvelopeFields& f) {
  const size_t msg_bytes = f.message.empty() ? 0 : pad4(4 + f.message.size() + 1);
  const size_t payload_bytes = f.payload.empty() ? 0 : pad4(4 + f.payload.size());
  // Header padded to 8, as FlatBufferBuilder does.
  return kFramePrefixBytes + ((kTableEnd + msg_bytes + payload_bytes + 7) & ~size_t{7});
}

size_t FrameEncoder::write(const EnvelopeFields& f, size_t attachment_len, uint8_t* p) {
  const bool has_msg = !f.message.empty();
  const bool has_payload = !f.payload.empty();
  const size_t msg_at = kTableEnd;
  const size_t msg_bytes = has_msg ? pad4(4 + f.message.size() + 1) : 0;
  const size_t payload_at = msg_at + msg_bytes;
  const size_t payload_bytes = has_payload ? pad4(4 + f.payload.size()) : 0;
  const size_t used = payload_at + payload_bytes;
  const size_t header_len = (used + 7) & ~size_t{7};

  store_be32(p, static_cast<uint32_t>(4 + header_len + attachment_len));
  store_be32(p + 4, static_cast<uint32_t>(header_len));
  uint8_t* h = p + kFramePrefixBytes;
  // Every byte is written (no memset of the whole header): the fixed part
  // field by field, padding as whole zero words before the bytes they pad.
  put32(h, kTableAt);
  std::memcpy(h + 4, "FRY0", 4);
  put16(h + 8, 16);   // vtable size
  put16(h + 10, 32);  // table size
  put16(h + 12, 8);   // request_id
  put16(h + 14, 4);   // code
  put16(h + 16, 16);  // flags
  put16(h + 18, 20);  // status
  put16(h + 20, has_msg ? 24 : 0);
  put16(h + 22, has_payload ? 28 : 0);

  uint8_t* t = h + kTableAt;
  put32(t, kTableAt - 8);  // soffset: vtable = table - 16
  put32(t + 4, f.code);
  put64(t + 8, f.request_id);
  put32(t + 16, f.flags);
  put32(t + 20, static_cast<uint32_t>(f.status));
  put32(t + 24, has_msg ? static_cast<uint32_t>(msg_at - (kTableAt + 24)) : 0);
  put32(t + 28, has_payload ? static_cast<uint32_t>(payload_at - (kTableAt + 28)) : 0);
  if (has_msg) {
    put32(h + msg_at + msg_bytes - 4, 0);  // the NUL and the padding
    put32(h + msg_at, static_cast<uint32_t>(f.message.size()));
    std::memcpy(h + msg_at + 4, f.message.data(), f.message.size());
  }
  if (has_payload) {
    put32(h + payload_at + payload_bytes - 4, 0);  // padding (overwritten by bytes if none)
    put32(h + payload_at, static_cast<uint32_t>(f.payload.size()));
    std::memcpy(h + payload_at + 4, f.payload.data(), f.payload.size());
  }
  if (header_len > used) put32(h + used, 0);  // to 8
  return kFramePrefixBytes + header_len;
}

size_t FrameEncoder::append(const EnvelopeFields& f, size_t attachment_len,
                            std::vector<uint8_t>& out) {
  const size_t at = out.size();
  out.resize(at + encoded_bytes(f));
  return write(f, attachment_len, out.data() + at);
}

std::vector<uint8_t> encode_frame(const EnvelopeFields& f, std::span<const uint8_t> attachment) {
  FrameEncoder enc;
  std::vector<uint8_t> out;
  enc.append(f, attachment.size(), out);
  out.insert(out.end(), attachment.begin(), attachment.end());
  return out;
}

}  // namespace ferry::net
