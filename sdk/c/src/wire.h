#pragma once
// FlatBuffers payloads of abi/wire/core.fbs and namesrv.fbs: verified reads
// (on an aligned copy) and finished buffers for requests.
#include <flatbuffers/flatbuffers.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ferry_sdk_wire/core_generated.h"
#include "ferry_sdk_wire/namesrv_generated.h"

namespace ferry::sdk {

namespace fbc = ferry::wire::core;
namespace fbn = ferry::wire::namesrv;

// A verified payload; moving it keeps root valid (the vector's buffer stays).
template <class T>
struct Decoded {
  std::vector<uint64_t> storage;
  const T* root = nullptr;
  explicit operator bool() const { return root != nullptr; }
  const T* operator->() const { return root; }
};

template <class T>
Decoded<T> read_payload(std::span<const uint8_t> payload, const char* ident) {
  Decoded<T> d;
  if (payload.size() < 8) return d;
  d.storage.resize((payload.size() + 7) / 8);
  std::memcpy(d.storage.data(), payload.data(), payload.size());
  const auto* p = reinterpret_cast<const uint8_t*>(d.storage.data());
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
