#pragma once
// A minimal JSON writer for the admin answers (strings escaped per RFC 8259).
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace ferry::sdk {

class Json {
 public:
  Json& begin_object() { sep(); out_ += '{'; first_ = true; return *this; }
  Json& end_object() { out_ += '}'; first_ = false; return *this; }
  Json& begin_array() { sep(); out_ += '['; first_ = true; return *this; }
  Json& end_array() { out_ += ']'; first_ = false; return *this; }
  Json& key(std::string_view k) {
    sep();
    quote(k);
    out_ += ':';
    first_ = true;  // the value follows without a comma
    return *this;
  }
  Json& value(std::string_view v) { sep(); quote(v); return *this; }
  Json& value(const char* v) { return value(std::string_view(v)); }
  Json& value(int64_t v) { sep(); out_ += std::to_string(v); return *this; }
  Json& value(uint64_t v) { sep(); out_ += std::to_string(v); return *this; }
  Json& value(int32_t v) { return value(static_cast<int64_t>(v)); }
  Json& value(uint32_t v) { return value(static_cast<uint64_t>(v)); }
  Json& value(bool v) { sep(); out_ += v ? "true" : "false"; return *this; }
  const std::string& str() const { return out_; }

 private:
  void sep() {
    if (!first_) out_ += ',';
    first_ = false;
  }
  void quote(std::string_view s) {
    out_ += '"';
    for (unsigned char c : s) {
      switch (c) {
        case '"': out_ += "\\\""; break;
        case '\\': out_ += "\\\\"; break;
        case '\n': out_ += "\\n"; break;
        case '\r': out_ += "\\r"; break;
        case '\t': out_ += "\\t"; break;
        default:
          if (c < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out_ += buf;
          } else {
            out_ += static_cast<char>(c);
          }
      }
    }
    out_ += '"';
  }
  std::string out_;
  bool first_ = true;
};

}  // namespace ferry::sdk
