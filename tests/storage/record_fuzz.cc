// libFuzzer target for the commit-log record verifier, the code recovery
// trusts with whatever bytes a crash left on disk. Two properties per input:
// 1. the input as a record: verify_record never reads outside it, and a
//    record it accepts has every field inside its own total_size;
// 2. the input as a message: encode it, flip one byte (position and mask
//    taken from the input) or cut the record short, and the verifier must
//    refuse it — a garbled byte anywhere in a record is detected.
#include <ferry/record.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "ferry_common/properties.h"
#include "ferry_common/record_encoder.h"
#include "ferry_common/record_verify.h"

namespace {

bool inside(ferry_slice s, const uint8_t* begin, size_t len) {
  if (s.len == 0) return true;
  const auto* p = static_cast<const uint8_t*>(s.data);
  return p >= begin && s.len <= len && p - begin <= static_cast<ptrdiff_t>(len - s.len);
}

void check_raw(const uint8_t* data, size_t size) {
  // A heap copy of exactly `size` bytes, so ASan sees any read past the end.
  std::vector<uint8_t> copy(data, data + size);
  ferry_record_view v = FERRY_STRUCT_INIT(ferry_record_view);
  const char* why = nullptr;
  if (ferry::common::verify_record(copy.data(), copy.size(), &v, &why) != FERRY_OK) return;
  if (v.total_size > size) std::abort();
  for (ferry_slice s : {v.body, v.topic, v.properties, v.born_host, v.store_host}) {
    if (!inside(s, copy.data(), v.total_size)) std::abort();
  }
}

void check_garbled(const uint8_t* data, size_t size) {
  if (size < 4) return;
  const uint32_t pick = (uint32_t{data[0]} << 8) | data[1];
  const uint8_t mask = data[2] ? data[2] : 1;
  const bool truncate = (data[3] & 1) != 0;
  const std::string topic = "fuzz_topic_" + std::to_string(data[3] % 7);
  ferry::common::PropertiesBuilder props;
  props.add("TAGS", "t" + std::to_string(data[3]));
  props.add("KEYS", std::to_string(pick));
  const std::string born{"\x7f\x00\x00\x01", 4};

  ferry_message msg = FERRY_STRUCT_INIT(ferry_message);
  msg.topic = ferry_slice{topic.data(), topic.size()};
  msg.queue_id = data[3] % 4;
  msg.body = ferry_slice{data + 4, size - 4};
  msg.properties = props.slice();
  msg.born_timestamp_ms = 1'700'000'000'000;
  msg.born_host = ferry_slice{born.data(), born.size()};
  msg.born_port = 40000;

  ferry::common::RecordPlan plan;
  const char* why = nullptr;
  if (ferry::common::plan_record(msg, 4, 1u << 20, &plan, &why) != FERRY_OK) return;
  ferry::common::RecordStamp stamp;
  stamp.queue_offset = pick;
  stamp.physical_offset = uint64_t{pick} << 10;
  stamp.store_timestamp_ms = 1'700'000'000'001;
  stamp.store_host = ferry_slice{born.data(), born.size()};
  stamp.store_port = 10911;
  std::vector<uint8_t> rec(plan.size);
  ferry::common::encode_record(msg, plan, stamp, rec.data());

  ferry_record_view v = FERRY_STRUCT_INIT(ferry_record_view);
  if (ferry::common::verify_record(rec.data(), rec.size(), &v, &why) != FERRY_OK) std::abort();
  if (v.body.len != msg.body.len ||
      (v.body.len > 0 && std::memcmp(v.body.data, msg.body.data, v.body.len) != 0)) {
    std::abort();  // accepted, but not the bytes that were written
  }
  if (truncate) {
    rec.resize(pick % rec.size());  // a torn tail: any strict prefix
  } else {
    rec[pick % rec.size()] ^= mask;  // one garbled byte anywhere
  }
  if (ferry::common::verify_record(rec.data(), rec.size(), &v, &why) == FERRY_OK) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  check_raw(data, size);
  check_garbled(data, size);
  return 0;
}
