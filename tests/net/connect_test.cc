// Client connect path: a failed attempt is reported through
// ClientOptions::on_connect_failed (callers need not read the log), and host
// names are resolved (uv_getaddrinfo), tested with "localhost".
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>

#include "ferry_test/child_process.h"
#include "ferry_test/free_port.h"
#include "net_harness.h"

namespace ferry::net::test {
namespace {

using namespace std::chrono_literals;
using ferry::test::wait_until;

struct Failures {
  std::mutex mu;
  std::vector<std::pair<ferry_status, std::string>> seen;
  ConnectFailedFn fn() {
    return [this](ferry_status st, std::string_view why) {
      std::lock_guard lock(mu);
      seen.emplace_back(st, std::string(why));
    };
  }
  size_t count() {
    std::lock_guard lock(mu);
    return seen.size();
  }
};

TEST(Connect, RefusedConnectIsAnEventAndRetried) {
  Failures f;
  ClientOptions o;
  o.address = "127.0.0.1:" + std::to_string(ferry::test::free_port());  // nobody listens
  o.reconnect_initial_ms = 10;
  o.reconnect_max_ms = 20;
  o.on_connect_failed = f.fn();
  ClientHarness c(std::move(o));
  // Reported once per attempt, and the client keeps trying.
  ASSERT_TRUE(wait_until([&] { return f.count() >= 2; }, 5s)) << f.count();
  {
    std::lock_guard lock(f.mu);
    EXPECT_EQ(f.seen[0].first, FERRY_E_NOT_CONNECTED);
    EXPECT_NE(f.seen[0].second.find("refused"), std::string::npos) << f.seen[0].second;
  }
  EXPECT_FALSE(c.connected());
  EXPECT_TRUE(c.stop());
}

TEST(Connect, NoEventWhenTheConnectSucceeds) {
  ServerHarness s;
  s.start();
  Failures f;
  ClientOptions o;
  o.address = s.address();
  o.on_connect_failed = f.fn();
  ClientHarness c(std::move(o));
  ASSERT_TRUE(c.wait_connected());
  EXPECT_EQ(call(c.client(), kEcho, "x").status, FERRY_OK);
  EXPECT_EQ(f.count(), 0u);
  EXPECT_TRUE(c.stop());
  EXPECT_TRUE(s.stop());
}

TEST(Connect, HostNameIsResolved) {
  ServerHarness s;
  s.start();  // 127.0.0.1
  Failures f;
  ClientOptions o;
  o.address = "localhost:" + std::to_string(s.port());
  o.on_connect_failed = f.fn();
  ClientHarness c(std::move(o));
  ASSERT_TRUE(c.wait_connected());
  Result r = call(c.client(), kEcho, "by name");
  EXPECT_EQ(r.status, FERRY_OK) << r.message;
  EXPECT_EQ(r.payload, "by name");
  // localhost may also resolve to ::1, where nothing listens: IPv4 is tried
  // first, so no attempt failed.
  EXPECT_EQ(f.count(), 0u);
  EXPECT_TRUE(c.stop());
  EXPECT_TRUE(s.stop());
}

TEST(Connect, ResolvedNameReconnectsAfterTheServerComesBack) {
  auto s = std::make_unique<ServerHarness>();
  s->start();
  const uint16_t port = s->port();
  Failures f;
  ClientOptions o;
  o.address = "localhost:" + std::to_string(port);
  o.reconnect_initial_ms = 20;
  o.reconnect_max_ms = 100;
  o.on_connect_failed = f.fn();
  ClientHarness c(std::move(o));
  ASSERT_TRUE(c.wait_connected());
  ASSERT_TRUE(s->stop());
  s.reset();
  ASSERT_TRUE(wait_until([&] { return f.count() >= 1; }, 5s));  // resolved again, refused
  ServerHarness s2;
  ServerOptions so;
  so.listen_address = "127.0.0.1:" + std::to_string(port);
  s2.start(std::move(so));
  ASSERT_TRUE(c.wait_connected(10s));
  EXPECT_EQ(call(c.client(), kEcho, "again").payload, "again");
  EXPECT_TRUE(c.stop());
  EXPECT_TRUE(s2.stop());
}

TEST(Connect, ClosingWhileResolvingIsClean) {
  // Closed at once: the resolve is cancelled or completes, either way the
  // loop ends clean.
  for (int i = 0; i < 20; ++i) {
    ClientOptions o;
    o.address = "localhost:1";
    ClientHarness c(std::move(o));
    EXPECT_TRUE(c.stop());
  }
}

TEST(Connect, MalformedAddressIsRefusedAtStart) {
  LoopThread loop;
  const ferry_status st = loop.run_sync([&] {
    ClientOptions o;
    o.address = "no-port-here";
    Client client(loop.loop(), std::move(o));
    std::string why;
    const ferry_status r = client.start(&why);
    client.close({});
    return r;
  });
  EXPECT_EQ(st, FERRY_E_INVALID_ARGUMENT);
  EXPECT_TRUE(loop.stop());
}

}  // namespace
}  // namespace ferry::net::test
