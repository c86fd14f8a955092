#include "context.h"

#include <cstdio>

namespace ferry::tools {

ConfigPtr Ctx::config(const std::vector<std::pair<std::string, std::string>>& extra) {
  std::vector<std::pair<std::string, std::string>> kv = {
      {"name_servers", name_servers},
      {"request_timeout_ms", std::to_string(timeout_ms)},
      {"connect_timeout_ms", std::to_string(timeout_ms)},
      {"send_timeout_ms", std::to_string(timeout_ms)},
      {"log_level", "off"}};  // ferryctl reports errors itself
  kv.insert(kv.end(), extra.begin(), extra.end());
  SdkError e;
  ConfigPtr conf = make_config(kv, &e);
  if (!conf) {
    std::fprintf(stderr, "bad option: %s\n", e.message.c_str());
    rc = kExitUsage;
  }
  return conf;
}

ferry_admin* Ctx::admin() {
  if (admin_) return admin_.get();
  ConfigPtr conf = config();
  if (!conf) return nullptr;
  SdkError e;
  admin_ = start_admin(conf.get(), &e);
  if (!admin_) fail("connect", e.status, e.message.c_str());
  return admin_.get();
}

int Ctx::fail(const char* what, ferry_status s, const char* err) {
  std::fprintf(stderr, "%s\n", describe_failure(what, s, err).c_str());
  rc = exit_code_for(s);
  return rc;
}

std::string printable(std::string_view body, size_t max) {
  std::string out;
  for (unsigned char c : body) {
    if (out.size() >= max) {
      out += "...";
      break;
    }
    if (c >= 0x20 && c < 0x7F) {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  return out;
}

std::vector<std::string> message_header() {
  return {"BROKER", "QUEUE", "OFFSET", "MSG_ID", "OFFSET_MSG_ID", "STORED_MS", "TAGS", "KEYS", "BODY"};
}

std::vector<std::string> message_row(const ferry_client_message* m, size_t body_max) {
  size_t len = 0;
  const void* body = ferry_message_body(m, &len);
  return {field(m, ferry_message_broker_name),
          std::to_string(ferry_message_queue_id(m)),
          std::to_string(ferry_message_queue_offset(m)),
          field(m, ferry_message_msg_id),
          field(m, ferry_message_offset_msg_id),
          std::to_string(ferry_message_store_timestamp(m)),
          field(m, ferry_message_tags),
          field(m, ferry_message_keys),
          printable(std::string_view(static_cast<const char*>(body), body ? len : 0), body_max)};
}

std::string message_json(const ferry_client_message* m) {
  size_t len = 0;
  const void* body = ferry_message_body(m, &len);
  return "{\"topic\":" + json_quote(field(m, ferry_message_topic)) +
         ",\"broker\":" + json_quote(field(m, ferry_message_broker_name)) +
         ",\"queue\":" + std::to_string(ferry_message_queue_id(m)) +
         ",\"offset\":" + std::to_string(ferry_message_queue_offset(m)) +
         ",\"msg_id\":" + json_quote(field(m, ferry_message_msg_id)) +
         ",\"offset_msg_id\":" + json_quote(field(m, ferry_message_offset_msg_id)) +
         ",\"store_timestamp\":" + std::to_string(ferry_message_store_timestamp(m)) +
         ",\"born_timestamp\":" + std::to_string(ferry_message_born_timestamp(m)) +
         ",\"tags\":" + json_quote(field(m, ferry_message_tags)) +
         ",\"keys\":" + json_quote(field(m, ferry_message_keys)) +
         ",\"body\":" + json_quote(std::string_view(static_cast<const char*>(body), body ? len : 0)) + "}";
}

}  // namespace ferry::tools
