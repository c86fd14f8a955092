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
FERRY_EXPORT const char* ferry_client_status_name(ferry_status s) { return ferry_status_name(s); }
FERRY_EXPORT const char* ferry_client_status_str(ferry_status s) { return ferry_status_str(s); }

}  // extern "C"
