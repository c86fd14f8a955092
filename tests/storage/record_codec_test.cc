// The record codec: every field round-trips through the encoder and
// ferry/record.h's decoder, IPv4 and IPv6 hosts, separators rejected, and the
// whole-record checksum catches a flipped byte anywhere.
#include <ferry/record.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "ferry_common/crc32.h"
#include "ferry_common/properties.h"
#include "ferry_common/record_encoder.h"
#include "ferry_common/record_verify.h"

namespace {

using ferry::common::PropertiesBuilder;
using ferry::common::RecordPlan;
using ferry::common::RecordStamp;

ferry_slice sl(const std::string& s) { return ferry_slice{s.data(), s.size()}; }
std::string str(ferry_slice s) { return std::string(static_cast<const char*>(s.data), s.len); }

struct Encoded {
  std::vector<unsigned char> bytes;
  ferry_record_view view{};
};

Encoded encode(const ferry_message& m, const RecordStamp& st) {
  RecordPlan plan;
  const char* why = nullptr;
  EXPECT_EQ(ferry::common::plan_record(m, st.store_host.len, 1u << 20, &plan, &why), FERRY_OK)
      << (why ? why : "");
  Encoded e;
  e.bytes.assign(plan.size, 0xEE);
  ferry::common::encode_record(m, plan, st, e.bytes.data());
  EXPECT_EQ(ferry::common::verify_record(e.bytes.data(), e.bytes.size(), &e.view, &why), FERRY_OK)
      << why;
  return e;
}

class RecordCodec : public ::testing::Test {
 protected:
  std::string topic = "orders";
  std::string body = "hello, ferry";
  std::string born4{"\x7f\x00\x00\x01", 4};
  std::string store4{"\x0a\x01\x02\x03", 4};
  std::string born6 = std::string(15, '\0') + "\x01";
  std::string store6 = std::string("\xfe\x80", 2) + std::string(13, '\0') + "\x09";
  PropertiesBuilder props;
  ferry_message msg{};

  void SetUp() override {
    ASSERT_TRUE(props.add("TAGS", "TagA"));
    ASSERT_TRUE(props.add("KEYS", "k1 k2"));
    msg = FERRY_STRUCT_INIT(ferry_message);
    msg.topic = sl(topic);
    msg.queue_id = 3;
    msg.flag = 77;
    msg.sys_flag = FERRY_SYSFLAG_TRANSACTION_PREPARED;
    msg.body = sl(body);
    msg.properties = props.slice();
    msg.born_timestamp_ms = 1'700'000'000'123;
    msg.born_host = sl(born4);
    msg.born_port = 40000;
    msg.reconsume_times = 2;
    msg.prepared_transaction_offset = 99;
  }
  RecordStamp stamp(const std::string& host) {
    RecordStamp st;
    st.queue_offset = 12345;
    st.physical_offset = 0x1122334455ull;
    st.store_timestamp_ms = 1'700'000'000'456;
    st.store_host = sl(host);
    st.store_port = 10911;
    return st;
  }
};

TEST_F(RecordCodec, EveryFieldRoundTripsWithIPv4Hosts) {
  Encoded e = encode(msg, stamp(store4));
  const ferry_record_view& v = e.view;
  EXPECT_EQ(v.total_size, e.bytes.size());
  EXPECT_EQ(v.magic, FERRY_RECORD_MAGIC);
  EXPECT_EQ(v.body_crc, ferry::common::crc32(0, body.data(), body.size()) & 0x7fffffffu);
  EXPECT_EQ(v.queue_id, 3);
  EXPECT_EQ(v.flag, 77);
  EXPECT_EQ(v.queue_offset, 12345);
  EXPECT_EQ(v.physical_offset, 0x1122334455);
  EXPECT_EQ(v.sys_flag, FERRY_SYSFLAG_TRANSACTION_PREPARED);
  EXPECT_EQ(v.born_timestamp_ms, 1'700'000'000'123);
  EXPECT_EQ(str(v.born_host), born4);
  EXPECT_EQ(v.born_port, 40000u);
  EXPECT_EQ(v.store_timestamp_ms, 1'700'000'000'456);
  EXPECT_EQ(str(v.store_host), store4);
  EXPECT_EQ(v.store_port, 10911u);
  EXPECT_EQ(v.reconsume_times, 2);
  EXPECT_EQ(v.prepared_transaction_offset, 99);
  EXPECT_EQ(str(v.body), body);
  EXPECT_EQ(str(v.topic), topic);
  ferry_slice val;
  ASSERT_TRUE(ferry_property_find(v.properties, "TAGS", &val));
  EXPECT_EQ(str(val), "TagA");
  ASSERT_TRUE(ferry_property_find(v.properties, "KEYS", &val));
  EXPECT_EQ(str(val), "k1 k2");
  ASSERT_TRUE(ferry_property_find(v.properties, FERRY_PROP_CRC32, &val));
  EXPECT_EQ(val.len, 10u);
  // The fixed header is 84 bytes with IPv4 hosts (RocketMQ 4.x).
  EXPECT_EQ(e.bytes.size(), 84u + 4 + body.size() + 1 + topic.size() + 2 + props.str().size() +
                                FERRY_RECORD_CRC_RESERVED);
  // Big-endian TOTALSIZE and magic at the front.
  EXPECT_EQ(e.bytes[4], 0xDA);
  EXPECT_EQ(e.bytes[7], 0xA7);
  // Checksum digits are zlib crc32 of every byte before the last 20.
  uint32_t crc = ferry::common::crc32(0, e.bytes.data(), e.bytes.size() - 20);
  char digits[11];
  std::snprintf(digits, sizeof digits, "%010u", crc);
  EXPECT_EQ(str(val), digits);
}

// Both checksum paths (one pass for tiny bodies; the body's crc combined
// with the head's, then the tail, above) write the same bytes: BODYCRC is the
// body's crc and the digits the crc of every byte before the last 20.
TEST_F(RecordCodec, ChecksumsHoldForEveryBodySizeAroundThePaths) {
  std::string big(70000, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 37 + (i >> 7));
  for (size_t len : {0u, 1u, 63u, 64u, 127u, 128u, 129u, 200u, 1000u, 1024u, 1025u, 4096u, 4097u,
                     65536u, 70000u}) {
    for (const std::string* host : {&store4, &store6}) {
      msg.body = {big.data(), len};
      Encoded e = encode(msg, stamp(*host));
      EXPECT_EQ(e.view.body_crc, ferry::common::crc32(0, big.data(), len) & 0x7fffffffu) << len;
      uint32_t crc = ferry::common::crc32(0, e.bytes.data(), e.bytes.size() - 20);
      char digits[11];
      std::snprintf(digits, sizeof digits, "%010u", crc);
      ferry_slice val;
      ASSERT_TRUE(ferry_property_find(e.view.properties, FERRY_PROP_CRC32, &val));
      EXPECT_EQ(str(val), digits) << len;
    }
  }
}

TEST_F(RecordCodec, IPv6HostsGrowTheHeaderAndSetSysFlags) {
  msg.born_host = sl(born6);
  Encoded e = encode(msg, stamp(store6));
  EXPECT_EQ(e.view.sys_flag & FERRY_SYSFLAG_BORNHOST_V6, FERRY_SYSFLAG_BORNHOST_V6);
  EXPECT_EQ(e.view.sys_flag & FERRY_SYSFLAG_STOREHOST_V6, FERRY_SYSFLAG_STOREHOST_V6);
  EXPECT_EQ(e.view.sys_flag & FERRY_SYSFLAG_TRANSACTION_MASK, FERRY_SYSFLAG_TRANSACTION_PREPARED);
  EXPECT_EQ(str(e.view.born_host), born6);
  EXPECT_EQ(str(e.view.store_host), store6);
  EXPECT_EQ(e.view.born_port, 40000u);
  EXPECT_EQ(e.view.store_port, 10911u);
  EXPECT_EQ(e.view.store_timestamp_ms, 1'700'000'000'456);
  EXPECT_EQ(str(e.view.body), body);
  msg.born_host = sl(born4);
  Encoded v4 = encode(msg, stamp(store4));
  EXPECT_EQ(e.bytes.size(), v4.bytes.size() + 24);
}

TEST_F(RecordCodec, MixedHostsOnlyFlagTheV6One) {
  Encoded e = encode(msg, stamp(store6));
  EXPECT_EQ(e.view.sys_flag & FERRY_SYSFLAG_BORNHOST_V6, 0);
  EXPECT_NE(e.view.sys_flag & FERRY_SYSFLAG_STOREHOST_V6, 0);
  EXPECT_EQ(str(e.view.born_host), born4);
  EXPECT_EQ(str(e.view.store_host), store6);
}

TEST_F(RecordCodec, EmptyBodyAndNoProperties) {
  msg.body = ferry_slice{nullptr, 0};
  msg.properties = ferry_slice{nullptr, 0};
  Encoded e = encode(msg, stamp(store4));
  EXPECT_EQ(e.view.body.len, 0u);
  EXPECT_EQ(e.view.properties.len, FERRY_RECORD_CRC_RESERVED);
}

TEST_F(RecordCodec, StaleChecksumPropertyIsReplaced) {
  Encoded first = encode(msg, stamp(store4));
  // Re-store the decoded message (as delay/transaction re-delivery would).
  std::string old_props = str(first.view.properties);
  msg.properties = sl(old_props);
  RecordStamp st = stamp(store4);
  st.physical_offset = 1;
  Encoded second = encode(msg, st);
  EXPECT_EQ(second.bytes.size(), first.bytes.size());
  EXPECT_EQ(second.view.physical_offset, 1);
}

TEST_F(RecordCodec, SeparatorsInPropertiesAreRejected) {
  PropertiesBuilder b;
  EXPECT_FALSE(b.add("a\x01" "b", "v"));
  EXPECT_FALSE(b.add("a", "v\x02w"));
  EXPECT_FALSE(b.add("a", "v\x01w"));
  EXPECT_FALSE(b.add("", "v"));
  EXPECT_TRUE(b.str().empty());

  const char* why = nullptr;
  RecordPlan plan;
  for (std::string bad : {std::string("k\x01v\x01w\x02"), std::string("kv\x02"),
                          std::string("\x01v\x02"), std::string("k\x01v")}) {
    msg.properties = sl(bad);
    EXPECT_EQ(ferry::common::plan_record(msg, 4, 1u << 20, &plan, &why),
              FERRY_E_INVALID_ARGUMENT)
        << bad;
    EXPECT_NE(why, nullptr);
  }
}

TEST_F(RecordCodec, BadTopicsHostsAndSizesAreRejected) {
  const char* why = nullptr;
  RecordPlan plan;
  std::string long_topic(128, 't');
  msg.topic = sl(long_topic);
  EXPECT_EQ(ferry::common::plan_record(msg, 4, 1u << 20, &plan, &why), FERRY_E_INVALID_NAME);
  msg.topic = ferry_slice{"", 0};
  EXPECT_EQ(ferry::common::plan_record(msg, 4, 1u << 20, &plan, &why), FERRY_E_INVALID_NAME);
  msg.topic = sl(topic);
  std::string bad_host = "abc";
  msg.born_host = sl(bad_host);
  EXPECT_EQ(ferry::common::plan_record(msg, 4, 1u << 20, &plan, &why), FERRY_E_INVALID_ARGUMENT);
  msg.born_host = sl(born4);
  EXPECT_EQ(ferry::common::plan_record(msg, 4, 100, &plan, &why), FERRY_E_MESSAGE_TOO_LARGE);
}

TEST_F(RecordCodec, EveryFlippedByteIsDetected) {
  Encoded e = encode(msg, stamp(store4));
  for (size_t i = 0; i < e.bytes.size(); ++i) {
    std::vector<unsigned char> copy = e.bytes;
    copy[i] ^= 0x20;
    ferry_record_view v;
    const char* why = nullptr;
    EXPECT_NE(ferry::common::verify_record(copy.data(), copy.size(), &v, &why), FERRY_OK)
        << "byte " << i;
  }
}

TEST_F(RecordCodec, TruncatedRecordIsCorrupted) {
  Encoded e = encode(msg, stamp(store4));
  ferry_record_view v;
  const char* why = nullptr;
  for (size_t len : {size_t{0}, size_t{8}, size_t{50}, e.bytes.size() - 1}) {
    EXPECT_EQ(ferry::common::verify_record(e.bytes.data(), len, &v, &why), FERRY_E_CORRUPTED);
  }
}

TEST(RecordBlank, BlankRecordIsReportedAsEndOfSegment) {
  std::vector<unsigned char> seg(64, 0);
  ferry::common::encode_blank(seg.data(), 64);
  ferry_record_view v;
  const char* why = nullptr;
  EXPECT_EQ(ferry::common::verify_record(seg.data(), seg.size(), &v, &why), FERRY_E_NOT_FOUND);
  EXPECT_EQ(v.total_size, 64u);
  EXPECT_EQ(ferry_be32(seg.data() + 4), FERRY_RECORD_BLANK_MAGIC);
}

}  // namespace
