// ferry::Config: libferry's string key/value configuration. An unknown key
// or a bad value throws ferry::Error(FERRY_E_CONFIG) naming it, at set().
#pragma once

#include <ferry/client.h>

#include <cstddef>
#include <string>

#include "ferry/cpp/error.hpp"
#include "ferry/cpp/handles.hpp"

namespace ferry {

class Config {
 public:
  Config() : conf_(ferry_config_new()) {
    if (!conf_) throw Error(FERRY_E_NO_MEMORY, "ferry_config_new failed");
  }
  Config(const Config& other) : conf_(ferry_config_dup(other.raw())) {
    if (!conf_) throw Error(FERRY_E_NO_MEMORY, "ferry_config_dup failed");
  }
  Config& operator=(const Config& other) {
    if (this != &other) *this = Config(other);
    return *this;
  }
  Config(Config&&) noexcept = default;
  Config& operator=(Config&&) noexcept = default;

  Config& set(const std::string& key, const std::string& value) {
    detail::check([&](char* eb, std::size_t el) {
      return ferry_config_set(conf_.get(), key.c_str(), value.c_str(), eb, el);
    });
    return *this;
  }

  // The current value of `key` (its default if never set).
  std::string get(const std::string& key) const {
    std::string out(64, '\0');
    for (int round = 0; round < 2; ++round) {
      std::size_t needed = 0;
      detail::ErrBuf eb;
      Status s = ferry_config_get(conf_.get(), key.c_str(), out.data(), out.size(), &needed,
                                  eb.data(), eb.size());
      if (s == FERRY_OK) {
        out.resize(needed > 0 ? needed - 1 : 0);
        return out;
      }
      if (s != FERRY_E_TOO_LARGE || needed <= out.size()) detail::raise(s, eb);
      out.assign(needed, '\0');
    }
    throw Error(FERRY_E_INTERNAL, "ferry_config_get: value kept growing for key " + key);
  }

  const ferry_config* raw() const noexcept { return conf_.get(); }
  ferry_config* raw() noexcept { return conf_.get(); }

 private:
  detail::ConfigPtr conf_;
};

}  // namespace ferry
