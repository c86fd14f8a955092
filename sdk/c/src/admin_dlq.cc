// Dead letters (ferryctl dlq list / resend): the messages of a group's
// %DLQ%<group> on every master that has it, read with QUERY_QUEUE (the topic
// is write-only to consumers), and re-sent to their original topic by the
// broker that stores them (DLQ_RESEND), so the copy keeps every property.
#include <ferry/codes.h>

#include <algorithm>

#include "admin_common.h"

using namespace ferry::sdk;
using namespace ferry::sdk::admin;

namespace {

constexpr uint32_t kPage = 64;               // records per QUERY_QUEUE
constexpr size_t kDefaultMax = 1000;          // messages listed by default

struct DeadLetter {
  std::string broker, addr;
  MessagePtr msg;
};

std::string dlq_of(const std::string& group) { return "%DLQ%" + group; }

std::string_view prop(const ferry_client_message& m, const char* name) { return m.property(name); }

// Up to `max` dead letters of `group`, oldest first per broker. *more when
// some were left out.
Error read_dead_letters(ferry_admin* a, const std::string& group, size_t max, std::vector<DeadLetter>* out, bool* more) {
  *more = false;
  // The raw route: a DLQ is write-only, so a client's parsed route lists no
  // read queues for it.
  Answer route;
  Error e = ask(a, "", FERRY_NAMESRV_GET_ROUTE, encode_get_route(dlq_of(group)), &route);
  if (e.status == FERRY_E_TOPIC_NOT_FOUND)
    return {FERRY_E_NOT_FOUND, "group " + group + " has no dead letters (no topic " + dlq_of(group) + ")"};
  if (!e.ok()) return e;
  auto rd = read_ns<fbn::TopicRoute>(route.payload);
  if (!rd) return {FERRY_E_BAD_FRAME, "unreadable TopicRoute for " + dlq_of(group)};
  const Route r = parse_route(*rd.root);
  std::vector<QueueKey> queues;
  if (rd->queues())
    for (const auto* qd : *rd->queues())
      for (uint32_t i = 0; i < qd->read_queues(); ++i)
        queues.push_back({r.topic, str(qd->broker_name()), static_cast<int32_t>(i)});
  std::sort(queues.begin(), queues.end());
  for (const auto& q : queues) {
    auto m = r.masters.find(q.broker);
    if (m == r.masters.end()) return {FERRY_E_NO_ROUTE, "broker " + q.broker + " has no live master"};
    const std::string& addr = m->second;
    Answer range;
    e = ask(a, addr, FERRY_CODE_QUEUE_RANGE, encode_queue_request(q.topic, q.queue_id), &range);
    if (!e.ok()) return e;
    auto d = read_core<fbc::QueueRangeResponse>(range.payload);
    if (!d) return {FERRY_E_BAD_FRAME, "unreadable QueueRangeResponse from " + addr};
    uint64_t next = d->min_offset();
    const uint64_t end = d->max_offset();
    while (next < end) {
      if (out->size() >= max) {
        *more = true;
        return {};
      }
      flatbuffers::FlatBufferBuilder fbb(128);
      auto t = fbb.CreateString(q.topic);
      auto payload = finish_core(fbb, fbc::CreatePullRequest(fbb, flatbuffers::Offset<flatbuffers::String>(), t, q.queue_id, next, kPage));
      Answer ans;
      e = ask(a, addr, FERRY_CODE_QUERY_QUEUE, std::move(payload), &ans);
      if (e.status == FERRY_E_NO_NEW_MESSAGE) break;
      if (!e.ok()) return e;
      auto pr = read_core<fbc::PullResponse>(ans.payload);
      if (!pr) return {FERRY_E_BAD_FRAME, "unreadable PullResponse from " + addr};
      std::string why;
      auto msgs = decode_records(ans.buffer, ans.attachment.data(), ans.attachment.size(), q.broker, &why);
      if (!why.empty()) return {FERRY_E_CORRUPTED, addr + ": " + why};
      for (auto& msg : msgs) {
        if (out->size() >= max) {
          *more = true;
          return {};
        }
        out->push_back(DeadLetter{q.broker, addr, std::move(msg)});
      }
      if (pr->next_offset() <= next) break;  // no progress: never loop
      next = pr->next_offset();
    }
  }
  return {};
}

// Stores the dead letter at `commit_offset` on `addr` again in its original
// topic; its new offset id and topic into j.
Error resend_one(ferry_admin* a, const std::string& addr, const std::string& group, uint64_t commit_offset,
                 const std::string& id, Json& j) {
  flatbuffers::FlatBufferBuilder fbb(128);
  auto g = fbb.CreateString(group);
  Answer ans;
  Error e = ask(a, addr, FERRY_CODE_DLQ_RESEND, finish_core(fbb, fbc::CreateDlqResendRequest(fbb, g, commit_offset)), &ans);
  if (!e.ok()) return {e.status, "re-send of " + id + ": " + e.message};
  auto d = read_core<fbc::SendResponse>(ans.payload);
  if (!d || !d->results() || d->results()->size() != 1) return {FERRY_E_BAD_FRAME, "unreadable SendResponse from " + addr};
  j.begin_object().key("offset_msg_id").value(id).key("topic").value(str(d->topic()))
      .key("new_offset_msg_id").value(str(d->results()->Get(0)->offset_msg_id())).end_object();
  return {};
}

}  // namespace

extern "C" {

FERRY_EXPORT ferry_status ferry_admin_dlq_list(ferry_admin* a, const char* group, size_t max, char** json,
                                               char* errbuf, size_t errlen) {
  auto args = [&] { return group_json_args(group, json, errbuf, errlen); };
  return entry(a, errbuf, errlen, args, [&]() -> ferry_status {
    std::vector<DeadLetter> dead;
    bool more = false;
    Error e = read_dead_letters(a, group, max ? max : kDefaultMax, &dead, &more);
    if (!e.ok()) return fail(errbuf, errlen, e.status, e.message);
    Json j;
    j.begin_object().key("group").value(group).key("messages").begin_array();
    for (const auto& d : dead) {
      const ferry_client_message& m = *d.msg;
      j.begin_object().key("broker").value(d.broker).key("queue_offset").value(m.rec.queue_offset)
          .key("offset_msg_id").value(std::string_view(m.offset_msg_id, m.offset_msg_id_len))
          .key("msg_id").value(prop(m, FERRY_PROP_UNIQ_KEY))
          .key("original_topic").value(prop(m, FERRY_PROP_RETRY_TOPIC))
          .key("origin_offset_msg_id").value(prop(m, FERRY_PROP_ORIGIN_MSG_ID))
          .key("reconsume_times").value(m.rec.reconsume_times)
          .key("store_timestamp_ms").value(m.rec.store_timestamp_ms)
          .key("born_timestamp_ms").value(m.rec.born_timestamp_ms)
          .key("tags").value(prop(m, FERRY_PROP_TAGS)).key("keys").value(prop(m, FERRY_PROP_KEYS))
          .key("body_size").value(static_cast<uint64_t>(m.rec.body.len)).end_object();
    }
    j.end_array().key("more").value(more).end_object();
    return json_out(j, json, errbuf, errlen);
  });
}

FERRY_EXPORT ferry_status ferry_admin_dlq_resend(ferry_admin* a, const char* group, const char* offset_msg_id,
                                                 char** json, char* errbuf, size_t errlen) {
  auto args = [&] { return group_json_args(group, json, errbuf, errlen); };
  return entry(a, errbuf, errlen, args, [&]() -> ferry_status {
    Json j;
    j.begin_object().key("group").value(group).key("resent").begin_array();
    if (offset_msg_id) {
      std::string addr;
      uint64_t commit_offset = 0;
      Error e = parse_offset_id(offset_msg_id, &addr, &commit_offset);
      if (!e.ok()) return fail(errbuf, errlen, e.status, e.message);
      e = resend_one(a, addr, group, commit_offset, offset_msg_id, j);
      if (!e.ok()) return fail(errbuf, errlen, e.status, e.message);
    } else {
      // Every dead letter, in bounded rounds of what one listing returns.
      std::vector<DeadLetter> dead;
      bool more = false;
      Error e = read_dead_letters(a, group, SIZE_MAX, &dead, &more);
      if (!e.ok()) return fail(errbuf, errlen, e.status, e.message);
      for (const auto& d : dead) {
        std::string id(d.msg->offset_msg_id, d.msg->offset_msg_id_len);
        e = resend_one(a, d.addr, group, static_cast<uint64_t>(d.msg->rec.physical_offset), id, j);
        if (!e.ok()) return fail(errbuf, errlen, e.status, e.message);
      }
    }
    j.end_array().end_object();
    return json_out(j, json, errbuf, errlen);
  });
}

}  // extern "C"
