#pragma once
// Options of Server and Client. Defaults suit a broker; tests shrink them.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "ferry/net/frame.h"
#include "ferry/net/log.h"
#include "ferry/net/request.h"

namespace ferry::net {

// Per-connection limits, the same for both sides.
struct ConnectionLimits {
  // Largest frame accepted or sent (prefix included). Checked before a byte
  // of the frame's body is buffered.
  uint32_t max_frame_bytes = kDefaultMaxFrameBytes;
  // Unanswered incoming requests past which the connection's requests stop
  // being read (uv_read_stop) until answers drain. Oneway requests not counted.
  uint32_t max_inflight_requests = 1024;
  // Bytes queued for writing (encoded, not yet written to the socket) past
  // which the connection's requests stop being read. The queue may pass the
  // cap by the answers to requests already read (at most
  // max_inflight_requests of them; by one answer when handlers answer at once).
  size_t max_pending_write_bytes = 4u << 20;
  // Size of a read buffer block (a larger frame gets a block of its own size).
  size_t read_buffer_bytes = 64u << 10;
  // Attachments up to this size are copied next to their header (one buffer
  // fewer for the kernel); larger ones are written from where they are.
  size_t attachment_copy_threshold = 2048;
  // Incoming requests whose payload + attachment fit this are copied out of
  // the read block when read (into a pooled per-connection state), so one
  // held for long (a long poll) does not pin a whole read block; larger ones
  // keep their block alive until they are answered.
  size_t request_copy_bytes = 2048;
};

enum class ConnEvent { kConnected, kClosed };
// Runs on the loop thread. `peer` is "ip:port".
using ConnEventFn = std::function<void(uint64_t conn_id, ConnEvent ev, std::string_view peer)>;
// A request frame read but not handled yet: a look at the next few requests
// of a read, before each is handed to on_request, so the handler can start
// their cold memory loads early (a prefetch). A hint only: it must not keep
// the views, answer, or change what on_request will do. It returns a word
// the request then carries (Request::peek_hint; 0 = nothing), so what it
// computed need not be computed again — a hint too: on_request must check
// it against the verified request. Runs on the loop thread, up to
// ServerOptions::peek_ahead frames ahead of on_request.
using PeekFn = std::function<uint64_t(uint32_t code, std::span<const uint8_t> payload)>;
// A Client's connect attempt failed. status: FERRY_E_TIMEOUT (no answer
// within connect_timeout_ms), FERRY_E_NOT_FOUND (the host name did not
// resolve), FERRY_E_NOT_CONNECTED (refused, unreachable, ...). `why` is the
// text also logged. Runs on the loop thread, once per failed attempt (every
// address of a name tried), before the reconnect is scheduled.
using ConnectFailedFn = std::function<void(ferry_status status, std::string_view why)>;

struct ServerOptions {
  std::string listen_address = "127.0.0.1:0";  // "host:port"; port 0 picks one
  // What clients should be told to use (brokers advertise a configurable
  // address, not whatever the socket says). Empty: the bound address.
  std::string advertised_address;
  int backlog = 1024;
  // A connection with nothing in flight and no frame for this long is closed.
  // 0 = never.
  uint32_t idle_timeout_ms = 0;
  // How long shutdown waits for in-flight answers before closing connections.
  uint32_t shutdown_timeout_ms = 5000;
  ConnectionLimits limits;
  RequestHandler on_request;  // required
  ConnEventFn on_event;       // optional
  LogFn log;                  // optional
  PeekFn on_peek;             // optional
  uint32_t peek_ahead = 4;    // frames on_peek sees before their on_request
};

struct ClientOptions {
  // "host:port" of the server. A host name is resolved (uv_getaddrinfo) on
  // every connect attempt; its IPv4 addresses are tried first, then IPv6.
  std::string address;
  uint32_t connect_timeout_ms = 3000;
  // Reconnect after a failed connect or a lost connection: first wait, then
  // doubled up to the max; reset by a successful connect.
  uint32_t reconnect_initial_ms = 100;
  uint32_t reconnect_max_ms = 10000;
  bool reconnect = true;
  uint32_t default_timeout_ms = 3000;  // for requests given timeout 0
  ConnectionLimits limits;
  // Requests the server originates on this connection (check-back, notify).
  // Empty: they are answered FERRY_E_UNKNOWN_REQUEST.
  RequestHandler on_request;
  ConnEventFn on_event;
  LogFn log;
  ConnectFailedFn on_connect_failed;  // optional
};

}  // namespace ferry::net
