#pragma once
// An in-process host table for driving the namesrv modes without a network
// or a kernel: a single-threaded "world" with a manual clock and a task
// queue, where conn_open/conn_request reach the request handlers that a
// registry instance registered under an address. It exists because the
// shared fake host (tests/support) answers handlers and connections with
// FERRY_E_NOT_SUPPORTED until the kernel's transport is wired; real
// processes on loopback are the integration tests' job.
//
// Simplifications (what the kernel does and this does not): no frames, no
// timeouts (a server that is up always answers), no threads: everything runs
// inside run()/advance(), which play the loop; queue_work runs its work and
// done once no other task is queued.
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ferry/host.h"
#include "host_ref.h"
#include "types.h"

namespace ferry::namesrv::test {

struct Answer {
  ferry_status status = FERRY_OK;
  std::string message;
  std::vector<uint8_t> payload;
};

class LoopbackWorld {
 public:
  LoopbackWorld();
  ~LoopbackWorld();

  // A host handle for one plugin instance. `address` is where a registry
  // instance serves; `topics` is what topic_foreach visits (a broker).
  HostRef add_host(const std::string& name, const std::string& address = "",
                   std::vector<TopicConfig>* topics = nullptr,
                   uint32_t max_frame_bytes = 16u << 20);
  // Forget the handle's handlers (a stopped process); its timers too.
  void remove_host(const HostRef& h);

  // A server going down closes every connection to it (pending requests
  // complete with FERRY_E_CONNECTION_CLOSED, CLOSED events); coming back up
  // reconnects them (CONNECTED events).
  void set_up(const std::string& address, bool up);

  // Run queued tasks until none is left (bounded).
  void run();
  // Move the clock, firing due timers in order, running tasks after each.
  void advance(int64_t ms);
  int64_t now_ms() const { return now_ms_; }

  // A client's request to the server at `address`, answered synchronously.
  Answer call(const std::string& address, uint32_t code, const std::vector<uint8_t>& payload);

  // What went over the "wire".
  size_t requests(uint32_t code) const;
  size_t max_payload() const { return max_payload_; }
  bool logged(const std::string& needle) const;
  std::string log_text() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
  int64_t now_ms_ = 1'000'000;
  size_t max_payload_ = 0;
  friend struct Impl;
};

}  // namespace ferry::namesrv::test
