#pragma once
// Record verification: decode (ferry/record.h) plus the whole-record checksum.
#include <ferry/record.h>
#include <ferry/status.h>

#include <cstddef>

namespace ferry::common {

// Decode the record at `data` (at most `len` bytes) and check the
// whole-record __CRC32# property, which covers BODYCRC and the body (so a
// match implies BODYCRC as written too). FERRY_OK: *out describes a record whose
// every byte is as written. FERRY_E_NOT_FOUND: a blank record (out->total_size
// set). FERRY_E_CORRUPTED: *why (static text) says which check failed.
// Any thread; no allocation.
ferry_status verify_record(const void* data, size_t len, ferry_record_view* out,
                           const char** why);

// Whole-record checksum as stored in the __CRC32# property of a record of
// `total_size` bytes at `data` (covers all bytes but the last 20).
uint32_t record_checksum(const void* data, size_t total_size);

}  // namespace ferry::common
