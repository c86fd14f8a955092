// 1,000 concurrent client connections to one server, each doing round trips.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <atomic>

#include "ferry_test/child_process.h"
#include "net_harness.h"

namespace ferry::net::test {
namespace {

using namespace std::chrono_literals;

// Both ends live in this process: 2 fds per connection plus slack.
bool raise_fd_limit(rlim_t want) {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return false;
  if (rl.rlim_cur >= want) return true;
  rl.rlim_cur = std::min(want, rl.rlim_max);
  return ::setrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur >= want;
}

TEST(ManyConnections, AThousandClientsAllGetAnswers) {
  constexpr int kClients = 1000;
  constexpr int kRounds = 3;
  ASSERT_TRUE(raise_fd_limit(2 * kClients + 256)) << "RLIMIT_NOFILE hard limit too low";
  ServerHarness s;
  ServerOptions so;
  so.limits.read_buffer_bytes = 16 * 1024;
  s.start(std::move(so));

  // All clients on one loop thread, as an SDK with many brokers would have.
  LoopThread loop;
  std::vector<std::unique_ptr<Client>> clients;
  loop.run_sync([&] {
    for (int i = 0; i < kClients; ++i) {
      ClientOptions o;
      o.address = s.address();
      o.connect_timeout_ms = 10000;
      o.limits.read_buffer_bytes = 4096;
      clients.push_back(std::make_unique<Client>(loop.loop(), std::move(o)));
      std::string err;
      if (clients.back()->start(&err) != FERRY_OK) throw std::runtime_error(err);
    }
  });
  ASSERT_TRUE(ferry::test::wait_until(
      [&] {
        return loop.run_sync([&] {
          int n = 0;
          for (auto& c : clients) n += c->connected() ? 1 : 0;
          return n;
        }) == kClients;
      },
      30s, 50ms));
  EXPECT_EQ(s.stats().connections_open, static_cast<uint64_t>(kClients));

  // Every client keeps one request in flight for kRounds rounds, all at once.
  std::atomic<int> ok{0}, failed{0};
  auto done = std::make_shared<std::promise<void>>();
  std::function<void(int, int)> send_one;  // loop thread only
  send_one = [&](int i, int round) {
    const std::string p = std::to_string(i);
    const ferry_status st = clients[i]->request(
        kEcho, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(p.data()), p.size()), {},
        10000, false, [&, i, round, p](const Response& r) {
          if (r.status == FERRY_OK && std::string(r.payload.begin(), r.payload.end()) == p) {
            ++ok;
          } else {
            ++failed;
          }
          if (round + 1 < kRounds) send_one(i, round + 1);
          if (ok + failed == kClients * kRounds) done->set_value();
        });
    if (st != FERRY_OK) ++failed;
  };
  loop.post([&] {
    for (int i = 0; i < kClients; ++i) send_one(i, 0);
  });
  ASSERT_EQ(done->get_future().wait_for(60s), std::future_status::ready)
      << "ok " << ok << " failed " << failed;
  EXPECT_EQ(ok.load(), kClients * kRounds);
  EXPECT_EQ(failed.load(), 0);

  auto closed = std::make_shared<std::atomic<int>>(0);
  loop.run_sync([&] {
    for (auto& c : clients) c->close([closed] { ++*closed; });
  });
  ASSERT_TRUE(ferry::test::wait_until([&] { return closed->load() == kClients; }, 20s));
  loop.run_sync([&] { clients.clear(); });
  EXPECT_TRUE(loop.stop());
  EXPECT_TRUE(s.stop());
}

}  // namespace
}  // namespace ferry::net::test
