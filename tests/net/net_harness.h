#pragma once
// Test harness for kernel/net: a server on its own loop thread, a blocking
// raw socket that speaks frames by hand (for bad input and for clients that
// never read), and a synchronous round trip through a Client.
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "ferry/net/client.h"
#include "ferry/net/frame.h"
#include "ferry/net/loop_thread.h"
#include "ferry/net/server.h"

namespace ferry::net::test {

// Request codes the harness's default handler understands.
inline constexpr uint32_t kEcho = 1;        // payload and attachment echoed
inline constexpr uint32_t kHold = 2;        // kept in held(); answered by the test
inline constexpr uint32_t kOffThread = 3;   // answered from another thread
inline constexpr uint32_t kBig = 4;         // answered with a payload of N bytes (N = payload as text)

// Collects log lines (thread-safe).
class LogSink {
 public:
  LogFn fn();
  std::vector<std::string> lines() const;
  bool contains(const std::string& needle) const;

 private:
  mutable std::mutex mu_;
  std::vector<std::string> lines_;
};

class ServerHarness {
 public:
  ServerHarness() = default;
  ~ServerHarness();
  // Starts a server on 127.0.0.1:0 with `opts` (on_request defaults to the
  // harness handler when empty).
  void start(ServerOptions opts = {});
  uint16_t port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  LoopThread& loop() { return *loop_; }
  Server& server() { return *server_; }
  LogSink& log() { return log_; }
  ServerStats stats();
  // Requests received with kHold, in order.
  size_t held_count();
  // Answers every request held now; returns how many (more may have been
  // held since a held_count() just before).
  size_t answer_held(ferry_status status);
  // Graceful shutdown; true when it completed within `timeout` and the loop
  // ended clean.
  bool stop(std::chrono::milliseconds timeout = std::chrono::seconds(10));

 private:
  void handle(Request req);

  std::unique_ptr<LoopThread> loop_;
  std::unique_ptr<Server> server_;
  LogSink log_;
  uint16_t port_ = 0;
  std::mutex held_mu_;
  std::vector<Request> held_;
  bool stopped_ = false;
};

// A blocking socket with receive timeouts, for frames written by hand.
class RawConn {
 public:
  explicit RawConn(uint16_t port, int rcvbuf = 0);
  ~RawConn();
  RawConn(const RawConn&) = delete;
  RawConn& operator=(const RawConn&) = delete;

  bool ok() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  bool send_all(const std::vector<uint8_t>& bytes);
  // Next frame, or nullopt on close / timeout.
  std::optional<std::vector<uint8_t>> read_frame(std::chrono::milliseconds timeout =
                                                     std::chrono::seconds(5));
  // True when the peer closes within `timeout` (EOF or reset).
  bool wait_closed(std::chrono::milliseconds timeout = std::chrono::seconds(5));

 private:
  bool read_exact(uint8_t* p, size_t n, std::chrono::milliseconds timeout);
  int fd_ = -1;
};

// A frame carrying a request.
std::vector<uint8_t> request_frame(uint64_t id, uint32_t code, std::string_view payload = {},
                                   std::string_view attachment = {}, bool oneway = false);

struct Result {
  ferry_status status = FERRY_E_INTERNAL;
  std::string message;
  std::string payload;
  std::string attachment;
};

// Sends through client.submit (the thread-safe path) and waits the answer.
Result call(Client& client, uint32_t code, std::string_view payload = {},
            std::string_view attachment = {}, uint32_t timeout_ms = 0);

// Runs a Client on its own loop thread.
class ClientHarness {
 public:
  explicit ClientHarness(ClientOptions opts);
  ~ClientHarness();
  Client& client() { return *client_; }
  LoopThread& loop() { return *loop_; }
  bool wait_connected(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  bool connected();
  // Closes the client and stops the loop; true when both were clean.
  bool stop();

 private:
  std::unique_ptr<LoopThread> loop_;
  std::unique_ptr<Client> client_;
  bool stopped_ = false;
};

}  // namespace ferry::net::test
