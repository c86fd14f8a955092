// The configuration keys: one table with each key's form, default and range,
// so validation, defaults and error text come from one place.
#include "config.h"

#include <unistd.h>

#include <charconv>
#include <random>

#include "api_common.h"

namespace ferry::sdk {
namespace {

enum class Kind { kString, kUint, kInt, kBool, kChoice, kAddresses };

struct Key {
  const char* name;
  Kind kind;
  const char* def;
  uint64_t min = 0;
  uint64_t max = 0;
  const char* choices = nullptr;  // '|'-separated for kChoice
};

constexpr uint64_t kDay = 86'400'000;
const Key kKeys[] = {
    {"name_servers", Kind::kAddresses, ""},
    {"client_id", Kind::kString, ""},
    {"group", Kind::kString, "DEFAULT_GROUP"},
    {"request_timeout_ms", Kind::kUint, "3000", 1, kDay},
    {"connect_timeout_ms", Kind::kUint, "3000", 1, kDay},
    {"route_refresh_ms", Kind::kUint, "30000", 10, kDay},
    {"heartbeat_interval_ms", Kind::kUint, "30000", 10, kDay},
    {"send_timeout_ms", Kind::kUint, "3000", 1, kDay},
    {"send_retries", Kind::kUint, "2", 0, 100},
    {"broker_backoff_ms", Kind::kUint, "3000", 0, kDay},
    {"max_message_size", Kind::kUint, "4194304", 1, 1ull << 30},
    {"message_model", Kind::kChoice, "clustering", 0, 0, "clustering|broadcasting"},
    {"consume_from", Kind::kChoice, "last", 0, 0, "last|first|timestamp"},
    {"consume_timestamp_ms", Kind::kInt, "0", 0, 0},
    {"consume_threads", Kind::kUint, "4", 1, 256},
    {"consume_batch_size", Kind::kUint, "1", 1, 1024},
    {"consume_on_io_thread", Kind::kBool, "false"},
    {"pull_batch_size", Kind::kUint, "32", 1, 1024},
    {"long_poll_ms", Kind::kUint, "15000", 0, 3'600'000},
    {"pull_pipeline", Kind::kUint, "2", 1, 2},
    {"queue_max_cached_messages", Kind::kUint, "1000", 1, 10'000'000},
    {"queue_max_cached_bytes", Kind::kUint, "104857600", 1024, 1ull << 40},
    {"rebalance_strategy", Kind::kChoice, "average", 0, 0, "average|round_robin|consistent_hash"},
    {"rebalance_interval_ms", Kind::kUint, "20000", 10, kDay},
    {"commit_interval_ms", Kind::kUint, "5000", 1, kDay},
    {"reconsume_delay_ms", Kind::kUint, "1000", 0, kDay},
    {"lock_renew_ms", Kind::kUint, "20000", 10, kDay},
    {"offset_store_dir", Kind::kString, "./ferry_offsets"},
    {"enable_auto_commit", Kind::kBool, "true"},
    {"log_level", Kind::kChoice, "warn", 0, 0, "trace|debug|info|warn|error|off"},
    {"sync_spin_us", Kind::kUint, "0", 0, 10'000},
    {"sync_io_spin_us", Kind::kUint, "0", 0, 10'000},
    {"sync_direct", Kind::kBool, "true"},
    {"sync_direct_spin_us", Kind::kUint, "50", 0, 10'000},
    {"busy_poll_us", Kind::kUint, "0", 0, 10'000},
    {"thread_policy", Kind::kChoice, "normal", 0, 0, "normal|batch"},
    {"async_batch_max_messages", Kind::kUint, "1", 1, 1024},
    {"async_batch_max_bytes", Kind::kUint, "262144", 1, 64ull << 20},
    {"async_batch_linger_ms", Kind::kUint, "0", 0, 10'000},
    {"callback_on_io_thread", Kind::kBool, "false"},
    {"max_reconsume_times", Kind::kUint, "16", 0, 10'000},
};

const Key* find_key(const std::string& name) {
  for (const auto& k : kKeys)
    if (name == k.name) return &k;
  return nullptr;
}

std::string key_list() {
  std::string s;
  for (const auto& k : kKeys) {
    if (!s.empty()) s += ", ";
    s += k.name;
  }
  return s;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(sep, start);
    if (end == std::string::npos) end = s.size();
    std::string part = s.substr(start, end - start);
    size_t b = part.find_first_not_of(" \t"), e = part.find_last_not_of(" \t");
    if (b != std::string::npos) out.push_back(part.substr(b, e - b + 1));
    start = end + 1;
  }
  return out;
}

int choice_index(const Key& k, const std::string& v) {
  auto options = split(k.choices, '|');
  for (size_t i = 0; i < options.size(); ++i)
    if (options[i] == v) return static_cast<int>(i);
  return -1;
}

bool valid_address(const std::string& a) {
  size_t colon = a.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 >= a.size()) return false;
  uint32_t port = 0;
  auto r = std::from_chars(a.data() + colon + 1, a.data() + a.size(), port);
  return r.ec == std::errc() && r.ptr == a.data() + a.size() && port > 0 && port < 65536;
}

std::string value_of(const ferry_config& c, const Key& k) {
  auto it = c.values.find(k.name);
  return it == c.values.end() ? std::string(k.def) : it->second;
}

uint64_t as_uint(const std::string& v) {
  uint64_t x = 0;
  std::from_chars(v.data(), v.data() + v.size(), x);
  return x;
}

std::string default_client_id() {
  char host[256] = "localhost";
  gethostname(host, sizeof host - 1);
  std::random_device rd;
  char buf[32];
  snprintf(buf, sizeof buf, "%08x", rd());
  return std::string(host) + "@" + std::to_string(getpid()) + "#" + buf;
}

}  // namespace

ferry_status check_config_value(const std::string& key, const std::string& value, std::string* why) {
  const Key* k = find_key(key);
  if (!k) {
    *why = "unknown config key '" + key + "'; valid keys: " + key_list();
    return FERRY_E_CONFIG;
  }
  auto bad = [&](const std::string& expected) {
    *why = "bad value '" + value + "' for config key '" + key + "': expected " + expected;
    return FERRY_E_CONFIG;
  };
  switch (k->kind) {
    case Kind::kString:
      if (key == "group" && value.empty()) return bad("a non-empty group name");
      return FERRY_OK;
    case Kind::kUint: {
      uint64_t x = 0;
      auto r = std::from_chars(value.data(), value.data() + value.size(), x);
      if (value.empty() || r.ec != std::errc() || r.ptr != value.data() + value.size())
        return bad("an unsigned integer");
      if (x < k->min || x > k->max)
        return bad("a value in " + std::to_string(k->min) + ".." + std::to_string(k->max));
      return FERRY_OK;
    }
    case Kind::kInt: {
      int64_t x = 0;
      auto r = std::from_chars(value.data(), value.data() + value.size(), x);
      if (value.empty() || r.ec != std::errc() || r.ptr != value.data() + value.size())
        return bad("an integer");
      return FERRY_OK;
    }
    case Kind::kBool:
      if (value == "true" || value == "false") return FERRY_OK;
      return bad("true or false");
    case Kind::kChoice:
      if (choice_index(*k, value) >= 0) return FERRY_OK;
      return bad(std::string("one of ") + k->choices);
    case Kind::kAddresses: {
      auto parts = split(value, ';');
      if (parts.empty()) return bad("\"host:port;host:port\" (at least one)");
      for (const auto& p : parts)
        if (!valid_address(p)) return bad("\"host:port;host:port\" ('" + p + "' is not host:port)");
      return FERRY_OK;
    }
  }
  return FERRY_OK;
}

bool config_default(const std::string& key, std::string* out) {
  const Key* k = find_key(key);
  if (!k) return false;
  *out = k->def;
  return true;
}

ferry_status build_settings(const ferry_config& c, bool need_name_servers, Settings* s,
                            std::string* why) {
  for (const auto& [key, value] : c.values) {
    ferry_status st = check_config_value(key, value, why);
    if (st != FERRY_OK) return st;
  }
  auto get = [&](const char* name) { return value_of(c, *find_key(name)); };
  auto u32 = [&](const char* name) { return static_cast<uint32_t>(as_uint(get(name))); };
  s->name_servers = split(get("name_servers"), ';');
  if (need_name_servers && s->name_servers.empty()) {
    *why = "config key 'name_servers' is required (\"host:port;host:port\")";
    return FERRY_E_CONFIG;
  }
  s->client_id = get("client_id");
  if (s->client_id.empty()) s->client_id = default_client_id();
  s->group = get("group");
  s->request_timeout_ms = u32("request_timeout_ms");
  s->connect_timeout_ms = u32("connect_timeout_ms");
  s->route_refresh_ms = u32("route_refresh_ms");
  s->heartbeat_interval_ms = u32("heartbeat_interval_ms");
  s->send_timeout_ms = u32("send_timeout_ms");
  s->send_retries = u32("send_retries");
  s->broker_backoff_ms = u32("broker_backoff_ms");
  s->max_message_size = as_uint(get("max_message_size"));
  s->message_model = choice_index(*find_key("message_model"), get("message_model")) == 1
                         ? MessageModel::kBroadcasting
                         : MessageModel::kClustering;
  s->consume_from = static_cast<ConsumeFrom>(choice_index(*find_key("consume_from"), get("consume_from")));
  {
    std::string v = get("consume_timestamp_ms");
    std::from_chars(v.data(), v.data() + v.size(), s->consume_timestamp_ms);
  }
  s->consume_threads = u32("consume_threads");
  s->consume_batch_size = u32("consume_batch_size");
  s->pull_batch_size = u32("pull_batch_size");
  s->long_poll_ms = u32("long_poll_ms");
  s->pull_pipeline = u32("pull_pipeline");
  s->queue_max_cached_messages = u32("queue_max_cached_messages");
  s->queue_max_cached_bytes = as_uint(get("queue_max_cached_bytes"));
  s->rebalance_strategy =
      static_cast<Strategy>(choice_index(*find_key("rebalance_strategy"), get("rebalance_strategy")));
  s->rebalance_interval_ms = u32("rebalance_interval_ms");
  s->commit_interval_ms = u32("commit_interval_ms");
  s->reconsume_delay_ms = u32("reconsume_delay_ms");
  s->max_reconsume_times = u32("max_reconsume_times");
  s->lock_renew_ms = u32("lock_renew_ms");
  s->offset_store_dir = get("offset_store_dir");
  s->enable_auto_commit = get("enable_auto_commit") == "true";
  s->log_level = static_cast<ferry_log_level>(choice_index(*find_key("log_level"), get("log_level")));
  s->sync_spin_us = u32("sync_spin_us");
  s->sync_io_spin_us = u32("sync_io_spin_us");
  s->busy_poll_us = u32("busy_poll_us");
  s->thread_policy =
      choice_index(*find_key("thread_policy"), get("thread_policy")) == 1 ? ThreadPolicy::kBatch : ThreadPolicy::kNormal;
  s->sync_direct = get("sync_direct") == "true";
  s->consume_on_io_thread = get("consume_on_io_thread") == "true";
  s->sync_direct_spin_us = u32("sync_direct_spin_us");
  s->async_batch_max_messages = u32("async_batch_max_messages");
  s->async_batch_max_bytes = as_uint(get("async_batch_max_bytes"));
  s->async_batch_linger_ms = u32("async_batch_linger_ms");
  s->callback_on_io_thread = get("callback_on_io_thread") == "true";
  s->log_cb = c.log_cb;
  s->log_user = c.log_user;
  return FERRY_OK;
}

}  // namespace ferry::sdk

using ferry::sdk::fail;
using ferry::sdk::guarded;

extern "C" {

FERRY_EXPORT ferry_config* ferry_config_new(void) {
  return ferry::sdk::guarded_value<ferry_config*>(nullptr, [] { return new ferry_config(); });
}

FERRY_EXPORT ferry_config* ferry_config_dup(const ferry_config* conf) {
  return ferry::sdk::guarded_value<ferry_config*>(nullptr, [&]() -> ferry_config* {
    return conf ? new ferry_config(*conf) : nullptr;
  });
}

FERRY_EXPORT void ferry_config_destroy(ferry_config* conf) { delete conf; }

FERRY_EXPORT ferry_status ferry_config_set(ferry_config* conf, const char* key, const char* value,
                                           char* errbuf, size_t errlen) {
  return guarded(errbuf, errlen, [&] {
    FERRY_REQUIRE_ARG(conf, "conf");
    FERRY_REQUIRE_ARG(key, "key");
    FERRY_REQUIRE_ARG(value, "value");
    std::string why;
    ferry_status s = ferry::sdk::check_config_value(key, value, &why);
    if (s != FERRY_OK) return fail(errbuf, errlen, s, why);
    conf->values[key] = value;
    return FERRY_OK;
  });
}

FERRY_EXPORT ferry_status ferry_config_get(const ferry_config* conf, const char* key, char* out,
                                           size_t outlen, size_t* needed, char* errbuf,
                                           size_t errlen) {
  return guarded(errbuf, errlen, [&] {
    FERRY_REQUIRE_ARG(conf, "conf");
    FERRY_REQUIRE_ARG(key, "key");
    std::string v;
    if (!ferry::sdk::config_default(key, &v))
      return fail(errbuf, errlen, FERRY_E_CONFIG, std::string("unknown config key '") + key + "'");
    auto it = conf->values.find(key);
    if (it != conf->values.end()) v = it->second;
    if (needed) *needed = v.size() + 1;
    if (out && outlen) ferry::sdk::write_error(out, outlen, v);
    if (outlen < v.size() + 1)
      return fail(errbuf, errlen, FERRY_E_TOO_LARGE,
                  "value of '" + std::string(key) + "' needs " + std::to_string(v.size() + 1) + " bytes");
    return FERRY_OK;
  });
}

FERRY_EXPORT ferry_status ferry_config_set_log_cb(ferry_config* conf, ferry_log_cb cb,
                                                  void* user_data, char* errbuf, size_t errlen) {
  return guarded(errbuf, errlen, [&] {
    FERRY_REQUIRE_ARG(conf, "conf");
    conf->log_cb = cb;
    conf->log_user = user_data;
    return FERRY_OK;
  });
}

}  // extern "C"
