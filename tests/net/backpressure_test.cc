// Backpressure: a client that sends 10,000 requests and never reads keeps the
// server's queued bytes near the cap, its further requests stop being read,
// and another client's round trips are unaffected. Counts, not timings.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include "ferry_test/child_process.h"
#include "net_harness.h"

namespace ferry::net::test {
namespace {

using namespace std::chrono_literals;
using ferry::test::wait_until;

// Writes as much of `bytes` as the socket takes within `budget`; returns bytes sent.
size_t send_what_fits(int fd, const std::vector<uint8_t>& bytes, std::chrono::milliseconds budget) {
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  const auto deadline = std::chrono::steady_clock::now() + budget;
  size_t off = 0;
  while (off < bytes.size() && std::chrono::steady_clock::now() < deadline) {
    const ssize_t n = ::send(fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n > 0) {
      off += static_cast<size_t>(n);
      continue;
    }
    pollfd pfd{fd, POLLOUT, 0};
    ::poll(&pfd, 1, 50);
  }
  return off;
}

TEST(Backpressure, ClientThatNeverReadsIsStoppedOthersAreNot) {
  constexpr size_t kCap = 256 * 1024;
  constexpr size_t kAnswer = 4096;
  ServerHarness s;
  ServerOptions o;
  o.limits.max_pending_write_bytes = kCap;
  o.limits.max_inflight_requests = 100000;  // the write cap is what bites here
  s.start(std::move(o));

  RawConn hog(s.port(), /*rcvbuf=*/4096);
  ASSERT_TRUE(hog.ok());
  std::vector<uint8_t> all;
  const std::string n = std::to_string(kAnswer);
  for (uint64_t i = 0; i < 10000; ++i) {
    auto f = request_frame(i, kBig, n);
    all.insert(all.end(), f.begin(), f.end());
  }
  // 10,000 answers of 4 KiB are ~40 MiB: far more than any socket buffers.
  send_what_fits(hog.fd(), all, 3s);

  // The server stops dispatching that connection's requests and stays there.
  uint64_t dispatched = 0;
  ASSERT_TRUE(wait_until(
      [&] {
        const uint64_t now = s.stats().requests_dispatched;
        const bool stable = now == dispatched && now > 0;
        dispatched = now;
        return stable;
      },
      10s, 200ms));
  EXPECT_LT(dispatched, 10000u) << "every request was read: no backpressure";
  ServerStats st = s.stats();
  EXPECT_GE(st.read_pauses, 1u);
  // Handlers answer at once here, so the queue passes the cap by at most one
  // answer frame (docs/protocol.md, "Backpressure").
  EXPECT_LE(st.max_pending_write_bytes, kCap + kAnswer + 128);

  // A second client is served normally meanwhile: 200 round trips, all answered.
  ClientOptions co;
  co.address = s.address();
  ClientHarness c(co);
  ASSERT_TRUE(c.wait_connected());
  int ok = 0;
  for (int i = 0; i < 200; ++i) {
    if (call(c.client(), kEcho, "x", {}, 5000).status == FERRY_OK) ++ok;
  }
  EXPECT_EQ(ok, 200);
  // ...and the hog's requests are still not being read.
  EXPECT_EQ(s.stats().requests_dispatched, dispatched + 200);
  EXPECT_LE(s.stats().max_pending_write_bytes, kCap + kAnswer + 128);

  EXPECT_TRUE(c.stop());
  // Shutdown with a connection that never reads: the drain timeout closes it.
  EXPECT_TRUE(s.stop(20s));
}

TEST(Backpressure, InflightCapStopsReadingUntilAnswersDrain) {
  ServerHarness s;
  ServerOptions o;
  o.limits.max_inflight_requests = 8;
  s.start(std::move(o));
  RawConn raw(s.port());
  std::vector<uint8_t> burst;
  for (uint64_t i = 0; i < 50; ++i) {
    auto f = request_frame(i, kHold);
    burst.insert(burst.end(), f.begin(), f.end());
  }
  ASSERT_TRUE(raw.send_all(burst));
  ASSERT_TRUE(wait_until([&] { return s.held_count() == 8; }, 5s));
  std::this_thread::sleep_for(100ms);  // give a wrong implementation time to over-read
  EXPECT_EQ(s.held_count(), 8u);
  EXPECT_EQ(s.stats().requests_dispatched, 8u);

  // Answering drains the cap; reading resumes until all 50 are in.
  size_t answered = 0;
  while (answered < 50) {
    if (!wait_until([&] { return s.held_count() > 0; }, 5s)) break;
    // Counted by what was answered: a request held between a held_count()
    // and the answer is answered too (counting held_count() lost it under
    // load: 49 of 50 in a CI run).
    answered += s.answer_held(FERRY_OK);
    EXPECT_LE(s.stats().requests_dispatched, answered + 8);
  }
  EXPECT_EQ(answered, 50u);
  for (uint64_t i = 0; i < 50; ++i) {
    auto f = raw.read_frame();
    ASSERT_TRUE(f.has_value()) << i;
  }
  EXPECT_TRUE(s.stop());
}

}  // namespace
}  // namespace ferry::net::test
