#pragma once
// Offset message ids, RocketMQ's layout: hex (upper case) of the store
// host's address bytes (4 for IPv4, 16 for IPv6), its port as 4 bytes, and
// the record's commit log offset as 8 bytes, all big-endian: 32 hex digits
// for IPv4, 56 for IPv6. A client finds the broker and the record from it.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ferry::core {

// Precomputed prefix for one broker address; encoding an id then costs 16
// hex digits. "host:port" or "[v6]:port"; a host that is not an IP literal
// encodes as 0.0.0.0.
class MessageIdEncoder {
 public:
  explicit MessageIdEncoder(std::string_view address);
  std::string encode(uint64_t commit_offset) const;
  // Writes encode()'s digits into out (prefix_len() + 16 chars).
  void encode_into(uint64_t commit_offset, char* out) const;
  size_t id_length() const { return prefix_.size() + 16; }

 private:
  std::string prefix_;
};

struct DecodedMessageId {
  std::string address;  // "ip:port"
  uint64_t commit_offset = 0;
};

std::optional<DecodedMessageId> decode_message_id(std::string_view id);

}  // namespace ferry::core
