#include "send_encode.h"

#include <cstring>

namespace ferry::sdk {

std::span<const uint8_t> SendEncoder::encode(std::span<const WireMessage> msgs, std::string_view topic,
                                             std::string_view group, int32_t queue_id) {
  last_patched_ = false;
  if (msgs.size() != 1 || !tmpl_.valid || tmpl_.group_len != group.size() || tmpl_.topic_len != topic.size() ||
      tmpl_.props_len != msgs[0].props.size()) {
    auto built = build(msgs, topic, group, queue_id);
    if (msgs.size() == 1) remember(built, group.size(), topic.size(), msgs[0].props.size());
    return built;
  }
  const WireMessage& m = msgs[0];
  uint8_t* b = tmpl_.bytes.data();
  std::memcpy(b + tmpl_.group_at, group.data(), group.size());
  std::memcpy(b + tmpl_.topic_at, topic.data(), topic.size());
  std::memcpy(b + tmpl_.props_at, m.props.data(), m.props.size());
  flatbuffers::WriteScalar<int32_t>(b + tmpl_.queue_id_at, queue_id);
  flatbuffers::WriteScalar<int32_t>(b + tmpl_.flag_at, m.flag);
  flatbuffers::WriteScalar<int64_t>(b + tmpl_.born_at, m.born_ms);
  flatbuffers::WriteScalar<uint32_t>(b + tmpl_.body_len_at, m.body_len);
  last_patched_ = true;
  return {tmpl_.bytes.data(), tmpl_.bytes.size()};
}

namespace {
const WireMessage& deref(const WireMessage& m) { return m; }
const WireMessage& deref(const WireMessage* m) { return *m; }
}  // namespace

std::span<const uint8_t> SendEncoder::encode_batch(std::span<const WireMessage* const> msgs, std::string_view topic,
                                                   std::string_view group, int32_t queue_id) {
  last_patched_ = false;
  return build(msgs, topic, group, queue_id);
}

template <typename Msgs>
std::span<const uint8_t> SendEncoder::build(Msgs msgs, std::string_view topic, std::string_view group,
                                            int32_t queue_id) {
  fbb_.Clear();
  fbb_.ForceDefaults(msgs.size() == 1);
  metas_.clear();
  for (const auto& x : msgs) {
    const WireMessage& m = deref(x);
    auto props = fbb_.CreateVector(reinterpret_cast<const uint8_t*>(m.props.data()), m.props.size());
    metas_.push_back(fbc::CreateMessageMeta(fbb_, queue_id, m.flag, 0, props, m.born_ms, m.body_len, 0));
  }
  auto g = fbb_.CreateString(group.data(), group.size());
  auto t = fbb_.CreateString(topic.data(), topic.size());
  auto v = fbb_.CreateVector(metas_);
  fbb_.Finish(fbc::CreateSendRequest(fbb_, g, t, 0, 0, v), "FRCO");
  return {fbb_.GetBufferPointer(), fbb_.GetSize()};
}

// Finds the variable bytes of a request just built (single message). Any
// field not where expected leaves the template unset: the next send builds.
void SendEncoder::remember(std::span<const uint8_t> built, size_t group_len, size_t topic_len, size_t props_len) {
  tmpl_.valid = false;
  tmpl_.bytes.assign(built.begin(), built.end());
  const uint8_t* base = tmpl_.bytes.data();
  const auto* req = flatbuffers::GetRoot<fbc::SendRequest>(base);
  const auto* msgs = req->messages();
  if (!req->producer_group() || !req->topic() || !msgs || msgs->size() != 1) return;
  const auto* meta = msgs->Get(0);
  if (!meta->properties()) return;
  const auto* t = reinterpret_cast<const flatbuffers::Table*>(meta);
  const uint8_t* qid = t->GetAddressOf(fbc::MessageMeta::VT_QUEUE_ID);
  const uint8_t* flag = t->GetAddressOf(fbc::MessageMeta::VT_FLAG);
  const uint8_t* born = t->GetAddressOf(fbc::MessageMeta::VT_BORN_TIMESTAMP_MS);
  const uint8_t* body_len = t->GetAddressOf(fbc::MessageMeta::VT_BODY_LENGTH);
  if (!qid || !flag || !born || !body_len) return;
  tmpl_.group_at = static_cast<size_t>(reinterpret_cast<const uint8_t*>(req->producer_group()->data()) - base);
  tmpl_.topic_at = static_cast<size_t>(reinterpret_cast<const uint8_t*>(req->topic()->data()) - base);
  tmpl_.props_at = static_cast<size_t>(meta->properties()->data() - base);
  tmpl_.queue_id_at = static_cast<size_t>(qid - base);
  tmpl_.flag_at = static_cast<size_t>(flag - base);
  tmpl_.born_at = static_cast<size_t>(born - base);
  tmpl_.body_len_at = static_cast<size_t>(body_len - base);
  tmpl_.group_len = group_len;
  tmpl_.topic_len = topic_len;
  tmpl_.props_len = props_len;
  tmpl_.valid = true;
}

}  // namespace ferry::sdk
