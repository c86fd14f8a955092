// Topic administration requests.
#include "core_internal.h"

namespace ferry::core {
namespace {

flatbuffers::Offset<fb::TopicConfig> to_wire(flatbuffers::FlatBufferBuilder& fbb, const TopicConfig& t) {
  return fb::CreateTopicConfig(fbb, fbb.CreateString(t.name), t.read_queues, t.write_queues, t.perm, t.flags);
}

}  // namespace

void Core::handle_topic_write(RequestPtr req, bool create) {
  auto p = read_payload<fb::TopicCreateRequest>(req->payload());
  if (!p) return respond_error(*req, FERRY_E_INVALID_ARGUMENT, bad_payload("TopicCreateRequest"));
  const auto* w = p->topic();
  TopicConfig c;
  c.name = std::string(sv(w->name()));
  c.read_queues = w->read_queues();
  c.write_queues = w->write_queues();
  c.perm = w->perm();
  c.flags = w->flags() & ~static_cast<uint32_t>(FERRY_TOPIC_SYSTEM);
  std::string why;
  ferry_status s = create ? topics_.create(c, false, &why) : topics_.update(c, false, &why);
  if (s != FERRY_OK) return respond_error(*req, s, why);
  topics_changed();
  flatbuffers::FlatBufferBuilder fbb(128);
  Response r;
  finish_into(fbb, fb::CreateTopicResponse(fbb, to_wire(fbb, *topics_.find(c.name))), &r);
  answer_when_topics_saved(std::move(req), std::move(r));
}

void Core::handle_topic_delete(RequestPtr req) {
  auto p = read_payload<fb::TopicNameRequest>(req->payload());
  if (!p) return respond_error(*req, FERRY_E_INVALID_ARGUMENT, bad_payload("TopicNameRequest"));
  std::string_view name = sv(p->name());
  std::string why;
  ferry_status s = topics_.remove(name, false, &why);
  if (s != FERRY_OK) return respond_error(*req, s, why);
  topics_changed();
  fail_held_pulls(name);
  offsets_.remove_topic(name);
  if (plugins_.storage->delete_topic) {
    err_->reset();
    s = plugins_.storage->delete_topic(plugins_.storage_inst, slice(name), err_->get());
    if (s != FERRY_OK)
      env_.log(FERRY_LOG_WARN, "core: storage kept queues of deleted topic '" + std::string(name) +
                                   "': " + err_->message());
  }
  answer_when_topics_saved(std::move(req), Response{});
}

void Core::handle_topic_list(RequestPtr req) {
  auto p = read_payload<fb::TopicListRequest>(req->payload());
  if (!p) return respond_error(*req, FERRY_E_INVALID_ARGUMENT, bad_payload("TopicListRequest"));
  size_t limit = std::clamp<uint32_t>(p->limit(), 1, 10'000);
  bool more = false;
  auto page = topics_.list(sv(p->start_after()), limit, p->include_system(), &more);
  flatbuffers::FlatBufferBuilder fbb(64 + page.size() * 64);
  std::vector<flatbuffers::Offset<fb::TopicConfig>> out;
  out.reserve(page.size());
  for (const TopicConfig* t : page) out.push_back(to_wire(fbb, *t));
  Response r;
  finish_into(fbb, fb::CreateTopicListResponse(fbb, fbb.CreateVector(out), more), &r);
  req->respond(std::move(r));
}

void Core::handle_topic_get(RequestPtr req) {
  auto p = read_payload<fb::TopicNameRequest>(req->payload());
  if (!p) return respond_error(*req, FERRY_E_INVALID_ARGUMENT, bad_payload("TopicNameRequest"));
  const TopicConfig* t = topics_.find(sv(p->name()));
  if (!t)
    return respond_error(*req, FERRY_E_TOPIC_NOT_FOUND,
                         "topic '" + std::string(sv(p->name())) + "' does not exist");
  flatbuffers::FlatBufferBuilder fbb(128);
  Response r;
  finish_into(fbb, fb::CreateTopicResponse(fbb, to_wire(fbb, *t)), &r);
  req->respond(std::move(r));
}

}  // namespace ferry::core
