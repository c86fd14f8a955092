#pragma once
// Shared settings of the crash tests and their child process: which storage
// plugin, how it is configured (small segments so a run crosses segment
// boundaries), and the message shape.
#include <cstddef>

#include "ferry_test/fake_host.h"

namespace ferry::test::crash {

inline constexpr size_t kBodyBytes = 200;
inline constexpr int kQueues = 4;

inline ConfigMap storage_config() { return {{"segment_size", "1MiB"}}; }

}  // namespace ferry::test::crash
