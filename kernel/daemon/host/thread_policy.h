#pragma once
// The kernel's scheduling policy for message-path threads ([kernel]
// thread_slice_us): the loop thread takes it in Kernel::run, plugin path
// threads through api->thread_on_path. Both log a refusal with this text.
#include <ferry/net/thread_slice.h>

#include <cstring>
#include <string>

namespace ferry::host {

inline std::string thread_slice_refusal(uint32_t slice_us, int err) {
  return "kernel.thread_slice_us = " + std::to_string(slice_us) +
         ": the OS refused a custom scheduler slice (" + std::strerror(err) +
         "; needs Linux >= 6.12); path threads keep the default slice";
}

}  // namespace ferry::host
