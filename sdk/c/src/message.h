#pragma once
// ferry_client_message: a message to send (owns its bytes, properties kept
// encoded as they go on the wire) or a received one (a view into a shared
// pull answer buffer, decoded with ferry_record_decode).
#include <ferry/client.h>
#include <ferry/record.h>

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

struct ferry_client_message {
  bool received = false;
  // outgoing
  std::string topic_s;
  std::string body_s;
  std::vector<std::pair<std::string, std::string>> props;
  std::string props_encoded;  // name\x01value\x02..., rebuilt on each set
  int32_t flag = 0;
  // received
  std::shared_ptr<const void> keep;  // the answer buffer the record lives in
  ferry_record_view rec{};
  std::string broker_name;
  std::string offset_msg_id;

  std::string_view topic() const {
    return received ? std::string_view(static_cast<const char*>(rec.topic.data), rec.topic.len)
                    : std::string_view(topic_s);
  }
  std::string_view body() const {
    return received ? std::string_view(static_cast<const char*>(rec.body.data), rec.body.len)
                    : std::string_view(body_s);
  }
  ferry_slice properties() const {
    return received ? rec.properties : ferry_slice{props_encoded.data(), props_encoded.size()};
  }
  std::string_view property(const char* name) const {
    ferry_slice v{};
    if (!ferry_property_find(properties(), name, &v)) return {};
    return {static_cast<const char*>(v.data), v.len};
  }
  // Outgoing only.
  void set_property(std::string_view name, std::string_view value);
};

namespace ferry::sdk {

using MessagePtr = std::unique_ptr<ferry_client_message>;

// Decodes the raw records of a pull or query answer (kept alive by `keep`).
// Records that fail to decode end the list; *why says so.
std::vector<MessagePtr> decode_records(std::shared_ptr<const void> keep, const uint8_t* data,
                                       size_t len, const std::string& broker_name,
                                       std::string* why);

// RocketMQ offset message id: hex(store host, port, commit offset).
std::string offset_msg_id_of(const ferry_record_view& r);

// Does `tags` match a tag expression ("", "*", "A || B")?
bool tag_matches(std::string_view expression, std::string_view tag);

}  // namespace ferry::sdk
