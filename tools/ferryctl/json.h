#pragma once
// A small JSON reader for the admin answers libferry hands out
// (docs/sdk.md lists their shapes) and a string escaper for our own output.
// Read-only, whole document in memory: admin answers are small.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::tools {

class Json {
 public:
  enum class Kind { Null, Bool, Number, String, Array, Object };

  Kind kind() const { return kind_; }
  bool is_object() const { return kind_ == Kind::Object; }
  bool is_array() const { return kind_ == Kind::Array; }
  // Typed reads; a wrong kind gives the fallback (admin answers are trusted
  // in shape, but a missing field must not crash a tool).
  int64_t as_int(int64_t fallback = 0) const;
  double as_double(double fallback = 0) const;
  std::string as_string(const std::string& fallback = {}) const;
  bool as_bool(bool fallback = false) const { return kind_ == Kind::Bool ? bool_ : fallback; }
  // Array elements, or nothing.
  const std::vector<Json>& items() const;
  // Object members in document order.
  const std::vector<std::pair<std::string, Json>>& members() const;
  // Member by name; a static null when absent.
  const Json& operator[](std::string_view key) const;
  // The text this value was parsed from (numbers keep their exact spelling).
  const std::string& raw_number() const { return str_; }

  // Parses a whole document; nullopt (and *error set) on malformed input.
  static std::optional<Json> parse(std::string_view text, std::string* error = nullptr);

 private:
  friend class JsonParser;
  Kind kind_ = Kind::Null;
  bool bool_ = false;
  double num_ = 0;
  std::string str_;  // string value, or a number's spelling
  std::vector<Json> items_;
  std::vector<std::pair<std::string, Json>> members_;
};

// `s` as a JSON string literal, quotes included. Bytes that are not printable
// ASCII are written as \u00XX so any body round-trips through a JSON reader.
std::string json_quote(std::string_view s);

}  // namespace ferry::tools
