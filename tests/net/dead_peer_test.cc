// A write to a peer that has gone must close that connection, never kill the
// process: on Linux a write to a peer that reset raises SIGPIPE, whose
// default action ends the process silently (exit 141). That is how the fake
// broker of the SDK tests died under a client that closed with answers in
// flight (CppBroker.RebalanceWhenAThirdJoinsAndOneLeavesLosesNothing, once in
// CI at ee8879d).
//
// The server must write before it reads the peer's close: with
// max_inflight_requests = 1 and a request held, the connection is not read
// (backpressure), so it cannot notice; answering then writes to the dead
// socket. Each scenario runs in a child (EXPECT_EXIT) with SIGPIPE at its
// default, whatever the test runner set, so a regression shows as the
// child killed by signal 13.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <thread>

#include "ferry_test/child_process.h"
#include "net_harness.h"

namespace ferry::net::test {
namespace {

using namespace std::chrono_literals;
using ferry::test::wait_until;

// Starts a server that reads one request at a time, sends it `requests`
// held requests on a raw connection, and waits for the first to be held.
std::unique_ptr<RawConn> connect_and_hold(ServerHarness& s, int requests) {
  ServerOptions o;
  o.limits.max_inflight_requests = 1;
  s.start(std::move(o));
  auto c = std::make_unique<RawConn>(s.port());
  std::vector<uint8_t> frames;
  for (int i = 1; i <= requests; ++i) {
    auto f = request_frame(static_cast<uint64_t>(i), kHold, "x");
    frames.insert(frames.end(), f.begin(), f.end());
  }
  if (!c->ok() || !c->send_all(frames) || !wait_until([&] { return s.held_count() == 1; }, 5s)) return nullptr;
  return c;
}

bool closed_for_a_failed_write(ServerHarness& s) {
  bool closed = wait_until([&] { return s.stats().connections_open == 0; }, 5s);
  bool logged = s.log().contains("write failed");
  if (!closed || !logged) {
    std::fprintf(stderr, "connection closed: %d, 'write failed' logged: %d\n", closed, logged);
    for (const auto& l : s.log().lines()) std::fprintf(stderr, "  log: %s\n", l.c_str());
  }
  return closed && logged;
}

// The peer resets (SO_LINGER 0): the first write reports ECONNRESET, a
// second one on the same socket would raise SIGPIPE.
void answer_a_peer_that_reset() {
  std::signal(SIGPIPE, SIG_DFL);
  ServerHarness s;
  auto c = connect_and_hold(s, 2);
  if (!c) std::exit(2);
  linger hard{1, 0};
  ::setsockopt(c->fd(), SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
  c.reset();                             // RST
  std::this_thread::sleep_for(100ms);    // let it arrive (not read: backpressure)
  s.answer_held(FERRY_OK);
  bool ok = closed_for_a_failed_write(s);
  std::exit(ok && s.stop() ? 0 : 1);
}

// The peer closes (FIN): the first answer is written, draws the peer's
// RST, and the next write raises SIGPIPE unless the loop thread blocks it.
void answer_a_peer_that_closed_twice() {
  std::signal(SIGPIPE, SIG_DFL);
  ServerHarness s;
  auto c = connect_and_hold(s, 3);
  if (!c) std::exit(2);
  c.reset();  // FIN
  std::this_thread::sleep_for(100ms);
  s.answer_held(FERRY_OK);  // written; the next held request is dispatched
  if (!wait_until([&] { return s.held_count() == 1; }, 5s)) std::exit(3);
  std::this_thread::sleep_for(100ms);  // the peer's RST arrives
  s.answer_held(FERRY_OK);
  bool ok = closed_for_a_failed_write(s);
  std::exit(ok && s.stop() ? 0 : 1);
}

TEST(DeadPeer, AnsweringAPeerThatResetClosesTheConnectionAndTheProcessLives) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(answer_a_peer_that_reset(), ::testing::ExitedWithCode(0), "");
}

TEST(DeadPeer, WritingTwiceToAPeerThatClosedClosesTheConnectionAndTheProcessLives) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(answer_a_peer_that_closed_twice(), ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace ferry::net::test
