// ferry/ferry.hpp — the header-only C++17 client: RAII, builders, lambdas,
// exceptions, over libferry's C API (ferry/client.h) and nothing else.
// Link the CMake target ferry::cpp (installed: Ferry::cpp), which brings
// libferry. docs/sdk.md ("C++") is the guide.
#pragma once

#include "ferry/cpp/admin.hpp"
#include "ferry/cpp/builder.hpp"
#include "ferry/cpp/callbacks.hpp"
#include "ferry/cpp/config.hpp"
#include "ferry/cpp/consumer_builder.hpp"
#include "ferry/cpp/error.hpp"
#include "ferry/cpp/handles.hpp"
#include "ferry/cpp/message.hpp"
#include "ferry/cpp/producer.hpp"
#include "ferry/cpp/pull_consumer.hpp"
#include "ferry/cpp/push_consumer.hpp"
#include "ferry/cpp/transaction.hpp"

namespace ferry {

// libferry's version ("MAJOR.MINOR.PATCH") as loaded at run time.
inline std::string_view client_version() noexcept { return ferry_client_version(); }

}  // namespace ferry
