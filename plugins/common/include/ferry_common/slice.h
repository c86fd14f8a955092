#pragma once
// A borrowed ABI slice as a string_view (no copy).
#include <ferry/abi.h>

#include <string_view>

namespace ferry::common {

inline std::string_view sv(ferry_slice s) { return std::string_view(static_cast<const char*>(s.data), s.len); }

}  // namespace ferry::common
