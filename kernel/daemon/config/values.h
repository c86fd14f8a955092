#pragma once
// The validated values of one config block (kernel, broker or one plugin
// instance), defaults applied. Strings handed out by pointer stay valid as
// long as the Values object lives (std::map nodes never move).
#include <map>
#include <string>

#include "config/schema.h"

namespace ferry::config {

struct Entry {
  ferry_config_type type;
  Value value;
};

class Values {
 public:
  void set(const std::string& name, ferry_config_type type, Value v) {
    entries_.insert_or_assign(name, Entry{type, std::move(v)});
  }
  const Entry* find(const std::string& name) const {
    auto it = entries_.find(name);
    return it == entries_.end() ? nullptr : &it->second;
  }
  // Typed getters for the kernel's own keys (which always exist: defaults).
  const std::string& str(const std::string& name) const {
    return std::get<std::string>(entries_.at(name).value);
  }
  int64_t i64(const std::string& name) const { return std::get<int64_t>(entries_.at(name).value); }
  uint64_t u64(const std::string& name) const {
    return std::get<uint64_t>(entries_.at(name).value);
  }
  const std::map<std::string, Entry>& all() const { return entries_; }

 private:
  std::map<std::string, Entry> entries_;
};

}  // namespace ferry::config
