#include <cstring>

#include "ferry/net/frame.h"
#include "ferry_generated.h"

namespace ferry::net {

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
  out->attachment =
      std::span<const uint8_t>(header + header_len, size_t{total_len} - 4 - header_len);
  out->frame_bytes = needed_;
  return DecodeStatus::kFrame;
}

}  // namespace ferry::net
