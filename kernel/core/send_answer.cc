#include "send_answer.h"

#include <cstring>

#include "wire.h"

namespace ferry::core {

std::span<const uint8_t> SendAnswerEncoder::encode(const SendAnswer& a, const uint8_t* payload) {
  if (!tmpl_.valid || tmpl_.topic_len != a.topic_len || tmpl_.has_uniq != a.has_uniq ||
      tmpl_.uniq_len != a.uniq_len) {
    auto built = build(a, payload);
    remember(a);
    return built;
  }
  uint8_t* b = tmpl_.bytes.data();
  std::memcpy(b + tmpl_.topic_at, payload + a.topic_at, a.topic_len);
  if (a.has_uniq) std::memcpy(b + tmpl_.uniq_at, payload + a.uniq_at, a.uniq_len);
  ids_.encode_into(a.commit_offset, reinterpret_cast<char*>(b + tmpl_.id_at));
  flatbuffers::WriteScalar<int32_t>(b + tmpl_.queue_id_at, a.queue_id);
  flatbuffers::WriteScalar<uint64_t>(b + tmpl_.queue_offset_at, a.queue_offset);
  flatbuffers::WriteScalar<uint64_t>(b + tmpl_.commit_offset_at, a.commit_offset);
  return {tmpl_.bytes.data(), tmpl_.bytes.size()};
}

// Every scalar written even when it equals its default (ForceDefaults): the
// layout then depends on the three string lengths alone.
std::span<const uint8_t> SendAnswerEncoder::build(const SendAnswer& a, const uint8_t* payload) {
  fbb_.Clear();
  fbb_.ForceDefaults(true);
  char id[64];  // id_length() <= 56
  ids_.encode_into(a.commit_offset, id);
  auto id_off = fbb_.CreateString(id, ids_.id_length());
  flatbuffers::Offset<flatbuffers::String> uniq_off;
  if (a.has_uniq) uniq_off = fbb_.CreateString(reinterpret_cast<const char*>(payload + a.uniq_at), a.uniq_len);
  auto result = fb::CreateSendResult(fbb_, id_off, uniq_off, a.queue_id, a.queue_offset, a.commit_offset);
  auto topic = fbb_.CreateString(reinterpret_cast<const char*>(payload + a.topic_at), a.topic_len);
  auto results = fbb_.CreateVector(&result, 1);
  fbb_.Finish(fb::CreateSendResponse(fbb_, topic, results), FERRY_CORE_FILE_IDENTIFIER);
  return {fbb_.GetBufferPointer(), fbb_.GetSize()};
}

// Finds the variable bytes of the answer just built. Anything not where it
// is expected leaves the template unset: the next answer is built again.
void SendAnswerEncoder::remember(const SendAnswer& a) {
  tmpl_.valid = false;
  tmpl_.bytes.assign(fbb_.GetBufferPointer(), fbb_.GetBufferPointer() + fbb_.GetSize());
  const uint8_t* base = tmpl_.bytes.data();
  const auto* resp = flatbuffers::GetRoot<fb::SendResponse>(base);
  if (!resp->topic() || !resp->results() || resp->results()->size() != 1) return;
  const auto* r = resp->results()->Get(0);
  if (!r->offset_msg_id() || (a.has_uniq && !r->uniq_key())) return;
  const auto* t = reinterpret_cast<const flatbuffers::Table*>(r);
  const uint8_t* qid = t->GetAddressOf(fb::SendResult::VT_QUEUE_ID);
  const uint8_t* qoff = t->GetAddressOf(fb::SendResult::VT_QUEUE_OFFSET);
  const uint8_t* coff = t->GetAddressOf(fb::SendResult::VT_COMMIT_OFFSET);
  if (!qid || !qoff || !coff) return;
  auto at = [base](const void* p) { return static_cast<size_t>(static_cast<const uint8_t*>(p) - base); };
  tmpl_.topic_at = at(resp->topic()->data());
  tmpl_.id_at = at(r->offset_msg_id()->data());
  tmpl_.uniq_at = a.has_uniq ? at(r->uniq_key()->data()) : 0;
  tmpl_.queue_id_at = at(qid);
  tmpl_.queue_offset_at = at(qoff);
  tmpl_.commit_offset_at = at(coff);
  tmpl_.topic_len = a.topic_len;
  tmpl_.uniq_len = a.uniq_len;
  tmpl_.has_uniq = a.has_uniq;
  tmpl_.valid = true;
}

}  // namespace ferry::core
