#include "ferry_common/properties.h"

#include <ferry/record.h>

#include <cstring>

namespace ferry::common {

namespace {
constexpr std::string_view kCrcName = FERRY_PROP_CRC32;
}

ferry_status validate_properties(ferry_slice props, PropertiesInfo* info, const char** why) {
  *info = PropertiesInfo{};
  const char* base = static_cast<const char*>(props.data);
  size_t pos = 0;
  while (pos < props.len) {
    const char* pair = base + pos;
    size_t rest = props.len - pos;
    auto* stop = static_cast<const char*>(std::memchr(pair, FERRY_PROP_SEP, rest));
    if (!stop) {
      *why = "property pair not terminated by \\x02";
      return FERRY_E_INVALID_ARGUMENT;
    }
    size_t pair_len = static_cast<size_t>(stop - pair);
    auto* sep = static_cast<const char*>(std::memchr(pair, FERRY_PROP_NAME_VALUE_SEP, pair_len));
    if (!sep) {
      *why = "property without \\x01 between name and value (separator in a name?)";
      return FERRY_E_INVALID_ARGUMENT;
    }
    if (sep == pair) {
      *why = "property with an empty name";
      return FERRY_E_INVALID_ARGUMENT;
    }
    size_t value_len = pair_len - static_cast<size_t>(sep - pair) - 1;
    if (std::memchr(sep + 1, FERRY_PROP_NAME_VALUE_SEP, value_len)) {
      *why = "property value contains \\x01";
      return FERRY_E_INVALID_ARGUMENT;
    }
    if (static_cast<size_t>(sep - pair) == kCrcName.size() &&
        std::memcmp(pair, kCrcName.data(), kCrcName.size()) == 0) {
      info->crc_begin = pos;
      info->crc_end = pos + pair_len + 1;
    }
    pos += pair_len + 1;
  }
  return FERRY_OK;
}

bool PropertiesBuilder::add(std::string_view name, std::string_view value) {
  auto bad = [](std::string_view s) {
    return s.find(FERRY_PROP_NAME_VALUE_SEP) != std::string_view::npos ||
           s.find(FERRY_PROP_SEP) != std::string_view::npos;
  };
  if (name.empty() || bad(name) || bad(value)) return false;
  out_.append(name);
  out_.push_back(FERRY_PROP_NAME_VALUE_SEP);
  out_.append(value);
  out_.push_back(FERRY_PROP_SEP);
  return true;
}

}  // namespace ferry::common
