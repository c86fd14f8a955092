// A request a handler keeps past the read callback (a long poll) must not
// pin the connection's 64 KiB read block: small requests are copied out when
// read, so thousands of held ones leave the read buffer reusing one block.
// Large requests keep their block, and their views stay intact meanwhile.
#include <gtest/gtest.h>

#include <string>

#include "ferry_test/child_process.h"
#include "net_harness.h"

namespace ferry::net::test {
namespace {

using namespace std::chrono_literals;
using ferry::test::wait_until;

std::string small_payload(uint64_t id) { return std::string(200, static_cast<char>('a' + id % 26)); }

TEST(HeldRequests, ManyHeldRequestsDoNotGrowTheReadBlocks) {
  ServerHarness s;
  ServerOptions o;
  o.limits.max_inflight_requests = 100000;  // hold them all
  s.start(std::move(o));
  RawConn raw(s.port());
  ASSERT_TRUE(raw.ok());

  // One large request first (payload above request_copy_bytes): it keeps
  // its block, which must not be rewritten while it is held.
  const std::string large(ConnectionLimits{}.request_copy_bytes + 1000, 'L');
  ASSERT_TRUE(raw.send_all(request_frame(1, kHold, large)));
  constexpr uint64_t kSmall = 5000;  // ~1.4 MB of frames: 20+ blocks if each were pinned
  std::vector<uint8_t> burst;
  for (uint64_t id = 2; id < 2 + kSmall; ++id) {
    const auto f = request_frame(id, kHold, small_payload(id));
    burst.insert(burst.end(), f.begin(), f.end());
  }
  ASSERT_TRUE(raw.send_all(burst));
  ASSERT_TRUE(wait_until([&] { return s.held_count() == kSmall + 1; }, 10s)) << s.held_count();

  // The large request's block, plus at most one the small ones share.
  const ServerStats st = s.stats();
  EXPECT_LE(st.read_blocks_allocated, 3u) << "held requests pinned read blocks";

  // Every held request still reads what was sent (answer_held echoes it).
  s.answer_held(FERRY_OK);
  FrameDecoder dec;
  for (uint64_t n = 0; n < kSmall + 1; ++n) {
    auto frame = raw.read_frame();
    ASSERT_TRUE(frame) << "answer " << n << " missing";
    FrameView v;
    ASSERT_EQ(dec.decode(frame->data(), frame->size(), &v), DecodeStatus::kFrame);
    const std::string got(reinterpret_cast<const char*>(v.payload.data()), v.payload.size());
    EXPECT_EQ(got, v.request_id == 1 ? large : small_payload(v.request_id))
        << "request " << v.request_id;
  }
  EXPECT_TRUE(s.stop());
}

// A pipelined producer has its whole window read and held within a turn or
// two (sends wait for the turn's storage call): answered, every state goes
// back to the connection's pool, and the next window allocates none.
TEST(HeldRequests, ASecondPipelinedWindowAllocatesNoRequestState) {
  ServerHarness s;
  ServerOptions o;
  o.limits.max_inflight_requests = 100000;
  s.start(std::move(o));
  RawConn raw(s.port());
  ASSERT_TRUE(raw.ok());
  constexpr uint64_t kWindow = 256;  // compare.sh's async window
  FrameDecoder dec;
  uint64_t allocated_after_first = 0;
  for (uint64_t round = 0; round < 2; ++round) {
    std::vector<uint8_t> burst;
    for (uint64_t i = 0; i < kWindow; ++i) {
      const auto f = request_frame(1 + round * kWindow + i, kHold, small_payload(i));
      burst.insert(burst.end(), f.begin(), f.end());
    }
    ASSERT_TRUE(raw.send_all(burst));
    ASSERT_TRUE(wait_until([&] { return s.held_count() == kWindow; }, 10s)) << s.held_count();
    s.answer_held(FERRY_OK);
    for (uint64_t n = 0; n < kWindow; ++n) {
      auto frame = raw.read_frame();
      ASSERT_TRUE(frame) << "round " << round << " answer " << n << " missing";
      FrameView v;
      ASSERT_EQ(dec.decode(frame->data(), frame->size(), &v), DecodeStatus::kFrame);
    }
    const uint64_t allocated = s.stats().request_states_allocated;
    if (round == 0) {
      EXPECT_GE(allocated, kWindow) << "every held request has its own state";
      allocated_after_first = allocated;
    } else {
      EXPECT_EQ(allocated, allocated_after_first) << "the second window allocated states";
    }
  }
  EXPECT_TRUE(s.stop());
}

TEST(HeldRequests, RetainedBufferOfACopiedRequestOutlivesIt) {
  ServerHarness s;
  std::shared_ptr<const void> kept;
  std::span<const uint8_t> view;
  ServerOptions o;
  o.on_request = [&](Request req) {
    kept = req.retain_buffer();
    view = req.payload();
    req.respond(FERRY_OK);
  };
  s.start(std::move(o));
  ClientOptions co;
  co.address = s.address();
  ClientHarness c(std::move(co));
  ASSERT_TRUE(c.wait_connected());
  EXPECT_EQ(call(c.client(), kEcho, "first").status, FERRY_OK);
  const std::shared_ptr<const void> first = s.loop().run_sync([&] { return kept; });
  const auto first_view = s.loop().run_sync([&] { return view; });
  // The next request reuses the pooled state; the retained bytes stay.
  EXPECT_EQ(call(c.client(), kEcho, "second").status, FERRY_OK);
  ASSERT_TRUE(first);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(first_view.data()), first_view.size()),
            "first");
  EXPECT_TRUE(c.stop());
  EXPECT_TRUE(s.stop());
}

// The client side: an answer whose buffer a callback retained is handed to
// another thread, which may let go of it at any moment. Whether the loop may
// read into that block again cannot be judged from the reference count after
// the callback (a relaxed load: no happens-before with the other thread's
// reads); once retained, a block is only filled further. Here the retained
// reference is dropped before the callback returns — the earliest a consumer
// thread could — and the next answer must still land elsewhere.
TEST(HeldRequests, ARetainedAnswerIsNeverOverwrittenEvenAfterItsHolderLetsGo) {
  ServerHarness s;
  s.start();
  ClientOptions co;
  co.address = s.address();
  ClientHarness c(std::move(co));
  ASSERT_TRUE(c.wait_connected());

  const std::string first(300, 'F');
  std::promise<std::pair<const uint8_t*, std::weak_ptr<const void>>> seen;
  auto got = seen.get_future();
  ASSERT_EQ(c.client().submit(kEcho, std::vector<uint8_t>(first.begin(), first.end()), {}, 0,
                              false,
                              [&](const Response& r) {
                                std::shared_ptr<const void> kept = r.retain_buffer();
                                seen.set_value({r.payload.data(), kept});
                              }),  // `kept` let go here, inside the callback
            FERRY_OK);
  ASSERT_EQ(got.wait_for(20s), std::future_status::ready);
  const auto [bytes, block] = got.get();
  ASSERT_NE(bytes, nullptr);

  // Answers of the same size that would fit the start of the same block.
  for (int i = 0; i < 8; ++i) {
    const Result r = call(c.client(), kEcho, std::string(300, static_cast<char>('0' + i)));
    ASSERT_EQ(r.status, FERRY_OK);
    // Checked on the loop thread, where the read buffer lives: while the
    // connection still holds that block, the first answer's bytes are intact.
    const bool intact = c.loop().run_sync([&, bytes = bytes, block = block] {
      const auto alive = block.lock();
      return !alive || std::string(reinterpret_cast<const char*>(bytes), first.size()) == first;
    });
    EXPECT_TRUE(intact) << "answer " << i << " was read into the retained block's bytes";
  }
  EXPECT_TRUE(c.stop());
  EXPECT_TRUE(s.stop());
}

}  // namespace
}  // namespace ferry::net::test
