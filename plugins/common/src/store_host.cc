#include "ferry_common/store_host.h"

#include <arpa/inet.h>

#include <cstdlib>

namespace ferry::common {

bool parse_store_host(const std::string& s, std::string* addr, uint32_t* port) {
  size_t colon = s.rfind(':');
  if (colon == std::string::npos) return false;
  std::string h = s.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  unsigned char buf[16];
  char* end = nullptr;
  unsigned long p = std::strtoul(s.c_str() + colon + 1, &end, 10);
  if (!end || *end || p > 65535) return false;
  if (inet_pton(AF_INET, h.c_str(), buf) == 1) {
    addr->assign(reinterpret_cast<char*>(buf), 4);
  } else if (inet_pton(AF_INET6, h.c_str(), buf) == 1) {
    addr->assign(reinterpret_cast<char*>(buf), 16);
  } else {
    return false;
  }
  *port = static_cast<uint32_t>(p);
  return true;
}

}  // namespace ferry::common
