// ferry::Error and the one place a C status becomes a C++ exception.
// Exceptions exist only on this side of the C ABI: libferry never throws,
// and the trampolines (callbacks.hpp) never let one travel back into it.
#pragma once

#include <ferry/client.h>

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

namespace ferry {

using Status = ferry_status;

// Symbolic name ("FERRY_E_BUSY") and human text of a status.
inline std::string_view status_name(Status s) noexcept { return ferry_status_name(s); }
inline std::string_view status_text(Status s) noexcept { return ferry_status_str(s); }

// A failed libferry call: the status plus libferry's explanation.
class Error : public std::runtime_error {
 public:
  Error(Status status, const std::string& message)
      : std::runtime_error(std::string(ferry_status_name(status)) + ": " + message),
        status_(status),
        message_(message) {}

  Status status() const noexcept { return status_; }
  std::string_view name() const noexcept { return ferry_status_name(status_); }
  // libferry's text alone (what() also carries the name).
  const std::string& message() const noexcept { return message_; }
  bool retriable() const noexcept { return ferry_status_retriable(status_) != 0; }

 private:
  Status status_;
  std::string message_;
};

namespace detail {

// Room for libferry's explanation of one failed call; lives on the caller's
// stack so a call allocates nothing unless it fails.
struct ErrBuf {
  static constexpr std::size_t kSize = 512;
  char text[kSize] = {0};
  char* data() noexcept { return text; }
  static constexpr std::size_t size() noexcept { return kSize; }
};

[[noreturn]] inline void raise(Status s, const ErrBuf& eb) {
  throw Error(s, eb.text[0] != '\0' ? std::string(eb.text) : std::string(ferry_status_str(s)));
}

// Runs `call(errbuf, errlen)`, throws ferry::Error unless it returned OK.
template <class Call>
inline void check(Call&& call) {
  ErrBuf eb;
  Status s = call(eb.data(), eb.size());
  if (s != FERRY_OK) raise(s, eb);
}

}  // namespace detail
}  // namespace ferry
