#pragma once
// The way an answer gets back to the connection that read its request, from
// any thread, even after the server is gone. Requests hold the gate through
// a shared_ptr; the endpoint clears `sink` (loop thread) when it closes.
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "ferry/net/async_queue.h"
#include "ferry/net/attachment.h"
#include "ferry/net/request.h"
#include "ferry/status.h"

namespace ferry::net {

// An answer produced off the loop thread: everything owned.
struct PostedResponse {
  uint64_t conn_id = 0;
  uint64_t request_id = 0;
  uint32_t code = 0;
  ferry_status status = FERRY_OK;
  std::string message;
  std::vector<uint8_t> payload;
  Attachment attachment;
  // The request's state, recycled on the loop (null for a oneway drop).
  std::unique_ptr<detail::RequestState> state;
};

// Implemented by Server and Client internals. [loop]
class ResponseSink {
 public:
  virtual void send_response(uint64_t conn_id, uint64_t request_id, uint32_t code,
                             ferry_status status, std::string_view message,
                             std::span<const uint8_t> payload, Attachment&& attachment) = 0;
  // Takes back a request's state (into its connection's pool, or frees it).
  virtual void recycle(std::unique_ptr<detail::RequestState> s) = 0;

 protected:
  ~ResponseSink() = default;
};

struct ResponseGate {
  std::thread::id loop_thread;
  ResponseSink* sink = nullptr;  // loop thread only; null once closed
  std::shared_ptr<AsyncQueue<PostedResponse>> queue;
};

}  // namespace ferry::net
