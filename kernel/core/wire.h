#pragma once
// Reading and writing core.fbs payloads: verify before reading, finish with
// the "FRCO" identifier, hand the finished buffer to a Response without a
// copy.
#include <ferry/codes.h>
#include <flatbuffers/flatbuffers.h>

#include <ferry/wire/core_generated.h>

#include <cstring>
#include <memory>
#include <vector>
#include <string_view>

#include "request.h"

namespace ferry::core {

namespace fb = ::ferry::wire::core;

// Owns any object until the Keep is destroyed.
template <class T>
Keep keep_object(std::unique_ptr<T> obj) {
  return Keep([](void* p) { std::unique_ptr<T> drop(static_cast<T*>(p)); }, obj.release());
}

// A verified payload. FlatBuffers reads need alignment the transport does
// not promise, so a misaligned payload is copied once into `aligned`
// (moving a Decoded keeps `root` valid: the vector's buffer does not move).
template <class T>
struct Decoded {
  const T* root = nullptr;
  std::vector<uint64_t> aligned;
  explicit operator bool() const { return root != nullptr; }
  const T* operator->() const { return root; }
};

template <class T>
Decoded<T> read_payload(ferry_slice payload) {
  Decoded<T> d;
  // FlatBuffers offsets are 32-bit: nothing larger can be a valid buffer.
  if (payload.len == 0 || payload.data == nullptr || payload.len >= (1ull << 31)) return d;
  const uint8_t* bytes = static_cast<const uint8_t*>(payload.data);
  if (reinterpret_cast<uintptr_t>(bytes) % alignof(uint64_t) != 0) {
    d.aligned.resize((payload.len + 7) / 8);
    std::memcpy(d.aligned.data(), bytes, payload.len);
    bytes = reinterpret_cast<const uint8_t*>(d.aligned.data());
  }
  flatbuffers::Verifier v(bytes, payload.len);
  if (!v.VerifyBuffer<T>(FERRY_CORE_FILE_IDENTIFIER)) return d;
  d.root = flatbuffers::GetRoot<T>(bytes);
  return d;
}

// Finish `root` and move the bytes into `r` (payload + keep). The builder's
// own buffer is kept, not a DetachedBuffer around it: one allocation less per
// answer (every send's reply comes here). Core's builders all use
// flatbuffers' default allocator, whose dealloc frees that buffer.
template <class T>
void finish_into(flatbuffers::FlatBufferBuilder& fbb, flatbuffers::Offset<T> root, Response* r) {
  fbb.Finish(root, FERRY_CORE_FILE_IDENTIFIER);
  size_t reserved = 0, offset = 0;
  uint8_t* raw = fbb.ReleaseRaw(reserved, offset);
  r->payload = {raw + offset, reserved - offset};
  r->keep.emplace_back([](void* p) { flatbuffers::DefaultAllocator::dealloc(p, 0); }, raw);
}

inline std::string_view sv(const flatbuffers::String* s) {
  return s ? std::string_view(s->data(), s->size()) : std::string_view();
}

inline ferry_slice slice(std::string_view s) { return {s.data(), s.size()}; }

}  // namespace ferry::core
