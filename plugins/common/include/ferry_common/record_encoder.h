#pragma once
// The commit log record encoder (layout: ferry/record.h, docs/storage.md).
//
// Two steps so a storage can reserve space before writing: plan_record
// validates the message and computes its exact size; encode_record writes the
// record straight into the destination (a mapped segment, a staging buffer) —
// no intermediate buffer, no allocation, body checksummed once.
#include <ferry/message.h>
#include <ferry/status.h>

#include <cstddef>
#include <cstdint>

#include "ferry_common/properties.h"

namespace ferry::common {

// What the storage assigns to a record when it lands.
struct RecordStamp {
  uint64_t queue_offset = 0;
  uint64_t physical_offset = 0;   // commit log offset of the record's first byte
  int64_t store_timestamp_ms = 0;
  ferry_slice store_host{};       // 4 (IPv4) or 16 (IPv6) bytes; empty = 0.0.0.0
  uint32_t store_port = 0;
};

// Result of plan_record: everything encode_record needs besides the stamp.
struct RecordPlan {
  uint32_t size = 0;              // whole record, checksum property included
  PropertiesInfo props{};
  uint32_t props_len = 0;         // encoded PROPERTIESLENGTH (with the CRC pair)
  bool born_v6 = false;
  bool store_v6 = false;
};

// Validate `msg` (topic 1..127 bytes, hosts of 0/4/16 bytes, well-formed
// properties without separator characters inside names or values, at most
// FERRY_RECORD_MAX_PROPERTIES property bytes) and size it. `max_size` caps the
// record (FERRY_E_MESSAGE_TOO_LARGE beyond). On error *why is static text.
ferry_status plan_record(const ferry_message& msg, size_t store_host_len, uint32_t max_size,
                         RecordPlan* plan, const char** why);

// Write the record planned for `msg` at dst (plan.size bytes). A
// pre-existing __CRC32# property is replaced by the fresh one. No allocation.
void encode_record(const ferry_message& msg, const RecordPlan& plan, const RecordStamp& stamp,
                   void* dst);

// Write a blank (end-of-segment) record header of `len` bytes at dst: only
// TOTALSIZE and the blank magic are written; len >= FERRY_RECORD_MIN_BLANK.
void encode_blank(void* dst, uint32_t len);

// Record size for the given payload lengths (no validation).
uint32_t record_size_for(size_t body_len, size_t topic_len, size_t props_len_without_crc,
                         bool born_v6, bool store_v6);

}  // namespace ferry::common
