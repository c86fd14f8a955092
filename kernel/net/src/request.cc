#include "ferry/net/request.h"

#include "read_buffer.h"
#include "response_gate.h"

namespace ferry::net {

void Request::finish() {
  if (s_->oneway) {
    respond(FERRY_OK);  // no answer: only gives the state back
  } else {
    respond(FERRY_E_INTERNAL, "request dropped without an answer");
  }
}

std::shared_ptr<const void> Request::retain_buffer() const {
  if (!s_) return nullptr;
  if (!s_->block && !s_->copy.empty()) {
    // The copy leaves the pooled state (views keep pointing at its bytes:
    // moving a vector keeps its buffer); the state grows a new one if reused.
    s_->block = std::make_shared<const std::vector<uint8_t>>(std::move(s_->copy));
  }
  return s_->block;
}

std::shared_ptr<const void> Response::retain_buffer() const {
  return buffer ? buffer->share() : nullptr;
}

void Request::respond(ferry_status status, std::string_view message,
                      std::span<const uint8_t> payload, Attachment attachment) {
  std::unique_ptr<detail::RequestState> s(std::exchange(s_, nullptr));
  if (!s) return;  // answered already, moved-from or default
  // The state holds the gate: it stays alive for this whole call.
  ResponseGate& gate = *s->gate;
  if (std::this_thread::get_id() == gate.loop_thread) {
    if (!gate.sink) return;  // the endpoint has closed: s is freed here
    if (!s->oneway) {
      gate.sink->send_response(s->conn_id, s->request_id, s->code, status, message, payload,
                               std::move(attachment));
    }
    if (gate.sink) gate.sink->recycle(std::move(s));
    return;
  }
  if (s->oneway) return;  // freed here; the loop's pool makes another
  PostedResponse p{s->conn_id, s->request_id, s->code, status, std::string(message),
                   std::vector<uint8_t>(payload.begin(), payload.end()), std::move(attachment),
                   nullptr};
  // Once queued, the loop may recycle (or free) the state, and with it the
  // last reference to the gate: keep the queue alive through push().
  auto queue = gate.queue;
  p.state = std::move(s);
  queue->push(p);  // false once closed: p (attachment, state) dropped here
}

}  // namespace ferry::net
