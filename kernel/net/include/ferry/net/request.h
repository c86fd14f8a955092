#pragma once
// Request (an incoming request handed to a handler) and Response (the answer
// to a request this side sent).
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ferry/net/attachment.h"
#include "ferry/status.h"

namespace ferry::net {

struct ResponseGate;  // internal: the way back into the owning loop
class ReadBuffer;    // internal: a connection's read blocks

namespace detail {
// The state behind a Request, pooled per connection (no allocation per
// request). Internal: declared here only so the accessors inline.
struct RequestState {
  std::shared_ptr<ResponseGate> gate;       // set once, when the state is made
  std::shared_ptr<const std::string> peer;  // the connection's, set once
  // Requests up to ConnectionLimits::request_copy_bytes (payload +
  // attachment) are copied here, so a held request (a long poll) never pins
  // the connection's read block; larger ones keep the block alive instead.
  std::vector<uint8_t> copy;
  std::shared_ptr<const void> block;  // the read block, or `copy` moved out
  std::span<const uint8_t> payload;
  std::span<const uint8_t> attachment;
  uint64_t request_id = 0;
  uint64_t conn_id = 0;
  uint32_t code = 0;
  bool oneway = false;
  uint64_t peek_hint = 0;  // ServerOptions::on_peek's word for this request
};
}  // namespace detail

// An incoming request. Move-only handle (one pointer): keep it (move it) to
// answer later. Views (payload, attachment, peer) stay valid while it lives:
// small requests are copied out of the read buffer when read, large ones
// keep their read block alive.
//
// Answer with respond() exactly once, from any thread: on the loop thread the
// answer is encoded at once and written with the other answers of this loop
// iteration; from another thread it is copied and handed to the loop through
// its async queue. A oneway request needs no answer (respond() just drops it).
// A request destroyed unanswered is answered FERRY_E_INTERNAL, so its
// connection's in-flight count cannot leak. If the connection has gone, the
// answer is dropped (its attachment released).
class Request {
 public:
  Request() = default;
  ~Request() {
    if (s_) finish();
  }
  Request(Request&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
  Request& operator=(Request&& o) noexcept {
    if (this != &o) {
      if (s_) finish();  // answers the request this object held before
      s_ = std::exchange(o.s_, nullptr);
    }
    return *this;
  }
  Request(const Request&) = delete;
  Request& operator=(const Request&) = delete;

  uint32_t code() const { return s_ ? s_->code : 0; }
  uint64_t request_id() const { return s_ ? s_->request_id : 0; }
  uint64_t conn_id() const { return s_ ? s_->conn_id : 0; }
  bool oneway() const { return s_ && s_->oneway; }
  // What ServerOptions::on_peek returned for this request (0: not peeked).
  uint64_t peek_hint() const { return s_ ? s_->peek_hint : 0; }
  bool valid() const { return s_ != nullptr; }
  std::span<const uint8_t> payload() const { return s_ ? s_->payload : std::span<const uint8_t>(); }
  std::span<const uint8_t> attachment() const {
    return s_ ? s_->attachment : std::span<const uint8_t>();
  }
  std::string_view peer() const {
    return s_ && s_->peer ? std::string_view(*s_->peer) : std::string_view();
  }
  // Keeps payload/attachment memory alive after this object is gone.
  std::shared_ptr<const void> retain_buffer() const;

  // Copies message and payload; sends the attachment without copying it when
  // it is large (borrowed slices are released after the write completes).
  void respond(ferry_status status, std::string_view message = {},
               std::span<const uint8_t> payload = {}, Attachment attachment = {});

 private:
  friend class RequestFactory;
  explicit Request(detail::RequestState* s) : s_(s) {}
  // Answers FERRY_E_INTERNAL (or, oneway, just lets go of the state).
  void finish();

  detail::RequestState* s_ = nullptr;  // owned; back to its pool when done
};

// Handler of incoming requests. Runs on the loop thread. Every code reaches
// it, known or not: answering an unknown one with FERRY_E_UNKNOWN_REQUEST is
// the handler's job (the transport does not know the kernel's codes).
using RequestHandler = std::function<void(Request req)>;

// The answer to a request this side sent, or a local failure:
// FERRY_E_TIMEOUT, FERRY_E_CONNECTION_CLOSED, FERRY_E_NOT_CONNECTED.
// Views are valid during the callback; retain_buffer() keeps them longer.
struct Response {
  ferry_status status = FERRY_OK;
  std::string_view message;
  std::span<const uint8_t> payload;
  std::span<const uint8_t> attachment;
  // Keeps the memory of the views alive after the callback (no copy). Empty
  // for locally produced failures. Call it during the callback only: it
  // marks the connection's read block as handed out, so the loop never
  // reads into those bytes again while another thread may still read them.
  std::shared_ptr<const void> retain_buffer() const;
  // Internal: the connection's read buffer holding the views (not owned;
  // valid during the callback). Taking a reference per answer would cost an
  // atomic increment that most answers do not need.
  ReadBuffer* buffer = nullptr;
};

// Runs on the loop thread, exactly once per accepted request.
using ResponseFn = std::function<void(const Response& resp)>;

}  // namespace ferry::net
