#include "ferry_common/crc32.h"

#include <zlib.h>

#include <algorithm>
#include <climits>

namespace ferry::common {

uint32_t crc32(uint32_t crc, const void* data, size_t len) {
  auto* p = static_cast<const Bytef*>(data);
  uLong c = crc;
  // zlib takes uInt lengths; records are < 4 GiB but callers may pass more.
  while (len > 0) {
    auto chunk = static_cast<uInt>(std::min<size_t>(len, UINT_MAX));
    c = ::crc32(c, p, chunk);
    p += chunk;
    len -= chunk;
  }
  return static_cast<uint32_t>(c);
}

uint32_t crc32_combine(uint32_t crc_a, uint32_t crc_b, size_t len_b) {
  return static_cast<uint32_t>(::crc32_combine(crc_a, crc_b, static_cast<z_off_t>(len_b)));
}

}  // namespace ferry::common
