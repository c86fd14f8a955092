#include <algorithm>

#include "ferry/net/address.h"
#include "server_impl.h"

namespace ferry::net {

ServerImpl::ServerImpl(uv_loop_t* loop, ServerOptions options)
    : Endpoint(loop, options.log), opts_(std::move(options)) {
  uv_tcp_init(loop_, &listener_);
  uv_timer_init(loop_, &sweep_);
  uv_timer_init(loop_, &drain_);
  listener_.data = this;
  sweep_.data = this;
  drain_.data = this;
  expect_closes(3);  // listener_, sweep_, drain_
}

ferry_status ServerImpl::listen(std::string* error) {
  if (state_ != State::kRunning || listening_) {
    *error = "server already listening or shut down";
    return FERRY_E_STATE;
  }
  if (!opts_.on_request) {
    *error = "ServerOptions.on_request is required";
    return FERRY_E_INVALID_ARGUMENT;
  }
  sockaddr_storage sa{};
  if (!parse_address(opts_.listen_address, &sa, error)) return FERRY_E_INVALID_ARGUMENT;
  int rc = uv_tcp_bind(&listener_, reinterpret_cast<const sockaddr*>(&sa), 0);
  if (rc == 0) {
    rc = uv_listen(reinterpret_cast<uv_stream_t*>(&listener_), opts_.backlog,
                   &ServerImpl::on_connection);
  }
  if (rc != 0) {
    *error = "cannot listen on " + opts_.listen_address + ": " + uv_strerror(rc);
    return FERRY_E_IO;
  }
  listening_ = true;
  if (opts_.idle_timeout_ms > 0) {
    const uint64_t every = std::max<uint64_t>(opts_.idle_timeout_ms / 4, 10);
    uv_timer_start(&sweep_, &ServerImpl::on_sweep, every, every);
  }
  log(FERRY_LOG_INFO, "listening on " + bound_address() + " (advertised " +
                          (opts_.advertised_address.empty() ? bound_address()
                                                            : opts_.advertised_address) +
                          ")");
  return FERRY_OK;
}

std::string ServerImpl::bound_address() const {
  sockaddr_storage sa{};
  int len = sizeof(sa);
  if (!listening_ ||
      uv_tcp_getsockname(&listener_, reinterpret_cast<sockaddr*>(&sa), &len) != 0) {
    return {};
  }
  return format_address(reinterpret_cast<sockaddr*>(&sa));
}

void ServerImpl::on_connection(uv_stream_t* s, int status) {
  auto* self = static_cast<ServerImpl*>(s->data);
  if (status < 0) {
    self->log(FERRY_LOG_WARN, std::string("accept failed: ") + uv_strerror(status));
    return;
  }
  if (self->state_ != State::kRunning) return;
  const uint64_t id = self->next_id_++;
  auto conn = std::make_unique<Connection>(self->loop_, *self, id, self->opts_.limits);
  Connection* c = conn.get();
  self->conns_.emplace(id, std::move(conn));
  int rc = uv_accept(s, c->stream());
  if (rc == 0) rc = c->start();
  if (rc != 0) {
    // EMFILE and friends: this connection goes, the server keeps serving.
    c->close(std::string("accept failed: ") + uv_strerror(rc), FERRY_LOG_WARN);
    return;
  }
  ++self->closed_stats_.connections_accepted;
  if (self->opts_.on_event) self->opts_.on_event(id, ConnEvent::kConnected, *c->peer());
}

Connection* ServerImpl::find_conn(uint64_t id) {
  auto it = conns_.find(id);
  return it == conns_.end() ? nullptr : it->second.get();
}

void ServerImpl::conn_request(Connection& c, const FrameView& f) {
  dispatch(opts_.on_request, c, f);
}

void ServerImpl::account(const Connection& c) {
  closed_stats_.requests_dispatched += c.dispatched();
  closed_stats_.read_pauses += c.read_pauses();
  closed_stats_.writes += c.writes();
  closed_stats_.frames_written += c.frames_written();
  closed_stats_.read_blocks_allocated += c.read_blocks_allocated();
  closed_stats_.request_states_allocated += c.states_allocated();
  closed_stats_.max_pending_write_bytes =
      std::max<uint64_t>(closed_stats_.max_pending_write_bytes, c.max_pending_write_bytes());
  if (c.bad_frame()) ++closed_stats_.bad_frames;
}

void ServerImpl::conn_closed(Connection& c) {
  forget_dirty(c);
  account(c);
  const uint64_t id = c.id();
  const auto peer = c.peer();
  conns_.erase(id);  // frees c
  if (opts_.on_event) opts_.on_event(id, ConnEvent::kClosed, *peer);
  maybe_finish();
}

ferry_status ServerImpl::request(uint64_t conn_id, uint32_t code, std::span<const uint8_t> payload,
                                 Attachment attachment, uint32_t timeout_ms, bool oneway,
                                 ResponseFn fn) {
  Connection* c = find_conn(conn_id);
  if (!c || c->closing() || state_ != State::kRunning) return FERRY_E_NOT_CONNECTED;
  return c->send_request(code, payload, std::move(attachment), timeout_ms, oneway, std::move(fn));
}

void ServerImpl::close_connection(uint64_t conn_id) {
  if (Connection* c = find_conn(conn_id)) c->close("closed by the server", FERRY_LOG_DEBUG);
}

void ServerImpl::on_sweep(uv_timer_t* t) {
  auto* self = static_cast<ServerImpl*>(t->data);
  const uint64_t now = uv_now(self->loop_);
  for (auto& [id, c] : self->conns_) {
    if (!c->closing() && !c->busy() && c->pending_write_bytes() == 0 &&
        now - c->last_activity_ms() >= self->opts_.idle_timeout_ms) {
      c->close("idle for " + std::to_string(now - c->last_activity_ms()) + " ms", FERRY_LOG_INFO);
    }
  }
}

void ServerImpl::shutdown(std::function<void()> done) {
  if (!begin_close(std::move(done))) return;
  state_ = State::kDraining;
  uv_close(reinterpret_cast<uv_handle_t*>(&listener_), &ServerImpl::on_handle_close);
  uv_timer_stop(&sweep_);
  for (auto& [id, c] : conns_) c->stop_reading();
  drain_deadline_ = uv_now(loop_) + opts_.shutdown_timeout_ms;
  uv_timer_start(&drain_, &ServerImpl::on_drain, 0, 10);
  log(FERRY_LOG_INFO, "shutting down: " + std::to_string(conns_.size()) + " connection(s) to drain");
}

void ServerImpl::on_drain(uv_timer_t* t) {
  auto* self = static_cast<ServerImpl*>(t->data);
  const bool late = uv_now(self->loop_) >= self->drain_deadline_;
  for (auto& [id, c] : self->conns_) {
    if (c->closing()) continue;
    if (c->drained()) {
      c->close("server shutting down", FERRY_LOG_DEBUG);
    } else if (late) {
      c->close("server shutting down: " + std::to_string(c->inflight()) +
                   " request(s) still unanswered after the shutdown timeout",
               FERRY_LOG_WARN);
    }
  }
  self->maybe_finish();
}

void ServerImpl::maybe_finish() {
  if (state_ != State::kDraining || !conns_.empty()) return;
  state_ = State::kClosing;
  uv_close(reinterpret_cast<uv_handle_t*>(&sweep_), &ServerImpl::on_handle_close);
  uv_close(reinterpret_cast<uv_handle_t*>(&drain_), &ServerImpl::on_handle_close);
  close_base();
}

void ServerImpl::on_handle_close(uv_handle_t* h) { static_cast<ServerImpl*>(h->data)->handle_closed(); }


ServerStats ServerImpl::stats() const {
  ServerStats s = closed_stats_;
  for (const auto& [id, c] : conns_) {
    s.requests_dispatched += c->dispatched();
    s.read_pauses += c->read_pauses();
    s.writes += c->writes();
    s.frames_written += c->frames_written();
    s.read_blocks_allocated += c->read_blocks_allocated();
    s.request_states_allocated += c->states_allocated();
    s.max_pending_write_bytes =
        std::max<uint64_t>(s.max_pending_write_bytes, c->max_pending_write_bytes());
    if (!c->closing()) ++s.connections_open;
  }
  return s;
}

bool ServerImpl::connection_stats(uint64_t conn_id, ConnectionStats* out) const {
  auto it = conns_.find(conn_id);
  if (it == conns_.end()) return false;
  const Connection& c = *it->second;
  out->inflight_requests = c.inflight();
  out->pending_write_bytes = c.pending_write_bytes();
  out->max_pending_write_bytes = c.max_pending_write_bytes();
  out->requests_dispatched = c.dispatched();
  out->writes = c.writes();
  out->frames_written = c.frames_written();
  out->reading = c.reading();
  out->read_blocks_allocated = c.read_blocks_allocated();
  out->request_states_allocated = c.states_allocated();
  return true;
}

// ---- public face ----

Server::Server(uv_loop_t* loop, ServerOptions options)
    : impl_(std::make_unique<ServerImpl>(loop, std::move(options))) {}

Server::~Server() {
  Endpoint::let_go(impl_, [](ServerImpl& s) { s.shutdown({}); });
}

ferry_status Server::listen(std::string* error) { return impl_->listen(error); }
std::string Server::bound_address() const { return impl_->bound_address(); }
uint16_t Server::bound_port() const {
  const std::string a = impl_->bound_address();
  const auto colon = a.rfind(':');
  return colon == std::string::npos ? 0 : static_cast<uint16_t>(std::stoi(a.substr(colon + 1)));
}
std::string Server::advertised_address() const {
  return impl_->options().advertised_address.empty() ? impl_->bound_address()
                                                     : impl_->options().advertised_address;
}
ferry_status Server::request(uint64_t conn_id, uint32_t code, std::span<const uint8_t> payload,
                             Attachment attachment, uint32_t timeout_ms, bool oneway,
                             ResponseFn on_response) {
  return impl_->request(conn_id, code, payload, std::move(attachment), timeout_ms, oneway,
                        std::move(on_response));
}
void Server::close_connection(uint64_t conn_id) { impl_->close_connection(conn_id); }
void Server::shutdown(std::function<void()> done) { impl_->shutdown(std::move(done)); }
ServerStats Server::stats() const { return impl_->stats(); }
bool Server::connection_stats(uint64_t conn_id, ConnectionStats* out) const {
  return impl_->connection_stats(conn_id, out);
}

}  // namespace ferry::net
