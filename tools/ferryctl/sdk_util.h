#pragma once
// What ferryctl and ferry-bench share over libferry: RAII owners for its
// handles, a config from key/value pairs, and the exit codes both document
// (docs/tools.md).
#include <ferry/client.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

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

struct ConfigDeleter { void operator()(ferry_config* c) const { ferry_config_destroy(c); } };
struct MessageDeleter { void operator()(ferry_client_message* m) const { ferry_message_destroy(m); } };
struct ProducerDeleter { void operator()(ferry_producer* p) const { ferry_producer_destroy(p); } };
struct PushDeleter { void operator()(ferry_push_consumer* c) const { ferry_push_consumer_destroy(c); } };
struct PullDeleter { void operator()(ferry_pull_consumer* c) const { ferry_pull_consumer_destroy(c); } };
struct AdminDeleter { void operator()(ferry_admin* a) const { ferry_admin_destroy(a); } };
struct StringDeleter { void operator()(char* s) const { ferry_string_free(s); } };

using ConfigPtr = std::unique_ptr<ferry_config, ConfigDeleter>;
using MessagePtr = std::unique_ptr<ferry_client_message, MessageDeleter>;
using ProducerPtr = std::unique_ptr<ferry_producer, ProducerDeleter>;
using PushPtr = std::unique_ptr<ferry_push_consumer, PushDeleter>;
using PullPtr = std::unique_ptr<ferry_pull_consumer, PullDeleter>;
using AdminPtr = std::unique_ptr<ferry_admin, AdminDeleter>;
using JsonString = std::unique_ptr<char, StringDeleter>;

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
