// Client-facing bookkeeping: heartbeats and membership, consumer offsets,
// queue locks.
#include "core_internal.h"
#include "names.h"

namespace ferry::core {
namespace {

ferry_status check_group(std::string_view group, std::string* why) {
  return check_name("group", group, why);
}

}  // namespace

void Core::handle_heartbeat(RequestPtr req) {
  auto p = read_payload<fb::HeartbeatRequest>(req->payload());
  if (!p) return respond_error(*req, FERRY_E_INVALID_ARGUMENT, bad_payload("HeartbeatRequest"));
  HeartbeatData hb;
  hb.client_id = std::string(sv(p->client_id()));
  if (hb.client_id.empty()) return respond_error(*req, FERRY_E_INVALID_ARGUMENT, "heartbeat without client_id");
  hb.peer = std::string(req->peer());
  hb.language = std::string(sv(p->language()));
  hb.version = std::string(sv(p->version()));
  std::string why;
  if (p->producer_groups()) {
    for (const auto* g : *p->producer_groups()) {
      if (check_group(sv(g), &why) != FERRY_OK) return respond_error(*req, FERRY_E_INVALID_NAME, why);
      hb.producer_groups.emplace_back(sv(g));
    }
  }
  if (p->consumer_groups()) {
    for (const auto* cg : *p->consumer_groups()) {
      if (check_group(sv(cg->group()), &why) != FERRY_OK)
        return respond_error(*req, FERRY_E_INVALID_NAME, why);
      ConsumerHeartbeat c;
      c.group = std::string(sv(cg->group()));
      c.consume_model = static_cast<uint8_t>(cg->consume_model());
      c.fingerprint = cg->fingerprint();
      if (cg->subscriptions()) {
        c.has_subscriptions = true;
        for (const auto* s : *cg->subscriptions()) {
          // A malformed expression is refused at subscribe time, not at pull.
          std::shared_ptr<const CompiledFilter> compiled;
          ferry_status st = filters_.get(sv(s->expression_type()), sv(s->expression()), &compiled, &why);
          if (st != FERRY_OK)
            return respond_error(*req, st, "group " + c.group + ", topic " +
                                               std::string(sv(s->topic())) + ": " + why);
          c.subscriptions.push_back(SubscriptionData{std::string(sv(s->topic())),
                                                     std::string(sv(s->expression_type())),
                                                     std::string(sv(s->expression()))});
        }
      }
      hb.consumer_groups.push_back(std::move(c));
    }
  }
  // A clustering member subscribing to its group's retry topic (libferry's
  // push consumer does, as RocketMQ's) gets it created here, so its route
  // exists before the first message is sent back.
  for (const auto& c : hb.consumer_groups) {
    if (c.consume_model != static_cast<uint8_t>(fb::ConsumeModel::Clustering)) continue;
    for (const auto& sub : c.subscriptions)
      if (sub.topic.starts_with(kRetryPrefix) && std::string_view(sub.topic).substr(kRetryPrefix.size()) == c.group)
        ensure_retry_topic(c.group);
  }
  auto changes = clients_.heartbeat(hb, req->conn_id(), env_.monotonic_ms());

  flatbuffers::FlatBufferBuilder fbb(128);
  std::vector<flatbuffers::Offset<flatbuffers::String>> resend;
  for (const auto& g : changes.resend_subscriptions) resend.push_back(fbb.CreateString(g));
  auto root = fb::CreateHeartbeatResponse(fbb, fbb.CreateVector(resend), config_.client_expiry_ms);
  Response r;
  finish_into(fbb, root, &r);
  req->respond(std::move(r));
  notify_membership(changes.membership_changed);
}

void Core::handle_unregister(RequestPtr req) {
  auto p = read_payload<fb::UnregisterClientRequest>(req->payload());
  if (!p) return respond_error(*req, FERRY_E_INVALID_ARGUMENT, bad_payload("UnregisterClientRequest"));
  auto changed = clients_.unregister(sv(p->client_id()));
  req->respond(Response{});
  notify_membership(changed);
}

void Core::handle_group_members(RequestPtr req) {
  auto p = read_payload<fb::GroupMembersRequest>(req->payload());
  if (!p) return respond_error(*req, FERRY_E_INVALID_ARGUMENT, bad_payload("GroupMembersRequest"));
  auto members = clients_.members(sv(p->group()));
  flatbuffers::FlatBufferBuilder fbb(128);
  std::vector<flatbuffers::Offset<flatbuffers::String>> ids;
  for (const auto& id : members) ids.push_back(fbb.CreateString(id));
  auto root = fb::CreateGroupMembersResponse(fbb, fbb.CreateString(sv(p->group())), fbb.CreateVector(ids));
  Response r;
  finish_into(fbb, root, &r);
  req->respond(std::move(r));
}

void Core::handle_commit_offsets(RequestPtr req) {
  auto p = read_payload<fb::CommitOffsetsRequest>(req->payload());
  if (!p) return respond_error(*req, FERRY_E_INVALID_ARGUMENT, bad_payload("CommitOffsetsRequest"));
  std::string why;
  std::string_view group = sv(p->group());
  if (check_group(group, &why) != FERRY_OK) return respond_error(*req, FERRY_E_INVALID_NAME, why);
  // Validate all first: a bad entry commits nothing.
  for (const auto* o : *p->offsets()) {
    const TopicConfig* t = topics_.find(sv(o->topic()));
    if (!t)
      return respond_error(*req, FERRY_E_TOPIC_NOT_FOUND,
                           "topic '" + std::string(sv(o->topic())) + "' does not exist");
    if (o->queue_id() < 0 || static_cast<uint32_t>(o->queue_id()) >= t->read_queues)
      return respond_error(*req, FERRY_E_INVALID_ARGUMENT,
                           "queue " + std::to_string(o->queue_id()) + " of topic '" + t->name +
                               "' does not exist");
  }
  for (const auto* o : *p->offsets()) offsets_.commit(group, sv(o->topic()), o->queue_id(), o->offset());
  req->respond(Response{});
}

void Core::handle_query_offset(RequestPtr req) {
  auto p = read_payload<fb::QueryOffsetRequest>(req->payload());
  if (!p) return respond_error(*req, FERRY_E_INVALID_ARGUMENT, bad_payload("QueryOffsetRequest"));
  auto off = offsets_.query(sv(p->group()), sv(p->topic()), p->queue_id());
  if (!off)
    return respond_error(*req, FERRY_E_NOT_FOUND,
                         "group " + std::string(sv(p->group())) + " has no offset for " +
                             std::string(sv(p->topic())) + "/" + std::to_string(p->queue_id()));
  flatbuffers::FlatBufferBuilder fbb(64);
  Response r;
  finish_into(fbb, fb::CreateQueryOffsetResponse(fbb, *off), &r);
  req->respond(std::move(r));
}

void Core::handle_lock(RequestPtr req, bool lock) {
  std::string_view group, client;
  const flatbuffers::Vector<flatbuffers::Offset<fb::QueueRef>>* queues = nullptr;
  Decoded<fb::LockQueuesRequest> lp;
  Decoded<fb::UnlockQueuesRequest> up;
  if (lock) {
    lp = read_payload<fb::LockQueuesRequest>(req->payload());
    if (!lp) return respond_error(*req, FERRY_E_INVALID_ARGUMENT, bad_payload("LockQueuesRequest"));
    group = sv(lp->group());
    client = sv(lp->client_id());
    queues = lp->queues();
  } else {
    up = read_payload<fb::UnlockQueuesRequest>(req->payload());
    if (!up) return respond_error(*req, FERRY_E_INVALID_ARGUMENT, bad_payload("UnlockQueuesRequest"));
    group = sv(up->group());
    client = sv(up->client_id());
    queues = up->queues();
  }
  std::string why;
  if (check_group(group, &why) != FERRY_OK) return respond_error(*req, FERRY_E_INVALID_NAME, why);
  if (client.empty()) return respond_error(*req, FERRY_E_INVALID_ARGUMENT, "lock request without client_id");
  std::vector<QueueKey> keys;
  keys.reserve(queues->size());
  for (const auto* q : *queues) keys.push_back(QueueKey{std::string(sv(q->topic())), q->queue_id()});
  if (!lock) {
    locks_.unlock(group, client, keys);
    return req->respond(Response{});
  }
  // Only a live member may take a group's queues: a stale or foreign client
  // id would otherwise hold them against the members for a whole lease.
  if (!clients_.is_member(group, client))
    return respond_error(*req, FERRY_E_GROUP_NOT_FOUND,
                         "client " + std::string(client) + " is not a member of consumer group " +
                             std::string(group) + " on this broker (heartbeat with the group first)");
  auto held = locks_.lock(group, client, keys, env_.now_ms(), config_.queue_lock_lease_ms);
  flatbuffers::FlatBufferBuilder fbb(128);
  std::vector<flatbuffers::Offset<fb::QueueRef>> refs;
  for (const auto& k : held) refs.push_back(fb::CreateQueueRef(fbb, fbb.CreateString(k.topic), k.queue_id));
  Response r;
  finish_into(fbb, fb::CreateLockQueuesResponse(fbb, fbb.CreateVector(refs), config_.queue_lock_lease_ms), &r);
  req->respond(std::move(r));
}

}  // namespace ferry::core
