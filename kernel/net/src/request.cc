#include "ferry/net/request.h"

#include "response_gate.h"

namespace ferry::net {

Request& Request::operator=(Request&& o) noexcept {
  if (this != &o) {
    // Answer the request this object held before it is overwritten.
    if (gate_ && !oneway_) respond(FERRY_E_INTERNAL, "request dropped without an answer");
    gate_ = std::move(o.gate_);
    buffer_ = std::move(o.buffer_);
    payload_ = o.payload_;
    attachment_ = o.attachment_;
    peer_ = std::move(o.peer_);
    request_id_ = o.request_id_;
    conn_id_ = o.conn_id_;
    code_ = o.code_;
    oneway_ = o.oneway_;
  }
  return *this;
}

Request::~Request() {
  if (gate_ && !oneway_) respond(FERRY_E_INTERNAL, "request dropped without an answer");
}

void Request::respond(ferry_status status, std::string_view message,
                      std::span<const uint8_t> payload, Attachment attachment) {
  auto gate = std::move(gate_);
  if (!gate || oneway_) return;  // answered already, moved-from, or oneway
  if (std::this_thread::get_id() == gate->loop_thread) {
    if (gate->sink) {
      gate->sink->send_response(conn_id_, request_id_, code_, status, message, payload,
                                std::move(attachment));
    }
  } else {
    PostedResponse p{conn_id_, request_id_, code_, status, std::string(message),
                     std::vector<uint8_t>(payload.begin(), payload.end()), std::move(attachment)};
    gate->queue->push(p);  // false once closed: p (and its attachment) dropped here
  }
  buffer_.reset();
}

}  // namespace ferry::net
