#include "api_common.h"

#include <cstdlib>

namespace ferry::sdk {

void write_error(char* errbuf, size_t errlen, std::string_view text) {
  if (!errbuf || errlen == 0) return;
  size_t n = std::min(text.size(), errlen - 1);
  std::memcpy(errbuf, text.data(), n);
  errbuf[n] = '\0';
}

}  // namespace ferry::sdk

extern "C" {

FERRY_EXPORT const char* ferry_client_version(void) { return "0.1.0"; }

FERRY_EXPORT void ferry_string_free(char* s) { std::free(s); }

// The header's static inline functions, exported for FFIs (Python's ctypes).
// An FFI caller may pass any int, but in C++ an enum value outside its
// enumerators' range is undefined behaviour (UBSan's -fsanitize=enum caught
// 12345): the bits are read as an int and only [0, 512) — where every
// status of status.h lives — is looked up as a ferry_status.
static_assert(sizeof(ferry_status) == sizeof(int), "ferry_status is an int-sized C enum");
static_assert(FERRY_E_PLUGIN_INIT < 512, "statuses grew past 511: widen known_range");
static bool known_range(const ferry_status* s) {
  int v = 0;
  std::memcpy(&v, s, sizeof v);
  return v >= 0 && v < 512;
}
FERRY_EXPORT const char* ferry_client_status_name(ferry_status s) {
  return known_range(&s) ? ferry_status_name(s) : "FERRY_E_UNKNOWN";
}
FERRY_EXPORT const char* ferry_client_status_str(ferry_status s) {
  return known_range(&s) ? ferry_status_str(s) : "unknown status";
}

}  // extern "C"
