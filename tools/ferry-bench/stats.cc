#include "stats.h"

#include <cstring>

namespace ferry::bench {

void stamp_body(std::string& body, uint64_t t_ns) {
  std::memcpy(body.data(), "FRYB\0\0\0\0", 8);
  std::memcpy(body.data() + 8, &t_ns, sizeof t_ns);
}

uint64_t read_stamp(const void* body, size_t len) {
  if (!body || len < kStampBytes || std::memcmp(body, "FRYB\0\0\0\0", 8) != 0) return 0;
  uint64_t t = 0;
  std::memcpy(&t, static_cast<const char*>(body) + 8, sizeof t);
  return t;
}

}  // namespace ferry::bench
