#pragma once
// The small text files the core persists (topic table, consumer offsets):
// one record per line, fields separated by single spaces, '#' comments.
#include <ferry/status.h>

#include <charconv>
#include <cstddef>
#include <string_view>

namespace ferry::core::line_file {

template <class T>
bool parse_num(std::string_view s, T* out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

// Splits on single spaces; false unless exactly n fields.
inline bool split(std::string_view line, std::string_view* fields, size_t n) {
  size_t i = 0;
  while (!line.empty()) {
    if (i == n) return false;
    size_t sp = line.find(' ');
    fields[i++] = line.substr(0, sp);
    if (sp == std::string_view::npos) break;
    line.remove_prefix(sp + 1);
  }
  return i == n;
}

// Calls fn(line, line_no) for each non-empty, non-comment line; stops at the
// first status other than FERRY_OK and returns it.
template <class Fn>
ferry_status for_each_line(std::string_view text, Fn&& fn) {
  size_t line_no = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_no;
    if (line.empty() || line.front() == '#') continue;
    if (ferry_status s = fn(line, line_no); s != FERRY_OK) return s;
  }
  return FERRY_OK;
}

}  // namespace ferry::core::line_file
