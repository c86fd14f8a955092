#include <flatbuffers/flatbuffers.h>

#include <cstring>

#include "ferry/net/frame.h"
#include "ferry_generated.h"

namespace ferry::net {

struct FrameEncoder::Impl {
  flatbuffers::FlatBufferBuilder builder{256};
};

FrameEncoder::FrameEncoder() : impl_(std::make_unique<Impl>()) {}
FrameEncoder::~FrameEncoder() = default;

size_t FrameEncoder::append(const EnvelopeFields& f, size_t attachment_len,
                            std::vector<uint8_t>& out) {
  auto& b = impl_->builder;
  b.Clear();  // keeps its buffer: no allocation once warmed up
  flatbuffers::Offset<flatbuffers::String> message;
  flatbuffers::Offset<flatbuffers::Vector<uint8_t>> payload;
  if (!f.message.empty()) message = b.CreateString(f.message.data(), f.message.size());
  if (!f.payload.empty()) payload = b.CreateVector(f.payload.data(), f.payload.size());
  wire::EnvelopeBuilder eb(b);
  eb.add_request_id(f.request_id);
  if (!payload.IsNull()) eb.add_payload(payload);
  if (!message.IsNull()) eb.add_message(message);
  eb.add_code(f.code);
  eb.add_flags(static_cast<wire::Flags>(f.flags));
  eb.add_status(f.status);
  wire::FinishEnvelopeBuffer(b, eb.Finish());

  const size_t header_len = b.GetSize();
  const size_t at = out.size();
  out.resize(at + kFramePrefixBytes + header_len);
  store_be32(out.data() + at, static_cast<uint32_t>(4 + header_len + attachment_len));
  store_be32(out.data() + at + 4, static_cast<uint32_t>(header_len));
  std::memcpy(out.data() + at + kFramePrefixBytes, b.GetBufferPointer(), header_len);
  return kFramePrefixBytes + header_len;
}

std::vector<uint8_t> encode_frame(const EnvelopeFields& f, std::span<const uint8_t> attachment) {
  FrameEncoder enc;
  std::vector<uint8_t> out;
  enc.append(f, attachment.size(), out);
  out.insert(out.end(), attachment.begin(), attachment.end());
  return out;
}

}  // namespace ferry::net
