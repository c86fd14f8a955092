#include "wire.h"

namespace ferry::sdk {

std::vector<uint8_t> encode_get_route(std::string_view topic) {
  flatbuffers::FlatBufferBuilder fbb(64);
  return finish_ns(fbb, fbn::CreateGetRoute(fbb, fbb.CreateString(topic)));
}

std::vector<uint8_t> encode_queue_request(std::string_view topic, int32_t queue_id) {
  flatbuffers::FlatBufferBuilder fbb(64);
  return finish_core(fbb, fbc::CreateQueueRequest(fbb, fbb.CreateString(topic), queue_id));
}

std::vector<uint8_t> encode_query_offset(std::string_view group, std::string_view topic,
                                         int32_t queue_id) {
  flatbuffers::FlatBufferBuilder fbb(64);
  auto g = fbb.CreateString(group);
  auto t = fbb.CreateString(topic);
  return finish_core(fbb, fbc::CreateQueryOffsetRequest(fbb, g, t, queue_id));
}

std::vector<uint8_t> encode_offset_by_time(std::string_view topic, int32_t queue_id, int64_t ms) {
  flatbuffers::FlatBufferBuilder fbb(64);
  return finish_core(fbb, fbc::CreateOffsetByTimeRequest(fbb, fbb.CreateString(topic), queue_id, ms));
}

}  // namespace ferry::sdk
