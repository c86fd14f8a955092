#pragma once
// A kernel/net client on its own loop thread, asking one request at a time
// (bounded waits), for tests that talk to a kernel or a ferryd over loopback.
#include <ferry/net/client.h>
#include <ferry/net/loop_thread.h>

#include <chrono>
#include <future>
#include <memory>
#include <string>

#include "ferry_test/child_process.h"

namespace ferry::test {

using namespace std::chrono_literals;

struct Answer {
  ferry_status status;
  std::string message, payload, attachment;
};

// One request from a kernel/net client on its own loop thread.
class TestClient {
 public:
  explicit TestClient(const std::string& address) {
    loop_.run_sync([&] {
      net::ClientOptions o;
      o.address = address;
      client_ = std::make_unique<net::Client>(loop_.loop(), std::move(o));
      std::string error;
      return client_->start(&error);
    });
  }
  ~TestClient() {
    loop_.run_sync([&] {
      client_->close({});
      // A Client is loop-thread-only, its destructor included (TSan): the
      // impl frees itself in its last close callback.
      client_.reset();
      return 0;
    });
    loop_.stop();
  }
  bool wait_connected() {
    return wait_until([&] { return loop_.run_sync([&] { return client_->connected(); }); }, 5s);
  }
  Answer ask(uint32_t code, const std::string& payload, const std::string& attachment = "",
             uint32_t timeout_ms = 2000) {
    auto promise = std::make_shared<std::promise<Answer>>();
    auto future = promise->get_future();
    loop_.post([&, promise] {
      std::span<const uint8_t> p(reinterpret_cast<const uint8_t*>(payload.data()), payload.size());
      std::span<const uint8_t> a(reinterpret_cast<const uint8_t*>(attachment.data()),
                                 attachment.size());
      ferry_status st = client_->request(code, p, net::Attachment::copy(a), timeout_ms, false,
                                         [promise](const net::Response& r) {
                                           promise->set_value(
                                               {r.status, std::string(r.message),
                                                std::string(r.payload.begin(), r.payload.end()),
                                                std::string(r.attachment.begin(),
                                                            r.attachment.end())});
                                         });
      if (st != FERRY_OK) promise->set_value({st, "not sent", "", ""});
    });
    if (future.wait_for(5s) != std::future_status::ready) return {FERRY_E_TIMEOUT, "", "", ""};
    return future.get();
  }

 private:
  net::LoopThread loop_;
  std::unique_ptr<net::Client> client_;
};

}  // namespace ferry::test
