#include "http/metrics_server.h"

#include <ferry/net/address.h>

#include <vector>

#include "http/http_request.h"

namespace ferry::http {

struct MetricsServer::Conn {
  MetricsServer* server = nullptr;
  uv_tcp_t tcp{};
  uv_write_t write{};
  std::string in;   // bytes read, not yet consumed by a request
  std::string out;  // the answer being written (lives until the write callback)
  std::string peer;
  uint64_t last_active_ms = 0;
  bool writing = false;
  bool close_after_write = false;
  bool closing = false;
};

MetricsServer::MetricsServer(uv_loop_t* loop, std::string listen_address, RenderFn render,
                             log::Logger logger)
    : loop_(loop),
      listen_(std::move(listen_address)),
      render_(std::move(render)),
      logger_(std::move(logger)) {}

MetricsServer::~MetricsServer() = default;

ferry_status MetricsServer::start(std::string* error) {
  sockaddr_storage addr{};
  if (!net::parse_address(listen_, &addr, error)) {
    *error = "metrics_listen '" + listen_ + "': " + *error;
    return FERRY_E_INVALID_ARGUMENT;
  }
  uv_tcp_init(loop_, &listener_);
  listener_.data = this;
  uv_timer_init(loop_, &idle_timer_);
  idle_timer_.data = this;
  listening_ = true;  // both handles exist from here on: close() closes them
  int rc = uv_tcp_bind(&listener_, reinterpret_cast<const sockaddr*>(&addr), 0);
  if (rc == 0)
    rc = uv_listen(reinterpret_cast<uv_stream_t*>(&listener_), 64, [](uv_stream_t* s, int status) {
      static_cast<MetricsServer*>(s->data)->on_connection(status);
    });
  if (rc != 0) {
    *error = "metrics_listen " + listen_ + ": " + uv_strerror(rc);
    return FERRY_E_IO;
  }
  sockaddr_storage bound{};
  int len = sizeof bound;
  uv_tcp_getsockname(&listener_, reinterpret_cast<sockaddr*>(&bound), &len);
  bound_ = net::format_address(reinterpret_cast<const sockaddr*>(&bound));
  uv_timer_start(
      &idle_timer_, [](uv_timer_t* t) { static_cast<MetricsServer*>(t->data)->sweep_idle(); },
      kIdleMs / 4, kIdleMs / 4);
  uv_unref(reinterpret_cast<uv_handle_t*>(&idle_timer_));  // never keeps the loop alive
  logger_.info("metrics on http://" + bound_ + "/metrics");
  return FERRY_OK;
}

void MetricsServer::close() {
  if (closed_) return;
  closed_ = true;
  if (listening_) {
    uv_close(reinterpret_cast<uv_handle_t*>(&listener_), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&idle_timer_), nullptr);
  }
  std::vector<Conn*> all;
  for (auto& [c, owned] : conns_) all.push_back(c);
  for (Conn* c : all) close_conn(c);
}

void MetricsServer::on_connection(int status) {
  if (status < 0 || closed_) return;
  auto owned = std::make_unique<Conn>();
  Conn* c = owned.get();
  c->server = this;
  c->tcp.data = c;
  c->last_active_ms = uv_now(loop_);
  uv_tcp_init(loop_, &c->tcp);
  conns_.emplace(c, std::move(owned));
  if (uv_accept(reinterpret_cast<uv_stream_t*>(&listener_), reinterpret_cast<uv_stream_t*>(&c->tcp)) != 0) {
    close_conn(c);
    return;
  }
  sockaddr_storage peer{};
  int len = sizeof peer;
  uv_tcp_getpeername(&c->tcp, reinterpret_cast<sockaddr*>(&peer), &len);
  c->peer = net::format_address(reinterpret_cast<const sockaddr*>(&peer));
  if (conns_.size() > kMaxConnections) {
    logger_.warn("metrics: refusing " + c->peer + ": more than " +
                 std::to_string(kMaxConnections) + " connections");
    close_conn(c);
    return;
  }
  start_reading(c);
}

void MetricsServer::start_reading(Conn* c) {
  uv_read_start(
      reinterpret_cast<uv_stream_t*>(&c->tcp),
      [](uv_handle_t* h, size_t, uv_buf_t* buf) {
        // Reads land straight in the connection's buffer, never past the
        // head limit (+1 byte, so an oversized head is seen as such).
        auto* conn = static_cast<Conn*>(h->data);
        size_t used = conn->in.size();
        size_t room = kMaxHeadBytes + 1 > used ? kMaxHeadBytes + 1 - used : 1;
        conn->in.resize(used + room);
        *buf = uv_buf_init(conn->in.data() + used, static_cast<unsigned>(room));
      },
      [](uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
        auto* conn = static_cast<Conn*>(s->data);
        conn->server->on_read(conn, nread, buf);
      });
}

void MetricsServer::on_read(Conn* c, ssize_t nread, const uv_buf_t* buf) {
  // The alloc callback grew c->in by buf->len; keep only what was read.
  size_t filled = buf->base ? static_cast<size_t>(buf->base - c->in.data()) : c->in.size();
  c->in.resize(filled + (nread > 0 ? static_cast<size_t>(nread) : 0));
  if (nread < 0) {
    close_conn(c);  // EOF or error: nothing left to answer
    return;
  }
  c->last_active_ms = uv_now(loop_);
  serve(c);
}

void MetricsServer::serve(Conn* c) {
  if (c->writing || c->closing) return;
  Request req;
  std::string why;
  switch (parse_request(c->in, kMaxHeadBytes, &req, &why)) {
    case ParseStatus::kIncomplete:
      return;
    case ParseStatus::kBad:
      logger_.debug("metrics: " + c->peer + ": bad request: " + why);
      return respond(c, 400, "Bad Request", why + "\n", false, true);
    case ParseStatus::kTooLarge:
      return respond(c, 431, "Request Header Fields Too Large", why + "\n", false, true);
    case ParseStatus::kVersion:
      return respond(c, 505, "HTTP Version Not Supported", why + "\n", false, true);
    case ParseStatus::kOk:
      break;
  }
  const bool head = req.method == "HEAD";
  // A body is never read: answer, then close rather than parse it as a request.
  const bool close_after = !req.keep_alive || req.has_body;
  const bool allowed = head || req.method == "GET";
  const bool found = req.path == "/metrics";
  c->in.erase(0, req.head_bytes);  // req's views die here
  if (!allowed)
    return respond(c, 405, "Method Not Allowed", "only GET and HEAD\n", false, close_after,
                   "Allow: GET, HEAD\r\n");
  if (!found)
    return respond(c, 404, "Not Found", "not found; metrics are at /metrics\n", head, close_after);
  respond(c, 200, "OK", render_(), head, close_after);
}

void MetricsServer::respond(Conn* c, int code, const char* reason, std::string body,
                            bool head_only, bool close_after, const char* extra_headers) {
  const char* type = code == 200 ? "text/plain; version=0.0.4; charset=utf-8"
                                 : "text/plain; charset=utf-8";
  c->out = "HTTP/1.1 " + std::to_string(code) + " " + reason + "\r\nContent-Type: " + type +
           "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" + extra_headers +
           (close_after ? "Connection: close\r\n" : "") + "\r\n";
  if (!head_only) c->out += body;
  c->close_after_write = close_after;
  c->writing = true;
  // One answer at a time: stop reading until it is written (bounds memory
  // whatever a client pipelines).
  uv_read_stop(reinterpret_cast<uv_stream_t*>(&c->tcp));
  uv_buf_t b = uv_buf_init(c->out.data(), static_cast<unsigned>(c->out.size()));
  c->write.data = c;
  int rc = uv_write(&c->write, reinterpret_cast<uv_stream_t*>(&c->tcp), &b, 1,
                    [](uv_write_t* w, int status) {
                      auto* conn = static_cast<Conn*>(w->data);
                      MetricsServer* self = conn->server;
                      conn->writing = false;
                      conn->out.clear();
                      conn->out.shrink_to_fit();
                      if (status < 0 || conn->close_after_write || conn->closing) {
                        self->close_conn(conn);
                        return;
                      }
                      conn->last_active_ms = uv_now(self->loop_);
                      // The next pipelined request, if complete, then read on.
                      self->serve(conn);
                      if (!conn->writing && !conn->closing) self->start_reading(conn);
                    });
  if (rc != 0) {
    c->writing = false;
    close_conn(c);
  }
}

void MetricsServer::close_conn(Conn* c) {
  if (c->closing) return;
  c->closing = true;
  uv_close(reinterpret_cast<uv_handle_t*>(&c->tcp), [](uv_handle_t* h) {
    auto* conn = static_cast<Conn*>(h->data);
    conn->server->conns_.erase(conn);  // frees it: nothing touches it afterwards
  });
}

void MetricsServer::sweep_idle() {
  uint64_t now = uv_now(loop_);
  std::vector<Conn*> idle;
  for (auto& [c, owned] : conns_)
    if (!c->writing && now - c->last_active_ms >= kIdleMs) idle.push_back(c);
  for (Conn* c : idle) close_conn(c);
}

}  // namespace ferry::http
