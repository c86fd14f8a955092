// Trampolines: the only code libferry calls back into. Each one is a plain
// function with C linkage-compatible signature whose user_data points at a
// C++ object that outlives the C handle (the wrapper owns both and destroys
// the handle first). Every trampoline catches everything: an exception from
// a user's lambda is reported through the handle's error hook and mapped to
// the callback's failure result — it never unwinds into C.
#pragma once

#include <ferry/client.h>

#include <cstdio>
#include <exception>
#include <functional>
#include <string>
#include <string_view>
#include <utility>

namespace ferry {

// Receives the text of an exception a user callback threw (which callback,
// what()). Runs on the thread that ran the callback. Default: stderr.
using CallbackErrorHandler = std::function<void(std::string_view where, std::string_view what)>;
// Receives libferry's log lines (any of the handle's threads).
using LogHandler = std::function<void(ferry_log_level level, std::string_view line)>;

namespace detail {

// Per-handle hooks shared by all of its trampolines.
struct Hooks {
  LogHandler log;
  CallbackErrorHandler on_error;

  // Never throws: a failing error hook falls back to stderr.
  void report(std::string_view where, std::string_view what) const noexcept {
    try {
      if (on_error) {
        on_error(where, what);
        return;
      }
    } catch (...) {
    }
    std::fprintf(stderr, "ferry: %.*s threw: %.*s\n", static_cast<int>(where.size()),
                 where.data(), static_cast<int>(what.size()), what.data());
  }
};

// Runs fn(); on an exception reports it and returns `failure`.
template <class R, class Fn>
R guarded(const Hooks* hooks, std::string_view where, R failure, Fn&& fn) noexcept {
  try {
    return std::forward<Fn>(fn)();
  } catch (const std::exception& e) {
    if (hooks) hooks->report(where, e.what());
  } catch (...) {
    if (hooks) hooks->report(where, "unknown exception");
  }
  return failure;
}

inline void log_trampoline(void* user_data, ferry_log_level level, const char* line) noexcept {
  auto* hooks = static_cast<const Hooks*>(user_data);
  guarded(hooks, "log handler", 0, [&] {
    if (hooks->log) hooks->log(level, line ? std::string_view(line) : std::string_view());
    return 0;
  });
}

}  // namespace detail
}  // namespace ferry
