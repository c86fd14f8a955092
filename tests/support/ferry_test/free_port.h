#pragma once
// Ports chosen free at run time on 127.0.0.1 (bind to port 0, read it back).
// A small race remains between release and reuse; tests retry start-up once.
#include <cstdint>
#include <string>

namespace ferry::test {

uint16_t free_port();
inline std::string loopback(uint16_t port) { return "127.0.0.1:" + std::to_string(port); }

}  // namespace ferry::test
