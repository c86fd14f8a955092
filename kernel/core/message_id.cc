#include "message_id.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace ferry::core {
namespace {

constexpr char kHex[] = "0123456789ABCDEF";

void put_hex(const unsigned char* bytes, size_t n, std::string* out) {
  for (size_t i = 0; i < n; ++i) {
    out->push_back(kHex[bytes[i] >> 4]);
    out->push_back(kHex[bytes[i] & 15]);
  }
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

MessageIdEncoder::MessageIdEncoder(std::string_view address) {
  std::string host(address);
  uint32_t port = 0;
  size_t colon = address.rfind(':');
  if (colon != std::string_view::npos) {
    host = std::string(address.substr(0, colon));
    auto p = address.substr(colon + 1);
    std::from_chars(p.data(), p.data() + p.size(), port);
  }
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  unsigned char addr[16] = {};
  size_t addr_len = 4;
  if (inet_pton(AF_INET, host.c_str(), addr) != 1) {
    if (inet_pton(AF_INET6, host.c_str(), addr) == 1) {
      addr_len = 16;
    } else {
      std::memset(addr, 0, sizeof addr);
    }
  }
  unsigned char port_be[4] = {static_cast<unsigned char>(port >> 24), static_cast<unsigned char>(port >> 16),
                              static_cast<unsigned char>(port >> 8), static_cast<unsigned char>(port)};
  put_hex(addr, addr_len, &prefix_);
  put_hex(port_be, 4, &prefix_);
}

void MessageIdEncoder::encode_into(uint64_t commit_offset, char* out) const {
  std::memcpy(out, prefix_.data(), prefix_.size());
  out += prefix_.size();
  for (int i = 15; i >= 0; --i) {
    out[i] = kHex[commit_offset & 15];
    commit_offset >>= 4;
  }
}

std::string MessageIdEncoder::encode(uint64_t commit_offset) const {
  std::string id(id_length(), '0');
  encode_into(commit_offset, id.data());
  return id;
}

std::optional<DecodedMessageId> decode_message_id(std::string_view id) {
  size_t addr_len;
  if (id.size() == 32) {
    addr_len = 4;
  } else if (id.size() == 56) {
    addr_len = 16;
  } else {
    return std::nullopt;
  }
  unsigned char bytes[28];
  for (size_t i = 0; i < id.size() / 2; ++i) {
    int hi = hex_value(id[2 * i]), lo = hex_value(id[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    bytes[i] = static_cast<unsigned char>(hi << 4 | lo);
  }
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(addr_len == 4 ? AF_INET : AF_INET6, bytes, text, sizeof text);
  const unsigned char* p = bytes + addr_len;
  uint32_t port = uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
  uint64_t off = 0;
  for (int i = 0; i < 8; ++i) off = off << 8 | p[4 + i];
  DecodedMessageId out;
  out.address = addr_len == 4 ? std::string(text) + ":" + std::to_string(port)
                              : "[" + std::string(text) + "]:" + std::to_string(port);
  out.commit_offset = off;
  return out;
}

}  // namespace ferry::core
