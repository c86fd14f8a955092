#include "ferry_common/record_encoder.h"

#include <ferry/record.h>

#include <cstring>

#include "ferry_common/crc32.h"

namespace ferry::common {

namespace {

inline unsigned char* put32(unsigned char* p, uint32_t v) {
  p[0] = static_cast<unsigned char>(v >> 24);
  p[1] = static_cast<unsigned char>(v >> 16);
  p[2] = static_cast<unsigned char>(v >> 8);
  p[3] = static_cast<unsigned char>(v);
  return p + 4;
}
inline unsigned char* put64(unsigned char* p, uint64_t v) {
  put32(p, static_cast<uint32_t>(v >> 32));
  return put32(p + 4, static_cast<uint32_t>(v));
}
inline unsigned char* put16(unsigned char* p, uint16_t v) {
  p[0] = static_cast<unsigned char>(v >> 8);
  p[1] = static_cast<unsigned char>(v);
  return p + 2;
}
inline unsigned char* put_host(unsigned char* p, ferry_slice host, bool v6, uint32_t port) {
  size_t n = v6 ? 16 : 4;
  if (host.len == n) {
    std::memcpy(p, host.data, n);
  } else {
    std::memset(p, 0, n);
  }
  return put32(p + n, port);
}

constexpr char kCrcPrefix[] = FERRY_PROP_CRC32 "\x01";  // 9 bytes
constexpr size_t kCrcPrefixLen = sizeof(kCrcPrefix) - 1;
// Bodies up to this size are checksummed twice (body, whole record) rather
// than combined: below it a second pass costs less than the combine (one
// carry-less multiply, crc32.h) and the head's separate short pass.
constexpr size_t kOnePassMaxBody = 128;
static_assert(kCrcPrefixLen + 10 + 1 == FERRY_RECORD_CRC_RESERVED);

}  // namespace

uint32_t record_size_for(size_t body_len, size_t topic_len, size_t props_len_without_crc,
                         bool born_v6, bool store_v6) {
  size_t fixed = FERRY_RECORD_FIXED_V4 + (born_v6 ? 12 : 0) + (store_v6 ? 12 : 0);
  size_t total = fixed + 4 + body_len + 1 + topic_len + 2 + props_len_without_crc +
                 FERRY_RECORD_CRC_RESERVED;
  return total > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(total);
}

ferry_status plan_record(const ferry_message& msg, size_t store_host_len, uint32_t max_size,
                         RecordPlan* plan, const char** why) {
  *plan = RecordPlan{};
  if (msg.topic.len == 0 || msg.topic.len > FERRY_RECORD_MAX_TOPIC) {
    *why = "topic must be 1..127 bytes";
    return FERRY_E_INVALID_NAME;
  }
  if (msg.body.len > 0 && msg.body.data == nullptr) {
    *why = "body has a length but no data";
    return FERRY_E_INVALID_ARGUMENT;
  }
  if (msg.born_host.len != 0 && msg.born_host.len != 4 && msg.born_host.len != 16) {
    *why = "born host must be 4 (IPv4) or 16 (IPv6) address bytes";
    return FERRY_E_INVALID_ARGUMENT;
  }
  if (store_host_len != 0 && store_host_len != 4 && store_host_len != 16) {
    *why = "store host must be 4 (IPv4) or 16 (IPv6) address bytes";
    return FERRY_E_INVALID_ARGUMENT;
  }
  if (msg.properties.len > 0 && msg.properties.data == nullptr) {
    *why = "properties have a length but no data";
    return FERRY_E_INVALID_ARGUMENT;
  }
  ferry_status st = validate_properties(msg.properties, &plan->props, why);
  if (st != FERRY_OK) return st;
  size_t kept = msg.properties.len - (plan->props.crc_end - plan->props.crc_begin);
  if (kept + FERRY_RECORD_CRC_RESERVED > FERRY_RECORD_MAX_PROPERTIES) {
    *why = "properties longer than 32767 bytes";
    return FERRY_E_MESSAGE_TOO_LARGE;
  }
  plan->born_v6 = msg.born_host.len == 16;
  plan->store_v6 = store_host_len == 16;
  plan->props_len = static_cast<uint32_t>(kept + FERRY_RECORD_CRC_RESERVED);
  plan->size = record_size_for(msg.body.len, msg.topic.len, kept, plan->born_v6, plan->store_v6);
  if (plan->size > max_size) {
    *why = "record larger than the configured maximum message size";
    return FERRY_E_MESSAGE_TOO_LARGE;
  }
  return FERRY_OK;
}

void encode_record(const ferry_message& msg, const RecordPlan& plan, const RecordStamp& stamp,
                   void* dst) {
  auto* const start = static_cast<unsigned char*>(dst);
  unsigned char* p = start;
  const uint32_t body_crc = crc32(0, msg.body.data, msg.body.len);
  int32_t sys_flag = msg.sys_flag & ~(FERRY_SYSFLAG_BORNHOST_V6 | FERRY_SYSFLAG_STOREHOST_V6);
  if (plan.born_v6) sys_flag |= FERRY_SYSFLAG_BORNHOST_V6;
  if (plan.store_v6) sys_flag |= FERRY_SYSFLAG_STOREHOST_V6;

  p = put32(p, plan.size);
  p = put32(p, FERRY_RECORD_MAGIC);
  p = put32(p, body_crc & 0x7fffffffu);
  p = put32(p, static_cast<uint32_t>(msg.queue_id));
  p = put32(p, static_cast<uint32_t>(msg.flag));
  p = put64(p, stamp.queue_offset);
  p = put64(p, stamp.physical_offset);
  p = put32(p, static_cast<uint32_t>(sys_flag));
  p = put64(p, static_cast<uint64_t>(msg.born_timestamp_ms));
  p = put_host(p, msg.born_host, plan.born_v6, msg.born_port);
  p = put64(p, static_cast<uint64_t>(stamp.store_timestamp_ms));
  p = put_host(p, stamp.store_host, plan.store_v6, stamp.store_port);
  p = put32(p, static_cast<uint32_t>(msg.reconsume_times));
  p = put64(p, static_cast<uint64_t>(msg.prepared_transaction_offset));
  p = put32(p, static_cast<uint32_t>(msg.body.len));
  const bool one_pass = msg.body.len <= kOnePassMaxBody;
  const uint32_t head_crc = one_pass ? 0 : crc32(0, start, static_cast<size_t>(p - start));
  if (msg.body.len) std::memcpy(p, msg.body.data, msg.body.len);
  p += msg.body.len;
  unsigned char* const tail = p;
  *p++ = static_cast<unsigned char>(msg.topic.len);
  std::memcpy(p, msg.topic.data, msg.topic.len);
  p += msg.topic.len;
  p = put16(p, static_cast<uint16_t>(plan.props_len));
  // Copy properties around a stale __CRC32# pair, if any.
  auto* props = static_cast<const unsigned char*>(msg.properties.data);
  if (plan.props.crc_begin) std::memcpy(p, props, plan.props.crc_begin);
  p += plan.props.crc_begin;
  size_t after = msg.properties.len - plan.props.crc_end;
  if (after) std::memcpy(p, props + plan.props.crc_end, after);
  p += after;
  // Whole-record checksum: every byte before the reserved CRC pair —
  // head ++ body ++ (topic .. last property). The body is not read twice:
  // crc(head ++ body) is the head's crc combined with the body's (one
  // memoised operator per body length, applied by one carry-less multiply),
  // then the pass continues over the tail. A tiny body gets one pass over the
  // bytes just written instead (docs/benchmarks.md, "Session 15 (tput)").
  uint32_t crc;
  if (one_pass) {
    crc = crc32(0, start, static_cast<size_t>(p - start));
  } else {
    crc = crc32_combine(head_crc, body_crc, msg.body.len);
    crc = crc32(crc, tail, static_cast<size_t>(p - tail));
  }
  std::memcpy(p, kCrcPrefix, kCrcPrefixLen);
  p += kCrcPrefixLen;
  // 10 zero-padded decimal digits, written without snprintf's locale work.
  uint32_t v = crc;
  for (int i = 9; i >= 0; --i) {
    p[i] = static_cast<unsigned char>('0' + v % 10);
    v /= 10;
  }
  p[10] = FERRY_PROP_SEP;
}

void encode_blank(void* dst, uint32_t len) {
  auto* p = static_cast<unsigned char*>(dst);
  put32(p, len);
  put32(p + 4, FERRY_RECORD_BLANK_MAGIC);
}

}  // namespace ferry::common
