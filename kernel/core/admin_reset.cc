// Reset a consumer group's offsets to a point in time (RocketMQ's
// resetOffsetByTime): for every queue of the topic, the first offset whose
// message was stored at or after the timestamp (the storage's
// offset_for_time), committed for the group at once and persisted with the
// next offsets write. The group's live members are told with a oneway
// NOTIFY_OFFSETS_RESET carrying the new offsets, so a consumer that owns one
// of those queues drops what it buffered and pulls from there instead of
// committing its old position over the reset.

#include "core_internal.h"
#include "names.h"

namespace ferry::core {

void Core::handle_reset_offset(RequestPtr req) {
  auto p = read_payload<fb::ResetOffsetRequest>(req->payload());
  if (!p) return respond_error(*req, FERRY_E_INVALID_ARGUMENT, bad_payload("ResetOffsetRequest"));
  std::string_view group = sv(p->group());
  std::string why;
  if (check_name("group", group, &why) != FERRY_OK) return respond_error(*req, FERRY_E_INVALID_NAME, why);
  const TopicConfig* t = topics_.find(sv(p->topic()));
  if (!t)
    return respond_error(*req, FERRY_E_TOPIC_NOT_FOUND, "topic '" + std::string(sv(p->topic())) + "' does not exist");
  // Compute every queue first: a storage error commits nothing.
  std::vector<uint64_t> offsets(t->read_queues, 0);
  for (uint32_t q = 0; q < t->read_queues; ++q) {
    err_->reset();
    ferry_status s = plugins_.storage->offset_for_time(plugins_.storage_inst, slice(t->name), static_cast<int32_t>(q),
                                                       p->timestamp_ms(), &offsets[q], err_->get());
    if (s != FERRY_OK)
      return respond_error(*req, s, "queue " + std::to_string(q) + ": offset for time: " + err_->message());
  }
  for (uint32_t q = 0; q < t->read_queues; ++q) offsets_.commit(group, t->name, static_cast<int32_t>(q), offsets[q]);

  flatbuffers::FlatBufferBuilder fbb(128 + offsets.size() * 32);
  auto queue_offsets = [&] {
    std::vector<flatbuffers::Offset<fb::QueueOffset>> v;
    auto topic = fbb.CreateString(t->name);
    for (uint32_t q = 0; q < t->read_queues; ++q)
      v.push_back(fb::CreateQueueOffset(fbb, topic, static_cast<int32_t>(q), offsets[q]));
    return fbb.CreateVector(v);
  };
  // The notification first (its own buffer), so the answer can say how many
  // members were told.
  uint32_t notified = 0;
  auto members = clients_.member_conns(group);
  if (!members.empty()) {
    auto root = fb::CreateOffsetsReset(fbb, fbb.CreateString(group), queue_offsets());
    fbb.Finish(root, FERRY_CORE_FILE_IDENTIFIER);
    std::string_view payload(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
    notified = notify_connections(members, FERRY_CODE_NOTIFY_OFFSETS_RESET, payload);
    fbb.Clear();
  }
  env_.log(FERRY_LOG_INFO, "core: offsets of group " + std::string(group) + " on " + t->name + " reset to time " +
                               std::to_string(p->timestamp_ms()) + " (" + std::to_string(t->read_queues) +
                               " queues, " + std::to_string(notified) + " members told)");
  Response r;
  finish_into(fbb, fb::CreateResetOffsetResponse(fbb, queue_offsets(), notified), &r);
  req->respond(std::move(r));
}

}  // namespace ferry::core
