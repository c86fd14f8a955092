#pragma once
// The SendRequest payload of one send (abi/wire/core.fbs), encoded once per
// attempt on the thread that sends it. Building it with FlatBufferBuilder
// cost ~1,800 instructions per message (about a fifth of the client's work
// for an async send), while consecutive single-message sends of a producer
// differ only in the bytes of same-length fields: a SendRequest whose
// group, topic and properties have the lengths of the last one built is
// written by patching that one's bytes (strings, properties, scalars) —
// the same bytes the builder would have made, at a tenth of the cost.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "wire.h"

namespace ferry::sdk {

// One message of a send as it goes on the wire (its body travels apart).
struct WireMessage {
  std::string props;  // name\x01value\x02...
  int32_t flag = 0;
  int64_t born_ms = 0;
  uint32_t body_len = 0;
  std::string uniq;  // its UNIQ_KEY (not encoded here: it is in props)
};

// Not thread-safe: one per sending thread (the producer's loop, each direct
// lane under its lock).
class SendEncoder {
 public:
  // The payload, valid until the next encode. A single message's request
  // has every scalar written (ForceDefaults), so its layout depends only on
  // the lengths; a batch's is built as before (defaults left out).
  std::span<const uint8_t> encode(std::span<const WireMessage> msgs, std::string_view topic,
                                  std::string_view group, int32_t queue_id);

  // A batch whose messages live apart (client-side batching: each in its
  // member op), built as encode() builds a batch: no copy of them first.
  std::span<const uint8_t> encode_batch(std::span<const WireMessage* const> msgs, std::string_view topic,
                                        std::string_view group, int32_t queue_id);

  // What the last encode did (tests): true when it patched the template.
  bool last_patched() const { return last_patched_; }

 private:
  template <typename Msgs>  // a span of WireMessage or of pointers to them
  std::span<const uint8_t> build(Msgs msgs, std::string_view topic, std::string_view group, int32_t queue_id);
  void remember(std::span<const uint8_t> built, size_t group_len, size_t topic_len, size_t props_len);

  flatbuffers::FlatBufferBuilder fbb_{1024};
  std::vector<flatbuffers::Offset<fbc::MessageMeta>> metas_;
  // The last single-message request built, and where its variable bytes are.
  struct Template {
    bool valid = false;
    size_t group_len = 0, topic_len = 0, props_len = 0;
    size_t group_at = 0, topic_at = 0, props_at = 0;
    size_t queue_id_at = 0, flag_at = 0, born_at = 0, body_len_at = 0;
    std::vector<uint8_t> bytes;
  } tmpl_;
  bool last_patched_ = false;
};

}  // namespace ferry::sdk
