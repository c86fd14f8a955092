// What every builder shares: the configuration keys common to all handles
// and the hooks (log, callback errors). Each set() is validated by libferry
// at once, so a bad key throws where it is written, not at build().
#pragma once

#include <ferry/client.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "ferry/cpp/callbacks.hpp"
#include "ferry/cpp/config.hpp"

namespace ferry {

namespace detail {

// Installs the log trampoline on `conf` for a handle whose hooks are `hooks`
// (libferry copies the callback into the handle at _new).
inline void attach_hooks(Config& conf, const std::shared_ptr<Hooks>& hooks) {
  if (!hooks->log) return;
  check([&](char* eb, std::size_t el) {
    return ferry_config_set_log_cb(conf.raw(), &log_trampoline, hooks.get(), eb, el);
  });
}

}  // namespace detail

template <class Derived>
class ClientBuilder {
 public:
  // "host:port;host:port" — the name servers (required).
  Derived& name_servers(const std::string& list) { return set("name_servers", list); }
  Derived& group(const std::string& group) { return set("group", group); }
  Derived& client_id(const std::string& id) { return set("client_id", id); }
  Derived& request_timeout_ms(int64_t ms) { return set("request_timeout_ms", std::to_string(ms)); }
  Derived& log_level(const std::string& level) { return set("log_level", level); }
  // Any libferry key (docs/sdk.md lists them).
  Derived& set(const std::string& key, const std::string& value) {
    conf_.set(key, value);
    return self();
  }
  // Receives libferry's log lines instead of stderr.
  Derived& on_log(LogHandler fn) {
    hooks_->log = std::move(fn);
    return self();
  }
  // Receives what a user callback threw (the callback's failure result was
  // used instead). Default: a line on stderr.
  Derived& on_callback_error(CallbackErrorHandler fn) {
    hooks_->on_error = std::move(fn);
    return self();
  }
  const Config& config() const noexcept { return conf_; }

 protected:
  Derived& self() noexcept { return static_cast<Derived&>(*this); }
  // The hooks a new handle will own; the builder starts a fresh copy so one
  // builder can build several handles.
  std::shared_ptr<detail::Hooks> take_hooks() {
    auto hooks = std::make_shared<detail::Hooks>(*hooks_);
    detail::attach_hooks(conf_, hooks);
    return hooks;
  }

  Config conf_;
  std::shared_ptr<detail::Hooks> hooks_ = std::make_shared<detail::Hooks>();
};

}  // namespace ferry
