#pragma once
// "host:port" parsing. parse_address takes numeric IPv4 ("127.0.0.1:9876"),
// bracketed IPv6 ("[::1]:9876") and "localhost" (127.0.0.1): what a server
// listens on. A Client also takes host names: it resolves them with
// uv_getaddrinfo (off the loop, in libuv's thread pool) on every connect.
#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace ferry::net {

// Returns false and sets *error when `address` is not usable.
bool parse_address(std::string_view address, sockaddr_storage* out, std::string* error);

// Splits "host:port" ("[v6]:port": host without the brackets). Returns false
// and sets *error when there is no host or the port is not 0..65535.
bool split_host_port(std::string_view address, std::string* host, uint16_t* port,
                     std::string* error);
// A numeric IPv4 or IPv6 host (no name, not even "localhost"); false otherwise.
bool numeric_address(const std::string& host, uint16_t port, sockaddr_storage* out);

// "ip:port" of a socket address ("[ip]:port" for IPv6); "?" if unknown.
std::string format_address(const sockaddr* sa);

}  // namespace ferry::net
