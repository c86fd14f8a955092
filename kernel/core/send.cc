// Send path: validate, apply pre-append hooks, append the whole batch under
// one storage call, then park the reply until min(durable, replicated)
// passes the batch's last record (check_acks, one check per advance).
#include <ferry/record.h>

#include <algorithm>
#include <cstring>

#include "core_internal.h"
#include "names.h"

namespace ferry::core {
namespace {

const unsigned char kNoHost[4] = {0, 0, 0, 0};
constexpr size_t kMaxProperties = FERRY_RECORD_MAX_PROPERTIES - FERRY_RECORD_CRC_RESERVED;

}  // namespace

const TopicConfig* Core::resolve_topic(std::string_view name, uint64_t hash, bool system,
                                       ferry_status* s, std::string* why) {
  *s = check_name("topic", name, why);
  if (*s != FERRY_OK) return nullptr;
  if (!system && is_system_topic(name)) {
    *s = FERRY_E_RESERVED_NAME;
    *why = "topic '" + std::string(name) + "' is reserved for the broker";
    return nullptr;
  }
  if (const TopicConfig* t = topics_.find(name, hash)) return t;
  if (const TopicConfig* t = topics_.find(name)) return t;  // `hash` was a wrong hint
  if (!system && !config_.auto_create_topics) {
    *s = FERRY_E_TOPIC_NOT_FOUND;
    *why = "topic '" + std::string(name) + "' does not exist (auto_create_topics is off)";
    return nullptr;
  }
  TopicConfig c;
  c.name = std::string(name);
  c.read_queues = c.write_queues = config_.default_queue_count;
  *s = topics_.create(std::move(c), system, why);
  if (*s != FERRY_OK) return nullptr;
  topics_changed();
  env_.log(FERRY_LOG_INFO, "core: topic '" + std::string(name) + "' created on first send");
  return topics_.find(name);
}

Core::Append Core::append_batch(std::string_view topic, bool system) {
  Append a;
  // Hooks may move a message to a system topic (delay, half messages).
  edits_.clear();
  if (!hooks_.empty()) {
    for (auto& m : msgs_) {
      edits_.emplace_back();
      a.status = hooks_.apply(&m, &edits_.back(), &a.why);
      if (a.status != FERRY_OK) return a;
      std::string_view t(static_cast<const char*>(m.topic.data), m.topic.len);
      if (t == topic) continue;
      m.storage_slot = nullptr;  // the slot is the original topic's
      const TopicConfig* tc = resolve_topic(t, TopicTable::hash_of(t), true, &a.status, &a.why);
      if (!tc) return a;
      if (m.queue_id >= 0 && static_cast<uint32_t>(m.queue_id) >= tc->write_queues) {
        TopicConfig grown = *tc;
        grown.read_queues = std::max(grown.read_queues, static_cast<uint32_t>(m.queue_id) + 1);
        grown.write_queues = std::max(grown.write_queues, static_cast<uint32_t>(m.queue_id) + 1);
        a.status = topics_.update(std::move(grown), true, &a.why);
        if (a.status != FERRY_OK) return a;
        topics_changed();
      }
    }
  }
  (void)system;
  msg_ptrs_.clear();
  for (const auto& m : msgs_) msg_ptrs_.push_back(&m);
  append_results_.assign(msgs_.size(), FERRY_STRUCT_INIT(ferry_append_result));
  uint64_t write_offset = 0;
  err_->reset();
  auto started = std::chrono::steady_clock::now();
  a.status = plugins_.storage->append(plugins_.storage_inst, msg_ptrs_.data(), msg_ptrs_.size(),
                                      append_results_.data(), &a.appended, &write_offset,
                                      err_->get());
  CoreMetrics::observe_since(metrics_.append_latency_us, started);
  if (a.appended > 0) {
    counters_.messages_stored += a.appended;
    env_.publish_write(write_offset);
  }
  if (a.status != FERRY_OK) {
    std::string msg = err_->message();
    a.why = (msg.empty() ? std::string(ferry_status_str(a.status)) : msg);
  } else if (a.appended != msgs_.size()) {
    a.status = FERRY_E_INTERNAL;
    a.why = "storage stored " + std::to_string(a.appended) + " of " + std::to_string(msgs_.size()) +
            " messages without an error";
  }
  return a;
}

void Core::handle_send(RequestPtr req) {
  auto p = read_payload<fb::SendRequest>(req->payload());
  if (!p) return respond_error(*req, FERRY_E_INVALID_ARGUMENT, bad_payload("SendRequest"));
  const auto* metas = p->messages();
  size_t n = metas->size();
  if (n == 0) return respond_error(*req, FERRY_E_INVALID_ARGUMENT, "send carries no message");
  if (req->code() == FERRY_CODE_SEND_MESSAGE && n != 1)
    return respond_error(*req, FERRY_E_INVALID_ARGUMENT,
                         "SEND_MESSAGE carries exactly one message; use SEND_BATCH for " +
                             std::to_string(n));
  if (n > config_.max_batch_messages)
    return respond_error(*req, FERRY_E_TOO_LARGE,
                         "batch of " + std::to_string(n) + " messages; max_batch_messages is " +
                             std::to_string(config_.max_batch_messages));
  if (pending_.size() + turn_sends_.size() >= config_.send_queue_capacity) {
    ++counters_.sends_busy;
    CoreMetrics::add(metrics_.sends_busy, 1);
    return respond_error(*req, FERRY_E_BUSY,
                         "system busy: " + std::to_string(pending_.size() + turn_sends_.size()) +
                             " sends wait for durability (send_queue_capacity); try another broker");
  }
  ferry_status s;
  std::string why;
  std::string_view topic = sv(p->topic());
  // Hashed once: peek() did it when the net layer showed it the send (its
  // hint; a wrong one only costs resolve_topic a second lookup).
  uint64_t hash = req->peek_hint();
  if (hash == 0) hash = TopicTable::hash_of(topic);
  const uint64_t topics_before = topics_.generation();
  const TopicConfig* t = resolve_topic(topic, hash, false, &s, &why);
  if (!t) return respond_error(*req, s, why);
  if (!(t->perm & FERRY_PERM_WRITE))
    return respond_error(*req, FERRY_E_NO_PERMISSION, "topic '" + t->name + "' is not writable");

  ferry_slice att = req->attachment();
  uint64_t declared = 0;
  for (size_t i = 0; i < n; ++i) {
    const auto* m = metas->Get(static_cast<flatbuffers::uoffset_t>(i));
    if (m->body_length() > config_.max_message_size)
      return respond_error(*req, FERRY_E_MESSAGE_TOO_LARGE,
                           "message " + std::to_string(i) + " body is " +
                               std::to_string(m->body_length()) + " bytes; max_message_size is " +
                               std::to_string(config_.max_message_size));
    if (m->properties() && m->properties()->size() > kMaxProperties)
      return respond_error(*req, FERRY_E_TOO_LARGE,
                           "message " + std::to_string(i) + " properties are " +
                               std::to_string(m->properties()->size()) + " bytes; the limit is " +
                               std::to_string(kMaxProperties));
    if (m->queue_id() < -1 ||
        (m->queue_id() >= 0 && static_cast<uint32_t>(m->queue_id()) >= t->write_queues))
      return respond_error(*req, FERRY_E_INVALID_ARGUMENT,
                           "queue " + std::to_string(m->queue_id()) + " of topic '" + t->name +
                               "' does not exist (" + std::to_string(t->write_queues) +
                               " write queues)");
    declared += m->body_length();
  }
  if (declared != att.len)
    return respond_error(*req, FERRY_E_INVALID_ARGUMENT,
                         "bodies declare " + std::to_string(declared) + " bytes, attachment has " +
                             std::to_string(att.len));

  ferry_slice born_host{kNoHost, sizeof kNoHost};
  if (p->born_host() && (p->born_host()->size() == 4 || p->born_host()->size() == 16))
    born_host = {p->born_host()->data(), p->born_host()->size()};
  // A batch without explicit queues lands in one queue, round robin per send.
  int32_t picked = static_cast<int32_t>(next_queue_++ % t->write_queues);
  // Without pre-append hooks (which rewrite messages one batch at a time)
  // the send waits for the turn's end and shares its storage call with the
  // other sends read in this turn: one commit-log write instead of one per
  // send (pipelined producers: tens of sends a turn). The turn's first send
  // waits only when the last turn read several.
  const bool armed = hooks_.empty() && (turn_flush_armed_ || arm_turn_flush());
  const bool queued = armed && (turn_count_ > 0 || last_turn_count_ > 1);
  if (armed) ++turn_count_;
  auto& out = queued ? turn_msgs_ : msgs_;
  const size_t first = queued ? turn_msgs_.size() : 0;
  if (!queued) msgs_.clear();
  const auto* body = static_cast<const unsigned char*>(att.data);
  for (size_t i = 0; i < n; ++i) {
    const auto* m = metas->Get(static_cast<flatbuffers::uoffset_t>(i));
    auto msg = FERRY_STRUCT_INIT(ferry_message);
    msg.topic = slice(topic);
    msg.queue_id = m->queue_id() < 0 ? picked : m->queue_id();
    msg.flag = m->flag();
    msg.sys_flag = m->sys_flag();
    msg.body = {body, m->body_length()};
    body += m->body_length();
    if (m->properties()) msg.properties = {m->properties()->data(), m->properties()->size()};
    msg.born_timestamp_ms = m->born_timestamp_ms();
    msg.born_host = born_host;
    msg.born_port = p->born_port();
    msg.reconsume_times = m->reconsume_times();
    msg.storage_slot = &t->runtime.storage_slot;  // valid while the entry is: see flush_turn_sends
    out.push_back(msg);
  }
  TurnSend ts;
  ts.root = p.root;
  ts.aligned = std::move(p.aligned);  // moving keeps the buffer (and root) where it is
  ts.first = first;
  ts.count = n;
  ts.declared = declared;
  if (topics_.generation() != topics_before) ts.topic_generation = topics_.generation();
  ts.topic = t;
  ts.table_generation = topics_.generation();
  ts.req = std::move(req);
  if (queued) {
    turn_sends_.push_back(std::move(ts));
    return;
  }
  Append a = append_batch(topic, false);
  if (a.status != FERRY_OK) {
    if (n > 1) a.why += stored_of(a.appended, n);
    return respond_error(*ts.req, a.status, a.why);
  }
  reply_send(ts, append_results_.data());
}

bool Core::arm_turn_flush() {
  std::weak_ptr<Core*> alive = alive_;
  turn_flush_armed_ = env_.defer([alive] {
    if (auto core = alive.lock()) (*core)->turn_ended();
  });
  return turn_flush_armed_;
}

std::string Core::stored_of(size_t appended, size_t n) {
  return " (" + std::to_string(appended) + " of " + std::to_string(n) + " messages stored)";
}

void Core::turn_ended() {
  turn_flush_armed_ = false;
  last_turn_count_ = turn_count_;
  turn_count_ = 0;
  flush_turn_sends();
}

void Core::flush_turn_sends() {
  if (turn_sends_.empty()) return;
  turn_flushing_.swap(turn_sends_);
  msgs_.swap(turn_msgs_);
  turn_msgs_.clear();
  // A send whose entry may be gone (the table changed since handle_send)
  // hands storage no slot: it looks the topic up by name instead.
  for (const TurnSend& s : turn_flushing_)
    if (s.table_generation != topics_.generation())
      for (size_t i = s.first; i < s.first + s.count; ++i) msgs_[i].storage_slot = nullptr;
  // One storage call for the turn. The storage stores a prefix: the sends
  // wholly inside it are answered, the one it stopped in is refused with its
  // error, and the sends after it are tried again — they came from other
  // clients, and one client's bad message must not fail theirs. (A storage
  // that cannot store anything, a full disk, refuses each retry at once.)
  size_t base = 0;  // index in the turn of msgs_[0]
  size_t next = 0;  // first send not answered yet
  while (next < turn_flushing_.size()) {
    const size_t start = turn_flushing_[next].first;
    msgs_.erase(msgs_.begin(), msgs_.begin() + static_cast<ptrdiff_t>(start - base));
    base = start;
    const ferry_slice& t0 = msgs_.front().topic;
    Append a = append_batch(std::string_view(static_cast<const char*>(t0.data), t0.len), false);
    const size_t stored_end = base + a.appended;
    for (; next < turn_flushing_.size(); ++next) {
      TurnSend& s = turn_flushing_[next];
      if (s.first + s.count <= stored_end) {
        reply_send(s, append_results_.data() + (s.first - base));
        continue;
      }
      size_t stored = stored_end > s.first ? stored_end - s.first : 0;
      ferry_status st = a.status != FERRY_OK ? a.status : FERRY_E_INTERNAL;
      std::string why = a.why.empty() ? std::string(ferry_status_str(st)) : a.why;
      if (s.count > 1) why += stored_of(stored, s.count);
      respond_error(*s.req, st, why);
      ++next;
      break;
    }
  }
  turn_flushing_.clear();
  msgs_.clear();
}

void Core::reply_send(TurnSend& s, const ferry_append_result* stored) {
  const auto* p = static_cast<const fb::SendRequest*>(s.root);
  const auto* metas = p->messages();
  const size_t n = s.count;
  std::string_view topic = sv(p->topic());
  // Hooks of this turn's appends may have changed the table since.
  const TopicConfig* t = s.table_generation == topics_.generation() ? s.topic : topics_.find(topic);
  if (t) topics_.count_in(*t, n, s.declared);

  Pending pend;
  const ferry_append_result& last = stored[n - 1];
  pend.end = last.commit_offset + last.size;
  // A topic this send created must be on disk before the send is acked.
  pend.topic_generation = s.topic_generation;
  if (n == 1) {
    // One message (every pipelined producer's send): keep the numbers and
    // where the topic and UNIQ_KEY are in the payload; complete() writes
    // the answer (SendAnswerEncoder). The payload lives with the request.
    const auto* base = s.aligned.empty() ? static_cast<const uint8_t*>(s.req->payload().data)
                                         : reinterpret_cast<const uint8_t*>(s.aligned.data());
    const auto* raw_topic = reinterpret_cast<const uint8_t*>(topic.data());
    SendAnswer& a = pend.answer;
    a.commit_offset = stored[0].commit_offset;
    a.queue_offset = stored[0].queue_offset;
    a.queue_id = stored[0].queue_id;
    a.topic_at = topic.empty() ? 0 : static_cast<uint32_t>(raw_topic - base);
    a.topic_len = static_cast<uint32_t>(topic.size());
    const auto* m = metas->Get(0);
    ferry_slice uniq{};
    if (m->properties() &&
        ferry_property_find({m->properties()->data(), m->properties()->size()}, FERRY_PROP_UNIQ_KEY, &uniq)) {
      a.has_uniq = true;
      a.uniq_at = uniq.len ? static_cast<uint32_t>(static_cast<const uint8_t*>(uniq.data) - base) : 0;
      a.uniq_len = static_cast<uint32_t>(uniq.len);
    }
    pend.compact = true;
    pend.req = std::move(s.req);
    enqueue_ack(std::move(pend));
    return;
  }
  // A batch: the reply is built now (ids and offsets are known), sent once durable.
  flatbuffers::FlatBufferBuilder fbb(128 + n * (ids_.id_length() + 64));
  std::vector<flatbuffers::Offset<fb::SendResult>>& results = reply_results_;
  results.clear();
  for (size_t i = 0; i < n; ++i) {
    const ferry_append_result& r = stored[i];
    char id_buf[64];  // id_length() <= 56
    ids_.encode_into(r.commit_offset, id_buf);
    auto id = fbb.CreateString(id_buf, ids_.id_length());
    ferry_slice uniq{};
    const auto* m = metas->Get(static_cast<flatbuffers::uoffset_t>(i));
    flatbuffers::Offset<flatbuffers::String> uniq_off;
    if (m->properties()) {
      ferry_slice props{m->properties()->data(), m->properties()->size()};
      if (ferry_property_find(props, FERRY_PROP_UNIQ_KEY, &uniq))
        uniq_off = fbb.CreateString(static_cast<const char*>(uniq.data), uniq.len);
    }
    results.push_back(fb::CreateSendResult(fbb, id, uniq_off, r.queue_id, r.queue_offset, r.commit_offset));
  }
  auto root = fb::CreateSendResponse(fbb, fbb.CreateString(topic), fbb.CreateVector(results));
  finish_into(fbb, root, &pend.response);
  pend.req = std::move(s.req);
  enqueue_ack(std::move(pend));
}

void Core::publish_topic_counts(const TopicConfig& t, uint64_t messages, uint64_t bytes) {
  if (!t.runtime.metrics) t.runtime.metrics = &metrics_.topic(t.name);  // stable: node-based map
  CoreMetrics::add(t.runtime.metrics->messages_in, static_cast<double>(messages));
  CoreMetrics::add(t.runtime.metrics->bytes_in, static_cast<double>(bytes));
}

void Core::enqueue_ack(Pending&& p) {
  if (sync_replication_ && plugins_.replication->info) {
    auto info = FERRY_STRUCT_INIT(ferry_replication_info);
    if (plugins_.replication->info(plugins_.replication_inst, &info) == FERRY_OK &&
        info.slaves_connected == 0) {
      complete(p, FERRY_E_REPLICA_NOT_AVAILABLE, "stored on the master; no slave is connected");
      return;
    }
  }
  p.deadline_ms = env_.monotonic_ms() + ack_timeout_ms_;
  p.appended_at = std::chrono::steady_clock::now();
  pending_.push_back(std::move(p));
  check_acks();
}

ferry_status Core::put_message(const ferry_message* msg, ferry_put_fn on_put, void* user_data) {
  if (stopped_) return FERRY_E_SHUTTING_DOWN;
  if (!msg || !FERRY_HAS_FIELD(ferry_message, msg->struct_size, prepared_transaction_offset))
    return FERRY_E_INVALID_ARGUMENT;
  if (pending_.size() >= config_.send_queue_capacity) {
    ++counters_.sends_busy;
    CoreMetrics::add(metrics_.sends_busy, 1);
    return FERRY_E_BUSY;
  }
  if (msg->body.len > config_.max_message_size) return FERRY_E_MESSAGE_TOO_LARGE;
  flush_turn_sends();  // pending_ stays in log order
  ferry_status s;
  std::string why;
  std::string_view topic(static_cast<const char*>(msg->topic.data), msg->topic.len);
  const uint64_t topics_before = topics_.generation();
  const TopicConfig* t = resolve_topic(topic, TopicTable::hash_of(topic), true, &s, &why);
  if (!t) {
    env_.log(FERRY_LOG_WARN, "core: put_message refused: " + why);
    return s;
  }
  // A plugin built for an older minor passes a smaller struct: copy what it
  // has, zero the rest. Its message carries no host slot (storage_slot).
  msgs_.assign(1, FERRY_STRUCT_INIT(ferry_message));
  std::memcpy(&msgs_[0], msg, std::min<size_t>(msg->struct_size, sizeof(ferry_message)));
  msgs_[0].struct_size = sizeof(ferry_message);
  msgs_[0].storage_slot = nullptr;
  if (msgs_[0].queue_id < 0 || static_cast<uint32_t>(msgs_[0].queue_id) >= t->write_queues)
    msgs_[0].queue_id = static_cast<int32_t>(next_queue_++ % t->write_queues);
  if (msgs_[0].born_host.len != 4 && msgs_[0].born_host.len != 16)
    msgs_[0].born_host = {kNoHost, sizeof kNoHost};
  Append a = append_batch(topic, true);
  if (a.status != FERRY_OK) {
    env_.log(FERRY_LOG_WARN, "core: put_message failed: " + a.why);
    return a.status;
  }
  Pending pend;
  pend.put_fn = on_put;
  pend.put_user_data = user_data;
  pend.put_result = append_results_[0];
  pend.put_msg_id = ids_.encode(append_results_[0].commit_offset);
  pend.end = append_results_[0].commit_offset + append_results_[0].size;
  if (topics_.generation() != topics_before) pend.topic_generation = topics_.generation();
  enqueue_ack(std::move(pend));
  return FERRY_OK;
}

}  // namespace ferry::core
