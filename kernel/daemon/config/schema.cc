#include "config/schema.h"

#include <charconv>
#include <cstdlib>
#include <cstring>

#include "config/units.h"

namespace ferry::config {
namespace {

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(sep, start);
    if (end == std::string_view::npos) end = s.size();
    std::string item = trim(s.substr(start, end - start));
    if (!item.empty()) out.push_back(std::move(item));
    start = end + 1;
  }
  return out;
}

// Field `f` of the key at `k` exists when it lies below both the plugin's
// struct_size and the stride it declared.
#define KEY_HAS(k, stride, f) \
  FERRY_HAS_FIELD(ferry_config_key, ((k)->struct_size < (stride) ? (k)->struct_size : (stride)), f)

std::optional<std::string> opt_str(const char* s) {
  if (s == nullptr) return std::nullopt;
  return std::string(s);
}

}  // namespace

const char* type_name(ferry_config_type type) {
  switch (type) {
    case FERRY_CONFIG_STRING: return "string";
    case FERRY_CONFIG_INT: return "integer";
    case FERRY_CONFIG_BOOL: return "boolean";
    case FERRY_CONFIG_DOUBLE: return "number";
    case FERRY_CONFIG_DURATION: return "duration";
    case FERRY_CONFIG_SIZE: return "size";
    case FERRY_CONFIG_STRING_LIST: return "list of strings";
    case FERRY_CONFIG_ENUM: return "enum";
  }
  return "unknown";
}

std::optional<Value> parse_text(ferry_config_type type, const std::string& text) {
  switch (type) {
    case FERRY_CONFIG_STRING:
    case FERRY_CONFIG_ENUM:
      return Value{text};
    case FERRY_CONFIG_INT: {
      int64_t v = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
      return Value{v};
    }
    case FERRY_CONFIG_BOOL:
      if (text == "true") return Value{true};
      if (text == "false") return Value{false};
      return std::nullopt;
    case FERRY_CONFIG_DOUBLE: {
      if (text.empty()) return std::nullopt;
      char* end = nullptr;
      double v = std::strtod(text.c_str(), &end);
      if (end != text.c_str() + text.size()) return std::nullopt;
      return Value{v};
    }
    case FERRY_CONFIG_DURATION:
      if (auto v = parse_duration_ms(text)) return Value{*v};
      return std::nullopt;
    case FERRY_CONFIG_SIZE:
      if (auto v = parse_size_bytes(text)) return Value{*v};
      return std::nullopt;
    case FERRY_CONFIG_STRING_LIST:
      return Value{split(text, ',')};
  }
  return std::nullopt;
}

std::string value_text(ferry_config_type type, const Value& v) {
  switch (type) {
    case FERRY_CONFIG_STRING:
    case FERRY_CONFIG_ENUM:
      return "\"" + std::get<std::string>(v) + "\"";
    case FERRY_CONFIG_INT: return std::to_string(std::get<int64_t>(v));
    case FERRY_CONFIG_BOOL: return std::get<bool>(v) ? "true" : "false";
    case FERRY_CONFIG_DOUBLE: {
      std::string s = std::to_string(std::get<double>(v));
      while (s.size() > 1 && s.back() == '0' && s[s.size() - 2] != '.') s.pop_back();
      return s;
    }
    case FERRY_CONFIG_DURATION: return "\"" + format_duration_ms(std::get<int64_t>(v)) + "\"";
    case FERRY_CONFIG_SIZE: return "\"" + format_size_bytes(std::get<uint64_t>(v)) + "\"";
    case FERRY_CONFIG_STRING_LIST: {
      std::string out = "[";
      for (const std::string& s : std::get<std::vector<std::string>>(v))
        out += (out.size() > 1 ? ", \"" : "\"") + s + "\"";
      return out + "]";
    }
  }
  return "?";
}

int compare(const Value& a, const Value& b) {
  return std::visit(
      [&](const auto& x) -> int {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, int64_t> || std::is_same_v<T, uint64_t> ||
                      std::is_same_v<T, double>) {
          const T& y = std::get<T>(b);
          return x < y ? -1 : (y < x ? 1 : 0);
        } else {
          return 0;
        }
      },
      a);
}

std::optional<Schema> Schema::from_c(const ferry_config_key* keys, uint32_t key_size,
                                     uint32_t count, std::string* error) {
  Schema schema;
  if (count > 0 && keys == nullptr) {
    *error = "config_keys is NULL but config_key_count is " + std::to_string(count);
    return std::nullopt;
  }
  if (count > 0 && key_size < FERRY_STRUCT_SIZE(ferry_config_key, type)) {
    *error = "config_key_size " + std::to_string(key_size) + " is too small";
    return std::nullopt;
  }
  const char* base = reinterpret_cast<const char*>(keys);
  for (uint32_t i = 0; i < count; ++i) {
    const auto* k = reinterpret_cast<const ferry_config_key*>(base + size_t{i} * key_size);
    if (!KEY_HAS(k, key_size, type) || k->name == nullptr || k->name[0] == '\0') {
      *error = "config key #" + std::to_string(i) + " has no name";
      return std::nullopt;
    }
    KeySpec spec;
    spec.name = k->name;
    spec.type = k->type;
    if (std::strcmp(type_name(spec.type), "unknown") == 0) {
      *error = "config key '" + spec.name + "' has unknown type " +
               std::to_string(static_cast<int>(k->type));
      return std::nullopt;
    }
    if (KEY_HAS(k, key_size, default_value)) spec.default_text = opt_str(k->default_value);
    if (KEY_HAS(k, key_size, min_value)) spec.min_text = opt_str(k->min_value);
    if (KEY_HAS(k, key_size, max_value)) spec.max_text = opt_str(k->max_value);
    if (KEY_HAS(k, key_size, enum_values) && k->enum_values != nullptr)
      spec.enum_values = split(k->enum_values, '|');
    if (KEY_HAS(k, key_size, description) && k->description != nullptr)
      spec.description = k->description;
    if (spec.type == FERRY_CONFIG_ENUM && spec.enum_values.empty()) {
      *error = "config key '" + spec.name + "' is an enum without enum_values";
      return std::nullopt;
    }
    auto parse_declared = [&](const std::optional<std::string>& text, const char* what,
                              std::optional<Value>* out) {
      if (!text) return true;
      *out = parse_text(spec.type, *text);
      if (!*out) {
        *error = "config key '" + spec.name + "': " + what + " \"" + *text + "\" is not a valid " +
                 type_name(spec.type);
        return false;
      }
      return true;
    };
    if (!parse_declared(spec.default_text, "default", &spec.default_value) ||
        !parse_declared(spec.min_text, "min", &spec.min_value) ||
        !parse_declared(spec.max_text, "max", &spec.max_value))
      return std::nullopt;
    if (schema.find(spec.name) != nullptr) {
      *error = "config key '" + spec.name + "' is declared twice";
      return std::nullopt;
    }
    schema.keys_.push_back(std::move(spec));
  }
  return schema;
}

const KeySpec* Schema::find(std::string_view name) const {
  for (const KeySpec& k : keys_)
    if (k.name == name) return &k;
  return nullptr;
}

std::string Schema::names() const {
  std::string out;
  for (const KeySpec& k : keys_) out += (out.empty() ? "" : ", ") + k.name;
  return out;
}

}  // namespace ferry::config
