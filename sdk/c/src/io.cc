#include "io.h"

#include <ferry/codes.h>
#include <ferry/namesrv_codes.h>

#include <cstdio>
#include <cstring>
#include <algorithm>
#include <deque>

namespace ferry::sdk {

uint64_t mono_ms() {
  using namespace std::chrono;
  return static_cast<uint64_t>(duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count());
}
int64_t wall_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// ---------------------------------------------------------------- LoopTimer

struct LoopTimer::State {
  uv_timer_t timer{};
  std::function<void()> fn;
};

LoopTimer::LoopTimer(uv_loop_t* loop, std::function<void()> fn) : state_(new State) {
  state_->fn = std::move(fn);
  uv_timer_init(loop, &state_->timer);
  state_->timer.data = state_;
}

LoopTimer::~LoopTimer() {
  uv_timer_stop(&state_->timer);
  state_->fn = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(&state_->timer),
           [](uv_handle_t* h) { delete static_cast<State*>(h->data); });
}

void LoopTimer::start(uint64_t delay_ms, uint64_t repeat_ms) {
  uv_timer_start(&state_->timer, [](uv_timer_t* t) {
    auto* st = static_cast<State*>(t->data);
    if (st->fn) {
      auto fn = st->fn;  // the callback may destroy this timer
      fn();
    }
  }, delay_ms, repeat_ms);
}

void LoopTimer::stop() { uv_timer_stop(&state_->timer); }

// ---------------------------------------------------------------- TurnEnd

struct TurnEnd::State {
  uv_check_t check{};
  uv_idle_t idle{};
  std::vector<std::function<void()>> fns, running;
  int open = 2;  // handles not yet closed
};

TurnEnd::TurnEnd(uv_loop_t* loop) : state_(new State) {
  uv_check_init(loop, &state_->check);
  uv_idle_init(loop, &state_->idle);
  state_->check.data = state_;
  state_->idle.data = state_;
}

TurnEnd::~TurnEnd() {
  state_->fns.clear();
  auto closed = [](uv_handle_t* h) {
    auto* st = static_cast<State*>(h->data);
    if (--st->open == 0) delete st;
  };
  uv_close(reinterpret_cast<uv_handle_t*>(&state_->check), closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&state_->idle), closed);
}

void TurnEnd::add(std::function<void()> fn) {
  bool armed = !state_->fns.empty();
  state_->fns.push_back(std::move(fn));
  if (armed) return;
  uv_idle_start(&state_->idle, [](uv_idle_t*) {});
  uv_check_start(&state_->check, [](uv_check_t* h) {
    auto* st = static_cast<State*>(h->data);
    st->running.swap(st->fns);
    uv_check_stop(&st->check);
    uv_idle_stop(&st->idle);
    for (auto& task : st->running) task();  // may add more: armed for the next turn
    st->running.clear();
  });
}

// ---------------------------------------------------------------- Endpoint

struct Io::Waiter {
  uint32_t code;
  std::vector<uint8_t> payload;
  net::Attachment att;
  uint64_t deadline;  // the request's own end
  uint64_t give_up;   // when to stop waiting for the connection
  bool oneway;
  RespFn fn;
  uint64_t since;     // when it started waiting
};

// One address. States: connecting (requests wait, bounded), up, down (the
// connection was lost or could not be made: requests fail at once with a
// retriable status while the transport reconnects in the background).
struct Io::Endpoint {
  enum class State { kConnecting, kUp, kDown };
  std::string addr;
  std::unique_ptr<net::Client> client;
  State state = State::kConnecting;
  bool reconnects = true;  // false: the address is unusable, nothing to wait for
  std::deque<Waiter> waiting;
};

namespace {

net::Response local_error(ferry_status s, const std::string& text, std::string* keep) {
  *keep = text;
  net::Response r;
  r.status = s;
  r.message = *keep;
  return r;
}

void answer(const RespFn& fn, ferry_status s, const std::string& text) {
  if (!fn) return;
  std::string keep;
  fn(local_error(s, text, &keep));
}

bool transport_failure(ferry_status s) {
  return s == FERRY_E_NOT_CONNECTED || s == FERRY_E_CONNECTION_CLOSED || s == FERRY_E_TIMEOUT ||
         s == FERRY_E_CLOSED;
}

}  // namespace

Io::Io(Settings settings) : s_(std::move(settings)) {}

Io::~Io() { stop(); }

void Io::log(ferry_log_level level, const std::string& text) const {
  if (level < s_.log_level || s_.log_level == FERRY_LOG_OFF) return;
  if (s_.log_cb) {
    s_.log_cb(s_.log_user, level, text.c_str());
    return;
  }
  static const char* names[] = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "OFF"};
  std::fprintf(stderr, "ferry[%s] %s: %s\n", s_.client_id.c_str(), names[level], text.c_str());
}

void Io::log_policy_refused(const char* thread, int err) const {
  log(FERRY_LOG_WARN, std::string("thread_policy=batch: the OS refused SCHED_BATCH for ") + thread + " (" +
                          std::strerror(err) + "); it keeps the default policy");
}

ferry_status Io::start(std::string* why) {
  if (started_) {
    *why = "already started";
    return FERRY_E_STATE;
  }
  loop_ = std::make_unique<net::LoopThread>(s_.busy_poll_us);
  loop_tid_ = loop_->thread_id();
  started_ = true;
  loop_->run_sync([this] {
    if (int err = apply_thread_policy(s_.thread_policy); err != 0) log_policy_refused("ferry-io", err);
    sweep_timer_ = std::make_unique<LoopTimer>(loop(), [this] { sweep_waiters(); });
    sweep_timer_->start(25, 25);
    refresh_timer_ = std::make_unique<LoopTimer>(loop(), [this] { refresh_routes(); });
    refresh_timer_->start(s_.route_refresh_ms, s_.route_refresh_ms);
    heartbeat_timer_ = std::make_unique<LoopTimer>(loop(), [this] { heartbeat_all({}); });
    heartbeat_timer_->start(s_.heartbeat_interval_ms, s_.heartbeat_interval_ms);
    turn_end_ = std::make_unique<TurnEnd>(loop());
  });
  return FERRY_OK;
}

void Io::stop() {
  if (!started_ || stopped_) return;
  stopped_ = true;
  try {
    loop_->run_sync([this] {
      stopping_ = true;
      sweep_timer_.reset();
      refresh_timer_.reset();
      heartbeat_timer_.reset();
      turn_end_.reset();
      afters_.clear();
      for (auto& [addr, ep] : endpoints_) {
        auto waiting = std::move(ep->waiting);
        for (auto& w : waiting) answer(w.fn, FERRY_E_CLOSED, "client shut down");
        ep->client->close({});
      }
      broker_eps_.clear();
      endpoints_.clear();
      for (auto& [t, fns] : route_waiters_)
        for (auto& fn : fns) fn(Error{FERRY_E_CLOSED, "client shut down"}, nullptr);
      route_waiters_.clear();
    });
  } catch (...) {
  }
  loop_->stop();
}

bool Io::post(std::function<void()> fn) {
  if (!loop_ || stopped_) return false;
  return loop_->post(std::move(fn));
}

Io::Endpoint& Io::endpoint(const std::string& addr) {
  auto it = endpoints_.find(addr);
  if (it != endpoints_.end()) return *it->second;
  auto ep = std::make_unique<Endpoint>();
  ep->addr = addr;
  net::ClientOptions o;
  o.address = addr;
  o.connect_timeout_ms = s_.connect_timeout_ms;
  o.default_timeout_ms = s_.request_timeout_ms;
  o.reconnect_initial_ms = 100;
  o.reconnect_max_ms = 2000;
  o.on_event = [this, addr](uint64_t, net::ConnEvent ev, std::string_view) { on_event(addr, ev); };
  o.on_request = [this](net::Request r) {
    if (server_handler_) server_handler_(std::move(r));
    else r.respond(FERRY_E_UNKNOWN_REQUEST, "client handles no requests");
  };
  // A failed connect attempt lets parked requests fail over at once instead
  // of waiting out connect_timeout.
  o.on_connect_failed = [this, addr](ferry_status, std::string_view) { connect_failed(addr); };
  o.log = [this, addr](ferry_log_level level, std::string_view line) {
    log(level, "net " + addr + ": " + std::string(line));
  };
  ep->client = std::make_unique<net::Client>(loop(), std::move(o));
  std::string why;
  if (ep->client->start(&why) != FERRY_OK) {
    log(FERRY_LOG_WARN, "bad address '" + addr + "': " + why);
    ep->state = Endpoint::State::kDown;
    ep->reconnects = false;
  }
  auto& ref = *ep;
  endpoints_.emplace(addr, std::move(ep));
  return ref;
}

void Io::on_event(const std::string& addr, net::ConnEvent ev) {
  auto it = endpoints_.find(addr);
  if (it == endpoints_.end()) return;
  Endpoint& ep = *it->second;
  if (ev == net::ConnEvent::kClosed) {
    ep.state = Endpoint::State::kDown;
    subs_known_.erase(addr);  // the broker drops a client with its connection
    log(FERRY_LOG_INFO, "connection to " + addr + " lost");
    return;
  }
  ep.state = Endpoint::State::kUp;
  auto waiting = std::move(ep.waiting);
  uint64_t now = mono_ms();
  for (auto& w : waiting) {
    if (w.deadline <= now) {
      answer(w.fn, FERRY_E_TIMEOUT, "timed out waiting for a connection to " + addr);
      continue;
    }
    request(addr, w.code, std::move(w.payload), std::move(w.att),
            static_cast<uint32_t>(w.deadline - now), w.oneway, std::move(w.fn));
  }
}

void Io::connect_failed(const std::string& addr) {
  auto it = endpoints_.find(addr);
  if (it == endpoints_.end()) return;
  Endpoint& ep = *it->second;
  if (ep.state == Endpoint::State::kUp) return;
  ep.state = Endpoint::State::kDown;
  auto waiting = std::move(ep.waiting);
  for (auto& w : waiting) answer(w.fn, FERRY_E_NOT_CONNECTED, "cannot connect to " + addr);
}

void Io::sweep_waiters() {
  uint64_t now = mono_ms();
  for (auto& [addr, ep] : endpoints_) {
    while (!ep->waiting.empty()) {
      auto it = std::find_if(ep->waiting.begin(), ep->waiting.end(),
                             [&](const Waiter& w) { return w.give_up <= now; });
      if (it == ep->waiting.end()) break;
      Waiter w = std::move(*it);
      ep->waiting.erase(it);
      answer(w.fn, FERRY_E_NOT_CONNECTED, "no connection to " + addr + " within " +
                                              std::to_string(now - w.since) + " ms");
    }
  }
}

void Io::request(const std::string& addr, uint32_t code, std::vector<uint8_t> payload,
                 net::Attachment att, uint32_t timeout_ms, bool oneway, RespFn fn) {
  request_view(addr, code, payload, std::move(att), timeout_ms, oneway, std::move(fn));
}

void Io::request_view(const std::string& addr, uint32_t code, std::span<const uint8_t> payload,
                      net::Attachment att, uint32_t timeout_ms, bool oneway, RespFn fn, IfDown if_down) {
  if (stopping_) return answer(fn, FERRY_E_CLOSED, "client shut down");
  request_on(endpoint(addr), code, payload, std::move(att), timeout_ms, oneway, std::move(fn), if_down);
}

void Io::request_broker(uint32_t broker, uint32_t code, std::span<const uint8_t> payload, net::Attachment att,
                        uint32_t timeout_ms, bool oneway, RespFn fn, IfDown if_down) {
  if (stopping_) return answer(fn, FERRY_E_CLOSED, "client shut down");
  if (broker >= broker_eps_.size()) broker_eps_.resize(brokers_.size(), nullptr);
  Endpoint*& ep = broker_eps_[broker];
  if (!ep) ep = &endpoint(brokers_[broker].addr);
  request_on(*ep, code, payload, std::move(att), timeout_ms, oneway, std::move(fn), if_down);
}

void Io::request_on(Endpoint& ep, uint32_t code, std::span<const uint8_t> payload, net::Attachment&& att,
                    uint32_t timeout_ms, bool oneway, RespFn&& fn, IfDown if_down) {
  if (timeout_ms == 0) timeout_ms = s_.request_timeout_ms;
  auto park = [&](uint64_t give_up_after_ms) {
    uint64_t now = mono_ms();
    ep.waiting.push_back(Waiter{code, std::vector<uint8_t>(payload.begin(), payload.end()), std::move(att),
                                now + timeout_ms, now + give_up_after_ms, oneway, std::move(fn), now});
  };
  if (ep.state == Endpoint::State::kConnecting || (ep.state == Endpoint::State::kUp && !ep.client->connected())) {
    ep.state = Endpoint::State::kConnecting;
    return park(std::min(timeout_ms, s_.connect_timeout_ms));
  }
  if (ep.state == Endpoint::State::kDown && !ep.client->connected()) {
    // Down stays down for the others (they fail over at once); this one
    // waits for the reconnect, a failed connect attempt or its timeout.
    if (if_down == IfDown::kWait && ep.reconnects) return park(timeout_ms);
    return answer(fn, FERRY_E_NOT_CONNECTED, "not connected to " + ep.addr + " (reconnecting)");
  }
  ep.state = Endpoint::State::kUp;
  // The transport copies the payload into its write batch before returning.
  // fn is copied, not moved: the transport may refuse the request at once
  // (never calling what it got) even while connected() — a connection that
  // is closing (SdkProducer.FailsOverBetweenNameServersAndKeepsCachedRoutes
  // under ASan lost a send to a moved-in callback).
  RespFn keep = oneway ? RespFn() : fn;
  ferry_status s = ep.client->request(code, payload, std::move(att), timeout_ms, oneway, std::move(keep));
  if (s != FERRY_OK) return answer(fn, s, std::string(ferry_status_str(s)) + " (" + ep.addr + ")");
  if (oneway && fn) answer(fn, FERRY_OK, "");
}

// ---------------------------------------------------------------- name servers

struct NsCall {
  uint32_t code;
  std::vector<uint8_t> payload;
  RespFn fn;
  size_t tried = 0;
  std::string errors;
};

void Io::ns_request(uint32_t code, std::vector<uint8_t> payload, RespFn fn) {
  auto call = std::make_shared<NsCall>();
  call->code = code;
  call->payload = std::move(payload);
  call->fn = std::move(fn);
  ns_try(call);
}

void Io::ns_try(std::shared_ptr<NsCall> call) {
  if (s_.name_servers.empty())
    return answer(call->fn, FERRY_E_NO_NAME_SERVER, "no name server configured");
  if (call->tried >= s_.name_servers.size())
    return answer(call->fn, FERRY_E_NO_NAME_SERVER, "no name server answered:" + call->errors);
  size_t idx = ns_index_ % s_.name_servers.size();
  std::string addr = s_.name_servers[idx];
  ++call->tried;
  request(addr, call->code, call->payload, {}, s_.request_timeout_ms, false,
          [this, call, addr, idx](const net::Response& r) {
            if (!transport_failure(r.status)) return call->fn(r);
            call->errors += " " + addr + ": " + std::string(r.message.empty() ? ferry_status_str(r.status) : r.message) + ";";
            if (ns_index_ % s_.name_servers.size() == idx) ns_index_ = idx + 1;  // fail over
            log(FERRY_LOG_INFO, "name server " + addr + " failed (" + ferry_status_name(r.status) + "), trying the next");
            ns_try(call);
          });
}

// ---------------------------------------------------------------- routes

std::shared_ptr<const Route> Io::cached_route(const std::string& topic) const {
  auto it = routes_.find(topic);
  return it == routes_.end() ? nullptr : it->second.full;
}

std::shared_ptr<const Route> Io::shared_route(const std::string& topic) const {
  std::lock_guard lock(routes_mu_);
  return cached_route(topic);
}

void Io::route(const std::string& topic, bool refresh, RouteFn fn) {
  if (stopping_) return fn(Error{FERRY_E_CLOSED, "client shut down"}, nullptr);
  if (!refresh) {
    if (auto r = cached_route(topic)) return fn(Error{}, r);
  }
  auto& waiters = route_waiters_[topic];
  waiters.push_back(std::move(fn));
  if (waiters.size() != 1) return;  // a fetch is under way
  if (refresh || !turn_end_) return fetch_route(topic);
  // First use: the topics first asked for in this loop turn are fetched
  // together at its end (a new producer over 10,000 topics sends ~40
  // GET_ROUTES, not 10,000 GET_ROUTE).
  first_fetch_.push_back(topic);
  if (first_fetch_.size() == 1) at_turn_end([this] { fetch_first_routes(); });
}

void Io::fetch_first_routes() {
  std::vector<std::string> topics;
  topics.swap(first_fetch_);
  if (topics.size() == 1 || !route_batch_mode_.batches_now()) {
    for (const std::string& t : topics) fetch_route(t);
    return;
  }
  for (auto& batch : route_batches(topics)) first_batch(std::move(batch));
}

void Io::first_batch(std::vector<std::string> topics) {
  auto payload = encode_get_routes(topics);
  ns_request(FERRY_NAMESRV_GET_ROUTES, std::move(payload), [this, topics = std::move(topics)](const net::Response& r) {
    if (stopping_) return;  // stop() answered every waiter
    Decoded<fbn::TopicRoutes> d;
    if (r.status == FERRY_OK) d = read_ns<fbn::TopicRoutes>(r.payload);
    if (r.status == FERRY_E_UNKNOWN_REQUEST) route_batch_mode_.unsupported();
    if (r.status == FERRY_E_UNKNOWN_REQUEST || (r.status == FERRY_OK && (!d || d->answered() == 0 ||
                                                                          d->answered() > topics.size()))) {
      for (const std::string& t : topics) fetch_route(t);  // per topic, as before batches
      return;
    }
    if (r.status != FERRY_OK) {  // every name server failed: each waiter gets it
      for (const std::string& t : topics)
        answer_route_waiters(t, {r.status, "route lookup for '" + t + "' failed: " + std::string(r.message)}, nullptr);
      return;
    }
    const size_t answered = d->answered();
    std::set<std::string> done;
    if (d->routes())
      for (const auto* t : *d->routes())
        if (t && t->topic()) {
          auto route = adopt_route(*t);
          answer_route_waiters(route->topic, {}, route);
          done.insert(route->topic);
        }
    if (d->not_found())
      for (const auto* n : *d->not_found())
        if (n && done.insert(n->str()).second)
          answer_route_waiters(n->str(), {FERRY_E_NO_ROUTE, "no route for topic '" + n->str() +
                                                                "': the name servers do not know it"}, nullptr);
    for (size_t i = 0; i < answered; ++i)  // covered but named nowhere: ask alone
      if (!done.count(topics[i])) fetch_route(topics[i]);
    if (answered < topics.size()) first_batch(std::vector<std::string>(topics.begin() + answered, topics.end()));
  });
}

void Io::fetch_route(const std::string& topic) {
  ns_request(FERRY_NAMESRV_GET_ROUTE, encode_get_route(topic), [this, topic](const net::Response& r) {
    Error err;
    std::shared_ptr<const Route> route;
    if (r.status == FERRY_OK) {
      auto d = read_ns<fbn::TopicRoute>(r.payload);
      if (!d) {
        err = {FERRY_E_BAD_FRAME, "name server sent an unreadable TopicRoute for '" + topic + "'"};
      } else {
        route = adopt_route(*d.root);
      }
    } else if (r.status == FERRY_E_TOPIC_NOT_FOUND) {
      err = {FERRY_E_NO_ROUTE, "no route for topic '" + topic + "': the name servers do not know it"};
    } else {
      err = {r.status, "route lookup for '" + topic + "' failed: " + std::string(r.message)};
    }
    answer_route_waiters(topic, std::move(err), std::move(route));
  });
}

void Io::answer_route_waiters(const std::string& topic, Error err, std::shared_ptr<const Route> route) {
  if (!err.ok()) {
    if (auto cached = cached_route(topic)) {
      log(FERRY_LOG_INFO, err.message + "; keeping the cached route");
      route = cached;
      err = {};
    } else {
      log(FERRY_LOG_INFO, err.message);
    }
  }
  auto it = route_waiters_.find(topic);
  if (it == route_waiters_.end()) return;
  auto fns = std::move(it->second);
  route_waiters_.erase(it);
  for (auto& fn : fns) fn(err, route);
}

std::shared_ptr<const Route> Io::adopt_route(const fbn::TopicRoute& r) {
  auto parsed = std::make_shared<Route>(parse_route(r));
  SendRoute send(*parsed, brokers_);
  {
    // The send view is read on the loop only, but is written under the
    // lock with the rest: an insert reshapes the map other threads search.
    std::lock_guard lock(routes_mu_);
    auto [it, fresh] = routes_.try_emplace(parsed->topic);
    auto& entry = it->second;
    if (fresh) {
      entry.send = send_arena_.make();
      send_index_.insert(&it->first, entry.send);
    }
    *entry.send = std::move(send);
    entry.full = parsed;
  }
  for (const auto& [name, addr] : parsed->masters)
    if (!heartbeated_.count(addr)) heartbeat_one(addr, {});
  return parsed;
}

void Io::refresh_routes() {
  std::vector<std::string> topics;
  topics.reserve(routes_.size());
  for (const auto& [topic, r] : routes_) topics.push_back(topic);
  if (topics.empty()) return;
  if (!route_batch_mode_.use_batches()) {
    for (const std::string& t : topics) fetch_route(t);
    return;
  }
  for (auto& batch : route_batches(topics)) refresh_batch(std::move(batch));
}

// A failed batch keeps the cached routes (as a failed per-topic fetch does);
// a topic the name servers no longer know keeps its cached route too, until
// a send fails and asks for it alone.
void Io::refresh_batch(std::vector<std::string> topics) {
  auto payload = encode_get_routes(topics);
  ns_request(FERRY_NAMESRV_GET_ROUTES, std::move(payload), [this, topics = std::move(topics)](const net::Response& r) {
    if (stopping_) return;
    if (r.status == FERRY_E_UNKNOWN_REQUEST) {
      log(FERRY_LOG_INFO, "name server has no GET_ROUTES; refreshing routes per topic");
      route_batch_mode_.unsupported();
      for (const std::string& t : topics) fetch_route(t);
      return;
    }
    if (r.status != FERRY_OK) {
      log(FERRY_LOG_INFO, "route refresh of " + std::to_string(topics.size()) +
                              " topics failed: " + std::string(r.message) + "; keeping the cached routes");
      return;
    }
    auto d = read_ns<fbn::TopicRoutes>(r.payload);
    if (!d || d->answered() == 0 || d->answered() > topics.size()) {
      log(FERRY_LOG_INFO, "name server sent an unreadable TopicRoutes; keeping the cached routes");
      return;
    }
    if (d->routes())
      for (const auto* t : *d->routes())
        if (t && t->topic()) adopt_route(*t);
    if (d->not_found() && d->not_found()->size() > 0)
      log(FERRY_LOG_INFO, std::to_string(d->not_found()->size()) +
                              " topic(s) have no route at the name server; keeping their cached routes");
    if (d->answered() < topics.size())
      refresh_batch(std::vector<std::string>(topics.begin() + d->answered(), topics.end()));
  });
}

std::set<std::string> Io::broker_addresses() const {
  std::set<std::string> out;
  for (const auto& [t, r] : routes_)
    for (const auto& [name, addr] : r.full->masters) out.insert(addr);
  return out;
}

// ---------------------------------------------------------------- heartbeats

void Io::heartbeat_one(const std::string& addr, std::function<void(ferry_status)> done) {
  heartbeated_.insert(addr);
  uint64_t fp = subs_fingerprint_ ? subs_fingerprint_() : 0;
  auto known = subs_known_.find(addr);
  bool full = !subs_fingerprint_ || known == subs_known_.end() || known->second != fp;
  std::vector<uint8_t> payload;
  if (heartbeat_source_) payload = heartbeat_source_(full);
  if (payload.empty()) {
    if (done) done(FERRY_OK);
    return;
  }
  // Taken as known once sent: a heartbeat right behind it on the same
  // connection is read after it. A failure or a resend request undoes it.
  if (full && subs_fingerprint_) subs_known_[addr] = fp;
  request(addr, FERRY_CODE_HEARTBEAT, std::move(payload), {}, s_.request_timeout_ms, false,
          [this, addr, done, full](const net::Response& r) {
            if (r.status != FERRY_OK) {
              subs_known_.erase(addr);  // unknown what it kept: send them next time
              log(FERRY_LOG_INFO, "heartbeat to " + addr + " failed: " + std::string(r.message));
              if (done) done(r.status);
              return;
            }
            auto d = read_core<fbc::HeartbeatResponse>(r.payload);
            bool resend = d && d->resend_subscriptions() && d->resend_subscriptions()->size() > 0;
            if (resend) {
              subs_known_.erase(addr);
              // It lost them (restart, group emptied): send them at once.
              if (!full && !stopping_) return heartbeat_one(addr, done);
            }
            if (done) done(FERRY_OK);
          });
}

void Io::heartbeat_all(std::function<void()> done) {
  auto addrs = broker_addresses();
  if (addrs.empty()) {
    if (done) done();
    return;
  }
  auto left = std::make_shared<size_t>(addrs.size());
  for (const auto& a : addrs)
    heartbeat_one(a, [left, done](ferry_status) {
      if (--*left == 0 && done) done();
    });
}

void Io::prepare(const std::vector<std::string>& topics, PrepareFn done) {
  struct State {
    size_t routes_left = 0, greets_left = 0;
    Error first;
    std::set<std::string> masters;
    std::vector<std::string> reached;
    PrepareFn done;
  };
  auto st = std::make_shared<State>();
  st->routes_left = topics.size();
  st->done = std::move(done);
  if (topics.empty()) return st->done(Error{}, {});
  // Every route known: greet each master once (its connection comes up
  // with the heartbeat's round trip).
  auto greet_all = [this, st] {
    if (st->masters.empty()) return st->done(st->first, {});
    st->greets_left = st->masters.size();
    for (const std::string& addr : st->masters)
      heartbeat_one(addr, [st, addr](ferry_status s) {
        if (s == FERRY_OK) {
          st->reached.push_back(addr);
        } else if (st->first.ok()) {
          st->first = Error{s, "cannot reach broker " + addr + ": " + ferry_status_str(s)};
        }
        if (--st->greets_left == 0) st->done(st->first, std::move(st->reached));
      });
  };
  // Asked in one loop turn: first uses go out as GET_ROUTES batches.
  for (const std::string& t : topics)
    route(t, false, [st, greet_all](const Error& e, std::shared_ptr<const Route> r) {
      if (!e.ok()) {
        if (st->first.ok()) st->first = e;
      } else if (r) {
        for (const auto& [name, addr] : r->masters) st->masters.insert(addr);
      }
      if (--st->routes_left == 0) greet_all();
    });
}

void Io::at_turn_end(std::function<void()> fn) {
  if (stopping_ || !turn_end_) return;
  turn_end_->add(std::move(fn));
}

void Io::after(uint64_t ms, std::function<void()> fn) {
  if (stopping_) return;
  uint64_t id = next_after_++;
  auto t = std::make_unique<LoopTimer>(loop(), [this, id, fn = std::move(fn)] {
    auto keep = std::move(afters_[id]);
    afters_.erase(id);
    fn();
    // keep (the timer) is destroyed here, after its callback returned.
  });
  t->start(ms, 0);
  afters_[id] = std::move(t);
}

}  // namespace ferry::sdk
