#include "registry_mode.h"

#include <algorithm>
#include <new>
#include <string>

#include "ferry/namesrv_codes.h"

namespace ferry::namesrv {

namespace {

constexpr uint32_t kCodes[] = {FERRY_NAMESRV_REGISTER_BROKER,  FERRY_NAMESRV_UNREGISTER_BROKER,
                               FERRY_NAMESRV_BROKER_HEARTBEAT, FERRY_NAMESRV_GET_ROUTE,
                               FERRY_NAMESRV_GET_CLUSTER_INFO, FERRY_NAMESRV_LIST_TOPICS,
                               FERRY_NAMESRV_GET_ROUTES};
constexpr uint32_t kDefaultPage = 1000;
constexpr uint32_t kMaxPage = 100000;

std::string who(const BrokerIdentity& b) {
  return b.cluster + "/" + b.broker_name + "#" + std::to_string(b.broker_id) + " at " + b.address;
}

}  // namespace

RegistryMode::RegistryMode(HostRef host, RegistryConfig config)
    : host_(host), config_(config) {}

RegistryMode::~RegistryMode() {
  if (scan_timer_) host_.api->timer_stop(host_.host, scan_timer_);
}

int64_t RegistryMode::scan_interval_ms(int64_t broker_expiry_ms) {
  return std::clamp<int64_t>(broker_expiry_ms / 10, 10, 5000);
}

Outcome RegistryMode::start() {
  for (uint32_t code : kCodes) {
    ferry_status s = host_.api->handler_register(host_.host, code, &RegistryMode::on_request, this);
    if (s != FERRY_OK)
      return Outcome::fail(s, "cannot register handler for request code " + std::to_string(code) +
                                  ": " + ferry_status_str(s));
  }
  m_.brokers = host_.metric("ferry_namesrv_brokers", "broker members registered", FERRY_METRIC_GAUGE);
  m_.topics = host_.metric("ferry_namesrv_topics", "topics with a route", FERRY_METRIC_GAUGE);
  m_.chunks = host_.metric("ferry_namesrv_register_chunks_total", "registration chunks applied",
                           FERRY_METRIC_COUNTER);
  m_.rounds = host_.metric("ferry_namesrv_rounds_completed_total", "registration rounds completed",
                           FERRY_METRIC_COUNTER);
  m_.stale_chunks = host_.metric("ferry_namesrv_stale_chunks_total",
                                 "late chunks from an older connection, ignored", FERRY_METRIC_COUNTER);
  m_.heartbeats = host_.metric("ferry_namesrv_broker_heartbeats_total", "broker heartbeats received",
                               FERRY_METRIC_COUNTER);
  m_.routes = host_.metric("ferry_namesrv_route_requests_total", "route lookups answered",
                           FERRY_METRIC_COUNTER);
  m_.route_batches = host_.metric("ferry_namesrv_route_batch_requests_total",
                                  "many-topic route requests (GET_ROUTES) answered", FERRY_METRIC_COUNTER);
  m_.route_batch_topics = host_.metric("ferry_namesrv_route_batch_topics_total",
                                       "topics answered by many-topic route requests", FERRY_METRIC_COUNTER);
  m_.expired = host_.metric("ferry_namesrv_brokers_expired_total", "brokers removed for silence",
                            FERRY_METRIC_COUNTER);
  const int64_t scan = scan_interval_ms(config_.broker_expiry_ms);
  ferry_status s =
      host_.api->timer_start(host_.host, static_cast<uint64_t>(scan), static_cast<uint64_t>(scan),
                             &RegistryMode::on_scan, this, &scan_timer_);
  if (s != FERRY_OK)
    return Outcome::fail(s, std::string("cannot start the expiry timer: ") + ferry_status_str(s));
  serving_ = true;
  host_.log(FERRY_LOG_INFO, "name server registry serving; broker_expiry " +
                                std::to_string(config_.broker_expiry_ms) + " ms, checked every " +
                                std::to_string(scan) + " ms");
  return {};
}

void RegistryMode::stop() {
  serving_ = false;
  if (scan_timer_) {
    host_.api->timer_stop(host_.host, scan_timer_);
    scan_timer_ = nullptr;
  }
}

void RegistryMode::info(ferry_routing_info* out) const {
  out->mode = FERRY_ROUTING_REGISTRY;
  out->brokers_known = static_cast<uint32_t>(table_.broker_count());
  out->topics_known = static_cast<uint32_t>(table_.topic_count());
}

void RegistryMode::on_request(void* self_ptr, ferry_request* req) {
  auto* self = static_cast<RegistryMode*>(self_ptr);
  const ferry_host_api* api = self->host_.api;
  Reply reply;
  // The catch-all keeps a throwing handler from crossing into the kernel;
  // the request is answered exactly once, after it.
  try {
    reply = self->dispatch(api->request_code(req), api->request_payload(req),
                           api->request_peer(req),
                           api->request_conn_id ? api->request_conn_id(req) : 0);
  } catch (const std::bad_alloc&) {
    reply = Reply{Outcome::fail(FERRY_E_NO_MEMORY, "name server out of memory"), Buffer()};
  } catch (const std::exception& e) {
    reply = Reply{Outcome::fail(FERRY_E_INTERNAL, std::string("name server: ") + e.what()),
                  Buffer()};
  } catch (...) {
    reply = Reply{Outcome::fail(FERRY_E_INTERNAL, "name server: unknown exception"), Buffer()};
  }
  api->respond(req, reply.outcome.status, reply.outcome.message.c_str(), as_slice(reply.payload),
               ferry_slice{nullptr, 0});
}

void RegistryMode::on_scan(void* self) {
  try {
    static_cast<RegistryMode*>(self)->scan();
  } catch (...) {
    // Nothing to answer; the next scan retries.
  }
}

RegistryMode::Reply RegistryMode::dispatch(uint32_t code, ferry_slice payload, const char* peer,
                                           uint64_t conn_id) {
  if (!serving_) return Reply{Outcome::fail(FERRY_E_SHUTTING_DOWN, "name server stopping"), {}};
  switch (code) {
    case FERRY_NAMESRV_REGISTER_BROKER: return do_register(payload, peer, conn_id);
    case FERRY_NAMESRV_UNREGISTER_BROKER: return do_unregister(payload, peer);
    case FERRY_NAMESRV_BROKER_HEARTBEAT: host_.add(m_.heartbeats, 1); return do_heartbeat(payload);
    case FERRY_NAMESRV_GET_ROUTE: host_.add(m_.routes, 1); return do_route(payload);
    case FERRY_NAMESRV_GET_CLUSTER_INFO: return do_clusters(payload);
    case FERRY_NAMESRV_LIST_TOPICS: return do_list(payload);
    case FERRY_NAMESRV_GET_ROUTES: host_.add(m_.route_batches, 1); return do_routes(payload);
    default:
      return Reply{Outcome::fail(FERRY_E_UNKNOWN_REQUEST,
                                 "name server has no request code " + std::to_string(code)),
                   {}};
  }
}

RegistryMode::Reply RegistryMode::do_register(ferry_slice payload, const char* peer,
                                              uint64_t conn_id) {
  RegisterChunk chunk;
  if (Outcome o = decode_register(payload, &chunk); !o.ok()) return Reply{o, {}};
  chunk.conn_id = conn_id;
  const bool known = table_.has_member(chunk.broker.broker_name, chunk.broker.broker_id);
  RegisterAnswer answer;
  Outcome o = table_.register_chunk(chunk, host_.monotonic_ms(), &answer);
  if (!o.ok()) {
    host_.log(FERRY_LOG_WARN, "refused registration chunk from " + std::string(peer ? peer : "?") +
                                  ": " + o.message);
    return Reply{o, {}};
  }
  host_.add(answer.stale ? m_.stale_chunks : m_.chunks, 1);
  if (answer.round_complete && !answer.stale) host_.add(m_.rounds, 1);
  update_gauges();
  if (answer.stale)
    host_.log(FERRY_LOG_INFO, "ignored a late chunk of round " + std::to_string(chunk.round_id) +
                                  " from " + who(chunk.broker) + " on an older connection");
  if (!known)
    host_.log(FERRY_LOG_INFO, "broker " + who(chunk.broker) + " registered (from " +
                                  std::string(peer ? peer : "?") + ")");
  if (answer.round_complete && host_.log_enabled(FERRY_LOG_DEBUG))
    host_.log(FERRY_LOG_DEBUG, "broker " + who(chunk.broker) + " completed round " +
                                   std::to_string(chunk.round_id) + " of " +
                                   std::to_string(chunk.chunk_count) + " chunk(s)");
  return Reply{{}, encode_register_answer(answer)};
}

RegistryMode::Reply RegistryMode::do_heartbeat(ferry_slice payload) {
  BrokerIdentity broker;
  uint64_t version = 0;
  if (Outcome o = decode_heartbeat(payload, &broker, &version); !o.ok()) return Reply{o, {}};
  RegisterAnswer answer;
  if (Outcome o = table_.heartbeat(broker, version, host_.monotonic_ms(), &answer); !o.ok())
    return Reply{o, {}};
  return Reply{{}, encode_register_answer(answer)};
}

RegistryMode::Reply RegistryMode::do_unregister(ferry_slice payload, const char* peer) {
  UnregisterRequest req;
  if (Outcome o = decode_unregister(payload, &req); !o.ok()) return Reply{o, {}};
  Outcome o = table_.unregister(req.broker_name, req.broker_id, req.address);
  if (o.ok())
    host_.log(FERRY_LOG_INFO, "broker " + req.broker_name + "#" + std::to_string(req.broker_id) +
                                  " at " + req.address + " unregistered (from " +
                                  std::string(peer ? peer : "?") + ")");
  return Reply{o, {}};
}

RegistryMode::Reply RegistryMode::do_route(ferry_slice payload) {
  std::string topic;
  if (Outcome o = decode_get_route(payload, &topic); !o.ok()) return Reply{o, {}};
  std::optional<TopicRoute> route = table_.route(topic);
  if (!route)
    return Reply{Outcome::fail(FERRY_E_TOPIC_NOT_FOUND, "no route for topic '" + topic + "'"), {}};
  for (GroupView& g : route->groups)
    for (MemberView& m : g.members) m.last_heartbeat_ms = to_wall(m.last_heartbeat_ms);
  return Reply{{}, encode_route(*route)};
}

// The topics in request order until the answer nears half the frame limit
// (at least one topic, so the client always makes progress); `answered`
// tells the client where to ask again.
RegistryMode::Reply RegistryMode::do_routes(ferry_slice payload) {
  std::vector<std::string> topics;
  if (Outcome o = decode_get_routes(payload, &topics); !o.ok()) return Reply{o, {}};
  RoutesWriter w;
  const size_t budget = config_.max_frame_bytes / 2;
  uint32_t answered = 0;
  for (const std::string& topic : topics) {
    if (answered > 0 && w.size() >= budget) break;
    if (std::optional<TopicRoute> route = table_.route(topic)) {
      for (GroupView& g : route->groups)
        for (MemberView& m : g.members) m.last_heartbeat_ms = to_wall(m.last_heartbeat_ms);
      w.add(*route);
    } else {
      w.not_found(topic);
    }
    ++answered;
  }
  host_.add(m_.route_batch_topics, answered);
  return Reply{{}, w.finish(answered)};
}

RegistryMode::Reply RegistryMode::do_clusters(ferry_slice payload) {
  std::string cluster;
  if (Outcome o = decode_get_cluster_info(payload, &cluster); !o.ok()) return Reply{o, {}};
  std::vector<ClusterView> clusters = table_.clusters(cluster);
  for (ClusterView& c : clusters)
    for (GroupView& g : c.groups)
      for (MemberView& m : g.members) m.last_heartbeat_ms = to_wall(m.last_heartbeat_ms);
  return Reply{{}, encode_clusters(clusters)};
}

RegistryMode::Reply RegistryMode::do_list(ferry_slice payload) {
  ListTopicsRequest req;
  if (Outcome o = decode_list_topics(payload, &req); !o.ok()) return Reply{o, {}};
  const uint32_t count = req.max_count == 0 ? kDefaultPage : std::min(req.max_count, kMaxPage);
  // Half the frame for names keeps the page well under the limit.
  TopicPage page = table_.list_topics(req.start_after, count, config_.max_frame_bytes / 2);
  return Reply{{}, encode_topic_page(page)};
}

void RegistryMode::scan() {
  for (const BrokerIdentity& b : table_.expire(host_.monotonic_ms(), config_.broker_expiry_ms)) {
    host_.add(m_.expired, 1);
    host_.log(FERRY_LOG_WARN, "broker " + who(b) + " expired: silent for more than " +
                                  std::to_string(config_.broker_expiry_ms) +
                                  " ms; its routes are removed");
  }
  update_gauges();
}

void RegistryMode::update_gauges() {
  host_.set(m_.brokers, static_cast<double>(table_.broker_count()));
  host_.set(m_.topics, static_cast<double>(table_.topic_count()));
}

int64_t RegistryMode::to_wall(int64_t mono_ms) const {
  return host_.wall_ms() - (host_.monotonic_ms() - mono_ms);
}

}  // namespace ferry::namesrv
