// SendEncoder: a request written by patching the last one's bytes must be
// byte for byte what a fresh build makes, and read back as sent.
#include "../../sdk/c/src/send_encode.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ferry::sdk {
namespace {

std::vector<uint8_t> fresh(const std::vector<WireMessage>& msgs, std::string_view topic, std::string_view group,
                           int32_t qid) {
  SendEncoder e;  // nothing remembered: always builds
  auto s = e.encode(msgs, topic, group, qid);
  EXPECT_FALSE(e.last_patched());
  return {s.begin(), s.end()};
}

WireMessage msg(std::string props, int32_t flag, int64_t born, uint32_t body_len) {
  WireMessage m;
  m.props = std::move(props);
  m.flag = flag;
  m.born_ms = born;
  m.body_len = body_len;
  return m;
}

TEST(SdkSendEncoder, APatchedRequestEqualsAFreshBuildAndReadsBack) {
  SendEncoder e;
  struct Case {
    std::string topic, group, props;
    int32_t qid, flag;
    int64_t born;
    uint32_t body_len;
    bool patched;  // expected: same lengths as the previous case
  };
  const std::vector<Case> cases = {
      {"T1", "G", "UNIQ_KEY\x01" "AAAA\x02", 0, 0, 0, 0, false},
      {"T2", "G", "UNIQ_KEY\x01" "BBBB\x02", 3, 7, 1700000000123, 1024, true},
      {"T3", "H", "UNIQ_KEY\x01" "CCCC\x02", -1, 0, -5, 0xFFFFFFFFu, true},  // defaults again, other bytes
      {"TT4", "H", "UNIQ_KEY\x01" "DDDD\x02", 1, 1, 1, 1, false},              // topic length changes
      {"TT5", "H", "UNIQ_KEY\x01" "DDDDE\x02", 1, 1, 1, 1, false},             // properties length changes
      {"TT6", "HH", "UNIQ_KEY\x01" "DDDDE\x02", 2, 2, 2, 2, false},            // group length changes
      {"TT7", "HI", "UNIQ_KEY\x01" "EEEEF\x02", 0, 0, 0, 0, true},
      {"TT8", "HI", "", 0, 0, 0, 0, false},
      {"TT9", "HI", "", 9, 9, 9, 9, true},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    SCOPED_TRACE(i);
    std::vector<WireMessage> msgs{msg(c.props, c.flag, c.born, c.body_len)};
    auto got = e.encode(msgs, c.topic, c.group, c.qid);
    EXPECT_EQ(e.last_patched(), c.patched);
    std::vector<uint8_t> bytes(got.begin(), got.end());
    EXPECT_EQ(bytes, fresh(msgs, c.topic, c.group, c.qid));
    auto d = read_core<fbc::SendRequest>(got);
    ASSERT_TRUE(d);
    EXPECT_EQ(str(d->topic()), c.topic);
    EXPECT_EQ(str(d->producer_group()), c.group);
    ASSERT_EQ(d->messages()->size(), 1u);
    const auto* m = d->messages()->Get(0);
    EXPECT_EQ(m->queue_id(), c.qid);
    EXPECT_EQ(m->flag(), c.flag);
    EXPECT_EQ(m->born_timestamp_ms(), c.born);
    EXPECT_EQ(m->body_length(), c.body_len);
    ASSERT_NE(m->properties(), nullptr);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(m->properties()->data()), m->properties()->size()), c.props);
  }
}

TEST(SdkSendEncoder, ABatchIsBuiltAndTheNextSingleSendStillMatchesAFreshBuild) {
  SendEncoder e;
  std::vector<WireMessage> one{msg("K\x01V\x02", 0, 10, 5)};
  e.encode(one, "T", "G", 1);
  std::vector<WireMessage> two{msg("K\x01" "A\x02", 0, 11, 6), msg("K\x01" "B\x02", 4, 12, 7)};
  auto b = e.encode(two, "T", "G", 2);
  EXPECT_FALSE(e.last_patched());
  std::vector<uint8_t> batch(b.begin(), b.end());
  EXPECT_EQ(batch, fresh(two, "T", "G", 2));
  auto d = read_core<fbc::SendRequest>(b);
  ASSERT_TRUE(d);
  ASSERT_EQ(d->messages()->size(), 2u);
  EXPECT_EQ(d->messages()->Get(1)->flag(), 4);
  EXPECT_EQ(d->messages()->Get(1)->body_length(), 7u);
  // The batch did not disturb the single-message template.
  std::vector<WireMessage> again{msg("K\x01W\x02", 3, 13, 8)};
  auto s = e.encode(again, "U", "G", 3);
  EXPECT_TRUE(e.last_patched());
  std::vector<uint8_t> single(s.begin(), s.end());
  EXPECT_EQ(single, fresh(again, "U", "G", 3));
}

// Client-side batching encodes its members' messages where they are
// (pointers): the bytes must be what encode() makes of the same messages.
TEST(SdkSendEncoder, ABatchOfPointersEqualsTheBatchOfValues) {
  std::vector<WireMessage> three{msg("UNIQ_KEY\x01" "A\x02", 0, 11, 1024), msg("UNIQ_KEY\x01" "BB\x02", 4, 12, 7),
                                 msg("", 1, 13, 0)};
  std::vector<const WireMessage*> ptrs{&three[0], &three[1], &three[2]};
  SendEncoder e;
  std::vector<WireMessage> one{msg("K\x01V\x02", 0, 10, 5)};
  e.encode(one, "T", "G", 1);  // a template remembered: the batch must not use it
  auto b = e.encode_batch(ptrs, "T", "G", 2);
  EXPECT_FALSE(e.last_patched());
  std::vector<uint8_t> got(b.begin(), b.end());
  EXPECT_EQ(got, fresh(three, "T", "G", 2));
  auto d = read_core<fbc::SendRequest>(b);
  ASSERT_TRUE(d);
  ASSERT_EQ(d->messages()->size(), 3u);
  EXPECT_EQ(d->messages()->Get(0)->body_length(), 1024u);
  EXPECT_EQ(d->messages()->Get(1)->flag(), 4);
  // A batch of one pointer is still a batch request built (not patched).
  std::vector<const WireMessage*> lone{&three[1]};
  auto l = e.encode_batch(lone, "T", "G", 3);
  EXPECT_FALSE(e.last_patched());
  std::vector<uint8_t> lone_bytes(l.begin(), l.end());
  EXPECT_EQ(lone_bytes, fresh({three[1]}, "T", "G", 3));
}

}  // namespace
}  // namespace ferry::sdk
