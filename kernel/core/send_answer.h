#pragma once
// A single-message send's answer (a SendResponse with one SendResult),
// kept as numbers and the places of its two strings in the request's
// payload until the send is acked, then written by patching the last answer
// of the same shape: no FlatBufferBuilder, no allocation per send once warm
// (reply_send built and allocated one answer per send: ~2,400 instructions).
#include <flatbuffers/flatbuffers.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "message_id.h"

namespace ferry::core {

struct SendAnswer {
  uint64_t commit_offset = 0;
  uint64_t queue_offset = 0;
  int32_t queue_id = 0;
  bool has_uniq = false;
  // Byte ranges in the request's payload (the verified SendRequest's topic
  // and the message's UNIQ_KEY value): the payload outlives the answer.
  uint32_t topic_at = 0, topic_len = 0;
  uint32_t uniq_at = 0, uniq_len = 0;
};

// One per Core, used on the loop only. The bytes returned are valid until
// the next encode (the transport copies them in respond()).
class SendAnswerEncoder {
 public:
  explicit SendAnswerEncoder(const MessageIdEncoder& ids) : ids_(ids) {}
  std::span<const uint8_t> encode(const SendAnswer& a, const uint8_t* payload);

 private:
  std::span<const uint8_t> build(const SendAnswer& a, const uint8_t* payload);
  void remember(const SendAnswer& a);

  const MessageIdEncoder& ids_;
  flatbuffers::FlatBufferBuilder fbb_{256};
  struct Template {
    bool valid = false;
    std::vector<uint8_t> bytes;
    uint32_t topic_len = 0, uniq_len = 0;
    bool has_uniq = false;
    size_t topic_at = 0, id_at = 0, uniq_at = 0, queue_id_at = 0, queue_offset_at = 0, commit_offset_at = 0;
  } tmpl_;
};

}  // namespace ferry::core
