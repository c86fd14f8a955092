#pragma once
// A blocking request helper for integration tests: one kernel/net Client on
// its own loop thread, each call waiting (bounded) for its answer.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ferry/net/client.h"
#include "ferry/net/loop_thread.h"
#include "ferry/status.h"

namespace ferry::namesrv::test {

struct NetAnswer {
  ferry_status status = FERRY_OK;
  std::string message;
  std::vector<uint8_t> payload;
};

class NetClient {
 public:
  explicit NetClient(const std::string& address);
  ~NetClient();
  NetClient(const NetClient&) = delete;
  NetClient& operator=(const NetClient&) = delete;

  // Wait until connected (false on timeout).
  bool wait_connected(std::chrono::milliseconds timeout);
  // One request, waited for up to timeout (FERRY_E_TIMEOUT when it passes).
  NetAnswer call(uint32_t code, std::vector<uint8_t> payload,
                 std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // Many requests pipelined at most `window` at a time; returns the first
  // failure (or OK).
  NetAnswer call_many(uint32_t code, const std::vector<std::vector<uint8_t>>& payloads,
                      size_t window, std::chrono::milliseconds timeout);

 private:
  net::LoopThread loop_;
  std::unique_ptr<net::Client> client_;
};

}  // namespace ferry::namesrv::test
