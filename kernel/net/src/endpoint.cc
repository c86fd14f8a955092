#include "endpoint.h"

#include <algorithm>
#include <stdexcept>

namespace ferry::net {

Request RequestFactory::make(const std::shared_ptr<ResponseGate>& gate, Connection& c,
                             const FrameView& f) {
  std::unique_ptr<detail::RequestState> s = c.take_state(gate);
  const size_t n = f.payload.size() + f.attachment.size();
  if (n <= c.limits().request_copy_bytes) {
    // A copy of a few bytes costs less than the reference count it saves,
    // and lets the read block be reused in place.
    s->copy.clear();
    s->copy.insert(s->copy.end(), f.payload.begin(), f.payload.end());
    s->copy.insert(s->copy.end(), f.attachment.begin(), f.attachment.end());
    s->payload = {s->copy.data(), f.payload.size()};
    s->attachment = {s->copy.data() + f.payload.size(), f.attachment.size()};
  } else {
    s->block = c.read_block();
    s->payload = f.payload;
    s->attachment = f.attachment;
  }
  s->request_id = f.request_id;
  s->conn_id = c.id();
  s->code = f.code;
  s->oneway = f.is_oneway();
  s->peek_hint = f.peek_hint;
  return Request(s.release());
}

Endpoint::Endpoint(uv_loop_t* loop, LogFn log) : loop_(loop), log_(std::move(log)) {
  gate_ = std::make_shared<ResponseGate>();
  gate_->loop_thread = std::this_thread::get_id();
  gate_->sink = this;
  gate_->queue = AsyncQueue<PostedResponse>::create(loop_, [this](PostedResponse& p) {
    send_response(p.conn_id, p.request_id, p.code, p.status, p.message, p.payload,
                  std::move(p.attachment));
    if (p.state) recycle(std::move(p.state));
  });
  if (!gate_->queue) throw std::runtime_error("uv_async_init failed");
  uv_check_init(loop_, &check_);
  uv_prepare_init(loop_, &prepare_);
  uv_idle_init(loop_, &idle_);
  check_.data = this;
  prepare_.data = this;
  idle_.data = this;
}

void Endpoint::conn_dirty(Connection& c) {
  c.dirty = true;
  dirty_.push_back(&c);
  if (!flush_armed_) {
    flush_armed_ = true;
    uv_check_start(&check_, &Endpoint::on_check);
    uv_prepare_start(&prepare_, &Endpoint::on_prepare);
    uv_idle_start(&idle_, &Endpoint::on_idle);
  }
}

void Endpoint::on_check(uv_check_t* h) { static_cast<Endpoint*>(h->data)->flush_dirty(); }

void Endpoint::on_prepare(uv_prepare_t* h) { static_cast<Endpoint*>(h->data)->flush_dirty(); }

void Endpoint::flush_dirty() {
  flushing_.swap(dirty_);
  for (Connection* c : flushing_) {
    c->dirty = false;
    c->flush();
  }
  flushing_.clear();
  if (dirty_.empty() && flush_armed_) {
    flush_armed_ = false;
    uv_check_stop(&check_);
    uv_prepare_stop(&prepare_);
    uv_idle_stop(&idle_);
  }
}

void Endpoint::forget_dirty(Connection& c) {
  if (last_conn_ == &c) last_conn_ = nullptr;
  if (c.dirty) std::erase(dirty_, &c);
  c.dirty = false;
}

void Endpoint::send_response(uint64_t conn_id, uint64_t request_id, uint32_t code,
                             ferry_status status, std::string_view message,
                             std::span<const uint8_t> payload, Attachment&& attachment) {
  // Answers mostly go to the connection the last one went to.
  Connection* c = (last_conn_ && last_conn_->id() == conn_id) ? last_conn_ : find_conn(conn_id);
  if (c) {
    last_conn_ = c;
    c->queue_response(request_id, code, status, message, payload, std::move(attachment));
  }
}

void Endpoint::recycle(std::unique_ptr<detail::RequestState> s) {
  Connection* c = (last_conn_ && last_conn_->id() == s->conn_id) ? last_conn_ : find_conn(s->conn_id);
  if (c) c->put_state(std::move(s));  // else freed here: its connection has gone
}

void Endpoint::close_base() {
  gate_->sink = nullptr;
  gate_->queue->close([this] { handle_closed(); });
  uv_close(reinterpret_cast<uv_handle_t*>(&check_), &Endpoint::on_base_close);
  uv_close(reinterpret_cast<uv_handle_t*>(&prepare_), &Endpoint::on_base_close);
  uv_close(reinterpret_cast<uv_handle_t*>(&idle_), &Endpoint::on_base_close);
}

void Endpoint::on_base_close(uv_handle_t* h) {
  static_cast<Endpoint*>(h->data)->handle_closed();
}

void Endpoint::dispatch(const RequestHandler& handler, Connection& c, const FrameView& f) {
  try {
    handler(RequestFactory::make(gate_, c, f));
  } catch (const std::exception& e) {
    log(FERRY_LOG_ERROR, "request handler threw: " + std::string(e.what()));
  } catch (...) {
    log(FERRY_LOG_ERROR, "request handler threw a non-exception");
  }
}

bool Endpoint::begin_close(std::function<void()> done) {
  if (!close_begun_) {
    close_begun_ = true;
    done_ = std::move(done);
    return true;
  }
  if (!done) return false;
  if (closed_) {
    done();  // already finished
  } else {
    done_ = [first = std::move(done_), second = std::move(done)] {
      if (first) first();
      second();
    };
  }
  return false;
}

void Endpoint::handle_closed() {
  if (--open_handles_ > 0) return;
  closed_ = true;
  auto keep = std::move(self);  // frees this object when the function returns
  if (auto done = std::move(done_)) done();
}

}  // namespace ferry::net
