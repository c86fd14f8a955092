#include "registration_mode.h"

#include <algorithm>
#include <chrono>
#include <new>
#include <span>

#include "codec.h"
#include "ferry/namesrv_codes.h"

namespace ferry::namesrv {

namespace {

// Unregistering at stop must not hold shutdown long: the name server's
// expiry covers an answer that never comes.
constexpr int64_t kUnregisterTimeoutMs = 2000;

std::string status_text(const ferry_response* resp) {
  std::string text = ferry_status_name(resp->status);
  if (resp->message.len > 0)
    text += ": " + std::string(static_cast<const char*>(resp->message.data), resp->message.len);
  return text;
}

void collect_topic(void* out, const ferry_topic_info* t) {
  auto* topics = static_cast<std::vector<TopicConfig>*>(out);
  try {
    topics->push_back(TopicConfig{
        std::string(static_cast<const char*>(t->name.data), t->name.len), t->read_queues,
        t->write_queues, t->perm, t->flags});
  } catch (...) {
    // Out of memory mid-visit: the round goes out short and the next one
    // (every register_interval) sends the full table.
  }
}

}  // namespace

RegistrationMode::RegistrationMode(HostRef host, RegistrationConfig config)
    : host_(host), config_(std::move(config)) {
  budget_ = chunk_budget(config_.max_frame_bytes, config_.chunk_bytes);
  // Seeded by the wall clock so a restarted broker does not reuse round ids.
  next_round_id_ = static_cast<uint64_t>(std::max<int64_t>(host_.wall_ms(), 1)) << 8;
  for (const std::string& address : config_.name_servers) {
    auto link = std::make_unique<Link>();
    link->owner = this;
    link->address = address;
    links_.push_back(std::move(link));
  }
}

RegistrationMode::~RegistrationMode() {
  stopping_ = true;
  if (tick_timer_) host_.api->timer_stop(host_.host, tick_timer_);
  if (debounce_timer_) host_.api->timer_stop(host_.host, debounce_timer_);
  for (auto& link : links_)
    if (link->conn) host_.api->conn_close(host_.host, link->conn);
}

Outcome RegistrationMode::start() {
  m_.rounds = host_.metric("ferry_namesrv_rounds_sent_total",
                           "full registration rounds a name server completed", FERRY_METRIC_COUNTER);
  m_.heartbeats = host_.metric("ferry_namesrv_heartbeats_sent_total",
                               "heartbeats sent instead of an unchanged table", FERRY_METRIC_COUNTER);
  m_.failures = host_.metric("ferry_namesrv_registration_failures_total",
                             "registrations or heartbeats that failed (retried)", FERRY_METRIC_COUNTER);
  m_.registered = host_.metric("ferry_namesrv_registered_name_servers",
                               "name servers this broker is registered with now", FERRY_METRIC_GAUGE);
  for (auto& link : links_) {
    ferry_status s = host_.api->conn_open(host_.host, link->address.c_str(),
                                          &RegistrationMode::on_conn_event, link.get(), &link->conn);
    if (s != FERRY_OK)
      return Outcome::fail(s, "cannot open a connection to name server " + link->address + ": " +
                                  ferry_status_str(s));
  }
  const auto interval = static_cast<uint64_t>(config_.register_interval_ms);
  ferry_status s = host_.api->timer_start(host_.host, interval, interval,
                                          &RegistrationMode::on_tick, this, &tick_timer_);
  if (s != FERRY_OK)
    return Outcome::fail(s, std::string("cannot start the registration timer: ") +
                                ferry_status_str(s));
  host_.log(FERRY_LOG_INFO,
            "registering " + config_.broker.cluster + "/" + config_.broker.broker_name + "#" +
                std::to_string(config_.broker.broker_id) + " at " + config_.broker.address +
                " with " + std::to_string(links_.size()) + " name server(s) every " +
                std::to_string(config_.register_interval_ms) + " ms; chunks of at most " +
                std::to_string(budget_) + " bytes");
  // Servers already connected register now; the others when they connect.
  register_all();
  return {};
}

void RegistrationMode::stop() {
  stopping_ = true;
  if (tick_timer_) {
    host_.api->timer_stop(host_.host, tick_timer_);
    tick_timer_ = nullptr;
  }
  if (debounce_timer_) {
    host_.api->timer_stop(host_.host, debounce_timer_);
    debounce_timer_ = nullptr;
  }
  // Best effort with a bounded wait: the answers (or their timeouts) arrive
  // on the loop while a kernel worker holds destroy back for them (the
  // kernel destroys an instance only once its queued work is done); without
  // that wait the connections would close before the answers came back.
  UnregisterRequest req{config_.broker.cluster, config_.broker.broker_name,
                        config_.broker.broker_id, config_.broker.address};
  Buffer payload = encode_unregister(req);
  const auto timeout = static_cast<uint32_t>(std::min(config_.timeout_ms, kUnregisterTimeoutMs));
  size_t sent = 0;
  for (auto& link : links_) {
    if (!link->conn || !link->connected) continue;
    {
      std::lock_guard lk(stop_wait_.m);
      ++stop_wait_.outstanding;  // before the request: its answer may decrement
    }
    ferry_status s = host_.api->conn_request(host_.host, link->conn, FERRY_NAMESRV_UNREGISTER_BROKER,
                                             as_slice(payload), ferry_slice{nullptr, 0}, timeout, 0,
                                             &RegistrationMode::on_unregister_answer, link.get());
    if (s == FERRY_OK) {
      ++sent;
    } else {
      std::lock_guard lk(stop_wait_.m);
      --stop_wait_.outstanding;
    }
  }
  if (sent == 0) return;
  // A little past the requests' own timeout, so their answers always land.
  stop_wait_.limit_ms = timeout + 500;
  if (host_.api->queue_work(host_.host, &RegistrationMode::wait_unregisters,
                            &RegistrationMode::unregisters_done, this) != FERRY_OK)
    host_.log(FERRY_LOG_DEBUG, "no worker to wait for unregister answers; not waiting");
}

void RegistrationMode::wait_unregisters(void* self_ptr) {
  auto& w = static_cast<RegistrationMode*>(self_ptr)->stop_wait_;
  std::unique_lock lk(w.m);
  w.cv.wait_for(lk, std::chrono::milliseconds(w.limit_ms), [&] { return w.outstanding == 0; });
}

void RegistrationMode::unregisters_done(void*) {}

void RegistrationMode::info(ferry_routing_info* out) const {
  out->mode = FERRY_ROUTING_REGISTRATION;
  out->name_servers = static_cast<uint32_t>(links_.size());
  out->name_servers_registered = static_cast<uint32_t>(
      std::count_if(links_.begin(), links_.end(), [](const auto& l) { return l->registered; }));
}

void RegistrationMode::on_topics_changed() {
  if (stopping_ || debounce_pending_) return;
  // A one-shot timer stays allocated until timer_stop; free the fired one
  // here rather than from inside its own callback.
  if (debounce_timer_) {
    host_.api->timer_stop(host_.host, debounce_timer_);
    debounce_timer_ = nullptr;
  }
  ferry_status s = host_.api->timer_start(host_.host,
                                          static_cast<uint64_t>(config_.change_debounce_ms), 0,
                                          &RegistrationMode::on_debounce, this, &debounce_timer_);
  if (s == FERRY_OK) {
    debounce_pending_ = true;
  } else {
    register_all();  // no timer: register now rather than late
  }
}

void RegistrationMode::on_conn_event(void* link_ptr, uint64_t, ferry_conn_event ev) {
  auto& link = *static_cast<Link*>(link_ptr);
  try {
    if (ev == FERRY_CONN_CONNECTED) {
      link.connected = true;
      if (!link.owner->stopping_) link.owner->kick(link);
    } else if (ev == FERRY_CONN_CLOSED) {
      link.connected = false;
      link.registered = false;
    }
  } catch (...) {
    link.owner->host_.log(FERRY_LOG_ERROR, "registration with " + link.address +
                                               " failed on connect (out of memory?)");
  }
}

void RegistrationMode::on_tick(void* self) {
  try {
    static_cast<RegistrationMode*>(self)->register_all();
  } catch (...) {
    static_cast<RegistrationMode*>(self)->host_.log(FERRY_LOG_ERROR,
                                                    "periodic registration failed (out of memory?)");
  }
}

void RegistrationMode::on_debounce(void* self_ptr) {
  auto* self = static_cast<RegistrationMode*>(self_ptr);
  self->debounce_pending_ = false;
  on_tick(self);
}

void RegistrationMode::register_all() {
  if (stopping_) return;
  if (Outcome o = refresh_round(); !o.ok()) {
    host_.log(FERRY_LOG_ERROR, "cannot build a registration round: " + o.message);
    return;
  }
  for (auto& link : links_) kick(*link);
}

Outcome RegistrationMode::refresh_round() {
  std::vector<TopicConfig> topics;
  ferry_status s = host_.api->topic_foreach(host_.host, &collect_topic, &topics);
  if (s != FERRY_OK && s != FERRY_E_NOT_SUPPORTED)  // NOT_SUPPORTED: core off, no topics
    return Outcome::fail(s, std::string("cannot read the topic table: ") + ferry_status_str(s));
  auto round = std::make_shared<Round>();
  round->snapshot = make_snapshot(std::move(topics));
  if (Outcome o = plan_chunks(config_.broker, round->snapshot.topics, budget_, &round->chunks);
      !o.ok())
    return o;
  round->round_id = ++next_round_id_;
  round_ = std::move(round);
  return {};
}

void RegistrationMode::kick(Link& link) {
  if (stopping_ || !link.connected) return;
  if (link.busy) {
    link.again = true;
    return;
  }
  if (!round_) {
    if (Outcome o = refresh_round(); !o.ok()) {
      host_.log(FERRY_LOG_ERROR, "cannot build a registration round: " + o.message);
      return;
    }
  }
  link.busy = true;
  link.round = round_;
  link.next_chunk = 0;
  // The server is believed to hold this table: a heartbeat proves it (and
  // answers "unknown" if the server lost it), saving a full round.
  if (link.known_version == link.round->snapshot.version) {
    send_heartbeat(link);
  } else {
    send_chunk(link);
  }
}

void RegistrationMode::send_heartbeat(Link& link) {
  host_.add(m_.heartbeats, 1);
  Buffer payload = encode_heartbeat(config_.broker, link.round->snapshot.version);
  ferry_status s = host_.api->conn_request(
      host_.host, link.conn, FERRY_NAMESRV_BROKER_HEARTBEAT, as_slice(payload),
      ferry_slice{nullptr, 0}, static_cast<uint32_t>(config_.timeout_ms), 0,
      &RegistrationMode::on_heartbeat_answer, &link);
  if (s != FERRY_OK) finish(link, false, std::string("heartbeat not sent: ") + ferry_status_name(s));
}

void RegistrationMode::send_chunk(Link& link) {
  const Round& r = *link.round;
  const ChunkRange range = r.chunks[link.next_chunk];
  std::span<const TopicConfig> topics(r.snapshot.topics.data() + range.begin,
                                      range.end - range.begin);
  Buffer payload = encode_register(config_.broker, r.round_id, link.next_chunk,
                                   static_cast<uint32_t>(r.chunks.size()), r.snapshot.version,
                                   topics);
  ferry_status s = host_.api->conn_request(
      host_.host, link.conn, FERRY_NAMESRV_REGISTER_BROKER, as_slice(payload),
      ferry_slice{nullptr, 0}, static_cast<uint32_t>(config_.timeout_ms), 0,
      &RegistrationMode::on_chunk_answer, &link);
  if (s != FERRY_OK)
    finish(link, false, "chunk " + std::to_string(link.next_chunk) + " not sent: " +
                            ferry_status_name(s));
}

void RegistrationMode::on_heartbeat_answer(void* link_ptr, const ferry_response* resp) {
  auto& link = *static_cast<Link*>(link_ptr);
  RegistrationMode& self = *link.owner;
  try {
    if (self.stopping_) return self.finish(link, false, "stopping");
    if (resp->status != FERRY_OK) return self.finish(link, false, "heartbeat: " + status_text(resp));
    RegisterAnswer answer;
    if (Outcome o = decode_register_answer(resp->payload, &answer); !o.ok())
      return self.finish(link, false, "heartbeat answer: " + o.message);
    if (answer.topics_known) return self.finish(link, true, "");
    // The name server lost or never had this table (restarted, or expired
    // us): send it in full.
    link.known_version = 0;
    link.next_chunk = 0;
    self.send_chunk(link);
  } catch (...) {
    self.finish(link, false, "heartbeat answer: out of memory");
  }
}

void RegistrationMode::on_chunk_answer(void* link_ptr, const ferry_response* resp) {
  auto& link = *static_cast<Link*>(link_ptr);
  RegistrationMode& self = *link.owner;
  try {
    if (self.stopping_) return self.finish(link, false, "stopping");
    const std::string where = "chunk " + std::to_string(link.next_chunk + 1) + "/" +
                              std::to_string(link.round->chunks.size());
    if (resp->status != FERRY_OK) return self.finish(link, false, where + ": " + status_text(resp));
    RegisterAnswer answer;
    if (Outcome o = decode_register_answer(resp->payload, &answer); !o.ok())
      return self.finish(link, false, where + " answer: " + o.message);
    if (++link.next_chunk < link.round->chunks.size()) return self.send_chunk(link);
    if (!answer.round_complete)
      return self.finish(link, false, "round sent but the name server did not complete it");
    link.known_version = link.round->snapshot.version;
    self.host_.add(self.m_.rounds, 1);
    self.finish(link, true, "");
  } catch (...) {
    self.finish(link, false, "chunk answer: out of memory");
  }
}

void RegistrationMode::on_unregister_answer(void* link_ptr, const ferry_response* resp) {
  auto& link = *static_cast<Link*>(link_ptr);
  {
    StopWait& w = link.owner->stop_wait_;
    std::lock_guard lk(w.m);
    if (w.outstanding > 0) --w.outstanding;
    w.cv.notify_all();
  }
  try {
    link.registered = false;
    link.owner->host_.log(resp->status == FERRY_OK ? FERRY_LOG_INFO : FERRY_LOG_WARN,
                          "unregister from " + link.address + ": " + status_text(resp));
  } catch (...) {
  }
}

void RegistrationMode::finish(Link& link, bool ok, const std::string& why) {
  const size_t topics = link.round ? link.round->snapshot.topics.size() : 0;
  link.busy = false;
  link.round.reset();
  if (stopping_) return;
  if (ok) {
    if (!link.registered || link.failing)
      host_.log(FERRY_LOG_INFO, "registered with name server " + link.address + " (" +
                                    std::to_string(topics) + " topics)");
    link.registered = true;
    link.failing = false;
  } else {
    link.registered = false;
    host_.add(m_.failures, 1);
    if (!link.failing)  // one line per outage, not one per attempt
      host_.log(FERRY_LOG_WARN, "registration with name server " + link.address +
                                    " failed: " + why + "; retrying");
    link.failing = true;
  }
  size_t registered = 0;
  for (const auto& l : links_) registered += l->registered ? 1 : 0;
  host_.set(m_.registered, static_cast<double>(registered));
  if (link.again) {
    link.again = false;
    kick(link);
  }
}

}  // namespace ferry::namesrv
