#pragma once
// What Server and Client internals share: the per-iteration write flush
// (one uv_write per dirty connection per loop iteration), the response gate
// (answers from any thread), logging, and turning frames into Requests.
#include <uv.h>

#include <memory>
#include <vector>

#include "connection.h"
#include "ferry/net/log.h"
#include "ferry/net/request.h"
#include "response_gate.h"

namespace ferry::net {

class RequestFactory {
 public:
  static Request make(const std::shared_ptr<ResponseGate>& gate, Connection& c,
                      const FrameView& f);
};

class Endpoint : public ConnectionHost, public ResponseSink {
 public:
  Endpoint(uv_loop_t* loop, LogFn log);
  virtual ~Endpoint() = default;
  Endpoint(const Endpoint&) = delete;
  Endpoint& operator=(const Endpoint&) = delete;

 protected:
  // The connection with this id, or null. [loop]
  virtual Connection* find_conn(uint64_t id) = 0;
  // One of the handles closed by close_base() has closed.
  virtual void base_handle_closed() = 0;
  // Closes the flush handles and the gate (3 handles; base_handle_closed
  // runs for each).
  void close_base();
  // Before freeing a connection (REQUIRED: also clears a cached pointer).
  void forget_dirty(Connection& c);
  void log(ferry_log_level level, const std::string& line) {
    if (log_) log_(level, line);
  }

  void conn_dirty(Connection& c) override;
  void conn_log(ferry_log_level level, const std::string& line) override { log(level, line); }
  void send_response(uint64_t conn_id, uint64_t request_id, uint32_t code, ferry_status status,
                     std::string_view message, std::span<const uint8_t> payload,
                     Attachment&& attachment) override;

  uv_loop_t* loop_;
  LogFn log_;
  std::shared_ptr<ResponseGate> gate_;

 private:
  static void on_check(uv_check_t* h);
  static void on_idle(uv_idle_t*) {}
  static void on_base_close(uv_handle_t* h);

  uv_check_t check_{};
  uv_idle_t idle_{};  // active while flushes are due: the loop must not block in poll
  std::vector<Connection*> dirty_;
  std::vector<Connection*> flushing_;
  bool flush_armed_ = false;
  Connection* last_conn_ = nullptr;  // send_response's cache; cleared by forget_dirty
};

}  // namespace ferry::net
