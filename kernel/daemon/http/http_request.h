#pragma once
// A minimal HTTP/1.x request-head parser for the /metrics endpoint: it reads
// the request line and headers only (GET/HEAD carry no body), bounded by a
// byte limit, and never allocates: every view points into the caller's
// buffer. Strict on purpose (CRLF line ends, no obsolete line folding, token
// characters in method and header names): a scraper sends well-formed
// requests, and anything else is answered 400 and the connection closed.
//
// Threads: pure function, any thread.
#include <cstddef>
#include <string>
#include <string_view>

namespace ferry::http {

struct Request {
  std::string_view method;  // as sent ("GET"); methods are case-sensitive
  std::string_view target;  // origin-form, as sent ("/metrics?x=1")
  std::string_view path;    // target without its query ("/metrics")
  int minor_version = 1;    // HTTP/1.<minor>
  bool keep_alive = true;   // HTTP/1.1 unless "Connection: close"; 1.0 only with "keep-alive"
  bool has_body = false;    // Content-Length > 0 or any Transfer-Encoding
  size_t head_bytes = 0;    // bytes of the head, final CRLF CRLF included
};

enum class ParseStatus {
  kIncomplete,  // no full head yet and the limit is not reached: read more
  kOk,          // *out filled; the head is out->head_bytes long
  kBad,         // malformed: answer 400 and close
  kTooLarge,    // the head exceeds max_head_bytes: answer 431 and close
  kVersion,     // not HTTP/1.x: answer 505 and close
};

// Parses the head at the start of `in`. *why says what was wrong (for
// kBad / kTooLarge / kVersion). Header count is capped at kMaxHeaders.
inline constexpr size_t kMaxHeaders = 64;
ParseStatus parse_request(std::string_view in, size_t max_head_bytes, Request* out,
                          std::string* why);

}  // namespace ferry::http
