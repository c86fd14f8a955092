#pragma once
// What Server and Client internals share: the per-iteration write flush
// (one uv_write per dirty connection per loop iteration), the response gate
// (answers from any thread), logging, and turning frames into Requests.
#include <uv.h>

#include <functional>
#include <memory>
#include <vector>

#include "connection.h"
#include "ferry/net/log.h"
#include "ferry/net/request.h"
#include "response_gate.h"

namespace ferry::net {

class RequestFactory {
 public:
  // A Request for frame `f` read by `c`, on a state from c's pool: small
  // requests are copied into it, large ones keep c's read block alive.
  static Request make(const std::shared_ptr<ResponseGate>& gate, Connection& c,
                      const FrameView& f);
};

class Endpoint : public ConnectionHost, public ResponseSink {
 public:
  Endpoint(uv_loop_t* loop, LogFn log);
  virtual ~Endpoint() = default;
  Endpoint(const Endpoint&) = delete;
  Endpoint& operator=(const Endpoint&) = delete;

  // Every handle has closed (done has run).
  bool closed() const { return closed_; }
  // For the public objects' destructors: starts the close (`close` calls
  // shutdown / close without a callback) and, while handles are still
  // closing, hands `impl` to itself: the last close callback frees it.
  template <class Impl, class Close>
  static void let_go(std::unique_ptr<Impl>& impl, Close close) {
    if (!impl || impl->closed()) return;
    close(*impl);
    if (!impl->closed()) {
      Impl* raw = impl.get();
      raw->self = std::move(impl);
    }
  }

 protected:
  // The connection with this id, or null. [loop]
  virtual Connection* find_conn(uint64_t id) = 0;
  // Closes the flush handles and the gate (3 handles counted from the start).
  void close_base();

  // Closing, the same for Server and Client. A close asked with `done`:
  // true when this call starts it; false when one already has — `done` then
  // runs at once (finished) or after the first caller's.
  bool begin_close(std::function<void()> done);
  // Hands the request in `f` to `handler`; nothing it throws reaches libuv.
  void dispatch(const RequestHandler& handler, Connection& c, const FrameView& f);
  // `n` more handles (or requests) whose close callback calls handle_closed().
  void expect_closes(int n) { open_handles_ += n; }
  // One of them closed. After the last: closed(), `self` freed, done run.
  void handle_closed();
  // Before freeing a connection (REQUIRED: also clears a cached pointer).
  void forget_dirty(Connection& c);
  void log(ferry_log_level level, const std::string& line) {
    if (log_) log_(level, line);
  }

  void conn_dirty(Connection& c) override;
  void conn_log(ferry_log_level level, const std::string& line) override { log(level, line); }
  void send_response(uint64_t conn_id, uint64_t request_id, uint32_t code, ferry_status status,
                     std::string_view message, std::span<const uint8_t> payload,
                     Attachment&& attachment) override;
  void recycle(std::unique_ptr<detail::RequestState> s) override;

  uv_loop_t* loop_;
  LogFn log_;
  std::shared_ptr<ResponseGate> gate_;

 private:
  static void on_check(uv_check_t* h);
  static void on_prepare(uv_prepare_t* h);
  static void on_idle(uv_idle_t*) {}
  void flush_dirty();
  static void on_base_close(uv_handle_t* h);

  std::unique_ptr<Endpoint> self;  // see let_go
  int open_handles_ = 4;  // check_, prepare_, idle_, the gate's queue
  bool close_begun_ = false;
  bool closed_ = false;
  std::function<void()> done_;

  uv_check_t check_{};
  // Also flushes before the next poll: answers queued by check callbacks
  // that ran after check_ this iteration (the daemon's deferred turn work,
  // which answers sends) go out without an extra loop iteration first.
  uv_prepare_t prepare_{};
  uv_idle_t idle_{};  // active while flushes are due: the loop must not block in poll
  std::vector<Connection*> dirty_;
  std::vector<Connection*> flushing_;
  bool flush_armed_ = false;
  Connection* last_conn_ = nullptr;  // send_response's cache; cleared by forget_dirty
};

}  // namespace ferry::net
