#pragma once
// "host:port" parsing. Numeric IPv4 ("127.0.0.1:9876"), bracketed IPv6
// ("[::1]:9876") and "localhost" (127.0.0.1). Names are not resolved: a
// blocking resolver has no place on the loop, and brokers advertise numeric
// addresses.
#include <sys/socket.h>

#include <string>
#include <string_view>

namespace ferry::net {

// Returns false and sets *error when `address` is not usable.
bool parse_address(std::string_view address, sockaddr_storage* out, std::string* error);

// "ip:port" of a socket address ("[ip]:port" for IPv6); "?" if unknown.
std::string format_address(const sockaddr* sa);

}  // namespace ferry::net
