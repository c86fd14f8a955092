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
#include <mutex>
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
  // name\x01value\x02... as it goes on the wire: the only copy of the
  // properties, edited in place by set_property (no per-send re-encode).
  std::string props_encoded;
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

class BlockPool;

// The messages decoded from one answer, in one allocation, with the answer
// buffer they point into. Each message is released on its own (any thread,
// any order: ferry_message_destroy); the last release frees the block, or
// hands it back to the pool it came from.
class ReceivedBlock {
 public:
  explicit ReceivedBlock(size_t capacity)
      : msgs_(std::make_unique<ferry_client_message[]>(capacity)), capacity_(capacity) {}
  // Makes the block hold `count` messages of the answer `keep`.
  void reset(std::shared_ptr<const void> keep, std::string_view broker_name, size_t count,
             std::shared_ptr<BlockPool> pool) {
    keep_ = std::move(keep);
    broker_name_.assign(broker_name);
    pool_ = std::move(pool);
    refs_.store(count, std::memory_order_relaxed);
  }
  size_t capacity() const { return capacity_; }
  ferry_client_message* at(size_t i) { return &msgs_[i]; }
  const std::string& broker_name() const { return broker_name_; }
  // Called once per message; the last one frees the block or returns it to
  // its pool (an intrusive count: the messages live inside the block).
  void release_one();

 private:
  friend class BlockPool;
  std::shared_ptr<const void> keep_;
  std::string broker_name_;
  std::shared_ptr<BlockPool> pool_;
  std::unique_ptr<ferry_client_message[]> msgs_;
  size_t capacity_;
  std::atomic<size_t> refs_{0};
};

// Released blocks kept for the next answers of one consumer: the blocks are
// allocated on the I/O thread and released on the application's threads, so
// without reuse each answer would free a large chunk into the I/O thread's
// malloc arena and fault it back in for the next (trimmed in between).
class BlockPool : public std::enable_shared_from_this<BlockPool> {
 public:
  // A block with room for `count` messages, reset for this answer.
  ReceivedBlock* take(size_t count, std::shared_ptr<const void> keep, std::string_view broker_name);
  void give(std::unique_ptr<ReceivedBlock> b);

 private:
  static constexpr size_t kKeep = 64;  // blocks kept at most
  std::mutex mu_;
  std::vector<std::unique_ptr<ReceivedBlock>> free_;
};

// Frees an outgoing message, or releases a received one's share of its block.
void release_message(ferry_client_message* m);
struct MessageRelease {
  void operator()(ferry_client_message* m) const { release_message(m); }
};
using MessagePtr = std::unique_ptr<ferry_client_message, MessageRelease>;

// Decodes the raw records of a pull or query answer (kept alive by `keep`).
// Records that fail to decode end the list; *why says so. With a pool, the
// messages' block comes from (and returns to) it.
std::vector<MessagePtr> decode_records(std::shared_ptr<const void> keep, const uint8_t* data,
                                       size_t len, const std::string& broker_name,
                                       std::string* why, BlockPool* pool = nullptr);

// RocketMQ offset message id: hex(store host, port, commit offset).
std::string offset_msg_id_of(const ferry_record_view& r);
// The same into out[0..cap) without allocating; returns its length.
size_t write_offset_msg_id(const ferry_record_view& r, char* out, size_t cap);

// Does `tags` match a tag expression ("", "*", "A || B")?
bool tag_matches(std::string_view expression, std::string_view tag);

}  // namespace ferry::sdk
