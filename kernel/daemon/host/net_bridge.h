#pragma once
// The transport side of the host table over kernel/net: the kernel's
// listener (one net::Server on the kernel's loop), request handlers for
// plugin codes, outbound connections (net::Client), plugins' extra listeners
// and requests to accepted connections.
//
// Connection ids handed to plugins are unique across the kernel's servers:
// the kernel listener's ids are the transport's own; a plugin listener's are
// (listener tag << 48) | transport id.
//
// Threads: everything on the loop thread; ferry_request answers from any
// thread (net::Request::respond hands them to the loop).
#include <ferry/net/client.h>
#include <ferry/net/server.h>

#include <memory>
#include <unordered_map>

#include "host/seams.h"
#include "log/logger.h"

struct ferry_conn;
struct ferry_listener;

namespace ferry::host {

class NetBridge final : public NetSeam {
 public:
  struct Options {
    std::string listen_address;
    std::string advertised_address;  // empty: the bound address
    uint32_t max_frame_bytes = 16u << 20;
  };
  // Requests with codes below FERRY_PLUGIN_CODE_MIN (the kernel's own): the
  // messaging core's entry point once attached.
  using KernelHandler = std::function<void(net::Request req)>;
  // A kernel request read but not handled yet (net::PeekFn): a hint.
  using KernelPeek = std::function<uint64_t(uint32_t code, std::span<const uint8_t> payload)>;

  NetBridge(uv_loop_t* loop, Options options, log::Logger logger);
  ~NetBridge() override;

  // The kernel listener's counters (zeros before start / after close_all).
  net::ServerStats stats() const { return server_ ? server_->stats() : net::ServerStats{}; }

  void set_kernel_handler(KernelHandler handler) { kernel_handler_ = std::move(handler); }
  void set_kernel_peek(KernelPeek peek) { kernel_peek_ = std::move(peek); }
  // Told when a connection to the kernel's listener closes (the core drops
  // that client's state).
  void set_connection_closed(std::function<void(uint64_t conn_id)> fn) {
    connection_closed_ = std::move(fn);
  }

  ferry_status handler_register(ferry_host* h, uint32_t code, ferry_request_fn fn,
                                void* user_data) override;
  ferry_status conn_open(ferry_host* h, const char* address, ferry_conn_event_fn on_event,
                         void* user_data, ferry_conn** out) override;
  ferry_status conn_request(ferry_host* h, ferry_conn* conn, uint32_t code, ferry_slice payload,
                            ferry_slice attachment, uint32_t timeout_ms, bool oneway,
                            ferry_response_fn fn, void* user_data) override;
  void conn_close(ferry_host* h, ferry_conn* conn) override;
  ferry_status listen(ferry_host* h, const char* address, ferry_request_fn handler,
                      ferry_conn_event_fn on_event, void* user_data,
                      ferry_listener** out) override;
  void listen_close(ferry_host* h, ferry_listener* listener) override;
  ferry_status client_request(ferry_host* h, uint64_t conn_id, uint32_t code,
                              ferry_slice payload, ferry_slice attachment, uint32_t timeout_ms,
                              bool oneway, ferry_response_fn fn, void* user_data) override;
  void release(ferry_host* h) override;

  ferry_status start_listening(std::string* error) override;
  std::string bound_address() const override;
  void shutdown(std::function<void()> done) override;
  void close_all() override;

 private:
  struct Handler {
    ferry_host* owner;
    ferry_request_fn fn;
    void* user_data;
  };
  void dispatch(net::Request req);
  // Whether `h` may still be called back (false after release).
  std::shared_ptr<bool> alive(ferry_host* h);
  net::Server* server_for(uint64_t conn_id, uint64_t* local_id);

  uv_loop_t* loop_;
  Options options_;
  log::Logger logger_;
  std::unique_ptr<net::Server> server_;
  KernelHandler kernel_handler_;
  KernelPeek kernel_peek_;
  std::function<void(uint64_t)> connection_closed_;
  std::unordered_map<uint32_t, Handler> handlers_;
  std::unordered_map<ferry_conn*, std::unique_ptr<ferry_conn>> conns_;
  std::unordered_map<ferry_listener*, std::unique_ptr<ferry_listener>> listeners_;
  std::unordered_map<ferry_host*, std::shared_ptr<bool>> alive_;
  uint64_t next_listener_tag_ = 1;
};

}  // namespace ferry::host
