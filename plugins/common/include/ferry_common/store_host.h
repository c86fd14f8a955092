#pragma once
// The STOREHOST a storage plugin writes into each record (config key
// store_host, or the kernel's advertised address).
#include <cstdint>
#include <string>

namespace ferry::common {

// "1.2.3.4:10911" or "[::1]:10911" -> *addr = the 4 or 16 address bytes,
// *port. False (outputs untouched) if `s` is neither.
bool parse_store_host(const std::string& s, std::string* addr, uint32_t* port);

}  // namespace ferry::common
