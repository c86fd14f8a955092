#pragma once
#include <unordered_map>

#include "endpoint.h"
#include "ferry/net/client.h"

namespace ferry::net {

// A request submitted from another thread, waiting for the loop.
struct SubmittedRequest {
  uint32_t code = 0;
  std::vector<uint8_t> payload;
  Attachment attachment;
  uint32_t timeout_ms = 0;
  bool oneway = false;
  ResponseFn fn;
};

class ClientImpl final : public Endpoint {
 public:
  ClientImpl(uv_loop_t* loop, ClientOptions options);

  ferry_status start(std::string* error);
  bool connected() const { return current_ != nullptr && connected_; }
  uint64_t conn_id() const { return connected() ? current_->id() : 0; }
  // The attachment by reference (one move fewer per request): on an error
  // it is left to the caller, which releases it.
  ferry_status request(uint32_t code, std::span<const uint8_t> payload, Attachment&& attachment,
                       uint32_t timeout_ms, bool oneway, ResponseFn fn);
  ferry_status submit(SubmittedRequest& r);
  void close(std::function<void()> done);

 private:
  enum class State { kIdle, kRunning, kClosing };

  static void on_resolved(uv_getaddrinfo_t* req, int status, addrinfo* res);
  static void on_connect(uv_connect_t* req, int status);
  static void on_connect_timeout(uv_timer_t* t);
  static void on_reconnect(uv_timer_t* t);
  static void on_handle_close(uv_handle_t* h);

  void connect_now();
  void resolve();
  void try_address();
  // The attempt on addrs_[next_addr_] failed: tries the next address of the
  // name, or reports the failure and schedules a reconnect.
  void attempt_failed(ferry_status status, const std::string& why);
  void schedule_reconnect();
  Connection* find_conn(uint64_t id) override;
  void conn_request(Connection& c, const FrameView& f) override;
  void conn_closed(Connection& c) override;
  void maybe_finish();

  ClientOptions opts_;
  std::string host_;
  uint16_t port_ = 0;
  bool numeric_ = false;                // host_ is an IP: addrs_ fixed at start
  std::vector<sockaddr_storage> addrs_;  // to try, in order
  size_t next_addr_ = 0;                 // the one being tried
  uv_getaddrinfo_t resolve_req_{};
  bool resolving_ = false;
  uv_timer_t connect_timer_{};
  uv_timer_t reconnect_timer_{};
  std::shared_ptr<AsyncQueue<SubmittedRequest>> submits_;
  State state_ = State::kIdle;
  Connection* current_ = nullptr;  // the live or connecting one (owned by conns_)
  bool connected_ = false;
  uint32_t backoff_ms_ = 0;
  uint64_t next_id_ = 1;
  std::unordered_map<uint64_t, std::unique_ptr<Connection>> conns_;  // current + closing
};

}  // namespace ferry::net
