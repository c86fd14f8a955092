// Clean shutdown under load: every request already read is answered or sees
// its connection closed; every handle is closed; the loop ends clean.
#include <gtest/gtest.h>

#include <atomic>

#include "ferry_test/child_process.h"
#include "net_harness.h"

namespace ferry::net::test {
namespace {

using namespace std::chrono_literals;

TEST(Shutdown, UnderLoadEveryRequestIsAnsweredOrSeesItsConnectionClose) {
  ServerHarness s;
  s.start();
  constexpr int kClients = 4;
  std::vector<std::unique_ptr<ClientHarness>> clients;
  for (int i = 0; i < kClients; ++i) {
    ClientOptions o;
    o.address = s.address();
    o.reconnect = false;
    clients.push_back(std::make_unique<ClientHarness>(o));
    ASSERT_TRUE(clients.back()->wait_connected());
  }
  // Each client keeps 64 requests in flight (half answered off-thread) and
  // counts outcomes; nothing may be left without a callback.
  std::atomic<int64_t> sent{0}, answered{0}, closed{0}, other{0};
  std::atomic<bool> stop_sending{false};
  std::function<void(Client*)> pump;
  pump = [&](Client* c) {
    if (stop_sending) return;
    ++sent;
    const ferry_status st = c->submit(
        (sent % 8) ? kEcho : kOffThread, {'p'}, {}, 10000, false, [&, c](const Response& r) {
          if (r.status == FERRY_OK) {
            ++answered;
            pump(c);  // keep the load up while the server runs
          } else if (r.status == FERRY_E_CONNECTION_CLOSED || r.status == FERRY_E_NOT_CONNECTED ||
                     r.status == FERRY_E_CLOSED) {
            ++closed;
          } else {
            ++other;
          }
        });
    if (st != FERRY_OK) {
      --sent;
    }
  };
  for (auto& c : clients) {
    for (int i = 0; i < 64; ++i) pump(&c->client());
  }
  ASSERT_TRUE(ferry::test::wait_until([&] { return answered.load() > 2000; }, 20s));

  EXPECT_TRUE(s.stop(20s)) << "shutdown did not complete or the loop was not clean";
  stop_sending = true;
  // Every request sent got exactly one outcome.
  EXPECT_TRUE(ferry::test::wait_until(
      [&] { return answered + closed + other == sent.load(); }, 10s))
      << "sent " << sent << " answered " << answered << " closed " << closed << " other "
      << other;
  EXPECT_EQ(other.load(), 0);
  for (auto& c : clients) EXPECT_TRUE(c->stop());
}

TEST(Shutdown, IdleServerEndsCleanAndTwiceIsHarmless) {
  ServerHarness s;
  s.start();
  RawConn a(s.port());
  ASSERT_TRUE(a.ok());
  auto done1 = std::make_shared<std::promise<void>>();
  auto done2 = std::make_shared<std::promise<void>>();
  s.loop().post([&] {
    s.server().shutdown([done1] { done1->set_value(); });
    s.server().shutdown([done2] { done2->set_value(); });
  });
  EXPECT_EQ(done1->get_future().wait_for(5s), std::future_status::ready);
  EXPECT_EQ(done2->get_future().wait_for(5s), std::future_status::ready);
  EXPECT_TRUE(a.wait_closed(5s));
  EXPECT_TRUE(s.stop());
}

TEST(Shutdown, ServerDestroyedWithoutShutdownStillLeavesTheLoopClean) {
  LoopThread loop;
  loop.run_sync([&] {
    ServerOptions o;
    o.on_request = [](Request r) { r.respond(FERRY_OK); };
    auto srv = std::make_unique<Server>(loop.loop(), std::move(o));
    std::string err;
    EXPECT_EQ(srv->listen(&err), FERRY_OK) << err;
    srv.reset();  // shutdown starts; the loop finishes it
  });
  EXPECT_TRUE(loop.stop());
}

}  // namespace
}  // namespace ferry::net::test
