#include "net_client.h"

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>

namespace ferry::namesrv::test {

NetClient::NetClient(const std::string& address) {
  loop_.run_sync([&] {
    net::ClientOptions o;
    o.address = address;
    o.reconnect_initial_ms = 50;
    o.reconnect_max_ms = 500;
    client_ = std::make_unique<net::Client>(loop_.loop(), o);
    std::string err;
    client_->start(&err);
    return 0;
  });
}

NetClient::~NetClient() {
  // Shared: the close callback may outlive a timed-out wait.
  auto closed = std::make_shared<std::promise<void>>();
  auto done = closed->get_future();
  loop_.post([this, closed] { client_->close([closed] { closed->set_value(); }); });
  done.wait_for(std::chrono::seconds(5));
  loop_.run_sync([&] {
    client_.reset();
    return 0;
  });
  loop_.stop();
}

bool NetClient::wait_connected(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (loop_.run_sync([&] { return client_->connected(); })) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

NetAnswer NetClient::call(uint32_t code, std::vector<uint8_t> payload,
                          std::chrono::milliseconds timeout) {
  auto result = std::make_shared<std::promise<NetAnswer>>();
  auto fut = result->get_future();
  ferry_status s = client_->submit(
      code, std::move(payload), {}, static_cast<uint32_t>(timeout.count()), false,
      [result](const net::Response& r) {
        result->set_value(NetAnswer{r.status, std::string(r.message),
                                    std::vector<uint8_t>(r.payload.begin(), r.payload.end())});
      });
  if (s != FERRY_OK) return NetAnswer{s, "submit failed", {}};
  if (fut.wait_for(timeout + std::chrono::seconds(2)) != std::future_status::ready)
    return NetAnswer{FERRY_E_TIMEOUT, "no answer", {}};
  return fut.get();
}

NetAnswer NetClient::call_many(uint32_t code, const std::vector<std::vector<uint8_t>>& payloads,
                               size_t window, std::chrono::milliseconds timeout) {
  struct State {
    std::mutex m;
    std::condition_variable cv;
    size_t in_flight = 0;
    size_t done = 0;
    NetAnswer first_error;
    bool failed = false;
  };
  auto st = std::make_shared<State>();
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (const auto& p : payloads) {
    {
      std::unique_lock lk(st->m);
      if (!st->cv.wait_until(lk, deadline, [&] { return st->in_flight < window; }))
        return NetAnswer{FERRY_E_TIMEOUT, "window never drained", {}};
      if (st->failed) return st->first_error;
      ++st->in_flight;
    }
    ferry_status s = client_->submit(code, p, {}, 10000, false, [st](const net::Response& r) {
      std::lock_guard lk(st->m);
      --st->in_flight;
      ++st->done;
      if (r.status != FERRY_OK && !st->failed) {
        st->failed = true;
        st->first_error = NetAnswer{r.status, std::string(r.message), {}};
      }
      st->cv.notify_all();
    });
    if (s != FERRY_OK) return NetAnswer{s, "submit failed", {}};
  }
  std::unique_lock lk(st->m);
  if (!st->cv.wait_until(lk, deadline, [&] { return st->in_flight == 0; }))
    return NetAnswer{FERRY_E_TIMEOUT, "answers missing", {}};
  return st->failed ? st->first_error : NetAnswer{};
}

}  // namespace ferry::namesrv::test
