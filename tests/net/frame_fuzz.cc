// libFuzzer target for the frame decoder: any byte string either yields
// frames whose views stay inside the input, asks for more, or is rejected.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "ferry/net/frame.h"

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
    off += v.frame_bytes;
  }
  return 0;
}
