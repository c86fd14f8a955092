#pragma once
// A C++ view over a ferry_config_key array (the kernel's own keys and every
// plugin's), read strided by config_key_size so plugins built against a
// smaller or larger ferry_config_key still work. Defaults and bounds are
// parsed here once, with the same parser as config values.
#include <ferry/config.h>

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace ferry::config {

// A typed value: STRING/ENUM -> string, INT/DURATION(ms) -> int64,
// SIZE -> uint64, BOOL -> bool, DOUBLE -> double, STRING_LIST -> vector.
using Value = std::variant<std::string, int64_t, uint64_t, bool, double,
                           std::vector<std::string>>;

struct KeySpec {
  std::string name;
  ferry_config_type type = FERRY_CONFIG_STRING;
  std::optional<std::string> default_text;  // nullopt: required
  std::optional<Value> default_value;
  std::optional<std::string> min_text, max_text;
  std::optional<Value> min_value, max_value;
  std::vector<std::string> enum_values;
  std::string description;
};

class Schema {
 public:
  Schema() = default;
  // Reads `count` keys `key_size` bytes apart. A malformed declaration (no
  // name, unknown type, default that does not parse as its type, ...) is
  // reported in *error and the result is nullopt.
  static std::optional<Schema> from_c(const ferry_config_key* keys, uint32_t key_size,
                                      uint32_t count, std::string* error);

  const KeySpec* find(std::string_view name) const;
  const std::vector<KeySpec>& keys() const { return keys_; }
  // "a, b, c" — listed in unknown-key errors.
  std::string names() const;

 private:
  std::vector<KeySpec> keys_;
};

const char* type_name(ferry_config_type type);

// Parses `text` as written in a schema (default/min/max) for `type`.
std::optional<Value> parse_text(ferry_config_type type, const std::string& text);

// Renders a value as it would be written in TOML, for messages.
std::string value_text(ferry_config_type type, const Value& v);

// -1 / 0 / 1 comparing two numeric values of the same type.
int compare(const Value& a, const Value& b);

}  // namespace ferry::config
