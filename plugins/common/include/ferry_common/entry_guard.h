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

#include "ferry_common/slice.h"

namespace ferry::common {

// `owner` is the plugin's instance: any type with a `const ferry_host_api*
// api` member, read only on the error paths, so an entry's success path
// loads nothing the hand-written copies did not (op_append is the send hot
// path).

// Returns f() (a ferry_status); an exception becomes FERRY_E_NO_MEMORY
// (bad_alloc) or FERRY_E_INTERNAL with its text, set on `err`.
template <class Owner, class F>
ferry_status guard(const Owner* owner, ferry_error* err, F&& f) {
  try {
    return f();
  } catch (const std::bad_alloc&) {
    return owner->api->set_error(err, FERRY_E_NO_MEMORY, "out of memory");
  } catch (const std::exception& e) {
    return owner->api->set_error(err, FERRY_E_INTERNAL, e.what());
  } catch (...) {
    return owner->api->set_error(err, FERRY_E_INTERNAL, "unknown exception");
  }
}

// FERRY_OK as is; any other status is set on `err` with `text`.
template <class Owner>
ferry_status set_error_unless_ok(const Owner* owner, ferry_error* err, ferry_status st,
                                 const std::string& text) {
  if (st == FERRY_OK) return st;
  return owner->api->set_error(err, st, text.c_str());
}

}  // namespace ferry::common
