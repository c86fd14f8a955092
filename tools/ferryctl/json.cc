#include "json.h"

#include <cctype>
#include <charconv>
#include <cstdio>
#include <cstdlib>

namespace ferry::tools {

namespace {
const Json& null_json() {
  static const Json kNull;
  return kNull;
}
const std::vector<Json>& no_items() {
  static const std::vector<Json> kNone;
  return kNone;
}
const std::vector<std::pair<std::string, Json>>& no_members() {
  static const std::vector<std::pair<std::string, Json>> kNone;
  return kNone;
}
void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}
}  // namespace

int64_t Json::as_int(int64_t fallback) const {
  if (kind_ != Kind::Number) return fallback;
  int64_t v = 0;
  auto [p, ec] = std::from_chars(str_.data(), str_.data() + str_.size(), v);
  if (ec == std::errc() && p == str_.data() + str_.size()) return v;
  return static_cast<int64_t>(num_);
}
double Json::as_double(double fallback) const { return kind_ == Kind::Number ? num_ : fallback; }
std::string Json::as_string(const std::string& fallback) const {
  if (kind_ == Kind::String || kind_ == Kind::Number) return str_;
  return fallback;
}
const std::vector<Json>& Json::items() const { return kind_ == Kind::Array ? items_ : no_items(); }
const std::vector<std::pair<std::string, Json>>& Json::members() const {
  return kind_ == Kind::Object ? members_ : no_members();
}
const Json& Json::operator[](std::string_view key) const {
  for (const auto& [k, v] : members()) {
    if (k == key) return v;
  }
  return null_json();
}

// Recursive descent with a depth bound (input is from a broker, not trusted
// to be shallow).
class JsonParser {
 public:
  explicit JsonParser(std::string_view t) : t_(t) {}
  bool parse(Json& out, std::string& err) {
    if (!value(out, 0)) {
      err = err_ + " at byte " + std::to_string(i_);
      return false;
    }
    ws();
    if (i_ != t_.size()) {
      err = "trailing characters at byte " + std::to_string(i_);
      return false;
    }
    return true;
  }

 private:
  void ws() {
    while (i_ < t_.size() && (t_[i_] == ' ' || t_[i_] == '\n' || t_[i_] == '\r' || t_[i_] == '\t')) ++i_;
  }
  bool fail(const char* what) {
    err_ = what;
    return false;
  }
  bool lit(std::string_view word) {
    if (t_.substr(i_, word.size()) != word) return fail("bad literal");
    i_ += word.size();
    return true;
  }
  bool hex4(uint32_t& cp) {
    if (i_ + 4 > t_.size()) return fail("short \\u escape");
    cp = 0;
    for (int k = 0; k < 4; ++k) {
      char c = t_[i_++];
      cp <<= 4;
      if (c >= '0' && c <= '9') cp |= static_cast<uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f') cp |= static_cast<uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') cp |= static_cast<uint32_t>(c - 'A' + 10);
      else return fail("bad \\u escape");
    }
    return true;
  }
  bool string(std::string& out) {
    ++i_;  // opening quote
    while (i_ < t_.size()) {
      char c = t_[i_++];
      if (c == '"') return true;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (i_ >= t_.size()) break;
      char e = t_[i_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          uint32_t cp = 0;
          if (!hex4(cp)) return false;
          if (cp >= 0xD800 && cp < 0xDC00 && t_.substr(i_, 2) == "\\u") {
            i_ += 2;
            uint32_t lo = 0;
            if (!hex4(lo)) return false;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          }
          append_utf8(out, cp);
          break;
        }
        default: return fail("bad escape");
      }
    }
    return fail("unterminated string");
  }
  bool value(Json& v, int depth) {
    if (depth > 64) return fail("nested too deeply");
    ws();
    if (i_ >= t_.size()) return fail("unexpected end");
    char c = t_[i_];
    if (c == '{') {
      v.kind_ = Json::Kind::Object;
      ++i_;
      ws();
      if (i_ < t_.size() && t_[i_] == '}') return ++i_, true;
      while (true) {
        ws();
        if (i_ >= t_.size() || t_[i_] != '"') return fail("expected a member name");
        std::string key;
        if (!string(key)) return false;
        ws();
        if (i_ >= t_.size() || t_[i_] != ':') return fail("expected ':'");
        ++i_;
        Json child;
        if (!value(child, depth + 1)) return false;
        v.members_.emplace_back(std::move(key), std::move(child));
        ws();
        if (i_ < t_.size() && t_[i_] == ',') { ++i_; continue; }
        if (i_ < t_.size() && t_[i_] == '}') return ++i_, true;
        return fail("expected ',' or '}'");
      }
    }
    if (c == '[') {
      v.kind_ = Json::Kind::Array;
      ++i_;
      ws();
      if (i_ < t_.size() && t_[i_] == ']') return ++i_, true;
      while (true) {
        Json child;
        if (!value(child, depth + 1)) return false;
        v.items_.push_back(std::move(child));
        ws();
        if (i_ < t_.size() && t_[i_] == ',') { ++i_; continue; }
        if (i_ < t_.size() && t_[i_] == ']') return ++i_, true;
        return fail("expected ',' or ']'");
      }
    }
    if (c == '"') {
      v.kind_ = Json::Kind::String;
      return string(v.str_);
    }
    if (c == 't') { v.kind_ = Json::Kind::Bool; v.bool_ = true; return lit("true"); }
    if (c == 'f') { v.kind_ = Json::Kind::Bool; return lit("false"); }
    if (c == 'n') return lit("null");
    size_t start = i_;
    while (i_ < t_.size() && (std::isdigit(static_cast<unsigned char>(t_[i_])) || t_[i_] == '-' ||
                              t_[i_] == '+' || t_[i_] == '.' || t_[i_] == 'e' || t_[i_] == 'E')) {
      ++i_;
    }
    if (start == i_) return fail("unexpected character");
    v.kind_ = Json::Kind::Number;
    v.str_ = std::string(t_.substr(start, i_ - start));
    char* end = nullptr;
    v.num_ = std::strtod(v.str_.c_str(), &end);
    if (end != v.str_.c_str() + v.str_.size()) return fail("bad number");
    return true;
  }

  std::string_view t_;
  size_t i_ = 0;
  std::string err_;
};

std::optional<Json> Json::parse(std::string_view text, std::string* error) {
  Json out;
  std::string err;
  if (!JsonParser(text).parse(out, err)) {
    if (error) *error = err;
    return std::nullopt;
  }
  return out;
}

std::string json_quote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c >= 0x7F) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
  return out;
}

}  // namespace ferry::tools
