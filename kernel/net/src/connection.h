#pragma once
// One TCP connection, either side: reads and decodes frames, dispatches
// requests to its host and answers to its pending table, batches writes
// (everything queued in one loop iteration goes out in one uv_write), and
// applies backpressure. Loop thread only.
//
// Lifetime: owned by its host (ServerImpl / ClientImpl). close() starts
// closing the handles; the host frees the object in conn_closed(), called
// from the last close callback — never earlier, so callbacks in flight can
// still touch it.
#include <uv.h>

#include <memory>
#include <string>
#include <vector>

#include "ferry/net/attachment.h"
#include "ferry/net/frame.h"
#include "ferry/net/options.h"
#include "pending_table.h"
#include "read_buffer.h"

namespace ferry::net {

class Connection;

class ConnectionHost {
 public:
  // A request was read. REQUIRES: the host answers it through the
  // connection's queue_response (directly or via the gate) or drops it.
  virtual void conn_request(Connection& c, const FrameView& f) = 0;
  // How many request frames ahead of conn_request the host wants to see
  // through conn_peek (0: none, the default). A hint: see PeekFn.
  virtual uint32_t peek_ahead() const { return 0; }
  // Returns the frame's peek_hint (PeekFn).
  virtual uint64_t conn_peek(Connection&, const FrameView&) { return 0; }
  // The connection wants flush() called this loop iteration.
  virtual void conn_dirty(Connection& c) = 0;
  // Every handle is closed: the host frees `c` now.
  virtual void conn_closed(Connection& c) = 0;
  virtual void conn_log(ferry_log_level level, const std::string& line) = 0;

 protected:
  ~ConnectionHost() = default;
};

class Connection {
 public:
  Connection(uv_loop_t* loop, ConnectionHost& host, uint64_t id, const ConnectionLimits& limits);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  uint64_t id() const { return id_; }
  ConnectionHost& host() { return host_; }
  uv_tcp_t* tcp() { return &tcp_; }
  uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(&tcp_); }
  const std::shared_ptr<const std::string>& peer() const { return peer_; }
  const ConnectionLimits& limits() const { return limits_; }
  std::shared_ptr<const void> read_block() { return rbuf_.share(); }
  // Read blocks allocated so far (a held request must not make this grow).
  uint64_t read_blocks_allocated() const { return rbuf_.blocks_allocated(); }

  // [loop] Request states, pooled: the steady state allocates none.
  std::unique_ptr<detail::RequestState> take_state(const std::shared_ptr<ResponseGate>& gate);
  void put_state(std::unique_ptr<detail::RequestState> s);
  // Request states allocated so far (a pipelined window answered and sent
  // again must not make this grow).
  uint64_t states_allocated() const { return states_allocated_; }

  // After accept / connect: starts reading. Returns a libuv error.
  int start();

  // Queues the answer to request `request_id` (counted in flight until then).
  void queue_response(uint64_t request_id, uint32_t code, ferry_status status,
                      std::string_view message, std::span<const uint8_t> payload,
                      Attachment&& attachment);
  // Queues a request. Errors are returned, fn is then not called.
  ferry_status send_request(uint32_t code, std::span<const uint8_t> payload,
                            Attachment&& attachment, uint32_t timeout_ms, bool oneway,
                            ResponseFn fn);
  // Writes what was queued (one uv_write). Called by the host once per
  // loop iteration for dirty connections.
  void flush();

  // Stops reading for good (shutdown drain): buffered requests are not
  // dispatched.
  void stop_reading();
  // Starts closing; pending requests complete with FERRY_E_CONNECTION_CLOSED.
  // `reason` is logged at `level` (nothing when level is FERRY_LOG_OFF).
  void close(std::string_view reason, ferry_log_level level);
  bool closing() const { return closing_; }

  // Nothing read but unanswered, nothing queued or being written.
  bool drained() const { return inflight_ == 0 && pending_write_bytes() == 0; }
  bool busy() const { return inflight_ != 0 || pending_.size() != 0; }
  uint64_t last_activity_ms() const { return last_activity_ms_; }
  size_t pending_write_bytes() const { return staged_bytes_ + writing_bytes_; }
  size_t max_pending_write_bytes() const { return max_pending_seen_; }
  uint64_t inflight() const { return inflight_; }
  uint64_t dispatched() const { return dispatched_; }
  uint64_t read_pauses() const { return read_pauses_; }
  uint64_t writes() const { return writes_; }
  uint64_t frames_written() const { return frames_written_; }
  bool reading() const { return reading_; }
  bool bad_frame() const { return bad_frame_; }
  bool dirty = false;          // host's flag: in its dirty list
  uv_connect_t connect_req{};  // the client's connect attempt on tcp()

 private:
  struct WriteBatch;

  static void on_alloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf);
  static void on_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf);
  static void on_write(uv_write_t* req, int status);
  static void on_timer(uv_timer_t* t);
  static void on_close(uv_handle_t* h);

  bool may_dispatch() const;
  void process();
  void update_reading();
  void set_reading(bool want);
  void stage_frame(const EnvelopeFields& f, Attachment&& attachment);
  void note_pending();
  void arm_timer();
  void fail_pending(ferry_status status);
  void log(ferry_log_level level, const std::string& line);
  void deliver(ResponseFn& fn, const Response& r);

  uv_loop_t* loop_;
  ConnectionHost& host_;
  uint64_t id_;
  ConnectionLimits limits_;
  uv_tcp_t tcp_{};
  uv_timer_t timer_{};
  int open_handles_ = 0;
  std::shared_ptr<const std::string> peer_;

  ReadBuffer rbuf_;
  FrameDecoder decoder_;
  FrameDecoder peeker_;  // process()'s look ahead: decoder_.needed() stays the next frame's
  std::vector<FrameView> ahead_views_;  // process()'s: the look-ahead's decoded frames (a ring)
  PendingTable pending_;
  std::vector<std::unique_ptr<detail::RequestState>> states_;  // free request states
  uint64_t states_allocated_ = 0;
  uint64_t armed_deadline_ = 0;  // 0 = timer not armed

  std::unique_ptr<WriteBatch> staged_;               // being filled
  std::vector<std::unique_ptr<WriteBatch>> spare_;   // reused batches
  size_t staged_bytes_ = 0;
  size_t writing_bytes_ = 0;
  size_t max_pending_seen_ = 0;

  uint64_t inflight_ = 0;
  uint64_t dispatched_ = 0;
  uint64_t read_pauses_ = 0;
  uint64_t writes_ = 0;          // uv_write calls
  uint64_t frames_written_ = 0;  // frames handed to them
  uint64_t last_activity_ms_ = 0;
  bool started_ = false;
  bool reading_ = false;
  bool stopped_ = false;  // stop_reading() called
  bool closing_ = false;
  bool in_process_ = false;
  bool bad_frame_ = false;
};

}  // namespace ferry::net
