#include "ferry/net/address.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <uv.h>

#include <charconv>
#include <cstring>

namespace ferry::net {

bool parse_address(std::string_view address, sockaddr_storage* out, std::string* error) {
  const size_t colon = address.rfind(':');
  if (colon == std::string_view::npos || colon + 1 == address.size()) {
    *error = "address '" + std::string(address) + "' is not host:port";
    return false;
  }
  std::string host(address.substr(0, colon));
  const std::string_view port_text = address.substr(colon + 1);
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port > 65535) {
    *error = "address '" + std::string(address) + "' has a bad port";
    return false;
  }
  std::memset(out, 0, sizeof(*out));
  if (host == "localhost") host = "127.0.0.1";
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
    if (uv_ip6_addr(host.c_str(), static_cast<int>(port), reinterpret_cast<sockaddr_in6*>(out)) == 0)
      return true;
  } else if (uv_ip4_addr(host.c_str(), static_cast<int>(port),
                         reinterpret_cast<sockaddr_in*>(out)) == 0) {
    return true;
  }
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
