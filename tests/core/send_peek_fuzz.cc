// libFuzzer target for peek_send_topic, which reads a SendRequest's topic
// from bytes nobody has verified yet (the net layer's look-ahead): for any
// input it stays inside the bytes, and whenever FlatBuffers' verifier accepts
// the input as a SendRequest it finds the same topic the verified read does.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/send_peek.h"
#include "core/wire.h"

namespace fb = ::ferry::wire::core;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view topic = ferry::core::peek_send_topic(data, size);
  const auto* begin = reinterpret_cast<const char*>(data);
  if (!topic.empty() && (topic.data() < begin || topic.data() + topic.size() > begin + size))
    std::abort();  // a view outside the input
  const auto req = ferry::core::read_payload<fb::SendRequest>({data, size});
  if (req && req->topic() != nullptr && req->topic()->string_view() != topic)
    std::abort();  // read another topic than the verified buffer holds
  return 0;
}
