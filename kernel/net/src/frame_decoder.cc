#include <cstring>

#include "ferry/net/frame.h"
#include "ferry_generated.h"

namespace ferry::net {

namespace {

inline uint32_t le16(const uint8_t* p) { return uint32_t{p[0]} | (uint32_t{p[1]} << 8); }
inline uint32_t le32(const uint8_t* p) {
  return uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24);
}
inline uint64_t le64(const uint8_t* p) { return le32(p) | (uint64_t{le32(p + 4)} << 32); }

// Root offset, identifier and vtable up to the optional fields, exactly as
// FrameEncoder writes them (frame_encoder.cc has the byte map).
constexpr uint8_t kFixedHead[20] = {24, 0, 0, 0, 'F', 'R', 'Y', '0', 16, 0,
                                    32, 0, 8,  0, 4, 0,   16,  0,   20,  0};
constexpr size_t kFixedTableEnd = 56;

// The uoffset at `field` (table-relative target of a string or byte vector):
// its target's u32 length and the bytes after it must lie inside the header,
// 4-aligned, as the verifier requires. Returns false when they do not.
bool fixed_vector(const uint8_t* h, size_t len, size_t field, bool nul,
                  std::span<const uint8_t>* out) {
  const uint32_t off = le32(h + field);
  if (off == 0 || off > len) return false;
  const size_t at = field + off;
  if (at % 4 != 0 || at + 4 > len) return false;
  const size_t n = le32(h + at);
  if (n > len - at - 4 || (nul && (n == len - at - 4 || h[at + 4 + n] != 0))) return false;
  *out = std::span<const uint8_t>(h + at + 4, n);
  return true;
}

// Fast path for headers in the layout FrameEncoder writes (every Ferry peer
// that uses kernel/net): checked field by field with the same bounds,
// alignment and terminator rules as flatbuffers::Verifier, read in place
// without the aligned copy. Anything else goes to the verifier. The fuzz
// target checks that every header accepted here also verifies.
bool decode_fixed(const uint8_t* h, size_t len, FrameView* out) {
  if (len < kFixedTableEnd || std::memcmp(h, kFixedHead, sizeof(kFixedHead)) != 0) return false;
  const uint32_t msg_field = le16(h + 20);
  const uint32_t payload_field = le16(h + 22);
  if ((msg_field != 0 && msg_field != 24) || (payload_field != 0 && payload_field != 28) ||
      le32(h + 24) != 16) {
    return false;
  }
  std::span<const uint8_t> msg, payload;
  if (msg_field != 0 && !fixed_vector(h, len, 48, true, &msg)) return false;
  if (payload_field != 0 && !fixed_vector(h, len, 52, false, &payload)) return false;
  out->code = le32(h + 28);
  out->request_id = le64(h + 32);
  out->flags = le32(h + 40);
  out->status = static_cast<int32_t>(le32(h + 44));
  out->message = std::string_view(reinterpret_cast<const char*>(msg.data()), msg.size());
  out->payload = payload;
  return true;
}

}  // namespace

DecodeStatus FrameDecoder::fail(std::string why) {
  error_ = std::move(why);
  return DecodeStatus::kError;
}

DecodeStatus FrameDecoder::decode(const uint8_t* data, size_t len, FrameView* out) {
  needed_ = kFramePrefixBytes;
  if (len < 4) return DecodeStatus::kNeedMore;
  const uint32_t total_len = load_be32(data);
  // Size first: nothing beyond the prefix is buffered for an oversized frame.
  if (uint64_t{total_len} + 4 > max_frame_bytes_) {
    return fail("frame of " + std::to_string(uint64_t{total_len} + 4) + " bytes exceeds the " +
                std::to_string(max_frame_bytes_) + "-byte limit");
  }
  if (total_len < 4 + kMinHeaderBytes) {
    return fail("total_len " + std::to_string(total_len) + " is too small for a header");
  }
  needed_ = size_t{total_len} + 4;
  if (len < kFramePrefixBytes) return DecodeStatus::kNeedMore;
  const uint32_t header_len = load_be32(data + 4);
  if (header_len < kMinHeaderBytes || header_len > total_len - 4) {
    return fail("header_len " + std::to_string(header_len) + " does not fit total_len " +
                std::to_string(total_len));
  }
  if (len < needed_) return DecodeStatus::kNeedMore;

  const uint8_t* header = data + kFramePrefixBytes;
  out->attachment =
      std::span<const uint8_t>(header + header_len, size_t{total_len} - 4 - header_len);
  out->frame_bytes = needed_;
  if (decode_fixed(header, header_len, out)) return DecodeStatus::kFrame;

  aligned_.resize((header_len + 7) / 8);
  auto* copy = reinterpret_cast<uint8_t*>(aligned_.data());
  std::memcpy(copy, header, header_len);

  flatbuffers::Verifier::Options opts;
  opts.max_depth = 8;    // the envelope is flat: anything deeper is not ours
  opts.max_tables = 16;
  flatbuffers::Verifier verifier(copy, header_len, opts);
  // Identifier compared here (4-byte memcmp; the generated check uses strncmp).
  if (std::memcmp(copy + 4, wire::EnvelopeIdentifier(), 4) != 0 ||
      !verifier.VerifyBuffer<wire::Envelope>(nullptr)) {
    return fail("header does not verify as a ferry.wire.Envelope");
  }
  const wire::Envelope* env = wire::GetEnvelope(copy);
  out->request_id = env->request_id();
  out->code = env->code();
  out->flags = static_cast<uint32_t>(env->flags());
  out->status = env->status();
  // Views point at the caller's bytes (same offsets as in the copy) so they
  // outlive the next decode() without another copy.
  if (const auto* m = env->message()) {
    out->message = std::string_view(
        reinterpret_cast<const char*>(header + (reinterpret_cast<const uint8_t*>(m->data()) - copy)),
        m->size());
  } else {
    out->message = {};
  }
  if (const auto* p = env->payload()) {
    out->payload = std::span<const uint8_t>(header + (p->data() - copy), p->size());
  } else {
    out->payload = {};
  }
  return DecodeStatus::kFrame;
}

}  // namespace ferry::net
