// A bad frame closes only the connection that sent it, with a logged reason
// naming the peer; every other connection keeps being served.
#include <gtest/gtest.h>

#include "ferry_test/child_process.h"
#include "net_harness.h"

namespace ferry::net::test {
namespace {

using namespace std::chrono_literals;

class BadFrame : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions o;
    o.limits.max_frame_bytes = 64 * 1024;
    server_.start(std::move(o));
    good_ = std::make_unique<RawConn>(server_.port());
    ASSERT_TRUE(good_->ok());
    round_trip(1);
  }
  void TearDown() override {
    good_.reset();
    EXPECT_TRUE(server_.stop());
  }
  // The well-behaved neighbour still gets answers.
  void round_trip(uint64_t id) {
    ASSERT_TRUE(good_->send_all(request_frame(id, kEcho, "ok")));
    auto f = good_->read_frame();
    ASSERT_TRUE(f.has_value());
    FrameDecoder d;
    FrameView v;
    ASSERT_EQ(d.decode(f->data(), f->size(), &v), DecodeStatus::kFrame);
    EXPECT_EQ(v.request_id, id);
  }
  void expect_closed_for(const std::vector<uint8_t>& bytes, const std::string& reason,
                         bool shut_write = false) {
    RawConn bad(server_.port());
    ASSERT_TRUE(bad.ok());
    ASSERT_TRUE(bad.send_all(bytes));
    if (shut_write) ::shutdown(bad.fd(), SHUT_WR);
    EXPECT_TRUE(bad.wait_closed(5s)) << "server kept the bad connection open";
    EXPECT_TRUE(ferry::test::wait_until([&] { return server_.log().contains(reason); }, 5s))
        << "no log line containing '" << reason << "'";
    EXPECT_TRUE(server_.log().contains("peer 127.0.0.1:"));
    round_trip(++next_id_);
  }

  ServerHarness server_;
  std::unique_ptr<RawConn> good_;
  uint64_t next_id_ = 100;
};

TEST_F(BadFrame, Garbage) {
  std::vector<uint8_t> junk(64);
  for (size_t i = 0; i < junk.size(); ++i) junk[i] = static_cast<uint8_t>(i * 37 + 11);
  junk[0] = 0;  // a plausible small total_len, so the header check is what fails
  junk[1] = 0;
  junk[2] = 0;
  junk[3] = 60;
  junk[4] = 0;
  junk[5] = 0;
  junk[6] = 0;
  junk[7] = 40;
  expect_closed_for(junk, "bad frame: header does not verify");
}

TEST_F(BadFrame, TruncatedThenClosed) {
  auto f = request_frame(5, kEcho, "payload", "attachment");
  f.resize(f.size() - 5);
  expect_closed_for(f, "bad frame: truncated", /*shut_write=*/true);
}

TEST_F(BadFrame, OversizedIsRefusedBeforeItsBodyArrives) {
  std::vector<uint8_t> prefix(8);
  store_be32(prefix.data(), 1u << 30);  // 1 GiB announced, nothing sent
  store_be32(prefix.data() + 4, 16);
  expect_closed_for(prefix, "exceeds the 65536-byte limit");
}

TEST_F(BadFrame, UnverifiableHeader) {
  auto f = request_frame(5, kEcho, "payload");
  f[8 + 4] = 'Z';  // file identifier
  expect_closed_for(f, "header does not verify");
}

TEST_F(BadFrame, HeaderLongerThanFrame) {
  auto f = request_frame(5, kEcho);
  store_be32(f.data() + 4, load_be32(f.data()) + 100);
  expect_closed_for(f, "does not fit total_len");
}

TEST_F(BadFrame, StatsCountThem) {
  auto f = request_frame(5, kEcho);
  f[8 + 5] ^= 0xFF;
  expect_closed_for(f, "header does not verify");
  EXPECT_TRUE(ferry::test::wait_until([&] { return server_.stats().bad_frames == 1; }, 5s));
}

}  // namespace
}  // namespace ferry::net::test
