#pragma once
// The broker's Prometheus endpoint: HTTP/1.1 on [kernel] metrics_listen,
// served by the kernel's own loop. GET (or HEAD) /metrics answers the text
// exposition format (version 0.0.4) from a render function; any other path
// is 404, any other method 405, a malformed head 400, an oversized one 431,
// HTTP/2+ 505 — the last three close the connection. Connections are kept
// alive (HTTP/1.1 default, or 1.0 with "Connection: keep-alive") so a
// scraper reuses one; requests on a connection are answered one at a time
// (reading pauses while an answer is written). Bounded: a request head of
// at most kMaxHeadBytes, at most kMaxConnections at once (more are accepted
// and closed), and a connection idle for kIdleMs is closed.
//
// Threads: everything on the loop thread (construction included). The
// render function runs on the loop once per scrape.
#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include <ferry/status.h>

#include "log/logger.h"

namespace ferry::http {

class MetricsServer {
 public:
  static constexpr size_t kMaxHeadBytes = 8192;
  static constexpr size_t kMaxConnections = 64;
  static constexpr uint64_t kIdleMs = 30'000;

  using RenderFn = std::function<std::string()>;

  MetricsServer(uv_loop_t* loop, std::string listen_address, RenderFn render, log::Logger logger);
  // REQUIRES: close() was called and the loop ran until its callbacks did
  // (the kernel closes it at shutdown, before the loop ends).
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // Binds and listens; *error says why not (bad address, in use).
  ferry_status start(std::string* error);
  // "ip:port" bound (after start).
  const std::string& bound_address() const { return bound_; }
  // Stops accepting and closes every connection (an answer being written is
  // cut). Idempotent.
  void close();

 private:
  struct Conn;
  void on_connection(int status);
  void start_reading(Conn* c);
  void on_read(Conn* c, ssize_t nread, const uv_buf_t* buf);
  void serve(Conn* c);  // answers the next complete request in c's buffer
  void respond(Conn* c, int code, const char* reason, std::string body, bool head_only,
               bool close_after, const char* extra_headers = "");
  void close_conn(Conn* c);
  void sweep_idle();

  uv_loop_t* loop_;
  std::string listen_, bound_;
  RenderFn render_;
  log::Logger logger_;
  uv_tcp_t listener_{};
  uv_timer_t idle_timer_{};
  bool listening_ = false, closed_ = false;
  std::unordered_map<Conn*, std::unique_ptr<Conn>> conns_;  // freed in their close callbacks
};

}  // namespace ferry::http
