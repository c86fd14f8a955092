#include "message.h"

#include <algorithm>
#include <cstring>

#include "api_common.h"

void ferry_client_message::set_property(std::string_view name, std::string_view value) {
  // Entries are name\x01value\x02; names and values hold neither separator.
  for (size_t at = 0; at < props_encoded.size();) {
    size_t sep = props_encoded.find(FERRY_PROP_NAME_VALUE_SEP, at);
    size_t end = props_encoded.find(FERRY_PROP_SEP, at);
    if (sep == std::string::npos || end == std::string::npos || sep > end) break;  // not ours: cannot happen
    if (std::string_view(props_encoded).substr(at, sep - at) == name) {
      props_encoded.replace(sep + 1, end - sep - 1, value);
      return;
    }
    at = end + 1;
  }
  props_encoded.reserve(props_encoded.size() + name.size() + value.size() + 2);
  props_encoded += name;
  props_encoded += FERRY_PROP_NAME_VALUE_SEP;
  props_encoded += value;
  props_encoded += FERRY_PROP_SEP;
}

std::string_view ferry_client_message::broker_name() const {
  return block ? std::string_view(block->broker_name()) : std::string_view();
}

namespace ferry::sdk {
namespace {

constexpr char kHex[] = "0123456789ABCDEF";

bool has_separator(const char* s) { return std::strpbrk(s, "\x01\x02") != nullptr; }

const char* const kReserved[] = {FERRY_PROP_KEYS, FERRY_PROP_TAGS, FERRY_PROP_UNIQ_KEY,
                                 FERRY_PROP_DELAY, FERRY_PROP_DELIVER_AT, FERRY_PROP_REAL_TOPIC,
                                 FERRY_PROP_REAL_QID, FERRY_PROP_TRAN_MSG,
                                 FERRY_PROP_PRODUCER_GROUP, FERRY_PROP_RETRY_TOPIC,
                                 FERRY_PROP_ORIGIN_MSG_ID, FERRY_PROP_RECONSUME_TIME,
                                 FERRY_PROP_MAX_RECONSUME_TIMES, FERRY_PROP_CRC32};

}  // namespace

std::string offset_msg_id_of(const ferry_record_view& r) {
  char buf[64];
  size_t n = write_offset_msg_id(r, buf, sizeof buf);
  return std::string(buf, n);
}

size_t write_offset_msg_id(const ferry_record_view& r, char* out, size_t cap) {
  size_t at = 0;
  auto hex = [&](const unsigned char* p, size_t n) {
    for (size_t i = 0; i < n && at + 2 <= cap; ++i) {
      out[at++] = kHex[p[i] >> 4];
      out[at++] = kHex[p[i] & 15];
    }
  };
  hex(static_cast<const unsigned char*>(r.store_host.data), r.store_host.len);
  unsigned char tail[12];
  for (int i = 0; i < 4; ++i) tail[i] = static_cast<unsigned char>(r.store_port >> (24 - 8 * i));
  uint64_t off = static_cast<uint64_t>(r.physical_offset);
  for (int i = 0; i < 8; ++i) tail[4 + i] = static_cast<unsigned char>(off >> (56 - 8 * i));
  hex(tail, sizeof tail);
  return at;
}

void ReceivedBlock::release_one() {
  if (refs_.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  std::unique_ptr<ReceivedBlock> last(this);
  if (auto pool = std::move(pool_)) pool->give(std::move(last));
}

ReceivedBlock* BlockPool::take(size_t count, std::shared_ptr<const void> keep, std::string_view broker_name) {
  std::unique_ptr<ReceivedBlock> b;
  {
    std::lock_guard l(mu_);
    if (!free_.empty() && free_.back()->capacity() >= count) {
      b = std::move(free_.back());
      free_.pop_back();
    }
  }
  // Room for a typical answer, so blocks are interchangeable.
  if (!b) b = std::make_unique<ReceivedBlock>(std::max<size_t>(count, 32));
  b->reset(std::move(keep), broker_name, count, shared_from_this());
  return b.release();
}

void BlockPool::give(std::unique_ptr<ReceivedBlock> b) {
  b->keep_.reset();  // the answer buffer goes now, not when the block is reused
  std::lock_guard l(mu_);
  if (free_.size() < kKeep) free_.push_back(std::move(b));
}

void release_message(ferry_client_message* m) {
  if (!m) return;
  if (m->block) return m->block->release_one();
  std::unique_ptr<ferry_client_message> owned(m);  // an outgoing message owns itself
}

std::vector<MessagePtr> decode_records(std::shared_ptr<const void> keep, const uint8_t* data,
                                       size_t len, const std::string& broker_name,
                                       std::string* why, BlockPool* pool) {
  // Count first (TOTALSIZE hops), so one block holds every message. A hop
  // shorter than a record's fixed fields ends the count: otherwise a garbled
  // answer of tiny sizes would size the block (one slot per byte) by the peer.
  size_t count = 0;
  for (size_t pos = 0; pos < len; ++count) {
    uint32_t size = len - pos >= 4 ? ferry_be32(data + pos) : 0;
    if (size < FERRY_RECORD_FIXED_V4 || size > len - pos) {
      ++count;  // decoded (and reported) below
      break;
    }
    pos += size;
  }
  std::vector<MessagePtr> out;
  if (count == 0) return out;
  out.reserve(count);
  ReceivedBlock* block;
  if (pool) {
    block = pool->take(count, std::move(keep), broker_name);
  } else {
    auto fresh = std::make_unique<ReceivedBlock>(count);
    fresh->reset(std::move(keep), broker_name, count, nullptr);
    block = fresh.release();
  }
  size_t pos = 0, i = 0;
  for (; i < count && pos < len; ++i) {
    ferry_client_message* m = block->at(i);
    ferry_status s = ferry_record_decode(data + pos, len - pos, &m->rec);
    if (s != FERRY_OK) {
      *why = "undecodable record at byte " + std::to_string(pos) + " of the answer: " +
             ferry_status_str(s);
      break;
    }
    pos += m->rec.total_size;
    m->received = true;
    m->block = block;
    m->offset_msg_id_len =
        static_cast<uint8_t>(write_offset_msg_id(m->rec, m->offset_msg_id, sizeof m->offset_msg_id));
    out.emplace_back(m);
  }
  for (; i < count; ++i) block->release_one();  // slots not decoded
  return out;
}

bool tag_matches(std::string_view expr, std::string_view tag) {
  auto trim = [](std::string_view s) {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    return s;
  };
  expr = trim(expr);
  if (expr.empty() || expr == "*") return true;
  while (!expr.empty()) {
    size_t bar = expr.find("||");
    std::string_view part = trim(expr.substr(0, bar));
    if (!part.empty() && part == tag) return true;
    if (bar == std::string_view::npos) break;
    expr.remove_prefix(bar + 2);
  }
  return false;
}

}  // namespace ferry::sdk

using ferry::sdk::fail;
using ferry::sdk::guarded;

namespace {

ferry_status outgoing_set(ferry_client_message* msg, const char* name, const char* value,
                          char* errbuf, size_t errlen) {
  FERRY_REQUIRE_ARG(msg, "msg");
  FERRY_REQUIRE_ARG(value, "value");
  if (msg->received)
    return fail(errbuf, errlen, FERRY_E_STATE, "a received message cannot be changed");
  if (ferry::sdk::has_separator(value))
    return fail(errbuf, errlen, FERRY_E_INVALID_ARGUMENT,
                std::string(name) + " value contains byte \\x01 or \\x02");
  msg->set_property(name, value);
  return FERRY_OK;
}

template <class T>
T absent_len(size_t* len) {
  if (len) *len = 0;
  return nullptr;
}

const char* out_view(std::string_view v, size_t* len) {
  if (v.data() == nullptr || v.empty()) return absent_len<const char*>(len);
  if (len) *len = v.size();
  return v.data();
}

}  // namespace

extern "C" {

FERRY_EXPORT ferry_status ferry_message_new(const char* topic, const void* body, size_t len,
                                            ferry_client_message** out, char* errbuf,
                                            size_t errlen) {
  return guarded(errbuf, errlen, [&] {
    FERRY_REQUIRE_ARG(out, "out");
    *out = nullptr;
    FERRY_REQUIRE_ARG(topic, "topic");
    if (!body && len)
      return fail(errbuf, errlen, FERRY_E_INVALID_ARGUMENT, "body is NULL but len is not 0");
    size_t tlen = std::strlen(topic);
    if (ferry_status st = ferry::sdk::check_topic_length(tlen, errbuf, errlen); st != FERRY_OK) return st;
    auto m = std::make_unique<ferry_client_message>();
    m->topic_s.assign(topic, tlen);
    if (len) m->body_s.assign(static_cast<const char*>(body), len);
    *out = m.release();
    return FERRY_OK;
  });
}

FERRY_EXPORT void ferry_message_destroy(ferry_client_message* msg) { ferry::sdk::release_message(msg); }

// Reuses the message's strings: assign/clear keep their capacity, so a warm
// message takes a new topic, body and UNIQ_KEY without allocating.
FERRY_EXPORT ferry_status ferry_message_reset(ferry_client_message* msg, const char* topic, const void* body,
                                              size_t len, char* errbuf, size_t errlen) {
  return guarded(errbuf, errlen, [&] {
    FERRY_REQUIRE_ARG(msg, "msg");
    FERRY_REQUIRE_ARG(topic, "topic");
    if (msg->received) return fail(errbuf, errlen, FERRY_E_STATE, "a received message cannot be reset");
    if (!body && len)
      return fail(errbuf, errlen, FERRY_E_INVALID_ARGUMENT, "body is NULL but len is not 0");
    size_t tlen = std::strlen(topic);
    if (ferry_status st = ferry::sdk::check_topic_length(tlen, errbuf, errlen); st != FERRY_OK) return st;
    msg->topic_s.assign(topic, tlen);
    msg->body_s.assign(static_cast<const char*>(body ? body : ""), len);
    msg->props_encoded.clear();
    msg->flag = 0;
    return FERRY_OK;
  });
}

FERRY_EXPORT ferry_status ferry_message_set_tags(ferry_client_message* msg, const char* tags,
                                                 char* errbuf, size_t errlen) {
  return guarded(errbuf, errlen, [&] { return outgoing_set(msg, FERRY_PROP_TAGS, tags, errbuf, errlen); });
}

FERRY_EXPORT ferry_status ferry_message_set_keys(ferry_client_message* msg, const char* keys,
                                                 char* errbuf, size_t errlen) {
  return guarded(errbuf, errlen, [&] { return outgoing_set(msg, FERRY_PROP_KEYS, keys, errbuf, errlen); });
}

FERRY_EXPORT ferry_status ferry_message_set_property(ferry_client_message* msg, const char* name,
                                                     const char* value, char* errbuf,
                                                     size_t errlen) {
  return guarded(errbuf, errlen, [&] {
    FERRY_REQUIRE_ARG(name, "name");
    if (!*name || ferry::sdk::has_separator(name))
      return fail(errbuf, errlen, FERRY_E_INVALID_ARGUMENT,
                  "property name is empty or contains byte \\x01 or \\x02");
    for (const char* r : ferry::sdk::kReserved)
      if (std::strcmp(r, name) == 0)
        return fail(errbuf, errlen, FERRY_E_RESERVED_NAME,
                    std::string("property '") + name + "' is reserved; use its own setter");
    return outgoing_set(msg, name, value, errbuf, errlen);
  });
}

FERRY_EXPORT ferry_status ferry_message_set_flag(ferry_client_message* msg, int32_t flag,
                                                 char* errbuf, size_t errlen) {
  return guarded(errbuf, errlen, [&] {
    FERRY_REQUIRE_ARG(msg, "msg");
    if (msg->received) return fail(errbuf, errlen, FERRY_E_STATE, "a received message cannot be changed");
    msg->flag = flag;
    return FERRY_OK;
  });
}

FERRY_EXPORT ferry_status ferry_message_set_delay_level(ferry_client_message* msg, int32_t level,
                                                        char* errbuf, size_t errlen) {
  return guarded(errbuf, errlen, [&] {
    FERRY_REQUIRE_ARG(msg, "msg");
    (void)level;
    return fail(errbuf, errlen, FERRY_E_NOT_SUPPORTED,
                "delay levels are not supported yet (no delay plugin behind the broker); "
                "the message was not changed");
  });
}

FERRY_EXPORT ferry_status ferry_message_set_deliver_at(ferry_client_message* msg, int64_t epoch_ms,
                                                       char* errbuf, size_t errlen) {
  return guarded(errbuf, errlen, [&] {
    FERRY_REQUIRE_ARG(msg, "msg");
    (void)epoch_ms;
    return fail(errbuf, errlen, FERRY_E_NOT_SUPPORTED,
                "delivery at a time is not supported yet (no timer plugin behind the broker); "
                "the message was not changed");
  });
}

FERRY_EXPORT const char* ferry_message_topic(const ferry_client_message* m, size_t* len) {
  return m ? out_view(m->topic(), len) : absent_len<const char*>(len);
}
FERRY_EXPORT const void* ferry_message_body(const ferry_client_message* m, size_t* len) {
  if (!m) return absent_len<const void*>(len);
  auto b = m->body();
  if (len) *len = b.size();
  return b.empty() ? nullptr : b.data();
}
FERRY_EXPORT const char* ferry_message_tags(const ferry_client_message* m, size_t* len) {
  return m ? out_view(m->property(FERRY_PROP_TAGS), len) : absent_len<const char*>(len);
}
FERRY_EXPORT const char* ferry_message_keys(const ferry_client_message* m, size_t* len) {
  return m ? out_view(m->property(FERRY_PROP_KEYS), len) : absent_len<const char*>(len);
}
FERRY_EXPORT const char* ferry_message_property(const ferry_client_message* m, const char* name,
                                                size_t* len) {
  return m && name ? out_view(m->property(name), len) : absent_len<const char*>(len);
}
FERRY_EXPORT const char* ferry_message_msg_id(const ferry_client_message* m, size_t* len) {
  return m ? out_view(m->property(FERRY_PROP_UNIQ_KEY), len) : absent_len<const char*>(len);
}
FERRY_EXPORT const char* ferry_message_offset_msg_id(const ferry_client_message* m, size_t* len) {
  return m && m->received ? out_view(std::string_view(m->offset_msg_id, m->offset_msg_id_len), len)
                          : absent_len<const char*>(len);
}
FERRY_EXPORT const char* ferry_message_broker_name(const ferry_client_message* m, size_t* len) {
  return m && m->received ? out_view(m->broker_name(), len) : absent_len<const char*>(len);
}
FERRY_EXPORT int32_t ferry_message_queue_id(const ferry_client_message* m) {
  return m && m->received ? m->rec.queue_id : -1;
}
FERRY_EXPORT int64_t ferry_message_queue_offset(const ferry_client_message* m) {
  return m && m->received ? m->rec.queue_offset : -1;
}
FERRY_EXPORT int64_t ferry_message_commit_offset(const ferry_client_message* m) {
  return m && m->received ? m->rec.physical_offset : -1;
}
FERRY_EXPORT int64_t ferry_message_store_timestamp(const ferry_client_message* m) {
  return m && m->received ? m->rec.store_timestamp_ms : -1;
}
FERRY_EXPORT int64_t ferry_message_born_timestamp(const ferry_client_message* m) {
  return m && m->received ? m->rec.born_timestamp_ms : -1;
}
FERRY_EXPORT int32_t ferry_message_reconsume_times(const ferry_client_message* m) {
  return m && m->received ? m->rec.reconsume_times : -1;
}
FERRY_EXPORT int32_t ferry_message_flag(const ferry_client_message* m) {
  if (!m) return -1;
  return m->received ? m->rec.flag : m->flag;
}

}  // extern "C"
