#include "ferry_common/record_verify.h"

#include <cstring>

#include "ferry_common/crc32.h"

namespace ferry::common {

uint32_t record_checksum(const void* data, size_t total_size) {
  return crc32(0, data, total_size - FERRY_RECORD_CRC_RESERVED);
}

ferry_status verify_record(const void* data, size_t len, ferry_record_view* out,
                           const char** why) {
  ferry_status st = ferry_record_decode(data, len, out);
  if (st == FERRY_E_NOT_FOUND) {
    if (out->total_size < FERRY_RECORD_MIN_BLANK || out->total_size > len) {
      *why = "blank record with an impossible length";
      return FERRY_E_CORRUPTED;
    }
    return st;
  }
  if (st != FERRY_OK) {
    *why = "not a record (bad magic, or lengths that disagree)";
    return st;
  }
  if (out->properties.len < FERRY_RECORD_CRC_RESERVED) {
    *why = "record has no __CRC32# property";
    return FERRY_E_CORRUPTED;
  }
  auto* rec = static_cast<const unsigned char*>(data);
  const unsigned char* tail = rec + out->total_size - FERRY_RECORD_CRC_RESERVED;
  static constexpr char kPrefix[] = FERRY_PROP_CRC32 "\x01";
  if (std::memcmp(tail, kPrefix, sizeof(kPrefix) - 1) != 0 ||
      tail[FERRY_RECORD_CRC_RESERVED - 1] != FERRY_PROP_SEP) {
    *why = "record does not end with the __CRC32# property";
    return FERRY_E_CORRUPTED;
  }
  uint64_t stored = 0;
  for (size_t i = sizeof(kPrefix) - 1; i < FERRY_RECORD_CRC_RESERVED - 1; ++i) {
    if (tail[i] < '0' || tail[i] > '9') {
      *why = "__CRC32# property is not 10 decimal digits";
      return FERRY_E_CORRUPTED;
    }
    stored = stored * 10 + (tail[i] - '0');
  }
  // One pass: the whole-record CRC covers every byte before the property,
  // the body and its BODYCRC field included, so a match means both are as
  // the encoder wrote them, and the encoder derived BODYCRC from that body —
  // checking BODYCRC again would re-read the body for nothing. Recovery
  // verifies every byte of the log with this: one long folded CRC per record
  // instead of three calls (two short ones on zlib's slow path) and two
  // crc32_combine steps (docs/benchmarks.md, Storage: recovery).
  if (stored != crc32(0, rec, out->total_size - FERRY_RECORD_CRC_RESERVED)) {
    *why = "whole-record checksum mismatch";
    return FERRY_E_CORRUPTED;
  }
  return FERRY_OK;
}

}  // namespace ferry::common
