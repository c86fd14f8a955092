#pragma once
// What ferryctl and ferry-bench share over libferry: RAII owners for its
// handles, a config from key/value pairs, and the exit codes both document
// (docs/tools.md).
#include <ferry/client.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ferry/cpp/handles.hpp"

namespace ferry::tools {

// Exit codes (docs/tools.md). Scripts rely on these; never renumber.
enum ExitCode : int {
  kExitOk = 0,           // done
  kExitFailed = 1,       // the broker or the run said no (or a bench run saw failures)
  kExitUsage = 2,        // bad command line; nothing was sent
  kExitUnreachable = 3,  // no name server / broker answered
};

// kExitUnreachable for statuses that mean "nobody answered", else kExitFailed.
int exit_code_for(ferry_status s);

// "FERRY_E_X: <detail>. <what to do>" for a failed call.
std::string describe_failure(const char* what, ferry_status s, const char* err);

// RAII owners for libferry's handles: the C++ SDK's (ferry/cpp/handles.hpp).
using ConfigPtr = ferry::detail::ConfigPtr;
using MessagePtr = ferry::detail::MessagePtr;
using ProducerPtr = ferry::detail::ProducerPtr;
using PushPtr = ferry::detail::PushConsumerPtr;
using PullPtr = ferry::detail::PullConsumerPtr;
using AdminPtr = ferry::detail::AdminPtr;
using JsonString = ferry::detail::StringPtr;

// A failed libferry call: status plus its explanation.
struct SdkError {
  ferry_status status = FERRY_OK;
  std::string message;
  explicit operator bool() const { return status != FERRY_OK; }
};

// Builds a config; the first bad key or value is reported in *error.
ConfigPtr make_config(const std::vector<std::pair<std::string, std::string>>& kv, SdkError* error);

// A started admin handle, or nullptr with *error set.
AdminPtr start_admin(const ferry_config* conf, SdkError* error);

// Borrowed string accessor result as std::string ("" when absent).
template <class F>
std::string field(const ferry_client_message* m, F accessor) {
  size_t len = 0;
  const char* p = accessor(m, &len);
  return p ? std::string(p, len) : std::string();
}

}  // namespace ferry::tools
