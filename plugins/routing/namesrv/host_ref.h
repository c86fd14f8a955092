#pragma once
// The instance's way into the kernel: the host table plus the instance's
// handle, with the few conveniences both modes use (typed config reads that
// name the key on failure, logging of std::string).
#include <cstdint>
#include <string>
#include <vector>

#include "ferry/host.h"
#include "types.h"

namespace ferry::namesrv {

struct HostRef {
  const ferry_host_api* api = nullptr;
  ferry_host* host = nullptr;

  void log(ferry_log_level level, const std::string& text) const {
    api->log(host, level, text.c_str());
  }
  bool log_enabled(ferry_log_level level) const { return api->log_enabled(host, level) != 0; }
  int64_t monotonic_ms() const { return static_cast<int64_t>(api->monotonic_ns(host) / 1000000u); }
  int64_t wall_ms() const { return api->now_ms(host); }

  // A series in the kernel's registry (the host adds instance=<name>);
  // nullptr when the host keeps none. Updates below accept nullptr.
  ferry_metric* metric(const char* name, const char* help, ferry_metric_type type) const {
    ferry_metric* m = nullptr;
    if (!api->metric_register || api->metric_register(host, name, help, type, nullptr, &m) != FERRY_OK)
      return nullptr;
    return m;
  }
  void add(ferry_metric* m, double v) const {
    if (m) api->metric_add(m, v);
  }
  void set(ferry_metric* m, double v) const {
    if (m) api->metric_set(m, v);
  }

  Outcome string(const char* key, std::string* out) const {
    const char* v = nullptr;
    ferry_status s = api->config_string(host, key, &v);
    if (s != FERRY_OK) return fail(key, s);
    *out = v ? v : "";
    return {};
  }
  Outcome duration_ms(const char* key, int64_t* out) const {
    ferry_status s = api->config_duration_ms(host, key, out);
    return s == FERRY_OK ? Outcome{} : fail(key, s);
  }
  Outcome size_bytes(const char* key, uint64_t* out) const {
    ferry_status s = api->config_size_bytes(host, key, out);
    return s == FERRY_OK ? Outcome{} : fail(key, s);
  }
  // Every element of a STRING_LIST (an absent or empty list gives none).
  Outcome list(const char* key, std::vector<std::string>* out) const {
    out->clear();
    for (size_t i = 0;; ++i) {
      const char* v = nullptr;
      ferry_status s = api->config_list_item(host, key, i, &v);
      if (s == FERRY_E_OUT_OF_RANGE) return {};
      if (s != FERRY_OK) return fail(key, s);
      out->emplace_back(v ? v : "");
    }
  }

 private:
  static Outcome fail(const char* key, ferry_status s) {
    return Outcome::fail(FERRY_E_CONFIG, std::string("cannot read config key '") + key +
                                             "': " + ferry_status_str(s));
  }
};

}  // namespace ferry::namesrv
