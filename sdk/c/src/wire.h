#pragma once
// FlatBuffers payloads of abi/wire/core.fbs and namesrv.fbs: verified reads
// (on an aligned copy) and finished buffers for requests.
#include <flatbuffers/flatbuffers.h>

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ferry_sdk_wire/core_generated.h"
#include "ferry_sdk_wire/namesrv_generated.h"

namespace ferry::sdk {

namespace fbc = ferry::wire::core;
namespace fbn = ferry::wire::namesrv;

// A verified payload, on an aligned copy: in the object itself when it fits
// (every send's answer does: no allocation per SendResponse), else in a
// vector. Moving it keeps root valid (re-aimed at the moved inline copy; a
// vector's buffer stays put).
template <class T>
class Decoded {
 public:
  static constexpr size_t kInlineBytes = 512;
  Decoded() = default;
  Decoded(Decoded&& o) noexcept { take(o); }
  Decoded& operator=(Decoded&& o) noexcept {
    if (this != &o) take(o);
    return *this;
  }
  Decoded(const Decoded&) = delete;
  Decoded& operator=(const Decoded&) = delete;

  explicit operator bool() const { return root != nullptr; }
  const T* operator->() const { return root; }

  const T* root = nullptr;

 private:
  template <class U>
  friend Decoded<U> read_payload(std::span<const uint8_t> payload, const char* ident);
  // An aligned copy of payload (size >= 8), inline or spilled.
  const uint8_t* hold(std::span<const uint8_t> payload) {
    size_ = payload.size();
    uint8_t* p = inline_;
    if (size_ > kInlineBytes) {
      spill_.resize((size_ + 7) / 8);
      p = reinterpret_cast<uint8_t*>(spill_.data());
    }
    std::memcpy(p, payload.data(), size_);
    return p;
  }
  void take(Decoded& o) {
    size_ = o.size_;
    spill_ = std::move(o.spill_);
    root = o.root;
    if (root && size_ <= kInlineBytes) {
      std::memcpy(inline_, o.inline_, size_);
      root = reinterpret_cast<const T*>(inline_ + (reinterpret_cast<const uint8_t*>(o.root) - o.inline_));
    }
    o.root = nullptr;
  }

  alignas(8) uint8_t inline_[kInlineBytes];
  std::vector<uint64_t> spill_;
  size_t size_ = 0;
};

template <class T>
Decoded<T> read_payload(std::span<const uint8_t> payload, const char* ident) {
  Decoded<T> d;
  if (payload.size() < 8) return d;
  const uint8_t* p = d.hold(payload);
  if (!flatbuffers::BufferHasIdentifier(p, ident)) return d;
  flatbuffers::Verifier v(p, payload.size());
  if (!v.VerifyBuffer<T>(ident)) return d;
  d.root = flatbuffers::GetRoot<T>(p);
  return d;
}

template <class T>
Decoded<T> read_core(std::span<const uint8_t> p) { return read_payload<T>(p, "FRCO"); }
template <class T>
Decoded<T> read_ns(std::span<const uint8_t> p) { return read_payload<T>(p, "FNSV"); }

template <class T>
std::vector<uint8_t> finish(flatbuffers::FlatBufferBuilder& fbb, flatbuffers::Offset<T> root,
                            const char* ident) {
  fbb.Finish(root, ident);
  return {fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize()};
}
template <class T>
std::vector<uint8_t> finish_core(flatbuffers::FlatBufferBuilder& fbb, flatbuffers::Offset<T> r) {
  return finish(fbb, r, "FRCO");
}
template <class T>
std::vector<uint8_t> finish_ns(flatbuffers::FlatBufferBuilder& fbb, flatbuffers::Offset<T> r) {
  return finish(fbb, r, "FNSV");
}

inline std::string str(const flatbuffers::String* s) { return s ? s->str() : std::string(); }

// Request payloads used in several places.
std::vector<uint8_t> encode_get_route(std::string_view topic);
std::vector<uint8_t> encode_queue_request(std::string_view topic, int32_t queue_id);
std::vector<uint8_t> encode_query_offset(std::string_view group, std::string_view topic,
                                         int32_t queue_id);
std::vector<uint8_t> encode_offset_by_time(std::string_view topic, int32_t queue_id, int64_t ms);

}  // namespace ferry::sdk
