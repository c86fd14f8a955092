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

}  // extern "C"
