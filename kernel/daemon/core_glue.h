#pragma once
// CoreGlue: the messaging core (kernel/core) attached to ferryd. It owns the
// core::Core, implements core::Env over the kernel's loop bridge, timers,
// watermarks, clock, logger and transport, adapts net::Request to
// core::Request, and is the host table's CoreSeam (topic_get, put_message,
// hooks, producer_conn), including the ABI's ferry_message_edit for hooks.
//
// Lifecycle, on the loop thread (docs/core.md, "Integration into ferryd"):
//   every instance created -> open() -> every instance started -> start()
//   ... serving: handler() gets codes below FERRY_PLUGIN_CODE_MIN ...
//   shutdown: stop() before instances stop; destroy after they are destroyed.
// With no storage instance the core stays off: open() is not called and
// every CoreSeam call answers FERRY_E_NOT_SUPPORTED.
#include <uv.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "core/core.h"
#include "host/clock.h"
#include "host/loop_bridge.h"
#include "host/metrics.h"
#include "host/net_bridge.h"
#include "host/seams.h"
#include "host/watermarks.h"
#include "log/logger.h"

namespace ferry {

class Kernel;

class CoreGlue final : public host::CoreSeam {
 public:
  struct Parts {
    uv_loop_t* loop = nullptr;
    host::LoopBridge* bridge = nullptr;
    host::Watermarks* watermarks = nullptr;
    host::NetBridge* net = nullptr;        // may be null (no transport attached)
    const host::Clock* clock = nullptr;
    log::Logger logger;
    core::BrokerIdentity identity;
    std::string data_dir;
    host::MetricsRegistry* metrics = nullptr;  // null: the core registers no series
  };
  explicit CoreGlue(Parts parts);
  ~CoreGlue() override;

  // Build the core from the created instances (storage required; flush,
  // replication, routing and every filter found by kind), load its files and
  // register the storage dispatch listener. Before any instance starts.
  ferry_status open(const Kernel& kernel, core::CoreConfig config, std::string* why);
  void start();  // after every instance started
  void stop();   // before instances stop
  bool enabled() const { return core_ != nullptr; }

  // For NetBridge::set_kernel_handler.
  host::NetBridge::KernelHandler handler();
  // For NetBridge::set_kernel_peek: Core::peek.
  host::NetBridge::KernelPeek peek();
  // A kernel-listener connection closed.
  void on_connection_closed(uint64_t conn_id);

  // ---- CoreSeam ----
  ferry_status producer_conn(ferry_host* h, ferry_slice group, uint64_t* conn_id) override;
  ferry_status topic_get(ferry_host* h, ferry_slice name, ferry_topic_info* out) override;
  ferry_status topic_foreach(ferry_host* h, ferry_topic_visit_fn fn, void* user_data) override;
  ferry_status put_message(ferry_host* h, const ferry_message* msg, ferry_put_fn on_put,
                           void* user_data) override;
  ferry_status hook_pre_append(ferry_host* h, const char* property, ferry_pre_append_fn fn,
                               void* user_data) override;
  void release(ferry_host* h) override;

  core::Core* core() { return core_.get(); }

 private:
  class Env;
  Parts parts_;
  std::unique_ptr<Env> env_;
  std::unique_ptr<core::Core> core_;
};

}  // namespace ferry
