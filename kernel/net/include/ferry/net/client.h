#pragma once
// Client: one connection to one server, kept up (connect timeout, reconnect
// with exponential backoff), request/response correlation by request_id,
// per-request timeouts, oneway requests, and answers to requests the server
// originates on the same connection.
//
// Threads: construct and use on the loop thread, except submit(), which any
// thread may call (the SDK runs the client on its own I/O thread).
// As for Server: the loop's thread must not die of SIGPIPE (README.md).
#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "ferry/net/options.h"
#include "ferry/status.h"

namespace ferry::net {

class ClientImpl;

class Client {
 public:
  Client(uv_loop_t* loop, ClientOptions options);
  // Closes (see close) if not closed; memory is freed in the last close
  // callback, so keep running the loop.
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Starts connecting. FERRY_E_INVALID_ARGUMENT for a bad address.
  ferry_status start(std::string* error);
  bool connected() const;
  // Id of the current connection (0 when none).
  uint64_t conn_id() const;

  // [loop] Sends a request. FERRY_E_NOT_CONNECTED (or FERRY_E_TOO_LARGE,
  // FERRY_E_CLOSED) at once: on_response is then never called. Otherwise
  // on_response runs exactly once on the loop. timeout_ms 0 = the default.
  // Oneway: on_response may be empty and is never called. The attachment is
  // taken by reference (a move per hop costs a send ~70 instructions): it
  // is moved from when sent, and left to the caller on an error.
  ferry_status request(uint32_t code, std::span<const uint8_t> payload, Attachment&& attachment,
                       uint32_t timeout_ms, bool oneway, ResponseFn on_response);

  // [any thread] Queues a request for the loop: many submits between two
  // loop iterations cost one wake-up. on_response runs exactly once on the
  // loop thread (unless oneway), with the error if it could not be sent.
  // Returns FERRY_E_CLOSED (and calls nothing) after close().
  ferry_status submit(uint32_t code, std::vector<uint8_t> payload, Attachment attachment,
                      uint32_t timeout_ms, bool oneway, ResponseFn on_response);

  // [loop] Closes the connection; pending requests complete with
  // FERRY_E_CONNECTION_CLOSED; submits not yet handled complete with
  // FERRY_E_CLOSED; `done` runs when every handle is closed. Idempotent.
  void close(std::function<void()> done);

 private:
  std::unique_ptr<ClientImpl> impl_;
};

}  // namespace ferry::net
