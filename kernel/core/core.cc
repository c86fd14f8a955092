#include <ferry/codes.h>

#include <algorithm>
#include <filesystem>

#include "core_internal.h"

namespace ferry::core {

uint64_t queue_key(std::string_view topic, int32_t queue_id) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (unsigned char c : topic) h = (h ^ c) * 1099511628211ull;
  return (h ^ static_cast<uint32_t>(queue_id)) * 1099511628211ull;
}

Core::Core(Env& env, PluginSet plugins, CoreConfig config)
    : env_(env),
      plugins_(std::move(plugins)),
      config_(config),
      filters_(env, plugins_.filters),
      topics_(env.data_dir() + "/core/topics.conf",
              [this](const TopicConfig& t, uint64_t messages, uint64_t bytes) {
                publish_topic_counts(t, messages, bytes);
              }),
      topic_file_(std::make_shared<OrderedFileWriter>(topics_.path())),
      offsets_(env.data_dir() + "/core/consumer_offsets.conf"),
      offsets_file_(std::make_shared<OrderedFileWriter>(offsets_.path())),
      ids_(env.identity().advertised_address),
      err_(env.new_error()),
      metrics_(env),
      alive_(std::make_shared<Core*>(this)) {}

Core::~Core() {
  if (!stopped_) stop();
}

ferry_status Core::open(std::string* why) {
  if (!plugins_.storage || !plugins_.storage->append || !plugins_.storage->read_queue) {
    *why = "the messaging core needs a storage plugin with append and read_queue";
    return FERRY_E_STATE;
  }
  ferry_status s = topics_.load(why);
  if (s != FERRY_OK) return s;
  s = offsets_.load(why);
  if (s != FERRY_OK) return s;
  if (plugins_.storage->set_dispatch_listener)
    plugins_.storage->set_dispatch_listener(plugins_.storage_inst, &Core::on_dispatch, this);
  else
    env_.log(FERRY_LOG_WARN, "storage has no dispatch listener: long polls wait for their timeout");
  env_.log(FERRY_LOG_INFO, "core: " + std::to_string(topics_.size()) + " topics loaded from " +
                               topics_.path());
  return FERRY_OK;
}

void Core::start() {
  ack_timeout_ms_ = config_.ack_timeout_ms;
  uint64_t stated = 0;
  if (plugins_.flush && plugins_.flush->info) {
    auto info = FERRY_STRUCT_INIT(ferry_flush_info);
    if (plugins_.flush->info(plugins_.flush_inst, &info) == FERRY_OK) {
      sync_flush_ = info.mode == FERRY_FLUSH_SYNC;
      if (sync_flush_) stated = std::max<uint64_t>(stated, info.ack_timeout_ms);
    }
  }
  if (plugins_.replication && plugins_.replication->info) {
    auto info = FERRY_STRUCT_INIT(ferry_replication_info);
    if (plugins_.replication->info(plugins_.replication_inst, &info) == FERRY_OK) {
      sync_replication_ = info.role == FERRY_REPLICATION_MASTER && info.mode == FERRY_REPLICATION_SYNC;
      if (sync_replication_) stated = std::max<uint64_t>(stated, info.ack_timeout_ms);
    }
  }
  if (stated > 0) ack_timeout_ms_ = stated;

  // Timeouts are coarse (held pulls, waiting sends); wake-ups never use it.
  tick_timer_ = env_.start_timer(100, 100, [this] { tick(); });
  sweep_timer_ = env_.start_timer(config_.client_sweep_interval_ms, config_.client_sweep_interval_ms,
                                  [this] { sweep_clients(); });
  offsets_timer_ = env_.start_timer(config_.offset_persist_interval_ms,
                                    config_.offset_persist_interval_ms, [this] { persist_offsets(); });
  env_.log(FERRY_LOG_INFO, std::string("core: acks wait for ") +
                               (sync_flush_ ? "DURABLE" : "WRITE") +
                               (sync_replication_ ? " and REPLICATED" : "") + ", ack timeout " +
                               std::to_string(ack_timeout_ms_) + " ms");
}

void Core::stop() {
  if (stopped_) return;
  flush_turn_sends();  // sends read this turn are stored and answered below
  stopped_ = true;
  tick_timer_.reset();
  sweep_timer_.reset();
  offsets_timer_.reset();
  topics_timer_.reset();
  // Topics first: sends to auto-created topics and admin changes wait for it.
  std::string why;
  if (persist_now(&why) != FERRY_OK) env_.log(FERRY_LOG_ERROR, "core: " + why);
  answer_topic_waiters(topics_.dirty() ? FERRY_E_IO : FERRY_OK, why, topics_.generation());
  check_acks();
  while (!pending_.empty()) {
    Pending p = pending_.take_front();
    complete(p, FERRY_E_FLUSH_TIMEOUT, "broker shutting down: stored, durability not confirmed");
  }
  for (auto& [key, job] : held_) {
    finish_pull(std::move(job), FERRY_OK, nullptr, "");
  }
  held_.clear();
}

void Core::handle(RequestPtr req) {
  if (stopped_) {
    respond_error(*req, FERRY_E_SHUTTING_DOWN, "broker shutting down");
    return;
  }
  try {
    // Any other request (a topic delete, a send-back, a query...) acts on a
    // broker that has stored the sends read before it in this turn; pulls
    // and heartbeats do not wait (a pull reads dispatched records only).
    const uint32_t code = req->code();
    if (!turn_sends_.empty() && code != FERRY_CODE_SEND_MESSAGE && code != FERRY_CODE_SEND_BATCH &&
        code != FERRY_CODE_PULL_MESSAGE && code != FERRY_CODE_HEARTBEAT)
      flush_turn_sends();
    switch (code) {
      case FERRY_CODE_SEND_MESSAGE:
      case FERRY_CODE_SEND_BATCH: return handle_send(std::move(req));
      case FERRY_CODE_PULL_MESSAGE:
      case FERRY_CODE_QUERY_QUEUE: return handle_pull(std::move(req));
      case FERRY_CODE_CONSUMER_SEND_BACK: return handle_send_back(std::move(req));
      case FERRY_CODE_DLQ_RESEND: return handle_dlq_resend(std::move(req));
      case FERRY_CODE_HEARTBEAT: return handle_heartbeat(std::move(req));
      case FERRY_CODE_UNREGISTER_CLIENT: return handle_unregister(std::move(req));
      case FERRY_CODE_GROUP_MEMBERS: return handle_group_members(std::move(req));
      case FERRY_CODE_COMMIT_OFFSETS: return handle_commit_offsets(std::move(req));
      case FERRY_CODE_QUERY_OFFSET: return handle_query_offset(std::move(req));
      case FERRY_CODE_LOCK_QUEUES: return handle_lock(std::move(req), true);
      case FERRY_CODE_UNLOCK_QUEUES: return handle_lock(std::move(req), false);
      case FERRY_CODE_TOPIC_CREATE: return handle_topic_write(std::move(req), true);
      case FERRY_CODE_TOPIC_UPDATE: return handle_topic_write(std::move(req), false);
      case FERRY_CODE_TOPIC_DELETE: return handle_topic_delete(std::move(req));
      case FERRY_CODE_TOPIC_LIST: return handle_topic_list(std::move(req));
      case FERRY_CODE_TOPIC_GET: return handle_topic_get(std::move(req));
      case FERRY_CODE_QUEUE_RANGE: return handle_queue_range(std::move(req));
      case FERRY_CODE_OFFSET_BY_TIME: return handle_offset_by_time(std::move(req));
      case FERRY_CODE_QUERY_BY_OFFSET_ID:
      case FERRY_CODE_QUERY_BY_UNIQ_KEY:
      case FERRY_CODE_QUERY_BY_KEY: return handle_query(std::move(req));
      case FERRY_CODE_GROUP_PROGRESS: return handle_group_progress(std::move(req));
      case FERRY_CODE_RUNTIME_STATS: return handle_runtime_stats(std::move(req));
      case FERRY_CODE_GROUP_LIST: return handle_group_list(std::move(req));
      case FERRY_CODE_CONSUMER_CONNECTIONS: return handle_consumer_connections(std::move(req));
      case FERRY_CODE_RESET_OFFSET_BY_TIME: return handle_reset_offset(std::move(req));
      default:
        respond_error(*req, FERRY_E_UNKNOWN_REQUEST,
                      "request code " + std::to_string(req->code()) + " is not served here");
    }
  } catch (const std::bad_alloc&) {
    // The request may have been moved; without it there is nothing to answer.
    env_.log(FERRY_LOG_ERROR, "core: out of memory handling a request");
    if (req) respond_error(*req, FERRY_E_NO_MEMORY, "out of memory");
  }
}

size_t Core::held_pulls() const { return held_.size(); }
size_t Core::pending_acks() const { return pending_.size(); }

// ---- durability ----

uint64_t Core::ack_offset() {
  uint64_t write = env_.watermark(FERRY_WATERMARK_WRITE);
  uint64_t durable = sync_flush_ ? env_.watermark(FERRY_WATERMARK_DURABLE) : write;
  uint64_t replicated = sync_replication_ ? env_.watermark(FERRY_WATERMARK_REPLICATED) : write;
  return std::min(durable, replicated);
}

void Core::on_watermarks() { check_acks(); }

void Core::check_acks() {
  if (pending_.empty()) return;
  ++counters_.watermark_checks;
  uint64_t ack = ack_offset();  // one check per advance, however many sends it covers
  uint64_t topics_saved = topics_.saved_generation();
  while (!pending_.empty() && pending_.front().end <= ack &&
         pending_.front().topic_generation <= topics_saved) {
    Pending p = pending_.take_front();
    ++counters_.sends_acked;
    complete(p, FERRY_OK, "");
  }
}

void Core::expire_acks() {
  uint64_t now = env_.monotonic_ms();
  while (!pending_.empty() && pending_.front().deadline_ms <= now) {
    Pending p = pending_.take_front();
    ++counters_.sends_timed_out;
    CoreMetrics::add(metrics_.send_timeouts, 1);
    bool durable = !sync_flush_ || env_.watermark(FERRY_WATERMARK_DURABLE) >= p.end;
    if (durable)
      complete(p, FERRY_E_REPLICA_TIMEOUT,
               "stored and flushed, not replicated within " + std::to_string(ack_timeout_ms_) + " ms");
    else
      complete(p, FERRY_E_FLUSH_TIMEOUT,
               "stored, not flushed to disk within " + std::to_string(ack_timeout_ms_) + " ms");
  }
}

void Core::complete(Pending& p, ferry_status status, std::string message) {
  if (status == FERRY_OK) CoreMetrics::observe_since(metrics_.ack_latency_us, p.appended_at);
  if (p.req) {
    Response r = std::move(p.response);
    if (p.compact) {  // valid until the next encode: respond() copies it
      auto bytes = answers_.encode(p.answer, static_cast<const uint8_t*>(p.req->payload().data));
      r.payload = {bytes.data(), bytes.size()};
    }
    // A timed-out send still tells the producer where its message is.
    r.status = status;
    r.message = std::move(message);
    p.req->respond(std::move(r));
    return;
  }
  if (p.put_fn) {
    auto result = FERRY_STRUCT_INIT(ferry_put_result);
    result.status = status;
    result.commit_offset = p.put_result.commit_offset;
    result.queue_id = p.put_result.queue_id;
    result.queue_offset = p.put_result.queue_offset;
    result.offset_msg_id = p.put_msg_id.c_str();
    p.put_fn(p.put_user_data, &result);
  }
}

void Core::tick() {
  expire_acks();
  expire_held();
  if (++ticks_ % 10 == 0) {  // gauges once a second
    CoreMetrics::set(metrics_.held_pulls, static_cast<double>(held_.size()));
    CoreMetrics::set(metrics_.pending_acks, static_cast<double>(pending_.size()));
    CoreMetrics::set(metrics_.clients, static_cast<double>(clients_.client_count()));
    CoreMetrics::set(metrics_.client_connections, static_cast<double>(clients_.connection_count()));
    CoreMetrics::set(metrics_.consumer_groups, static_cast<double>(clients_.group_count()));
    CoreMetrics::set(metrics_.topics, static_cast<double>(topics_.size()));
  }
}

// ---- clients ----

void Core::notify_membership(const std::vector<std::string>& groups) {
  for (const auto& group : groups) {
    auto members = clients_.member_conns(group);
    if (members.empty()) continue;
    flatbuffers::FlatBufferBuilder fbb(256);
    std::vector<flatbuffers::Offset<flatbuffers::String>> ids;
    for (const auto& [id, conn] : members) ids.push_back(fbb.CreateString(id));
    auto root = fb::CreateMembershipChanged(fbb, fbb.CreateString(group), fbb.CreateVector(ids));
    fbb.Finish(root, FERRY_CORE_FILE_IDENTIFIER);
    std::string_view payload(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
    counters_.membership_notifications += notify_connections(members, FERRY_CODE_NOTIFY_MEMBERSHIP_CHANGED, payload);
  }
}

uint32_t Core::notify_connections(const std::vector<std::pair<std::string, uint64_t>>& members, uint32_t code,
                                  std::string_view payload) {
  uint32_t told = 0;
  std::vector<uint64_t> sent;
  for (const auto& [id, conn] : members) {
    if (std::find(sent.begin(), sent.end(), conn) != sent.end()) continue;
    sent.push_back(conn);
    if (env_.notify_client(conn, code, payload)) ++told;
  }
  return told;
}

void Core::sweep_clients() {
  uint64_t now = env_.monotonic_ms();
  std::vector<std::string> expired;
  auto changed = clients_.expire(now, config_.client_expiry_ms, &expired);
  for (const auto& id : expired)
    env_.log(FERRY_LOG_INFO, "core: client " + id + " silent for " +
                                 std::to_string(config_.client_expiry_ms) + " ms, dropped");
  notify_membership(changed);
  locks_.sweep(env_.now_ms());
}

void Core::on_connection_closed(uint64_t conn_id) {
  notify_membership(clients_.connection_closed(conn_id));
  // Held pulls of that connection cannot be answered; drop them now.
  for (auto it = held_.begin(); it != held_.end();) {
    if (it->second->req->conn_id() == conn_id)
      it = held_.erase(it);
    else
      ++it;
  }
  forget_chains(conn_id);
}

std::optional<uint64_t> Core::producer_conn(std::string_view group) const {
  return clients_.producer_conn(group);
}

// ---- persistence ----

void Core::topics_changed() {
  schedule_topic_save();
  env_.topics_changed();
}

// Group commit: the first unsaved change arms one timer; every change made
// before it fires shares its write, and the replies (admin changes, sends
// that auto-created a topic) wait for that write. A burst of 100,000
// creations is one write; a topic acknowledged as created survives SIGKILL.
void Core::schedule_topic_save() {
  if (config_.topic_persist_delay_ms == 0) return save_topics();
  arm_topic_save(config_.topic_persist_delay_ms);
}

void Core::arm_topic_save(uint64_t delay_ms) {
  if (topics_timer_ || stopped_) return;
  topics_timer_ = env_.start_timer(delay_ms, 0, [this] {
    topics_timer_.reset();  // both Envs allow a timer to be destroyed in its callback
    save_topics();
  });
}

// The write (the whole table, fdatasync, rename, directory fsync) runs on a
// worker so that a large table never stalls the loop; one write at a time.
// Changes made while it runs are picked up by the next one, armed when it
// completes. Replies wait for the completion, as before.
void Core::save_topics() {
  if (topics_writing_) return;  // topics_written() re-arms if still dirty
  std::optional<TopicTable::Snapshot> snap = topics_.snapshot();
  if (!snap) {
    answer_topic_waiters(FERRY_OK, "", topics_.saved_generation());
    check_acks();
    return;
  }
  topics_writing_ = true;
  write_on_worker(topic_file_, snap->generation, std::move(snap->text), &Core::topics_written);
}

void Core::topics_written(uint64_t generation, ferry_status s, const std::string& why) {
  topics_writing_ = false;
  if (s != FERRY_OK) {
    env_.log(FERRY_LOG_ERROR, "core: topic table not saved (retried in 1 s): " + why);
    answer_topic_waiters(s, why, generation);
    arm_topic_save(std::max<uint64_t>(config_.topic_persist_delay_ms, 1000));
    return;
  }
  topics_.mark_saved(generation);
  answer_topic_waiters(FERRY_OK, "", generation);
  check_acks();
  if (topics_.dirty()) schedule_topic_save();  // changes made during the write
}

void Core::answer_when_topics_saved(RequestPtr req, Response r) {
  if (!topics_.dirty()) return req->respond(std::move(r));
  topic_waiters_.push_back(TopicWaiter{topics_.generation(), std::move(req), std::move(r)});
}

void Core::answer_topic_waiters(ferry_status s, const std::string& why, uint64_t attempted) {
  uint64_t saved = topics_.saved_generation();
  while (!topic_waiters_.empty()) {
    TopicWaiter& w = topic_waiters_.front();
    if (w.generation > (s == FERRY_OK ? saved : std::max(saved, attempted))) break;
    if (w.generation <= saved)
      w.req->respond(std::move(w.response));
    else  // applied in memory; the client must not believe it durable
      respond_error(*w.req, s, "topic change applied but not persisted (the broker retries the write): " + why);
    topic_waiters_.pop_front();
  }
}

// Periodic: the snapshot is taken on the loop (a copy of the offsets as
// text), the write with its fsyncs runs on a worker, one at a time, through
// the writer shutdown also uses, so an older snapshot never lands over a
// newer one. Commits made during a write go into the next period's.
void Core::persist_offsets() {
  if (offsets_writing_ || stopped_) return;
  std::optional<OffsetStore::Snapshot> snap = offsets_.snapshot();
  if (!snap) return;
  offsets_writing_ = true;
  write_on_worker(offsets_file_, snap->generation, std::move(snap->text), &Core::offsets_written);
}

// One snapshot write (file, fdatasync, rename, directory fsync) on a worker;
// `done` runs on the loop afterwards, unless the core is gone by then. With
// no worker left (loop closing) the write and `done` run here.
void Core::write_on_worker(const std::shared_ptr<OrderedFileWriter>& file, uint64_t generation,
                           std::string text, WrittenFn done) {
  struct Job {
    uint64_t generation;
    std::string text;
    ferry_status status = FERRY_OK;
    std::string why;
  };
  auto job = std::make_shared<Job>(Job{generation, std::move(text)});
  BeforeRenameHook hook = before_rename_;
  std::weak_ptr<Core*> alive = alive_;
  auto work = [job, file, hook] {
    job->status = file->write(job->generation, job->text, &job->why, hook);
    std::string().swap(job->text);  // the snapshot's copy is not needed past here
  };
  if (env_.queue_work(work, [job, alive, done] {
        if (auto self = alive.lock()) ((*self)->*done)(job->generation, job->status, job->why);
      }))
    return;
  work();
  (this->*done)(job->generation, job->status, job->why);
}

void Core::offsets_written(uint64_t generation, ferry_status s, const std::string& why) {
  offsets_writing_ = false;
  if (s != FERRY_OK) {
    env_.log(FERRY_LOG_ERROR, "core: consumer offsets not saved (retried next period): " + why);
    return;
  }
  offsets_.mark_saved(generation);
}

ferry_status Core::persist_now(std::string* why) {
  // Through the same writer as the worker: never behind a write in flight.
  ferry_status s = FERRY_OK;
  if (std::optional<TopicTable::Snapshot> snap = topics_.snapshot()) {
    s = topic_file_->write(snap->generation, snap->text, why, before_rename_);
    if (s == FERRY_OK) topics_.mark_saved(snap->generation);
  }
  // Blocks behind a worker's write in flight (the writer's lock), so the
  // last offsets are on disk when stop() returns.
  std::string why2;
  ferry_status s2 = FERRY_OK;
  if (std::optional<OffsetStore::Snapshot> snap = offsets_.snapshot()) {
    s2 = offsets_file_->write(snap->generation, snap->text, &why2, before_rename_);
    if (s2 == FERRY_OK) offsets_.mark_saved(snap->generation);
  }
  if (s == FERRY_OK && s2 != FERRY_OK) {
    *why = why2;
    return s2;
  }
  return s;
}

// ---- host-table services ----

ferry_status Core::topic_get(std::string_view name, ferry_topic_info* out) const {
  const TopicConfig* t = topics_.find(name);
  if (!t) return FERRY_E_TOPIC_NOT_FOUND;
  out->name = {t->name.data(), t->name.size()};
  out->read_queues = t->read_queues;
  out->write_queues = t->write_queues;
  out->perm = t->perm;
  out->flags = t->flags;
  return FERRY_OK;
}

ferry_status Core::topic_foreach(ferry_topic_visit_fn fn, void* user_data) const {
  topics_.for_each([&](const TopicConfig& t) {
    auto info = FERRY_STRUCT_INIT(ferry_topic_info);
    info.name = {t.name.data(), t.name.size()};
    info.read_queues = t.read_queues;
    info.write_queues = t.write_queues;
    info.perm = t.perm;
    info.flags = t.flags;
    fn(user_data, &info);
  });
  return FERRY_OK;
}

ferry_status Core::hook_pre_append(const char* property, PreAppendHook hook) {
  if (!property || !*property || !hook) return FERRY_E_INVALID_ARGUMENT;
  hooks_.add(property, std::move(hook));
  return FERRY_OK;
}

ferry_status Core::create_topic(TopicConfig config, bool system, std::string* why) {
  ferry_status s = topics_.create(std::move(config), system, why);
  if (s == FERRY_OK) topics_changed();
  return s;
}

}  // namespace ferry::core
