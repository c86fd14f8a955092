#include "ferry/net/address.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <uv.h>

#include <charconv>
#include <cstring>

namespace ferry::net {

bool split_host_port(std::string_view address, std::string* host, uint16_t* port,
                     std::string* error) {
  const size_t colon = address.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == address.size()) {
    *error = "address '" + std::string(address) + "' is not host:port";
    return false;
  }
  const std::string_view port_text = address.substr(colon + 1);
  unsigned p = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), p);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || p > 65535) {
    *error = "address '" + std::string(address) + "' has a bad port";
    return false;
  }
  std::string_view h = address.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  if (h.empty()) {
    *error = "address '" + std::string(address) + "' is not host:port";
    return false;
  }
  *host = std::string(h);
  *port = static_cast<uint16_t>(p);
  return true;
}

bool numeric_address(const std::string& host, uint16_t port, sockaddr_storage* out) {
  std::memset(out, 0, sizeof(*out));
  if (uv_ip4_addr(host.c_str(), port, reinterpret_cast<sockaddr_in*>(out)) == 0) return true;
  std::memset(out, 0, sizeof(*out));
  return host.find(':') != std::string::npos &&
         uv_ip6_addr(host.c_str(), port, reinterpret_cast<sockaddr_in6*>(out)) == 0;
}

bool parse_address(std::string_view address, sockaddr_storage* out, std::string* error) {
  std::string host;
  uint16_t port = 0;
  if (!split_host_port(address, &host, &port, error)) return false;
  if (host == "localhost") host = "127.0.0.1";
  if (numeric_address(host, port, out)) return true;
  *error = "address '" + std::string(address) + "' is not a numeric IPv4/[IPv6] host";
  return false;
}

std::string format_address(const sockaddr* sa) {
  char ip[INET6_ADDRSTRLEN] = {0};
  if (sa->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    uv_ip4_name(in, ip, sizeof(ip));
    return std::string(ip) + ":" + std::to_string(ntohs(in->sin_port));
  }
  if (sa->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    uv_ip6_name(in6, ip, sizeof(ip));
    return "[" + std::string(ip) + "]:" + std::to_string(ntohs(in6->sin6_port));
  }
  return "?";
}

}  // namespace ferry::net
