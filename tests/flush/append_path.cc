#include "append_path.h"

#include <cstring>

namespace ferry::test {

TestMessage::TestMessage(uint64_t seq, size_t body_bytes, int32_t queues)
    : seq_(seq), body_(expected_body(seq, body_bytes)) {
  props_ = std::string("SEQ\x01") + std::to_string(seq) + "\x02";
  msg_.struct_size = sizeof(msg_);
  msg_.topic = {kTopic, std::strlen(kTopic)};
  msg_.queue_id = static_cast<int32_t>(seq % static_cast<uint64_t>(queues));
  msg_.body = {body_.data(), body_.size()};
  msg_.properties = {props_.data(), props_.size()};
  msg_.born_timestamp_ms = static_cast<int64_t>(1'700'000'000'000 + seq);
  msg_.born_host = {host_, sizeof(host_)};
  msg_.born_port = 4242;
}

std::vector<unsigned char> TestMessage::expected_body(uint64_t seq, size_t body_bytes) {
  std::vector<unsigned char> b(std::max<size_t>(body_bytes, 16));
  // 8 bytes of seq (big-endian), 8 bytes of ~seq, then a seq-keyed pattern.
  for (int i = 0; i < 8; ++i) {
    b[static_cast<size_t>(i)] = static_cast<unsigned char>(seq >> (56 - 8 * i));
    b[static_cast<size_t>(8 + i)] = static_cast<unsigned char>(~seq >> (56 - 8 * i));
  }
  uint64_t x = seq * 0x9E3779B97F4A7C15ull + 1;
  for (size_t i = 16; i < b.size(); ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    b[i] = static_cast<unsigned char>(x);
  }
  return b;
}

std::optional<uint64_t> TestMessage::seq_of(const void* body, size_t len) {
  if (len < 16) return std::nullopt;
  const auto* p = static_cast<const unsigned char*>(body);
  uint64_t seq = 0, inv = 0;
  for (int i = 0; i < 8; ++i) {
    seq = (seq << 8) | p[i];
    inv = (inv << 8) | p[8 + i];
  }
  if (inv != ~seq) return std::nullopt;
  return seq;
}

AppendPath::AppendPath(FakeHost& host, const ferry_storage_ops* ops, void* storage)
    : host_(host), ops_(ops), storage_(storage) {}

Sent AppendPath::append(const ferry_message& msg, bool publish) {
  Sent s;
  s.result.struct_size = sizeof(s.result);
  ferry_error err;
  std::lock_guard g(writer_);
  const ferry_message* one = &msg;
  size_t appended = 0;
  uint64_t write = 0;
  s.status = ops_->append(storage_, &one, 1, &s.result, &appended, &write, &err);
  if (s.status != FERRY_OK || appended != 1) {
    if (s.status == FERRY_OK) s.status = FERRY_E_INTERNAL;
    s.error = err.message;
    return s;
  }
  s.end = s.result.commit_offset + s.result.size;
  if (publish && end_turns_) {
    if (!FERRY_HAS_FIELD(ferry_storage_ops, ops_->struct_size, end_turn) || !ops_->end_turn) {
      s.status = FERRY_E_NOT_SUPPORTED;
      s.error = "the storage has no end_turn";
      return s;
    }
    ferry_status ts = ops_->end_turn(storage_, &write, &err);
    if (ts != FERRY_OK) {
      // Appended, not yet written: the ack never comes; say why.
      s.status = ts;
      s.error = err.message;
      return s;
    }
  }
  if (publish) host_.publish_write(write);
  return s;
}

uint64_t AppendPath::end_turn(bool publish) {
  uint64_t write = 0;
  {
    std::lock_guard g(writer_);
    ferry_error err;
    if (!FERRY_HAS_FIELD(ferry_storage_ops, ops_->struct_size, end_turn) || !ops_->end_turn ||
        ops_->end_turn(storage_, &write, &err) != FERRY_OK)
      write = ops_->write_offset(storage_);
  }
  if (publish) host_.publish_write(write);
  return write;
}

Sent AppendPath::send(const ferry_message& msg) {
  Sent s = append(msg);
  if (s.status == FERRY_OK) s.status = host_.wait_ack(s.end);
  return s;
}

}  // namespace ferry::test
