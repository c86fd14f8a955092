#pragma once
// Logging hook. The transport has no global logger: the embedder (ferryd, the
// SDK, a test) passes a LogFn in the options; an empty one drops lines.
#include <functional>
#include <string_view>

#include "ferry/abi.h"

namespace ferry::net {

// Called on the loop thread. Must not block for long (the loop waits).
using LogFn = std::function<void(ferry_log_level level, std::string_view line)>;

}  // namespace ferry::net
