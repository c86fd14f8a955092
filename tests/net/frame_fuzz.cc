// libFuzzer target for the frame decoder: any byte string either yields
// frames whose views stay inside the input, asks for more, or is rejected.
// Every header the decoder accepts (its in-place fast path included) must
// also pass flatbuffers::Verifier and read back the same fields.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "ferry/net/frame.h"
#include "ferry_generated.h"

namespace {

void check_with_verifier(const uint8_t* frame, const ferry::net::FrameView& v) {
  const uint32_t header_len = ferry::net::load_be32(frame + 4);
  std::vector<uint64_t> aligned((header_len + 7) / 8);
  auto* copy = reinterpret_cast<uint8_t*>(aligned.data());
  std::memcpy(copy, frame + ferry::net::kFramePrefixBytes, header_len);
  flatbuffers::Verifier verifier(copy, header_len);
  if (!ferry::wire::EnvelopeBufferHasIdentifier(copy) ||
      !verifier.VerifyBuffer<ferry::wire::Envelope>(nullptr)) {
    std::abort();  // accepted a header the verifier refuses
  }
  const auto* env = ferry::wire::GetEnvelope(copy);
  const size_t m = env->message() ? env->message()->size() : 0;
  const size_t p = env->payload() ? env->payload()->size() : 0;
  if (env->request_id() != v.request_id || env->code() != v.code ||
      static_cast<uint32_t>(env->flags()) != v.flags || env->status() != v.status ||
      m != v.message.size() || p != v.payload.size() ||
      (m > 0 && std::memcmp(env->message()->data(), v.message.data(), m) != 0) ||
      (p > 0 && std::memcmp(env->payload()->data(), v.payload.data(), p) != 0)) {
    std::abort();  // read different fields than FlatBuffers does
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ferry::net::FrameDecoder decoder(1 << 20);
  size_t off = 0;
  while (off < size) {
    ferry::net::FrameView v;
    const auto st = decoder.decode(data + off, size - off, &v);
    if (st != ferry::net::DecodeStatus::kFrame) break;
    const uint8_t* end = data + size;
    if (v.frame_bytes == 0 || v.frame_bytes > size - off) std::abort();
    if (!v.payload.empty() && (v.payload.data() < data || v.payload.data() + v.payload.size() > end))
      std::abort();
    if (!v.message.empty() &&
        (reinterpret_cast<const uint8_t*>(v.message.data()) < data ||
         reinterpret_cast<const uint8_t*>(v.message.data()) + v.message.size() > end))
      std::abort();
    if (v.attachment.data() + v.attachment.size() > end) std::abort();
    check_with_verifier(data + off, v);
    off += v.frame_bytes;
  }
  return 0;
}
