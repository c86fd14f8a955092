#include "loopback_host.h"

#include <algorithm>
#include <cstring>
#include <list>
#include <stdexcept>

// The ABI's opaque handles, completed for this test host only (this file is
// not linked with tests/support's fake host).
struct ferry_host {
  ferry::namesrv::test::LoopbackWorld::Impl* world = nullptr;
  std::string name;
  std::string address;
  std::vector<ferry::namesrv::TopicConfig>* topics = nullptr;
  uint32_t max_frame_bytes = 0;
  std::map<uint32_t, std::pair<ferry_request_fn, void*>> handlers;
  bool removed = false;
};

struct ferry_timer {
  ferry_host* owner = nullptr;
  int64_t due = 0;
  uint64_t repeat = 0;
  ferry_timer_fn fn = nullptr;
  void* user_data = nullptr;
};

struct ferry_conn {
  ferry_host* owner = nullptr;
  std::string address;
  ferry_conn_event_fn on_event = nullptr;
  void* user_data = nullptr;
  bool connected = false;
  uint64_t id = 0;
  // Requests sent and not yet answered: id -> (callback, user data).
  std::map<uint64_t, std::pair<ferry_response_fn, void*>> pending;
};

struct ferry_request {
  ferry_host* server = nullptr;
  uint32_t code = 0;
  std::vector<uint8_t> payload;
  std::string peer;
  bool oneway = false;
  // Where the answer goes: a connection's pending entry, or a sync call.
  ferry_conn* conn = nullptr;
  uint64_t request_id = 0;
  ferry::namesrv::test::Answer* sync_answer = nullptr;
};

namespace ferry::namesrv::test {

struct LoopbackWorld::Impl {
  LoopbackWorld* owner = nullptr;
  ferry_host_api api{};
  std::list<std::unique_ptr<ferry_host>> hosts;
  std::list<std::unique_ptr<ferry_timer>> timers;
  std::list<std::unique_ptr<ferry_conn>> conns;
  std::deque<std::function<void()>> tasks;
  // queue_work items: run when no task is left, as if a worker finished
  // them while the loop delivered everything else.
  std::deque<std::function<void()>> idle_tasks;
  std::map<std::string, bool> up;  // address -> serving
  std::map<uint32_t, size_t> request_counts;
  std::vector<std::string> logs;
  uint64_t next_id = 1;

  void note_payload(size_t n) { owner->max_payload_ = std::max(owner->max_payload_, n); }

  ferry_conn* conn_by_id(uint64_t id) {
    for (auto& c : conns)
      if (c->id == id) return c.get();
    return nullptr;
  }

  ferry_host* server_at(const std::string& address) {
    if (!up.count(address) || !up[address]) return nullptr;
    for (auto& h : hosts)
      if (!h->removed && h->address == address) return h.get();
    return nullptr;
  }

  void deliver(ferry_request* req) {
    auto it = req->server->handlers.find(req->code);
    if (it == req->server->handlers.end()) {
      api.respond(req, FERRY_E_UNKNOWN_REQUEST, "no handler", ferry_slice{nullptr, 0},
                  ferry_slice{nullptr, 0});
      return;
    }
    it->second.first(it->second.second, req);
  }

  void close_conn(ferry_conn* c, bool notify) {
    if (!c->connected) return;
    c->connected = false;
    auto pending = std::move(c->pending);
    c->pending.clear();
    for (auto& [id, cb] : pending) {
      ferry_response r = FERRY_STRUCT_INIT(ferry_response);
      r.status = FERRY_E_CONNECTION_CLOSED;
      cb.first(cb.second, &r);
    }
    if (notify && c->on_event) {
      ferry_conn_event_fn fn = c->on_event;
      void* ud = c->user_data;
      uint64_t id = c->id;
      tasks.push_back([fn, ud, id] { fn(ud, id, FERRY_CONN_CLOSED); });
    }
  }

  void connect_later(ferry_conn* c) {
    const uint64_t id = c->id;
    tasks.push_back([this, id] {
      ferry_conn* conn = conn_by_id(id);
      if (!conn || conn->connected || !server_at(conn->address)) return;
      conn->connected = true;
      if (conn->on_event) conn->on_event(conn->user_data, conn->id, FERRY_CONN_CONNECTED);
    });
  }
};

namespace {

LoopbackWorld::Impl* W(ferry_host* h) { return h->world; }

ferry_status h_set_error(ferry_error*, ferry_status s, const char*) { return s; }
void h_log(ferry_host* h, ferry_log_level, const char* m) {
  W(h)->logs.push_back("[" + h->name + "] " + m);
}
ferry_bool h_log_enabled(ferry_host*, ferry_log_level) { return 1; }
int64_t h_now_ms(ferry_host* h) { return W(h)->owner->now_ms() + 1'700'000'000'000; }
uint64_t h_monotonic_ns(ferry_host* h) {
  return static_cast<uint64_t>(W(h)->owner->now_ms()) * 1000000u;
}
ferry_status h_timer_start(ferry_host* h, uint64_t delay, uint64_t repeat, ferry_timer_fn fn,
                           void* ud, ferry_timer** out) {
  auto t = std::make_unique<ferry_timer>();
  *t = ferry_timer{h, W(h)->owner->now_ms() + static_cast<int64_t>(delay), repeat, fn, ud};
  *out = t.get();
  W(h)->timers.push_back(std::move(t));
  return FERRY_OK;
}
void h_timer_stop(ferry_host* h, ferry_timer* t) {
  W(h)->timers.remove_if([t](const auto& x) { return x.get() == t; });
}
ferry_status h_kernel_info(ferry_host* h, ferry_kernel_info* out) {
  static const char* kCluster = "LoopCluster";
  ferry_kernel_info k = FERRY_STRUCT_INIT(ferry_kernel_info);
  k.instance_name = h->name.c_str();
  k.data_dir = "/nonexistent";
  k.listen_address = h->address.c_str();
  k.advertised_address = h->address.c_str();
  k.cluster_name = kCluster;
  k.broker_name = h->name.c_str();
  k.max_frame_bytes = h->max_frame_bytes;
  *out = k;
  return FERRY_OK;
}
ferry_status h_handler_register(ferry_host* h, uint32_t code, ferry_request_fn fn, void* ud) {
  if (code < FERRY_PLUGIN_CODE_MIN) return FERRY_E_ALREADY_EXISTS;
  if (h->handlers.count(code)) return FERRY_E_ALREADY_EXISTS;
  h->handlers[code] = {fn, ud};
  return FERRY_OK;
}
ferry_slice h_request_payload(ferry_request* r) { return ferry_slice{r->payload.data(), r->payload.size()}; }
ferry_slice h_request_attachment(ferry_request*) { return ferry_slice{nullptr, 0}; }
uint32_t h_request_code(ferry_request* r) { return r->code; }
uint64_t h_request_conn_id(ferry_request* r) { return r->conn ? r->conn->id : 0; }
const char* h_request_peer(ferry_request* r) { return r->peer.c_str(); }
ferry_bool h_request_is_oneway(ferry_request* r) { return r->oneway ? 1 : 0; }
void h_respond(ferry_request* req, ferry_status s, const char* msg, ferry_slice payload,
               ferry_slice) {
  std::unique_ptr<ferry_request> owned(req);
  Answer a{s, msg ? msg : "",
           std::vector<uint8_t>(static_cast<const uint8_t*>(payload.data),
                                static_cast<const uint8_t*>(payload.data) + payload.len)};
  if (req->sync_answer) {
    *req->sync_answer = std::move(a);
    return;
  }
  if (req->oneway || !req->conn) return;
  LoopbackWorld::Impl* w = W(req->server);
  const uint64_t conn_id = req->conn->id;
  const uint64_t id = req->request_id;
  w->tasks.push_back([w, conn_id, id, a = std::move(a)] {
    ferry_conn* c = w->conn_by_id(conn_id);
    if (!c) return;  // closed and freed meanwhile
    auto it = c->pending.find(id);
    if (it == c->pending.end()) return;  // closed meanwhile
    auto cb = it->second;
    c->pending.erase(it);
    ferry_response r = FERRY_STRUCT_INIT(ferry_response);
    r.status = a.status;
    r.message = ferry_slice{a.message.data(), a.message.size()};
    r.payload = ferry_slice{a.payload.data(), a.payload.size()};
    cb.first(cb.second, &r);
  });
}
ferry_status h_conn_open(ferry_host* h, const char* address, ferry_conn_event_fn fn, void* ud,
                         ferry_conn** out) {
  auto c = std::make_unique<ferry_conn>();
  c->owner = h;
  c->address = address;
  c->on_event = fn;
  c->user_data = ud;
  c->id = W(h)->next_id++;
  *out = c.get();
  W(h)->connect_later(c.get());
  W(h)->conns.push_back(std::move(c));
  return FERRY_OK;
}
ferry_status h_conn_request(ferry_host* h, ferry_conn* c, uint32_t code, ferry_slice payload,
                            ferry_slice, uint32_t, ferry_bool oneway, ferry_response_fn fn,
                            void* ud) {
  LoopbackWorld::Impl* w = W(h);
  if (!c->connected) return FERRY_E_NOT_CONNECTED;
  ferry_host* server = w->server_at(c->address);
  if (!server) return FERRY_E_NOT_CONNECTED;
  ++w->request_counts[code];
  w->note_payload(payload.len);
  auto req = std::make_unique<ferry_request>();
  req->server = server;
  req->code = code;
  req->payload.assign(static_cast<const uint8_t*>(payload.data),
                      static_cast<const uint8_t*>(payload.data) + payload.len);
  req->peer = h->address.empty() ? h->name : h->address;
  req->oneway = oneway != 0;
  req->conn = c;
  req->request_id = w->next_id++;
  if (!oneway) c->pending[req->request_id] = {fn, ud};
  ferry_request* raw = req.release();
  const uint64_t conn_id = c->id;
  w->tasks.push_back([w, raw, conn_id] {
    ferry_conn* conn = w->conn_by_id(conn_id);
    if (!conn || !conn->connected || !w->server_at(conn->address)) {
      delete raw;  // the close already failed its pending entry
      return;
    }
    w->deliver(raw);
  });
  return FERRY_OK;
}
void h_conn_close(ferry_host* h, ferry_conn* c) {
  W(h)->close_conn(c, false);
  W(h)->conns.remove_if([c](const auto& x) { return x.get() == c; });
}
ferry_status h_queue_work(ferry_host* h, ferry_task_fn work, ferry_task_fn done, void* ud) {
  W(h)->idle_tasks.push_back([work, done, ud] {
    work(ud);
    done(ud);
  });
  return FERRY_OK;
}
ferry_status h_topic_foreach(ferry_host* h, ferry_topic_visit_fn fn, void* ud) {
  if (!h->topics) return FERRY_E_NOT_SUPPORTED;
  for (const TopicConfig& t : *h->topics) {
    ferry_topic_info info = FERRY_STRUCT_INIT(ferry_topic_info);
    info.name = ferry_slice{t.name.data(), t.name.size()};
    info.read_queues = t.read_queues;
    info.write_queues = t.write_queues;
    info.perm = t.perm;
    info.flags = t.flags;
    fn(ud, &info);
  }
  return FERRY_OK;
}

}  // namespace

LoopbackWorld::LoopbackWorld() : impl_(std::make_unique<Impl>()) {
  impl_->owner = this;
  ferry_host_api& a = impl_->api;
  a.struct_size = sizeof(ferry_host_api);
  a.abi_major = FERRY_ABI_MAJOR;
  a.abi_minor = FERRY_ABI_MINOR;
  a.set_error = h_set_error;
  a.log = h_log;
  a.log_enabled = h_log_enabled;
  a.now_ms = h_now_ms;
  a.monotonic_ns = h_monotonic_ns;
  a.timer_start = h_timer_start;
  a.timer_stop = h_timer_stop;
  a.kernel_info = h_kernel_info;
  a.handler_register = h_handler_register;
  a.request_payload = h_request_payload;
  a.request_attachment = h_request_attachment;
  a.request_code = h_request_code;
  a.request_conn_id = h_request_conn_id;
  a.request_peer = h_request_peer;
  a.request_is_oneway = h_request_is_oneway;
  a.respond = h_respond;
  a.conn_open = h_conn_open;
  a.conn_request = h_conn_request;
  a.conn_close = h_conn_close;
  a.topic_foreach = h_topic_foreach;
  a.queue_work = h_queue_work;
}

LoopbackWorld::~LoopbackWorld() = default;

HostRef LoopbackWorld::add_host(const std::string& name, const std::string& address,
                                std::vector<TopicConfig>* topics, uint32_t max_frame_bytes) {
  auto h = std::make_unique<ferry_host>();
  h->world = impl_.get();
  h->name = name;
  h->address = address;
  h->topics = topics;
  h->max_frame_bytes = max_frame_bytes;
  if (!address.empty() && !impl_->up.count(address)) impl_->up[address] = true;
  HostRef ref{&impl_->api, h.get()};
  impl_->hosts.push_back(std::move(h));
  return ref;
}

void LoopbackWorld::remove_host(const HostRef& h) {
  h.host->removed = true;
  h.host->handlers.clear();
  impl_->timers.remove_if([&](const auto& t) { return t->owner == h.host; });
}

void LoopbackWorld::set_up(const std::string& address, bool up) {
  impl_->up[address] = up;
  for (auto& c : impl_->conns) {
    if (c->address != address) continue;
    if (up) {
      impl_->connect_later(c.get());
    } else {
      impl_->close_conn(c.get(), true);
    }
  }
}

void LoopbackWorld::run() {
  for (int i = 0; i < 10'000'000; ++i) {
    auto& queue = !impl_->tasks.empty() ? impl_->tasks : impl_->idle_tasks;
    if (queue.empty()) return;
    auto task = std::move(queue.front());
    queue.pop_front();
    task();
  }
  throw std::runtime_error("loopback world: tasks never settle");
}

void LoopbackWorld::advance(int64_t ms) {
  const int64_t target = now_ms_ + ms;
  run();
  for (int fired = 0; fired < 1'000'000; ++fired) {
    ferry_timer* next = nullptr;
    for (auto& t : impl_->timers)
      if (t->due <= target && (!next || t->due < next->due)) next = t.get();
    if (!next) break;
    now_ms_ = std::max(now_ms_, next->due);
    ferry_timer_fn fn = next->fn;
    void* ud = next->user_data;
    if (next->repeat) {
      next->due += static_cast<int64_t>(next->repeat);
    } else {
      next->due = INT64_MAX;  // fired; stays allocated until timer_stop (ABI)
    }
    fn(ud);
    run();
  }
  now_ms_ = target;
}

Answer LoopbackWorld::call(const std::string& address, uint32_t code,
                           const std::vector<uint8_t>& payload) {
  ferry_host* server = impl_->server_at(address);
  if (!server) return Answer{FERRY_E_NOT_CONNECTED, "no server at " + address, {}};
  Answer out{FERRY_E_INTERNAL, "handler did not respond", {}};
  auto req = std::make_unique<ferry_request>();
  req->server = server;
  req->code = code;
  req->payload = payload;
  req->peer = "client";
  req->sync_answer = &out;
  impl_->deliver(req.release());
  run();
  return out;
}

size_t LoopbackWorld::requests(uint32_t code) const {
  auto it = impl_->request_counts.find(code);
  return it == impl_->request_counts.end() ? 0 : it->second;
}

bool LoopbackWorld::logged(const std::string& needle) const {
  return std::any_of(impl_->logs.begin(), impl_->logs.end(),
                     [&](const std::string& l) { return l.find(needle) != std::string::npos; });
}

std::string LoopbackWorld::log_text() const {
  std::string out;
  for (const auto& l : impl_->logs) out += l + "\n";
  return out;
}

}  // namespace ferry::namesrv::test
