#pragma once
// A kernel/net client on its own loop thread for talking to a real ferryd:
// requests with bounded waits, and a record of what the broker sends it
// (membership notifications).
#include <ferry/net/client.h>
#include <ferry/net/loop_thread.h>

#include <chrono>
#include <cstring>
#include <future>
#include <mutex>
#include <string>
#include <vector>

#include "client_wire.h"
#include "ferry_test/child_process.h"

namespace ferry::core::test {

using namespace std::chrono_literals;
using ferry::test::wait_until;

struct Reply {
  ferry_status status = FERRY_E_TIMEOUT;
  std::string message;
  std::vector<uint64_t> payload;  // aligned copy
  size_t payload_len = 0;
  std::string attachment;
  std::chrono::steady_clock::time_point answered_at;  // on the client's loop thread
  template <class T>
  const T* as() const {
    return read_payload<T>(ferry_slice{payload.data(), payload_len}).root;
  }
};

// A client on its own loop thread that records what the broker sends it.
class CoreClient {
 public:
  explicit CoreClient(const std::string& address) {
    loop_.run_sync([&] {
      net::ClientOptions o;
      o.address = address;
      o.on_request = [this](net::Request req) {
        std::lock_guard<std::mutex> lock(mu_);
        notes_.emplace_back(req.code(), std::string(req.payload().begin(), req.payload().end()));
      };
      client_ = std::make_unique<net::Client>(loop_.loop(), std::move(o));
      std::string error;
      return client_->start(&error);
    });
    connected = wait_until([&] { return loop_.run_sync([&] { return client_->connected(); }); }, 5s);
  }
  bool connected = false;
  ~CoreClient() { close(); }
  void close() {
    if (!client_) return;
    loop_.run_sync([&] {
      client_->close({});
      // A Client is loop-thread-only, its destructor included (TSan): the
      // impl frees itself in its last close callback.
      client_.reset();
      return 0;
    });
    loop_.stop();
  }
  std::future<Reply> ask_async(uint32_t code, std::string payload, std::string attachment = "",
                               uint32_t timeout_ms = 3000) {
    auto promise = std::make_shared<std::promise<Reply>>();
    auto fut = promise->get_future();
    loop_.post([this, promise, code, payload = std::move(payload), att = std::move(attachment), timeout_ms] {
      std::span<const uint8_t> p(reinterpret_cast<const uint8_t*>(payload.data()), payload.size());
      std::span<const uint8_t> a(reinterpret_cast<const uint8_t*>(att.data()), att.size());
      ferry_status st = client_->request(code, p, net::Attachment::copy(a), timeout_ms, false,
                                         [promise](const net::Response& r) {
                                           Reply out;
                                           out.answered_at = std::chrono::steady_clock::now();
                                           out.status = r.status;
                                           out.message = std::string(r.message);
                                           out.payload_len = r.payload.size();
                                           out.payload.assign((r.payload.size() + 7) / 8, 0);
                                           if (!r.payload.empty())
                                             std::memcpy(out.payload.data(), r.payload.data(), r.payload.size());
                                           out.attachment.assign(r.attachment.begin(), r.attachment.end());
                                           promise->set_value(std::move(out));
                                         });
      if (st != FERRY_OK) {
        Reply out;
        out.status = st;
        promise->set_value(std::move(out));
      }
    });
    return fut;
  }
  Reply ask(uint32_t code, std::string payload, std::string attachment = "") {
    auto f = ask_async(code, std::move(payload), std::move(attachment));
    if (f.wait_for(10s) != std::future_status::ready) return Reply{};
    return f.get();
  }
  // Member lists of the membership notifications received so far.
  std::vector<std::vector<std::string>> memberships() {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::vector<std::string>> out;
    for (const auto& [code, payload] : notes_) {
      if (code != FERRY_CODE_NOTIFY_MEMBERSHIP_CHANGED) continue;
      std::vector<uint64_t> aligned((payload.size() + 7) / 8);
      std::memcpy(aligned.data(), payload.data(), payload.size());
      auto* m = read_payload<fb::MembershipChanged>(ferry_slice{aligned.data(), payload.size()}).root;
      if (!m) continue;
      std::vector<std::string> ids;
      for (const auto* s : *m->client_ids()) ids.emplace_back(sv(s));
      out.push_back(std::move(ids));
    }
    return out;
  }

 private:
  net::LoopThread loop_;
  std::unique_ptr<net::Client> client_;
  std::mutex mu_;
  std::vector<std::pair<uint32_t, std::string>> notes_;
};

}  // namespace ferry::core::test
