#pragma once
// Request (an incoming request handed to a handler) and Response (the answer
// to a request this side sent).
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "ferry/net/attachment.h"
#include "ferry/status.h"

namespace ferry::net {

struct ResponseGate;  // internal: the way back into the owning loop

// An incoming request. Move-only value: keep it (move it) to answer later.
// Views (payload, attachment, peer) point into the connection's read buffer,
// which this object keeps alive until it is destroyed — not copied.
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
  ~Request();
  Request(Request&&) noexcept = default;
  Request& operator=(Request&&) noexcept;
  Request(const Request&) = delete;
  Request& operator=(const Request&) = delete;

  uint32_t code() const { return code_; }
  uint64_t request_id() const { return request_id_; }
  uint64_t conn_id() const { return conn_id_; }
  bool oneway() const { return oneway_; }
  bool valid() const { return gate_ != nullptr; }
  std::span<const uint8_t> payload() const { return payload_; }
  std::span<const uint8_t> attachment() const { return attachment_; }
  std::string_view peer() const { return peer_ ? std::string_view(*peer_) : std::string_view(); }
  // Keeps payload/attachment memory alive after this object is gone.
  std::shared_ptr<const void> retain_buffer() const { return buffer_; }

  // Copies message and payload; sends the attachment without copying it when
  // it is large (borrowed slices are released after the write completes).
  void respond(ferry_status status, std::string_view message = {},
               std::span<const uint8_t> payload = {}, Attachment attachment = {});

 private:
  friend class RequestFactory;
  std::shared_ptr<ResponseGate> gate_;
  std::shared_ptr<const void> buffer_;
  std::span<const uint8_t> payload_;
  std::span<const uint8_t> attachment_;
  std::shared_ptr<const std::string> peer_;  // the connection's, shared
  uint64_t request_id_ = 0;
  uint64_t conn_id_ = 0;
  uint32_t code_ = 0;
  bool oneway_ = false;
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
  // for locally produced failures.
  std::shared_ptr<const void> retain_buffer() const {
    return block ? std::shared_ptr<const void>(*block) : nullptr;
  }
  // Internal: the read buffer block holding the views (not owned: taking a
  // reference per answer would cost an atomic increment nobody needs).
  const std::shared_ptr<uint8_t[]>* block = nullptr;
};

// Runs on the loop thread, exactly once per accepted request.
using ResponseFn = std::function<void(const Response& resp)>;

}  // namespace ferry::net
