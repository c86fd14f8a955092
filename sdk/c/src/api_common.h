#pragma once
// What every extern "C" entry shares: writing the error text into the
// caller's buffer and the catch-all guard that keeps exceptions inside.
#include <ferry/client.h>
#include <ferry/record.h>

#include <cstring>
#include <exception>
#include <new>
#include <string>
#include <string_view>

namespace ferry::sdk {

// Copies `text` into errbuf (truncated, always NUL-terminated when errlen > 0).
void write_error(char* errbuf, size_t errlen, std::string_view text);

// Returns `s` after writing `text` (or the status' own text when empty).
inline ferry_status fail(char* errbuf, size_t errlen, ferry_status s, std::string_view text) {
  write_error(errbuf, errlen, text.empty() ? std::string_view(ferry_status_str(s)) : text);
  return s;
}

// A topic name's length as every entry point taking a topic checks it
// (the record format's limit).
inline ferry_status check_topic_length(size_t len, char* errbuf, size_t errlen) {
  if (len != 0 && len <= FERRY_RECORD_MAX_TOPIC) return FERRY_OK;
  return fail(errbuf, errlen, FERRY_E_INVALID_NAME, "topic must be 1..127 bytes (got " + std::to_string(len) + ")");
}

// An error with its status, carried from the I/O thread back to the caller.
struct Error {
  ferry_status status = FERRY_OK;
  std::string message;
  bool ok() const { return status == FERRY_OK; }
};

// Runs fn (returning ferry_status); any exception becomes a status + text.
template <class Fn>
ferry_status guarded(char* errbuf, size_t errlen, Fn&& fn) noexcept {
  try {
    return fn();
  } catch (const std::bad_alloc&) {
    return fail(errbuf, errlen, FERRY_E_NO_MEMORY, "out of memory");
  } catch (const std::exception& e) {
    return fail(errbuf, errlen, FERRY_E_INTERNAL, std::string("internal error: ") + e.what());
  } catch (...) {
    return fail(errbuf, errlen, FERRY_E_INTERNAL, "internal error (unknown exception)");
  }
}

// Same for entries that return a value instead of a status.
template <class T, class Fn>
T guarded_value(T on_error, Fn&& fn) noexcept {
  try {
    return fn();
  } catch (...) {
    return on_error;
  }
}

#define FERRY_REQUIRE_ARG(cond, what)                                                  \
  do {                                                                                 \
    if (!(cond))                                                                       \
      return ::ferry::sdk::fail(errbuf, errlen, FERRY_E_INVALID_ARGUMENT, what " is NULL"); \
  } while (0)

}  // namespace ferry::sdk
