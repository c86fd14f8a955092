#pragma once
#include <functional>
#include <unordered_map>

#include "endpoint.h"
#include "ferry/net/server.h"

namespace ferry::net {

class ServerImpl final : public Endpoint {
 public:
  ServerImpl(uv_loop_t* loop, ServerOptions options);

  ferry_status listen(std::string* error);
  std::string bound_address() const;
  ferry_status request(uint64_t conn_id, uint32_t code, std::span<const uint8_t> payload,
                       Attachment attachment, uint32_t timeout_ms, bool oneway, ResponseFn fn);
  void close_connection(uint64_t conn_id);
  void shutdown(std::function<void()> done);
  ServerStats stats() const;
  bool connection_stats(uint64_t conn_id, ConnectionStats* out) const;

  const ServerOptions& options() const { return opts_; }

 private:
  enum class State { kRunning, kDraining, kClosing };

  static void on_connection(uv_stream_t* s, int status);
  static void on_sweep(uv_timer_t* t);
  static void on_drain(uv_timer_t* t);
  static void on_handle_close(uv_handle_t* h);

  Connection* find_conn(uint64_t id) override;
  void conn_request(Connection& c, const FrameView& f) override;
  uint32_t peek_ahead() const override { return opts_.on_peek ? opts_.peek_ahead : 0; }
  uint64_t conn_peek(Connection&, const FrameView& f) override {
    return opts_.on_peek(f.code, f.payload);
  }
  void conn_closed(Connection& c) override;
  void maybe_finish();
  void account(const Connection& c);

  ServerOptions opts_;
  uv_tcp_t listener_{};
  uv_timer_t sweep_{};  // idle timeout
  uv_timer_t drain_{};  // shutdown: polls for drained connections
  uint64_t drain_deadline_ = 0;
  bool listening_ = false;
  State state_ = State::kRunning;
  std::unordered_map<uint64_t, std::unique_ptr<Connection>> conns_;
  uint64_t next_id_ = 1;
  ServerStats closed_stats_;  // contributions of connections already gone
};

}  // namespace ferry::net
