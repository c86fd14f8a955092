// Server + Client over loopback: request/response, oneway, timeouts,
// reconnect, answers from other threads, server-originated requests, idle
// timeout, zero-copy attachments and write batching.
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <span>
#include <vector>
#include <thread>

#include "ferry_test/child_process.h"
#include "net_harness.h"

namespace ferry::net::test {
namespace {

using namespace std::chrono_literals;
using ferry::test::wait_until;

ClientOptions client_opts(const std::string& address) {
  ClientOptions o;
  o.address = address;
  o.reconnect_initial_ms = 20;
  o.reconnect_max_ms = 200;
  return o;
}

TEST(Transport, RequestResponseCarriesPayloadAndAttachment) {
  ServerHarness s;
  s.start();
  ClientHarness c(client_opts(s.address()));
  ASSERT_TRUE(c.wait_connected());
  const std::string big_att(100000, 'z');  // above the copy threshold: borrowed slice
  for (const std::string& att : {std::string("small"), big_att, std::string()}) {
    Result r = call(c.client(), kEcho, "hello", att);
    EXPECT_EQ(r.status, FERRY_OK) << r.message;
    EXPECT_EQ(r.payload, "hello");
    EXPECT_EQ(r.attachment, att);
  }
  EXPECT_TRUE(c.stop());
  EXPECT_TRUE(s.stop());
}

TEST(Transport, UnknownCodeIsTheHandlersAnswer) {
  ServerHarness s;
  s.start();
  ClientHarness c(client_opts(s.address()));
  ASSERT_TRUE(c.wait_connected());
  Result r = call(c.client(), 9999);
  EXPECT_EQ(r.status, FERRY_E_UNKNOWN_REQUEST);
  EXPECT_NE(r.message.find("9999"), std::string::npos);
  // The connection is still fine afterwards.
  EXPECT_EQ(call(c.client(), kEcho, "x").status, FERRY_OK);
  EXPECT_TRUE(c.stop());
  EXPECT_TRUE(s.stop());
}

TEST(Transport, OnewayGetsNoAnswerAndDoesNotCountInFlight) {
  std::atomic<int> seen{0};
  ServerHarness s;
  ServerOptions o;
  o.on_request = [&](Request req) {
    if (req.oneway()) {
      ++seen;
      return;  // dropping a oneway request sends nothing
    }
    req.respond(FERRY_OK, {}, req.payload());
  };
  s.start(std::move(o));
  ClientHarness c(client_opts(s.address()));
  ASSERT_TRUE(c.wait_connected());
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(c.client().submit(kEcho, {}, {}, 0, true, nullptr), FERRY_OK);
  }
  // A normal request after them: its answer is the next frame, not an answer to a oneway.
  Result r = call(c.client(), kEcho, "after");
  EXPECT_EQ(r.status, FERRY_OK);
  EXPECT_EQ(r.payload, "after");
  EXPECT_EQ(seen.load(), 10);
  EXPECT_EQ(s.stats().frames_written, 1u);
  EXPECT_TRUE(c.stop());
  EXPECT_TRUE(s.stop());
}

TEST(Transport, RequestTimesOutAndALateAnswerIsIgnored) {
  ServerHarness s;
  s.start();
  ClientHarness c(client_opts(s.address()));
  ASSERT_TRUE(c.wait_connected());
  const auto t0 = std::chrono::steady_clock::now();
  Result r = call(c.client(), kHold, "late", {}, 100);
  EXPECT_EQ(r.status, FERRY_E_TIMEOUT);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);  // bounded, not a timing assertion
  ASSERT_TRUE(wait_until([&] { return s.held_count() == 1; }, 5s));
  s.answer_held(FERRY_OK);  // arrives after the timeout: dropped by the client
  EXPECT_EQ(call(c.client(), kEcho, "next").payload, "next");
  EXPECT_TRUE(c.stop());
  EXPECT_TRUE(s.stop());
}

TEST(Transport, NotConnectedFailsAtOnce) {
  ClientOptions o = client_opts("127.0.0.1:1");  // nothing listens on port 1
  ClientHarness c(o);
  Result r = call(c.client(), kEcho);
  EXPECT_EQ(r.status, FERRY_E_NOT_CONNECTED);
  EXPECT_TRUE(c.stop());
}

TEST(Transport, ReconnectsAfterTheServerComesBack) {
  auto s = std::make_unique<ServerHarness>();
  s->start();
  const uint16_t port = s->port();
  ClientHarness c(client_opts(s->address()));
  ASSERT_TRUE(c.wait_connected());
  EXPECT_EQ(call(c.client(), kEcho, "1").status, FERRY_OK);
  ASSERT_TRUE(s->stop());
  s.reset();
  ASSERT_TRUE(wait_until([&] { return !c.connected(); }, 5s));
  EXPECT_EQ(call(c.client(), kEcho).status, FERRY_E_NOT_CONNECTED);

  // Same port again (it was ours a moment ago).
  ServerHarness s2;
  ServerOptions o;
  o.listen_address = "127.0.0.1:" + std::to_string(port);
  s2.start(std::move(o));
  ASSERT_TRUE(c.wait_connected(10s));
  EXPECT_EQ(call(c.client(), kEcho, "2").payload, "2");
  EXPECT_TRUE(c.stop());
  EXPECT_TRUE(s2.stop());
}

TEST(Transport, PendingRequestsFailWhenTheConnectionDrops) {
  ServerHarness s;
  s.start();
  ClientHarness c(client_opts(s.address()));
  ASSERT_TRUE(c.wait_connected());
  auto fut = std::async(std::launch::async, [&] { return call(c.client(), kHold, {}, {}, 10000); });
  ASSERT_TRUE(wait_until([&] { return s.held_count() == 1; }, 5s));
  s.loop().run_sync([&] {
    // Close every server-side connection.
    for (uint64_t id = 1; id < 10; ++id) s.server().close_connection(id);
  });
  ASSERT_EQ(fut.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(fut.get().status, FERRY_E_CONNECTION_CLOSED);
  s.answer_held(FERRY_OK);  // the connection is gone: dropped quietly
  EXPECT_TRUE(c.stop());
  EXPECT_TRUE(s.stop());
}

TEST(Transport, AnswersFromOtherThreadsAndSubmitsFromManyThreads) {
  ServerHarness s;
  s.start();
  ClientHarness c(client_opts(s.address()));
  ASSERT_TRUE(c.wait_connected());
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        const std::string p = std::to_string(t) + ":" + std::to_string(i);
        Result r = call(c.client(), (i % 2) ? kOffThread : kEcho, p);
        if (r.status == FERRY_OK && r.payload == p) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 800);
  EXPECT_TRUE(c.stop());
  EXPECT_TRUE(s.stop());
}

TEST(Transport, ServerSendsARequestToAConnectedClient) {
  ServerHarness s;
  std::atomic<uint64_t> conn_id{0};
  ServerOptions so;
  so.on_event = [&](uint64_t id, ConnEvent ev, std::string_view) {
    if (ev == ConnEvent::kConnected) conn_id = id;
  };
  s.start(std::move(so));
  ClientOptions co = client_opts(s.address());
  co.on_request = [](Request req) {
    std::string p(req.payload().begin(), req.payload().end());
    req.respond(FERRY_OK, {}, std::span<const uint8_t>(
                                  reinterpret_cast<const uint8_t*>(("back:" + p).data()), 5 + p.size()));
  };
  ClientHarness c(std::move(co));
  ASSERT_TRUE(c.wait_connected());
  ASSERT_TRUE(wait_until([&] { return conn_id.load() != 0; }, 5s));

  auto answer = std::make_shared<std::promise<Result>>();
  auto fut = answer->get_future();
  const std::string q = "check";
  const ferry_status st = s.loop().run_sync([&] {
    return s.server().request(
        conn_id, 10500, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(q.data()), q.size()),
        {}, 2000, false, [answer](const Response& r) {
          answer->set_value(Result{r.status, std::string(r.message),
                                   std::string(r.payload.begin(), r.payload.end()), {}});
        });
  });
  ASSERT_EQ(st, FERRY_OK);
  ASSERT_EQ(fut.wait_for(5s), std::future_status::ready);
  Result r = fut.get();
  EXPECT_EQ(r.status, FERRY_OK);
  EXPECT_EQ(r.payload, "back:check");
  // And the client's own requests still work on the same connection.
  EXPECT_EQ(call(c.client(), kEcho, "y").payload, "y");
  EXPECT_EQ(s.loop().run_sync([&] {
    return s.server().request(424242, 1, {}, {}, 100, false, [](const Response&) {});
  }),
            FERRY_E_NOT_CONNECTED);
  EXPECT_TRUE(c.stop());
  EXPECT_TRUE(s.stop());
}

TEST(Transport, IdleConnectionIsClosedBusyOneIsNot) {
  ServerHarness s;
  ServerOptions o;
  o.idle_timeout_ms = 100;
  s.start(std::move(o));
  RawConn idle(s.port());
  RawConn busy(s.port());
  ASSERT_TRUE(idle.ok() && busy.ok());
  ASSERT_TRUE(busy.send_all(request_frame(1, kHold)));  // in flight: never idle
  EXPECT_TRUE(idle.wait_closed(5s));
  EXPECT_TRUE(s.log().contains("idle for"));
  EXPECT_EQ(s.held_count(), 1u);
  s.answer_held(FERRY_OK);
  EXPECT_TRUE(busy.read_frame().has_value());
  EXPECT_TRUE(s.stop());
}

TEST(Transport, AdvertisedAddressIsConfigurable) {
  ServerHarness s;
  ServerOptions o;
  o.advertised_address = "10.1.2.3:9876";
  s.start(std::move(o));
  EXPECT_EQ(s.loop().run_sync([&] { return s.server().advertised_address(); }), "10.1.2.3:9876");
  EXPECT_EQ(s.loop().run_sync([&] { return s.server().bound_address(); }), s.address());
  EXPECT_TRUE(s.stop());
}

TEST(Transport, BadListenAddressIsAClearError) {
  LoopThread loop;
  std::string err;
  ferry_status st = loop.run_sync([&] {
    ServerOptions o;
    o.listen_address = "not-an-address";
    o.on_request = [](Request) {};
    Server srv(loop.loop(), std::move(o));
    return srv.listen(&err);
  });
  EXPECT_EQ(st, FERRY_E_INVALID_ARGUMENT);
  EXPECT_NE(err.find("not-an-address"), std::string::npos);
  EXPECT_TRUE(loop.stop());
}

TEST(Transport, BorrowedAttachmentIsReleasedAfterTheWrite) {
  std::atomic<int> released{0};
  static const std::string kSegment(64 * 1024, 's');  // stands for a mapped segment
  ServerHarness s;
  ServerOptions o;
  o.on_request = [&](Request req) {
    ferry_slice slices[2] = {{kSegment.data(), 32 * 1024}, {kSegment.data() + 32 * 1024, 32 * 1024}};
    req.respond(FERRY_OK, {}, {},
                Attachment::borrow(slices, 2, [](void* ctx) { ++*static_cast<std::atomic<int>*>(ctx); },
                                   &released));
  };
  s.start(std::move(o));
  RawConn raw(s.port());
  ASSERT_TRUE(raw.send_all(request_frame(7, 1)));
  auto f = raw.read_frame();
  ASSERT_TRUE(f.has_value());
  FrameDecoder d;
  FrameView v;
  ASSERT_EQ(d.decode(f->data(), f->size(), &v), DecodeStatus::kFrame);
  EXPECT_EQ(v.request_id, 7u);
  EXPECT_EQ(v.attachment.size(), kSegment.size());
  EXPECT_TRUE(wait_until([&] { return released.load() == 1; }, 5s));
  EXPECT_TRUE(s.stop());
  EXPECT_EQ(released.load(), 1);
}

TEST(Transport, AnswersOfOneReadGoOutInOneWrite) {
  ServerHarness s;
  s.start();
  RawConn raw(s.port());
  std::vector<uint8_t> burst;
  for (uint64_t i = 0; i < 100; ++i) {
    auto f = request_frame(i, kEcho, "p");
    burst.insert(burst.end(), f.begin(), f.end());
  }
  ASSERT_TRUE(raw.send_all(burst));  // one send: normally one read on the server
  for (uint64_t i = 0; i < 100; ++i) {
    auto f = raw.read_frame();
    ASSERT_TRUE(f.has_value());
    FrameDecoder d;
    FrameView v;
    ASSERT_EQ(d.decode(f->data(), f->size(), &v), DecodeStatus::kFrame);
    EXPECT_EQ(v.request_id, i);  // in order
  }
  const ServerStats st = s.stats();
  EXPECT_EQ(st.frames_written, 100u);
  // One write per loop iteration: the kernel may split the burst over a few
  // reads, but never into anything close to one write per answer.
  EXPECT_LE(st.writes, 10u);
  EXPECT_TRUE(s.stop());
}

// ServerOptions::on_peek: a read's requests are shown before they are
// handled, each before its own on_request and at most peek_ahead frames
// ahead of the one being handled; on_request still gets every one, in order,
// carrying what on_peek returned for it (0 when it was not peeked).
TEST(Transport, PeekSeesAReadsNextRequestsBeforeTheyAreHandled) {
  constexpr int kN = 300;
  std::vector<std::pair<char, int>> events;  // loop thread only: ('P' peek | 'R' request, number)
  auto number = [](std::span<const uint8_t> p) {
    int n = -1;
    if (p.size() == sizeof n) std::memcpy(&n, p.data(), sizeof n);
    return n;
  };
  ServerHarness s;
  ServerOptions o;
  o.peek_ahead = 3;
  int wrong_hints = 0, hinted = 0;
  o.on_peek = [&](uint32_t code, std::span<const uint8_t> payload) -> uint64_t {
    if (code != kEcho) return 0;
    events.emplace_back('P', number(payload));
    return 1000 + static_cast<uint64_t>(number(payload));
  };
  o.on_request = [&](Request req) {
    const int n = number(req.payload());
    events.emplace_back('R', n);
    if (req.peek_hint() != 0) {
      ++hinted;
      if (req.peek_hint() != 1000 + static_cast<uint64_t>(n)) ++wrong_hints;
    }
    if (!req.oneway()) req.respond(FERRY_OK, {}, req.payload());
  };
  s.start(std::move(o));
  ClientHarness c(client_opts(s.address()));
  ASSERT_TRUE(c.wait_connected());
  for (int i = 0; i < kN; ++i) {
    std::vector<uint8_t> p(sizeof(int));
    std::memcpy(p.data(), &i, sizeof(int));
    ASSERT_EQ(c.client().submit(kEcho, std::move(p), {}, 0, true, nullptr), FERRY_OK);
  }
  EXPECT_EQ(call(c.client(), kHold + 100, "end").status, FERRY_OK);  // after every oneway
  std::vector<std::pair<char, int>> seen = s.loop().run_sync([&] { return events; });
  int handled = 0, peeks = 0;
  for (const auto& [kind, i] : seen) {
    if (kind == 'R') {
      if (i == -1) continue;  // the closing call
      EXPECT_EQ(i, handled) << "requests out of order";
      ++handled;
      continue;
    }
    ++peeks;
    ASSERT_GE(i, 0);
    ASSERT_LT(i, kN);
    EXPECT_GT(i, handled) << "request " << i << " peeked at or after its handling";
    EXPECT_LE(i, handled + 3) << "request " << i << " peeked more than peek_ahead frames ahead";
  }
  EXPECT_EQ(handled, kN);
  // 300 oneway frames submitted at once reach the server in a few reads.
  EXPECT_GT(peeks, 0);
  const auto [hints, wrong] = s.loop().run_sync([&] { return std::make_pair(hinted, wrong_hints); });
  EXPECT_GT(hints, 0);
  EXPECT_LE(hints, peeks);  // a request read again after a pause is peeked again
  EXPECT_EQ(wrong, 0) << "a request carried another request's hint";
  EXPECT_TRUE(c.stop());
  EXPECT_TRUE(s.stop());
}

}  // namespace
}  // namespace ferry::net::test
