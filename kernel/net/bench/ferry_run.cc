#include "ferry_run.h"

#include <future>
#include <memory>
#include <stdexcept>

#include "ferry/net/client.h"
#include "ferry/net/loop_thread.h"
#include "ferry/net/server.h"

namespace ferry::net::bench {
namespace {

struct Driver {
  std::vector<std::unique_ptr<Client>> clients;
  std::vector<std::vector<uint64_t>> sent;  // per client, by slot
  std::vector<uint8_t> payload;
  RunResult result;
  uint64_t start = 0, end = 0, last = 0;
  int outstanding = 0;
  std::promise<void> done;
  // One clock read per loop iteration, as the baseline reads it once per
  // batch it receives: reset by a check handle after each poll phase.
  uv_check_t check{};
  uint64_t stamp = 0;
  bool stamp_valid = false;

  uint64_t clock() {
    if (!stamp_valid) {
      stamp = now_ns();
      stamp_valid = true;
    }
    return stamp;
  }

  void send(size_t ci, uint32_t slot) {
    sent[ci][slot] = clock();
    // Captures fit std::function's small buffer: no allocation per request.
    const ferry_status st = clients[ci]->request(
        1, payload, {}, 10000, false, [this, packed = (uint64_t(ci) << 32) | slot](const Response& r) {
          on_answer(packed >> 32, static_cast<uint32_t>(packed), r);
        });
    if (st != FERRY_OK) throw std::runtime_error("request refused");
    ++outstanding;
  }
  void on_answer(size_t ci, uint32_t slot, const Response& r) {
    const uint64_t t = clock();
    --outstanding;
    if (r.status == FERRY_OK) result.rtt_ns.push_back(static_cast<uint32_t>(t - sent[ci][slot]));
    last = t;
    if (t < end) {
      send(ci, slot);
    } else if (outstanding == 0) {
      done.set_value();
    }
  }
};

}  // namespace

RunResult run_ferry(const Scenario& s, size_t payload_bytes, double seconds, size_t* frame_bytes) {
  LoopThread server_loop;
  LoopThread client_loop;
  std::unique_ptr<Server> server;
  uint16_t port = server_loop.run_sync([&] {
    ServerOptions o;
    o.on_request = [](Request req) { req.respond(FERRY_OK, {}, req.payload()); };
    server = std::make_unique<Server>(server_loop.loop(), std::move(o));
    std::string err;
    if (server->listen(&err) != FERRY_OK) throw std::runtime_error(err);
    return server->bound_port();
  });

  Driver d;
  d.payload.assign(payload_bytes, 0x5A);
  {
    EnvelopeFields f;
    f.request_id = 1ull << 40;  // typical id magnitude
    f.code = 1;
    f.payload = d.payload;
    *frame_bytes = encode_frame(f).size();
  }
  client_loop.run_sync([&] {
    uv_check_init(client_loop.loop(), &d.check);
    d.check.data = &d;
    uv_check_start(&d.check, [](uv_check_t* h) { static_cast<Driver*>(h->data)->stamp_valid = false; });
    for (int i = 0; i < s.connections; ++i) {
      ClientOptions o;
      o.address = "127.0.0.1:" + std::to_string(port);
      d.clients.push_back(std::make_unique<Client>(client_loop.loop(), std::move(o)));
      std::string err;
      if (d.clients.back()->start(&err) != FERRY_OK) throw std::runtime_error(err);
      d.sent.emplace_back(static_cast<size_t>(s.window));
    }
  });
  for (int tries = 0; tries < 500; ++tries) {
    const bool all = client_loop.run_sync([&] {
      for (auto& c : d.clients) {
        if (!c->connected()) return false;
      }
      return true;
    });
    if (all) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  d.result.rtt_ns.reserve(static_cast<size_t>(seconds * 2e6));
  auto fut = d.done.get_future();
  client_loop.post([&] {
    d.stamp_valid = false;
    d.start = d.clock();
    d.end = d.start + static_cast<uint64_t>(seconds * 1e9);
    for (size_t ci = 0; ci < d.clients.size(); ++ci) {
      for (int w = 0; w < s.window; ++w) d.send(ci, static_cast<uint32_t>(w));
    }
  });
  if (fut.wait_for(std::chrono::duration<double>(seconds + 10)) != std::future_status::ready) {
    throw std::runtime_error("ferry run did not finish");
  }
  d.result.seconds = (d.last - d.start) / 1e9;
  d.result.completed = d.result.rtt_ns.size();

  auto closed = std::make_shared<std::promise<void>>();
  client_loop.run_sync([&] {
    auto left = std::make_shared<int>(static_cast<int>(d.clients.size()));
    for (auto& c : d.clients) {
      c->close([left, closed] {
        if (--*left == 0) closed->set_value();
      });
    }
  });
  closed->get_future().wait();
  client_loop.run_sync([&] {
    d.clients.clear();
    uv_close(reinterpret_cast<uv_handle_t*>(&d.check), nullptr);
  });
  auto down = std::make_shared<std::promise<void>>();
  server_loop.run_sync([&] { server->shutdown([down] { down->set_value(); }); });
  down->get_future().wait();
  server_loop.run_sync([&] { server.reset(); });
  client_loop.stop();
  server_loop.stop();
  return std::move(d.result);
}

}  // namespace ferry::net::bench
