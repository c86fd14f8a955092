#pragma once
// Server: accepts connections on a loop the caller owns (ferryd runs its loop
// on the main thread), decodes frames, hands requests to the handler, writes
// answers (all answers for a connection in one loop iteration go out in one
// uv_write), applies backpressure, and can send requests to a connected
// client (check-back, notify).
//
// Threads: every method runs on the loop thread, construction included.
// Answers may come from any thread (Request::respond).
// The loop's thread must not die of SIGPIPE (a write to a peer that reset
// raises it): LoopThread blocks it; a loop of your own must ignore or block
// it (README.md, "SIGPIPE").
#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>

#include "ferry/net/options.h"
#include "ferry/status.h"

namespace ferry::net {

class ServerImpl;

struct ServerStats {
  uint64_t connections_accepted = 0;
  uint64_t connections_open = 0;
  uint64_t requests_dispatched = 0;
  uint64_t bad_frames = 0;            // connections closed for a bad frame
  uint64_t read_pauses = 0;           // times a connection stopped being read for backpressure
  uint64_t max_pending_write_bytes = 0;  // high-water mark over all connections
  uint64_t writes = 0;                   // uv_write calls
  uint64_t frames_written = 0;           // frames those writes carried
  uint64_t read_blocks_allocated = 0;    // read buffer blocks allocated, all connections
  uint64_t request_states_allocated = 0; // request states allocated (not from a pool), all connections
};

struct ConnectionStats {
  uint64_t inflight_requests = 0;
  uint64_t pending_write_bytes = 0;
  uint64_t max_pending_write_bytes = 0;
  uint64_t requests_dispatched = 0;
  uint64_t writes = 0;
  uint64_t frames_written = 0;
  bool reading = false;
  uint64_t read_blocks_allocated = 0;
  uint64_t request_states_allocated = 0;
};

class Server {
 public:
  Server(uv_loop_t* loop, ServerOptions options);
  // Starts a shutdown if none was (see shutdown) and lets the loop finish it:
  // memory is freed in the last close callback, so keep running the loop.
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens. On error, *error says why (address in use, ...).
  ferry_status listen(std::string* error);
  // "ip:port" actually bound (after listen).
  std::string bound_address() const;
  uint16_t bound_port() const;
  // The address to advertise: options.advertised_address, else bound_address().
  std::string advertised_address() const;

  // Sends a request to connection `conn_id`. FERRY_E_NOT_CONNECTED when it
  // has gone (on_response is then never called); otherwise on_response runs
  // once (answer, FERRY_E_TIMEOUT or FERRY_E_CONNECTION_CLOSED). Oneway:
  // on_response may be empty and is never called.
  ferry_status request(uint64_t conn_id, uint32_t code, std::span<const uint8_t> payload,
                       Attachment attachment, uint32_t timeout_ms, bool oneway,
                       ResponseFn on_response);
  // Closes one connection (its unanswered requests are dropped).
  void close_connection(uint64_t conn_id);

  // Graceful stop: stop accepting; stop reading requests; every request
  // already read gets its answer written (or, after shutdown_timeout_ms, sees
  // its connection closed); then every connection and handle is closed and
  // `done` runs (may be empty). Idempotent.
  void shutdown(std::function<void()> done);

  ServerStats stats() const;
  // False when no such connection.
  bool connection_stats(uint64_t conn_id, ConnectionStats* out) const;

 private:
  std::unique_ptr<ServerImpl> impl_;
};

}  // namespace ferry::net
