// Retry / dead-letter flow (RocketMQ's consumerSendMsgBack): a consumer
// hands a failed message back by its commit offset; the broker reads the
// record (on a worker: it may be cold) and stores a copy in the group's
// retry topic, or in its dead-letter topic once the message used up its
// reconsume times. The copy goes through the normal put path (pre-append
// hooks, dispatch, index, long-poll wake-ups) and is answered at the
// durability watermark like a send, so a consumer commits past the failed
// message only once its copy cannot be lost. An admin re-sends a dead
// letter to its original topic the same way (docs/core.md, "Retry and
// dead letters").
#include <ferry/record.h>

#include "core_internal.h"
#include "names.h"

namespace ferry::core {
namespace {

constexpr int32_t kMaxDelayLevel = 18;  // the delay plugin's levels (DESIGN.md)
constexpr size_t kMaxProperties = FERRY_RECORD_MAX_PROPERTIES - FERRY_RECORD_CRC_RESERVED;

void release_result(void* p) {
  auto* r = static_cast<ferry_read_result*>(p);
  r->release(r);
}

std::string_view view(ferry_slice s) {
  return s.len ? std::string_view(static_cast<const char*>(s.data), s.len) : std::string_view();
}

// The commit offset a request names: its offset message id when set.
bool named_offset(const flatbuffers::String* id, uint64_t commit_offset, uint64_t* out, std::string* why) {
  if (!id || id->size() == 0) {
    *out = commit_offset;
    return true;
  }
  auto d = decode_message_id(sv(id));
  if (!d) {
    *why = "'" + std::string(sv(id)) + "' is not an offset message id (32 or 56 hex digits)";
    return false;
  }
  *out = d->commit_offset;
  return true;
}

// The record as a message to store again (slices into the record).
ferry_message message_of(const ferry_record_view& rec) {
  auto m = FERRY_STRUCT_INIT(ferry_message);
  m.topic = rec.topic;
  m.queue_id = -1;
  m.flag = rec.flag;
  // Storage sets the host-v6 bits from the hosts it writes.
  m.sys_flag = rec.sys_flag & ~(FERRY_SYSFLAG_BORNHOST_V6 | FERRY_SYSFLAG_STOREHOST_V6);
  m.body = rec.body;
  m.properties = rec.properties;
  m.born_timestamp_ms = rec.born_timestamp_ms;
  m.born_host = rec.born_host;
  m.born_port = static_cast<uint16_t>(rec.born_port);
  m.reconsume_times = rec.reconsume_times;
  return m;
}

}  // namespace

bool Core::group_known(std::string_view group) const {
  if (!clients_.member_conns(group).empty()) return true;
  bool any = false;
  offsets_.for_group(group, "", [&](const std::string&, int32_t, uint64_t) { any = true; });
  return any;
}

const TopicConfig* Core::system_topic(const std::string& name, uint32_t perm, ferry_status* s,
                                      std::string* why) {
  if (const TopicConfig* t = topics_.find(name)) return t;
  *s = check_name("topic", name, why);
  if (*s != FERRY_OK) return nullptr;
  TopicConfig c;
  c.name = name;
  c.read_queues = c.write_queues = 1;
  c.perm = perm;
  *s = topics_.create(std::move(c), true, why);
  if (*s != FERRY_OK) return nullptr;
  topics_changed();
  env_.log(FERRY_LOG_INFO, "core: system topic '" + name + "' created");
  return topics_.find(name);
}

void Core::ensure_retry_topic(std::string_view group) {
  ferry_status s = FERRY_OK;
  std::string why;
  if (!system_topic(std::string(kRetryPrefix) + std::string(group), FERRY_PERM_READ | FERRY_PERM_WRITE, &s, &why))
    env_.log(FERRY_LOG_WARN, "core: no retry topic for group " + std::string(group) + ": " + why);
}

// [loop] Reads the record at `commit_offset` on a worker, then calls `then`
// on the loop with the request and the record (valid during the call).
void Core::with_record(RequestPtr req, uint64_t commit_offset, RecordFn then) {
  struct Work {
    RequestPtr req;
    uint64_t offset = 0;
    ferry_status status = FERRY_OK;
    ferry_read_result* res = nullptr;
    std::unique_ptr<ErrorSlot> err;
    std::string why;
  };
  auto w = std::make_shared<Work>();
  w->req = std::move(req);
  w->offset = commit_offset;
  w->err = env_.new_error();
  const ferry_storage_ops* ops = plugins_.storage;
  void* inst = plugins_.storage_inst;
  std::weak_ptr<Core*> alive = alive_;
  bool queued = env_.queue_work(
      [w, ops, inst] {
        w->status = ops->read_at(inst, w->offset, &w->res, w->err->get());
        if (w->status != FERRY_OK) w->why = w->err->message();
      },
      [w, alive, then] {
        Keep hold(w->res ? &release_result : nullptr, w->res);
        auto self = alive.lock();
        if (!self) return;
        Core* core = *self;
        if (core->stopped_) return respond_error(*w->req, FERRY_E_SHUTTING_DOWN, "broker shutting down");
        ferry_record_view rec;
        if (w->status == FERRY_OK &&
            (!w->res || w->res->count == 0 ||
             ferry_record_decode(w->res->records[0].data, w->res->records[0].len, &rec) != FERRY_OK)) {
          w->status = FERRY_E_NOT_FOUND;
          w->why.clear();
        }
        if (w->status != FERRY_OK) {
          if (w->status == FERRY_E_NOT_FOUND || w->why.empty())
            w->why = "no message at commit offset " + std::to_string(w->offset) +
                     (w->why.empty() ? std::string() : " (" + w->why + ")");
          return respond_error(*w->req, w->status, w->why);
        }
        try {
          (core->*then)(std::move(w->req), rec);
        } catch (const std::bad_alloc&) {
          core->env_.log(FERRY_LOG_ERROR, "core: out of memory storing a message copy");
          if (w->req) respond_error(*w->req, FERRY_E_NO_MEMORY, "out of memory");
        }
      });
  if (!queued) respond_error(*w->req, FERRY_E_SHUTTING_DOWN, "broker shutting down");
}

void Core::handle_send_back(RequestPtr req) {
  auto p = read_payload<fb::SendBackRequest>(req->payload());
  if (!p) return respond_error(*req, FERRY_E_INVALID_ARGUMENT, bad_payload("SendBackRequest"));
  std::string why;
  std::string_view group = sv(p->group());
  ferry_status s = check_name("group", group, &why);
  if (s != FERRY_OK) return respond_error(*req, s, why);
  if (!group_known(group))
    return respond_error(*req, FERRY_E_GROUP_NOT_FOUND,
                         "consumer group '" + std::string(group) +
                             "' is not known to this broker (no live member, no committed offset)");
  if (p->max_reconsume_times() < 0)
    return respond_error(*req, FERRY_E_INVALID_ARGUMENT,
                         "max_reconsume_times is " + std::to_string(p->max_reconsume_times()) + "; must be >= 0");
  uint64_t offset = 0;
  if (!named_offset(p->offset_msg_id(), p->commit_offset(), &offset, &why))
    return respond_error(*req, FERRY_E_INVALID_ARGUMENT, why);
  with_record(std::move(req), offset, &Core::send_back_record);
}

void Core::send_back_record(RequestPtr req, const ferry_record_view& rec) {
  auto p = read_payload<fb::SendBackRequest>(req->payload());  // verified by handle_send_back
  std::string group(sv(p->group()));
  std::string_view topic = view(rec.topic);
  const uint64_t at = static_cast<uint64_t>(rec.physical_offset);
  if (topic.starts_with(kDlqPrefix))
    return respond_error(*req, FERRY_E_INVALID_ARGUMENT,
                         "the message at commit offset " + std::to_string(at) + " is a dead letter (" +
                             std::string(topic) + "); re-send it with DLQ_RESEND");
  ferry_slice prop{};
  const bool has_origin_topic = ferry_property_find(rec.properties, FERRY_PROP_RETRY_TOPIC, &prop) != 0;
  // A retry copy names the topic its first delivery came from.
  std::string original(topic.starts_with(kRetryPrefix) && has_origin_topic ? view(prop) : topic);
  if (p->original_topic() && p->original_topic()->size() != 0 && sv(p->original_topic()) != original)
    return respond_error(*req, FERRY_E_INVALID_ARGUMENT,
                         "the message at commit offset " + std::to_string(at) + " is of topic '" + original +
                             "', not '" + std::string(sv(p->original_topic())) + "'");
  const int32_t times = rec.reconsume_times;
  const bool dead = p->delay_level() < 0 || times >= p->max_reconsume_times();
  const uint64_t topics_before = topics_.generation();
  ferry_status s = FERRY_OK;
  std::string why;
  // A dead-letter topic is write-only: no subscription reads it unless an
  // admin changes its permission (RocketMQ's DLQ).
  const TopicConfig* t = system_topic(std::string(dead ? kDlqPrefix : kRetryPrefix) + group,
                                      dead ? FERRY_PERM_WRITE : FERRY_PERM_READ | FERRY_PERM_WRITE, &s, &why);
  if (!t) return respond_error(*req, s, why);

  MessageEdit e;
  e.begin(message_of(rec));
  e.remove_property(FERRY_PROP_CRC32);  // storage writes the copy's own
  if (!has_origin_topic) e.set_property(FERRY_PROP_RETRY_TOPIC, slice(original));
  ferry_slice origin_id{};
  if (!ferry_property_find(rec.properties, FERRY_PROP_ORIGIN_MSG_ID, &origin_id))
    e.set_property(FERRY_PROP_ORIGIN_MSG_ID, slice(ids_.encode(at)));
  if (dead) {
    e.remove_property(FERRY_PROP_DELAY);
  } else {
    int32_t level = p->delay_level() > 0 ? p->delay_level() : 3 + times;
    e.set_property(FERRY_PROP_DELAY, slice(std::to_string(std::min(level, kMaxDelayLevel))));
  }
  e.set_topic(slice(t->name));
  ferry_message m = *e.message();
  m.queue_id = 0;
  m.reconsume_times = times + 1;
  if (dead)
    ++counters_.dead_lettered;
  else
    ++counters_.sent_back;
  store_copy(std::move(req), m, *t, topics_before);
}

void Core::handle_dlq_resend(RequestPtr req) {
  auto p = read_payload<fb::DlqResendRequest>(req->payload());
  if (!p) return respond_error(*req, FERRY_E_INVALID_ARGUMENT, bad_payload("DlqResendRequest"));
  std::string why;
  ferry_status s = check_name("group", sv(p->group()), &why);
  if (s != FERRY_OK) return respond_error(*req, s, why);
  uint64_t offset = 0;
  if (!named_offset(p->offset_msg_id(), p->commit_offset(), &offset, &why))
    return respond_error(*req, FERRY_E_INVALID_ARGUMENT, why);
  with_record(std::move(req), offset, &Core::resend_record);
}

void Core::resend_record(RequestPtr req, const ferry_record_view& rec) {
  auto p = read_payload<fb::DlqResendRequest>(req->payload());  // verified by handle_dlq_resend
  std::string dlq = std::string(kDlqPrefix) + std::string(sv(p->group()));
  std::string_view topic = view(rec.topic);
  const uint64_t at = static_cast<uint64_t>(rec.physical_offset);
  if (topic != dlq)
    return respond_error(*req, FERRY_E_INVALID_ARGUMENT,
                         "the message at commit offset " + std::to_string(at) + " is in topic '" +
                             std::string(topic) + "', not in " + dlq);
  ferry_slice prop{};
  if (!ferry_property_find(rec.properties, FERRY_PROP_RETRY_TOPIC, &prop) || prop.len == 0)
    return respond_error(*req, FERRY_E_INVALID_ARGUMENT,
                         "the dead letter at commit offset " + std::to_string(at) + " does not name its original topic (" +
                             FERRY_PROP_RETRY_TOPIC + ")");
  std::string original(view(prop));
  const TopicConfig* t = topics_.find(original);
  if (!t)
    return respond_error(*req, FERRY_E_TOPIC_NOT_FOUND,
                         "the original topic '" + original + "' of the dead letter at commit offset " +
                             std::to_string(at) + " no longer exists; create it first");
  MessageEdit e;
  e.begin(message_of(rec));
  for (const char* name : {FERRY_PROP_CRC32, FERRY_PROP_RETRY_TOPIC, FERRY_PROP_DELAY, FERRY_PROP_MAX_RECONSUME_TIMES})
    e.remove_property(name);
  e.set_topic(slice(t->name));
  ferry_message m = *e.message();
  m.reconsume_times = 0;
  ++counters_.dlq_resent;
  store_copy(std::move(req), m, *t, topics_.generation());
}

// [loop] Appends one message to `t` (created by this request when the
// table's generation moved past `topics_before`) and answers `req` with a
// SendResponse once the watermark passes it, as a send.
void Core::store_copy(RequestPtr req, const ferry_message& msg, const TopicConfig& t, uint64_t topics_before) {
  if (!(t.perm & FERRY_PERM_WRITE))
    return respond_error(*req, FERRY_E_NO_PERMISSION, "topic '" + t.name + "' is not writable");
  if (msg.properties.len > kMaxProperties)
    return respond_error(*req, FERRY_E_TOO_LARGE,
                         "the copy's properties are " + std::to_string(msg.properties.len) +
                             " bytes; the limit is " + std::to_string(kMaxProperties));
  if (pending_.size() >= config_.send_queue_capacity) {
    ++counters_.sends_busy;
    CoreMetrics::add(metrics_.sends_busy, 1);
    return respond_error(*req, FERRY_E_BUSY,
                         "system busy: " + std::to_string(pending_.size()) +
                             " sends wait for durability (send_queue_capacity); try again");
  }
  const std::string topic = t.name;  // the table may change under hooks
  flush_turn_sends();                 // pending_ stays in log order
  msgs_.assign(1, msg);
  if (msgs_[0].queue_id < 0 || static_cast<uint32_t>(msgs_[0].queue_id) >= t.write_queues)
    msgs_[0].queue_id = static_cast<int32_t>(next_queue_++ % t.write_queues);
  Append a = append_batch(topic, true);
  if (a.status != FERRY_OK) return respond_error(*req, a.status, a.why);
  const TopicMetrics& tm = metrics_.topic(topic);
  CoreMetrics::add(tm.messages_in, 1);
  CoreMetrics::add(tm.bytes_in, static_cast<double>(msg.body.len));

  const ferry_append_result& r = append_results_[0];
  flatbuffers::FlatBufferBuilder fbb(256);
  auto id = fbb.CreateString(ids_.encode(r.commit_offset));
  flatbuffers::Offset<flatbuffers::String> uniq;
  ferry_slice u{};
  if (ferry_property_find(msg.properties, FERRY_PROP_UNIQ_KEY, &u)) uniq = fbb.CreateString(view(u));
  std::vector<flatbuffers::Offset<fb::SendResult>> results{
      fb::CreateSendResult(fbb, id, uniq, r.queue_id, r.queue_offset, r.commit_offset)};
  auto root = fb::CreateSendResponse(fbb, fbb.CreateString(topic), fbb.CreateVector(results));
  Pending pend;
  finish_into(fbb, root, &pend.response);
  pend.end = r.commit_offset + r.size;
  if (topics_.generation() != topics_before) pend.topic_generation = topics_.generation();
  pend.req = std::move(req);
  enqueue_ack(std::move(pend));
}

}  // namespace ferry::core
