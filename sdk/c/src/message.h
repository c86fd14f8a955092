#pragma once
// ferry_client_message: a message to send (owns its bytes, properties kept
// encoded as they go on the wire) or a received one (a view into a shared
// pull answer buffer, decoded with ferry_record_decode). The messages of one
// answer are allocated together in a ReceivedBlock, so receiving costs one
// allocation per answer, not one per message.
#include <ferry/client.h>
#include <ferry/record.h>

#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ferry::sdk {
class ReceivedBlock;
}

struct ferry_client_message {
  bool received = false;
  // outgoing
  std::string topic_s;
  std::string body_s;
  std::vector<std::pair<std::string, std::string>> props;
  std::string props_encoded;  // name\x01value\x02..., rebuilt on each set
  int32_t flag = 0;
  // received
  ferry::sdk::ReceivedBlock* block = nullptr;  // owns the answer buffer `rec` points into
  ferry_record_view rec{};
  uint8_t offset_msg_id_len = 0;
  char offset_msg_id[64] = {};  // hex(store host, port, commit offset), written at decode

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
  std::string_view broker_name() const;  // received only
  // Outgoing only.
  void set_property(std::string_view name, std::string_view value);
};

namespace ferry::sdk {

// The messages decoded from one answer, in one allocation, with the answer
// buffer they point into. Each message is released on its own (any thread,
// any order: ferry_message_destroy); the last release frees the block.
class ReceivedBlock {
 public:
  ReceivedBlock(std::shared_ptr<const void> keep, std::string broker_name, size_t count)
      : keep_(std::move(keep)), broker_name_(std::move(broker_name)),
        msgs_(std::make_unique<ferry_client_message[]>(count)), refs_(count) {}
  ferry_client_message* at(size_t i) { return &msgs_[i]; }
  const std::string& broker_name() const { return broker_name_; }
  // Called once per message; the last one frees the block (an intrusive
  // count: the messages live inside the block they keep alive).
  void release_one() {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) std::unique_ptr<ReceivedBlock> last(this);
  }

 private:
  std::shared_ptr<const void> keep_;
  std::string broker_name_;
  std::unique_ptr<ferry_client_message[]> msgs_;
  std::atomic<size_t> refs_;
};

// Frees an outgoing message, or releases a received one's share of its block.
void release_message(ferry_client_message* m);
struct MessageRelease {
  void operator()(ferry_client_message* m) const { release_message(m); }
};
using MessagePtr = std::unique_ptr<ferry_client_message, MessageRelease>;

// Decodes the raw records of a pull or query answer (kept alive by `keep`).
// Records that fail to decode end the list; *why says so.
std::vector<MessagePtr> decode_records(std::shared_ptr<const void> keep, const uint8_t* data,
                                       size_t len, const std::string& broker_name,
                                       std::string* why);

// RocketMQ offset message id: hex(store host, port, commit offset).
std::string offset_msg_id_of(const ferry_record_view& r);
// The same into out[0..cap) without allocating; returns its length.
size_t write_offset_msg_id(const ferry_record_view& r, char* out, size_t cap);

// Does `tags` match a tag expression ("", "*", "A || B")?
bool tag_matches(std::string_view expression, std::string_view tag);

}  // namespace ferry::sdk
