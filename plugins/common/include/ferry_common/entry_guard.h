#pragma once
// The catch-all every C++ plugin entry wraps its body in (no exception
// crosses the C ABI), and the bridge from an engine's (status, text) answer
// to the host's set_error. Header-only: it inlines into each entry exactly as
// the hand-written copies in each plugin did.
#include <ferry/host.h>

#include <exception>
#include <new>
#include <string>
#include <string_view>

namespace ferry::common {

// Returns f() (a ferry_status); an exception becomes FERRY_E_NO_MEMORY
// (bad_alloc) or FERRY_E_INTERNAL with its text, set on `err` through `api`.
template <class F>
ferry_status guard(const ferry_host_api* api, ferry_error* err, F&& f) {
  try {
    return f();
  } catch (const std::bad_alloc&) {
    return api->set_error(err, FERRY_E_NO_MEMORY, "out of memory");
  } catch (const std::exception& e) {
    return api->set_error(err, FERRY_E_INTERNAL, e.what());
  } catch (...) {
    return api->set_error(err, FERRY_E_INTERNAL, "unknown exception");
  }
}

// FERRY_OK as is; any other status is set on `err` with `text`.
inline ferry_status set_error_unless_ok(const ferry_host_api* api, ferry_error* err,
                                        ferry_status st, const std::string& text) {
  if (st == FERRY_OK) return st;
  return api->set_error(err, st, text.c_str());
}

inline std::string_view sv(ferry_slice s) {
  return std::string_view(static_cast<const char*>(s.data), s.len);
}

}  // namespace ferry::common
