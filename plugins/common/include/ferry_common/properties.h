#pragma once
// Encoded message properties: `name\x01value\x02` pairs (ferry/record.h).
#include <ferry/abi.h>
#include <ferry/status.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace ferry::common {

// What validate_properties learned about an encoded property block.
struct PropertiesInfo {
  // A `__CRC32#` pair already present (a message re-stored from a record):
  // [crc_begin, crc_end) within the block, dropped by the encoder because it
  // writes a fresh one. crc_begin == crc_end when absent.
  size_t crc_begin = 0;
  size_t crc_end = 0;
};

// Check that `props` is a sequence of well-formed pairs: non-empty name, one
// \x01, a value, a closing \x02 — so a name or value carrying a separator
// character is rejected rather than silently splitting into other pairs.
// On error returns FERRY_E_INVALID_ARGUMENT and sets *why (static text).
ferry_status validate_properties(ferry_slice props, PropertiesInfo* info, const char** why);

// Builds an encoded property block, refusing separator characters.
class PropertiesBuilder {
 public:
  // False (nothing added) when name is empty or either contains \x01 / \x02.
  bool add(std::string_view name, std::string_view value);
  const std::string& str() const { return out_; }
  ferry_slice slice() const { return ferry_slice{out_.data(), out_.size()}; }

 private:
  std::string out_;
};

}  // namespace ferry::common
