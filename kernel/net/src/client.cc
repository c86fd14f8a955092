#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "client_impl.h"
#include "ferry/net/address.h"

namespace ferry::net {

namespace {
// Local failure of a submitted request; the callback must not unwind into libuv.
void fail_submit(SubmittedRequest& r, ferry_status st, const char* why) {
  if (r.oneway || !r.fn) return;
  Response resp;
  resp.status = st;
  resp.message = why;
  try {
    r.fn(resp);
  } catch (...) {
  }
}
}  // namespace

ClientImpl::ClientImpl(uv_loop_t* loop, ClientOptions options)
    : Endpoint(loop, options.log), opts_(std::move(options)) {
  submits_ = AsyncQueue<SubmittedRequest>::create(loop_, [this](SubmittedRequest& r) {
    const ferry_status st = request(r.code, r.payload, std::move(r.attachment), r.timeout_ms,
                                    r.oneway, r.fn);
    if (st != FERRY_OK) fail_submit(r, st, "request could not be sent");
  });
  if (!submits_) throw std::runtime_error("uv_async_init failed");
  uv_timer_init(loop_, &connect_timer_);
  uv_timer_init(loop_, &reconnect_timer_);
  connect_timer_.data = this;
  reconnect_timer_.data = this;
  expect_closes(3);  // connect_timer_, reconnect_timer_, submits_
  backoff_ms_ = opts_.reconnect_initial_ms;
}

ferry_status ClientImpl::start(std::string* error) {
  if (state_ != State::kIdle) {
    *error = "client already started or closed";
    return FERRY_E_STATE;
  }
  if (!split_host_port(opts_.address, &host_, &port_, error)) return FERRY_E_INVALID_ARGUMENT;
  sockaddr_storage sa{};
  numeric_ = numeric_address(host_, port_, &sa);
  if (numeric_) addrs_.push_back(sa);
  state_ = State::kRunning;
  connect_now();
  return FERRY_OK;
}

void ClientImpl::connect_now() {
  if (state_ != State::kRunning) return;
  next_addr_ = 0;
  if (numeric_) {
    try_address();
  } else {
    resolve();  // names may move: resolved again on every reconnect
  }
}

void ClientImpl::resolve() {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  resolve_req_.data = this;
  const int rc = uv_getaddrinfo(loop_, &resolve_req_, &ClientImpl::on_resolved, host_.c_str(),
                                std::to_string(port_).c_str(), &hints);
  if (rc != 0) {
    addrs_.clear();
    attempt_failed(FERRY_E_NOT_FOUND, "connect to " + opts_.address + " failed: cannot resolve " +
                                          host_ + ": " + uv_strerror(rc));
    return;
  }
  resolving_ = true;
}

void ClientImpl::on_resolved(uv_getaddrinfo_t* req, int status, addrinfo* res) {
  auto* self = static_cast<ClientImpl*>(req->data);
  std::unique_ptr<addrinfo, void (*)(addrinfo*)> list(res, &uv_freeaddrinfo);
  self->resolving_ = false;
  if (self->state_ != State::kRunning) {
    if (self->state_ == State::kClosing) self->handle_closed();  // close() counted us
    return;
  }
  self->addrs_.clear();
  for (int family : {AF_INET, AF_INET6}) {
    for (const addrinfo* a = res; status == 0 && a != nullptr; a = a->ai_next) {
      if (a->ai_family != family || a->ai_addrlen > sizeof(sockaddr_storage)) continue;
      sockaddr_storage sa{};
      std::memcpy(&sa, a->ai_addr, a->ai_addrlen);
      self->addrs_.push_back(sa);
    }
  }
  if (self->addrs_.empty()) {
    self->attempt_failed(FERRY_E_NOT_FOUND,
                         "connect to " + self->opts_.address + " failed: cannot resolve " +
                             self->host_ + ": " +
                             (status != 0 ? uv_strerror(status) : "no IPv4/IPv6 address"));
    return;
  }
  self->next_addr_ = 0;
  self->try_address();
}

void ClientImpl::try_address() {
  const uint64_t id = next_id_++;
  auto conn = std::make_unique<Connection>(loop_, *this, id, opts_.limits);
  current_ = conn.get();
  connected_ = false;
  conns_.emplace(id, std::move(conn));
  current_->connect_req.data = current_;
  const int rc = uv_tcp_connect(&current_->connect_req, current_->tcp(),
                                reinterpret_cast<const sockaddr*>(&addrs_[next_addr_]),
                                &ClientImpl::on_connect);
  if (rc != 0) {
    Connection* c = std::exchange(current_, nullptr);
    c->close("connect failed", FERRY_LOG_OFF);
    attempt_failed(FERRY_E_NOT_CONNECTED,
                   "connect to " + opts_.address + " failed: " + uv_strerror(rc));
    return;
  }
  uv_timer_start(&connect_timer_, &ClientImpl::on_connect_timeout, opts_.connect_timeout_ms, 0);
}

void ClientImpl::attempt_failed(ferry_status status, const std::string& why) {
  if (state_ != State::kRunning) return;
  if (next_addr_ + 1 < addrs_.size()) {
    log(FERRY_LOG_DEBUG, why + "; trying the next address");
    ++next_addr_;
    try_address();
    return;
  }
  log(FERRY_LOG_INFO, why);
  if (opts_.on_connect_failed) {
    try {
      opts_.on_connect_failed(status, why);
    } catch (const std::exception& e) {
      log(FERRY_LOG_ERROR, "connect-failed callback threw: " + std::string(e.what()));
    } catch (...) {
      log(FERRY_LOG_ERROR, "connect-failed callback threw a non-exception");
    }
  }
  schedule_reconnect();
}

void ClientImpl::on_connect(uv_connect_t* req, int status) {
  auto* c = static_cast<Connection*>(req->data);
  auto* self = static_cast<ClientImpl*>(&c->host());
  if (c != self->current_ || c->closing()) return;  // timed out or closed meanwhile
  uv_timer_stop(&self->connect_timer_);
  int rc = status;
  if (rc == 0) rc = c->start();
  if (rc != 0) {
    self->current_ = nullptr;
    c->close("connect failed", FERRY_LOG_OFF);
    self->attempt_failed(rc == UV_ETIMEDOUT ? FERRY_E_TIMEOUT : FERRY_E_NOT_CONNECTED,
                         "connect to " + self->opts_.address + " failed: " + uv_strerror(rc));
    return;
  }
  self->connected_ = true;
  self->backoff_ms_ = self->opts_.reconnect_initial_ms;
  self->log(FERRY_LOG_DEBUG, "connected to " + self->opts_.address);
  if (self->opts_.on_event) self->opts_.on_event(c->id(), ConnEvent::kConnected, *c->peer());
}

void ClientImpl::on_connect_timeout(uv_timer_t* t) {
  auto* self = static_cast<ClientImpl*>(t->data);
  if (!self->current_ || self->connected_) return;
  Connection* c = std::exchange(self->current_, nullptr);
  c->close("connect timed out", FERRY_LOG_OFF);
  self->attempt_failed(FERRY_E_TIMEOUT, "connect to " + self->opts_.address + " timed out after " +
                                            std::to_string(self->opts_.connect_timeout_ms) + " ms");
}

void ClientImpl::schedule_reconnect() {
  if (state_ != State::kRunning || !opts_.reconnect) return;
  uv_timer_start(&reconnect_timer_, &ClientImpl::on_reconnect, backoff_ms_, 0);
  backoff_ms_ = std::min(std::max<uint32_t>(backoff_ms_, 1) * 2, opts_.reconnect_max_ms);
}

void ClientImpl::on_reconnect(uv_timer_t* t) { static_cast<ClientImpl*>(t->data)->connect_now(); }

Connection* ClientImpl::find_conn(uint64_t id) {
  auto it = conns_.find(id);
  return it == conns_.end() ? nullptr : it->second.get();
}

void ClientImpl::conn_request(Connection& c, const FrameView& f) {
  if (!opts_.on_request) {
    RequestFactory::make(gate_, c, f).respond(FERRY_E_UNKNOWN_REQUEST,
                                              "this client handles no requests");
    return;
  }
  dispatch(opts_.on_request, c, f);
}

void ClientImpl::conn_closed(Connection& c) {
  forget_dirty(c);
  const uint64_t id = c.id();
  const auto peer = c.peer();
  const bool was_current = &c == current_;
  const bool was_connected = was_current && connected_;
  if (was_current) {
    current_ = nullptr;
    connected_ = false;
  }
  conns_.erase(id);  // frees c
  if (was_connected && opts_.on_event) opts_.on_event(id, ConnEvent::kClosed, *peer);
  if (was_current) schedule_reconnect();
  maybe_finish();
}

ferry_status ClientImpl::request(uint32_t code, std::span<const uint8_t> payload,
                                 Attachment&& attachment, uint32_t timeout_ms, bool oneway,
                                 ResponseFn fn) {
  if (state_ == State::kClosing) return FERRY_E_CLOSED;
  if (!connected()) return FERRY_E_NOT_CONNECTED;
  return current_->send_request(code, payload, std::move(attachment),
                                timeout_ms ? timeout_ms : opts_.default_timeout_ms, oneway,
                                std::move(fn));
}

ferry_status ClientImpl::submit(SubmittedRequest& r) {
  return submits_->push(r) ? FERRY_OK : FERRY_E_CLOSED;
}

void ClientImpl::close(std::function<void()> done) {
  if (!begin_close(std::move(done))) return;
  state_ = State::kClosing;
  uv_close(reinterpret_cast<uv_handle_t*>(&connect_timer_), &ClientImpl::on_handle_close);
  uv_close(reinterpret_cast<uv_handle_t*>(&reconnect_timer_), &ClientImpl::on_handle_close);
  submits_->close([this] { handle_closed(); }, [](SubmittedRequest& r) {
    fail_submit(r, FERRY_E_CLOSED, "client closed before the request was sent");
  });
  current_ = nullptr;
  connected_ = false;
  if (resolving_) {
    // on_resolved still runs (UV_EAI_CANCELED if the cancel wins): count it
    // like a handle so this object outlives it.
    expect_closes(1);
    uv_cancel(reinterpret_cast<uv_req_t*>(&resolve_req_));
  }
  for (auto& [id, c] : conns_) c->close("client closed", FERRY_LOG_DEBUG);
  maybe_finish();
}

void ClientImpl::maybe_finish() {
  if (state_ != State::kClosing || !conns_.empty() || gate_->sink == nullptr) return;
  close_base();
}

void ClientImpl::on_handle_close(uv_handle_t* h) { static_cast<ClientImpl*>(h->data)->handle_closed(); }


// ---- public face ----

Client::Client(uv_loop_t* loop, ClientOptions options)
    : impl_(std::make_unique<ClientImpl>(loop, std::move(options))) {}

Client::~Client() {
  Endpoint::let_go(impl_, [](ClientImpl& c) { c.close({}); });
}

ferry_status Client::start(std::string* error) { return impl_->start(error); }
bool Client::connected() const { return impl_->connected(); }
uint64_t Client::conn_id() const { return impl_->conn_id(); }
ferry_status Client::request(uint32_t code, std::span<const uint8_t> payload,
                             Attachment&& attachment, uint32_t timeout_ms, bool oneway,
                             ResponseFn on_response) {
  return impl_->request(code, payload, std::move(attachment), timeout_ms, oneway,
                        std::move(on_response));
}
ferry_status Client::submit(uint32_t code, std::vector<uint8_t> payload, Attachment attachment,
                            uint32_t timeout_ms, bool oneway, ResponseFn on_response) {
  SubmittedRequest r{code, std::move(payload), std::move(attachment), timeout_ms, oneway,
                     std::move(on_response)};
  return impl_->submit(r);
}
void Client::close(std::function<void()> done) { impl_->close(std::move(done)); }

}  // namespace ferry::net
