#include "http/http_request.h"

#include <cctype>

namespace ferry::http {
namespace {

// RFC 9110 tchar.
bool is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!is_tchar(c)) return false;
  return true;
}

// Visible ASCII: what an origin-form target may contain (no spaces, no CTLs).
bool is_vchar(char c) { return c > 0x20 && c < 0x7f; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

ParseStatus bad(std::string* why, std::string text) {
  *why = std::move(text);
  return ParseStatus::kBad;
}

ParseStatus parse_request_line(std::string_view line, Request* out, std::string* why) {
  size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return bad(why, "request line has no target");
  size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return bad(why, "request line has no HTTP version");
  out->method = line.substr(0, sp1);
  out->target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  if (!is_token(out->method)) return bad(why, "malformed method");
  if (out->target.empty() || out->target.front() != '/')
    return bad(why, "target is not in origin-form (/path)");
  for (char c : out->target)
    if (!is_vchar(c)) return bad(why, "target contains a space or control character");
  out->path = out->target.substr(0, out->target.find('?'));
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || version[6] != '.' ||
      !std::isdigit(static_cast<unsigned char>(version[5])) ||
      !std::isdigit(static_cast<unsigned char>(version[7])))
    return bad(why, "malformed HTTP version");
  if (version[5] != '1') {
    *why = "HTTP version " + std::string(version.substr(5)) + " is not supported (HTTP/1.x only)";
    return ParseStatus::kVersion;
  }
  out->minor_version = version[7] - '0';
  out->keep_alive = out->minor_version >= 1;
  return ParseStatus::kOk;
}

// One "Name: value" line; updates keep_alive / has_body.
ParseStatus parse_header(std::string_view line, Request* out, bool* saw_close,
                         bool* saw_keep_alive, std::string* why) {
  if (line.front() == ' ' || line.front() == '\t')
    return bad(why, "obsolete header line folding");
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return bad(why, "header line without ':'");
  std::string_view name = line.substr(0, colon);
  if (!is_token(name)) return bad(why, "malformed header name");
  std::string_view value = trim_ows(line.substr(colon + 1));
  for (char c : value)
    if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f)
      return bad(why, "control character in a header value");
  if (iequals(name, "connection")) {
    while (!value.empty()) {
      size_t comma = value.find(',');
      std::string_view option = trim_ows(value.substr(0, comma));
      if (iequals(option, "close")) *saw_close = true;
      if (iequals(option, "keep-alive")) *saw_keep_alive = true;
      if (comma == std::string_view::npos) break;
      value.remove_prefix(comma + 1);
    }
  } else if (iequals(name, "content-length")) {
    if (value.empty()) return bad(why, "empty Content-Length");
    for (char c : value)
      if (!std::isdigit(static_cast<unsigned char>(c))) return bad(why, "malformed Content-Length");
    if (value.find_first_not_of('0') != std::string_view::npos) out->has_body = true;
  } else if (iequals(name, "transfer-encoding")) {
    out->has_body = true;
  }
  return ParseStatus::kOk;
}

}  // namespace

ParseStatus parse_request(std::string_view in, size_t max_head_bytes, Request* out,
                          std::string* why) {
  *out = Request{};
  // RFC 9112 2.2: ignore at least one empty line before the request line.
  size_t start = 0;
  while (start + 1 < in.size() && in[start] == '\r' && in[start + 1] == '\n') start += 2;
  size_t end = in.find("\r\n\r\n", start);
  if (end == std::string_view::npos) {
    if (in.size() >= max_head_bytes) {
      *why = "request head exceeds " + std::to_string(max_head_bytes) + " bytes";
      return ParseStatus::kTooLarge;
    }
    // A bare LF or a NUL can never become a valid head: refuse it now rather
    // than waiting for the limit.
    for (size_t i = start; i < in.size(); ++i) {
      if (in[i] == '\0') return bad(why, "NUL byte in the request head");
      if (in[i] == '\n' && (i == 0 || in[i - 1] != '\r')) return bad(why, "bare LF in the request head");
    }
    return ParseStatus::kIncomplete;
  }
  if (end + 4 > max_head_bytes) {
    *why = "request head exceeds " + std::to_string(max_head_bytes) + " bytes";
    return ParseStatus::kTooLarge;
  }
  std::string_view head = in.substr(start, end - start + 2);  // each line ends in CRLF
  size_t eol = head.find("\r\n");
  std::string_view line = head.substr(0, eol);
  for (char c : head)
    if (c == '\0') return bad(why, "NUL byte in the request head");
  ParseStatus s = parse_request_line(line, out, why);
  if (s != ParseStatus::kOk) return s;
  bool saw_close = false, saw_keep_alive = false;
  size_t headers = 0;
  for (size_t pos = eol + 2; pos < head.size();) {
    size_t next = head.find("\r\n", pos);
    line = head.substr(pos, next - pos);
    if (line.find('\n') != std::string_view::npos || line.find('\r') != std::string_view::npos)
      return bad(why, "bare CR or LF in a header line");
    if (++headers > kMaxHeaders)
      return bad(why, "more than " + std::to_string(kMaxHeaders) + " header lines");
    s = parse_header(line, out, &saw_close, &saw_keep_alive, why);
    if (s != ParseStatus::kOk) return s;
    pos = next + 2;
  }
  if (saw_close) out->keep_alive = false;
  else if (saw_keep_alive) out->keep_alive = true;
  out->head_bytes = end + 4;
  return ParseStatus::kOk;
}

}  // namespace ferry::http
