#include "host/net_bridge.h"

#include <span>
#include <string>

#include "host/instance.h"

namespace ferry::host {
namespace {

constexpr int kTagShift = 48;

std::span<const uint8_t> bytes(ferry_slice s) {
  return {static_cast<const uint8_t*>(s.data), s.data ? s.len : 0};
}

ferry_slice slice(std::span<const uint8_t> s) { return {s.data(), s.size()}; }

// An incoming request as a plugin holds it: owns the transport's Request
// (whose views stay valid while it lives) until respond frees it.
class NetRequest final : public ferry_request {
 public:
  NetRequest(net::Request req, uint64_t tag)
      : req_(std::move(req)),
        conn_id_((tag << kTagShift) | req_.conn_id()),
        peer_(req_.peer()) {}

  ferry_slice payload() const override { return slice(req_.payload()); }
  ferry_slice attachment() const override { return slice(req_.attachment()); }
  uint32_t code() const override { return req_.code(); }
  uint64_t conn_id() const override { return conn_id_; }
  const char* peer() const override { return peer_.c_str(); }
  bool oneway() const override { return req_.oneway(); }
  void respond(ferry_status status, const char* message, ferry_slice payload,
               ferry_slice attachment) override {
    std::unique_ptr<NetRequest> self(this);  // freed on return, whatever happens
    req_.respond(status, message ? message : "", bytes(payload),
                 attachment.len ? net::Attachment::copy(bytes(attachment)) : net::Attachment());
  }

 private:
  net::Request req_;
  uint64_t conn_id_;
  std::string peer_;
};

net::LogFn log_to(const log::Logger& logger) {
  return [logger](ferry_log_level level, std::string_view line) { logger.log(level, line); };
}

ferry_conn_event conn_event(net::ConnEvent ev) {
  return ev == net::ConnEvent::kConnected ? FERRY_CONN_CONNECTED : FERRY_CONN_CLOSED;
}

net::ResponseFn response_to(std::shared_ptr<bool> live, ferry_response_fn fn, void* user_data) {
  if (fn == nullptr) return {};
  return [live = std::move(live), fn, user_data](const net::Response& r) {
    if (!*live) return;  // the plugin is gone
    ferry_response resp = FERRY_STRUCT_INIT(ferry_response);
    resp.status = r.status;
    resp.message = {r.message.data(), r.message.size()};
    resp.payload = slice(r.payload);
    resp.attachment = slice(r.attachment);
    fn(user_data, &resp);
  };
}

}  // namespace
}  // namespace ferry::host

struct ferry_conn {
  ferry_host* owner = nullptr;
  std::unique_ptr<ferry::net::Client> client;
};

struct ferry_listener {
  ferry_host* owner = nullptr;
  uint64_t tag = 0;
  std::unique_ptr<ferry::net::Server> server;
};

namespace ferry::host {

NetBridge::NetBridge(uv_loop_t* loop, Options options, log::Logger logger)
    : loop_(loop), options_(std::move(options)), logger_(std::move(logger)) {
  net::ServerOptions o;
  o.listen_address = options_.listen_address;
  o.advertised_address = options_.advertised_address;
  o.limits.max_frame_bytes = options_.max_frame_bytes;
  o.on_request = [this](net::Request req) { dispatch(std::move(req)); };
  o.on_peek = [this](uint32_t code, std::span<const uint8_t> payload) -> uint64_t {
    return code < FERRY_PLUGIN_CODE_MIN && kernel_peek_ ? kernel_peek_(code, payload) : 0;
  };
  o.on_event = [this](uint64_t id, net::ConnEvent ev, std::string_view) {
    if (ev == net::ConnEvent::kClosed && connection_closed_) connection_closed_(id);
  };
  o.log = log_to(logger_);
  server_ = std::make_unique<net::Server>(loop_, std::move(o));
}

NetBridge::~NetBridge() = default;

std::shared_ptr<bool> NetBridge::alive(ferry_host* h) {
  auto& flag = alive_[h];
  if (!flag) flag = std::make_shared<bool>(true);
  return flag;
}

ferry_status NetBridge::start_listening(std::string* error) {
  return server_->listen(error);
}

std::string NetBridge::bound_address() const { return server_ ? server_->bound_address() : ""; }

void NetBridge::dispatch(net::Request req) {
  const uint32_t code = req.code();
  if (code < FERRY_PLUGIN_CODE_MIN) {
    if (kernel_handler_) return kernel_handler_(std::move(req));
    req.respond(FERRY_E_NOT_SUPPORTED,
                "request code " + std::to_string(code) +
                    " belongs to the messaging core, which is not attached to this ferryd");
    return;
  }
  auto it = handlers_.find(code);
  if (it == handlers_.end()) {
    req.respond(FERRY_E_UNKNOWN_REQUEST, "no plugin handles request code " + std::to_string(code));
    return;
  }
  const Handler& handler = it->second;
  auto r = std::make_unique<NetRequest>(std::move(req), 0);
  handler.fn(handler.user_data, r.release());  // freed by respond
}

ferry_status NetBridge::handler_register(ferry_host* h, uint32_t code, ferry_request_fn fn,
                                         void* user_data) {
  if (code < FERRY_PLUGIN_CODE_MIN) {
    h->logger.warn("handler_register: code " + std::to_string(code) +
                   " is below FERRY_PLUGIN_CODE_MIN (" + std::to_string(FERRY_PLUGIN_CODE_MIN) +
                   "): reserved for the kernel");
    return FERRY_E_ALREADY_EXISTS;
  }
  auto [it, inserted] = handlers_.try_emplace(code, Handler{h, fn, user_data});
  if (!inserted) {
    h->logger.warn("handler_register: code " + std::to_string(code) + " is already taken by '" +
                   it->second.owner->instance_name + "'");
    return FERRY_E_ALREADY_EXISTS;
  }
  return FERRY_OK;
}

ferry_status NetBridge::conn_open(ferry_host* h, const char* address,
                                  ferry_conn_event_fn on_event, void* user_data,
                                  ferry_conn** out) {
  auto conn = std::make_unique<ferry_conn>();
  conn->owner = h;
  net::ClientOptions o;
  o.address = address;
  o.limits.max_frame_bytes = options_.max_frame_bytes;
  o.log = log_to(h->logger);
  o.on_event = [live = alive(h), on_event, user_data](uint64_t id, net::ConnEvent ev,
                                                       std::string_view) {
    if (*live && on_event) on_event(user_data, id, conn_event(ev));
  };
  conn->client = std::make_unique<net::Client>(loop_, std::move(o));
  std::string error;
  ferry_status st = conn->client->start(&error);
  if (st != FERRY_OK) {
    h->logger.warn("conn_open " + std::string(address) + ": " + error);
    return st;
  }
  *out = conn.get();
  conns_.emplace(conn.get(), std::move(conn));
  return FERRY_OK;
}

ferry_status NetBridge::conn_request(ferry_host* h, ferry_conn* conn, uint32_t code,
                                     ferry_slice payload, ferry_slice attachment,
                                     uint32_t timeout_ms, bool oneway, ferry_response_fn fn,
                                     void* user_data) {
  auto it = conns_.find(conn);
  if (it == conns_.end() || it->second->owner != h) return FERRY_E_INVALID_ARGUMENT;
  return conn->client->request(code, bytes(payload), net::Attachment::copy(bytes(attachment)),
                               timeout_ms, oneway,
                               oneway ? net::ResponseFn() : response_to(alive(h), fn, user_data));
}

void NetBridge::conn_close(ferry_host* h, ferry_conn* conn) {
  auto it = conns_.find(conn);
  if (it == conns_.end() || it->second->owner != h) return;
  // ~Client closes; pending responses complete with CONNECTION_CLOSED as the
  // loop finishes the close.
  conns_.erase(it);
}

ferry_status NetBridge::listen(ferry_host* h, const char* address, ferry_request_fn handler,
                               ferry_conn_event_fn on_event, void* user_data,
                               ferry_listener** out) {
  auto l = std::make_unique<ferry_listener>();
  l->owner = h;
  l->tag = next_listener_tag_++;
  net::ServerOptions o;
  o.listen_address = address;
  o.limits.max_frame_bytes = options_.max_frame_bytes;
  o.log = log_to(h->logger);
  o.on_request = [live = alive(h), handler, user_data, tag = l->tag](net::Request req) {
    if (!*live) {
      req.respond(FERRY_E_SHUTTING_DOWN, "listener closing");
      return;
    }
    auto r = std::make_unique<NetRequest>(std::move(req), tag);
    handler(user_data, r.release());  // freed by respond
  };
  o.on_event = [live = alive(h), on_event, user_data, tag = l->tag](
                   uint64_t id, net::ConnEvent ev, std::string_view) {
    if (*live && on_event) on_event(user_data, (tag << kTagShift) | id, conn_event(ev));
  };
  l->server = std::make_unique<net::Server>(loop_, std::move(o));
  std::string error;
  ferry_status st = l->server->listen(&error);
  if (st != FERRY_OK) {
    h->logger.warn("listen: " + error);
    return st;
  }
  *out = l.get();
  listeners_.emplace(l.get(), std::move(l));
  return FERRY_OK;
}

void NetBridge::listen_close(ferry_host* h, ferry_listener* listener) {
  auto it = listeners_.find(listener);
  if (it == listeners_.end() || it->second->owner != h) return;
  listeners_.erase(it);  // ~Server shuts down; the loop finishes the close
}

net::Server* NetBridge::server_for(uint64_t conn_id, uint64_t* local_id) {
  const uint64_t tag = conn_id >> kTagShift;
  *local_id = conn_id & ((uint64_t{1} << kTagShift) - 1);
  if (tag == 0) return server_.get();
  for (auto& [raw, l] : listeners_)
    if (l->tag == tag) return l->server.get();
  return nullptr;
}

ferry_status NetBridge::client_request(ferry_host* h, uint64_t conn_id, uint32_t code,
                                       ferry_slice payload, ferry_slice attachment,
                                       uint32_t timeout_ms, bool oneway, ferry_response_fn fn,
                                       void* user_data) {
  uint64_t local = 0;
  net::Server* server = server_for(conn_id, &local);
  if (server == nullptr) return FERRY_E_NOT_CONNECTED;
  return server->request(local, code, bytes(payload), net::Attachment::copy(bytes(attachment)),
                         timeout_ms, oneway,
                         oneway ? net::ResponseFn() : response_to(alive(h), fn, user_data));
}

void NetBridge::release(ferry_host* h) {
  auto flag = alive_.find(h);
  if (flag != alive_.end()) {
    *flag->second = false;  // late callbacks see it and stay away
    alive_.erase(flag);
  }
  std::erase_if(handlers_, [h](const auto& kv) { return kv.second.owner == h; });
  std::erase_if(conns_, [h](const auto& kv) { return kv.second->owner == h; });
  std::erase_if(listeners_, [h](const auto& kv) { return kv.second->owner == h; });
}

void NetBridge::shutdown(std::function<void()> done) {
  if (!server_) {
    if (done) done();
    return;
  }
  server_->shutdown(std::move(done));
}

void NetBridge::close_all() {
  handlers_.clear();
  for (auto& [h, flag] : alive_) *flag = false;
  alive_.clear();
  conns_.clear();
  listeners_.clear();
  server_.reset();
}

}  // namespace ferry::host
