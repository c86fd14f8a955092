#pragma once
// One plugin instance as the kernel keeps it. Its address is the opaque
// `ferry_host *` the plugin passes back on every host call, so every call
// knows whose config, logger and timers it concerns.
#include <ferry/host.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "config/values.h"
#include "host/clock.h"
#include "host/loop_bridge.h"
#include "host/metrics.h"
#include "host/seams.h"
#include "host/timers.h"
#include "host/watermarks.h"
#include "loader/plugin_library.h"
#include "log/logger.h"

// What set_error fills: the status and a copy of the text.
struct ferry_error {
  ferry_status status = FERRY_OK;
  std::string message;
};

namespace ferry::host {

// Kernel-wide state the host table reaches; owned by the Kernel, outlives
// every instance.
struct HostContext {
  const Clock* clock = nullptr;
  MetricsRegistry* metrics = nullptr;
  Watermarks* watermarks = nullptr;
  LoopBridge* bridge = nullptr;
  NetSeam* net = nullptr;
  CoreSeam* core = nullptr;
  // Every instance, in start order (service_find walks it).
  const std::vector<std::unique_ptr<ferry_host>>* instances = nullptr;
  // Identity shared by all instances (instance_name is per instance).
  ferry_kernel_info info{};
  std::atomic<bool> read_only{false};  // set by report_fault
  std::atomic<int> faults{0};
};

enum class InstanceState { kLoaded, kCreated, kStarted, kStopped, kDestroyed };

}  // namespace ferry::host

struct ferry_host {
  ferry_host(ferry::host::HostContext* ctx, std::string name,
             std::shared_ptr<ferry::loader::PluginLibrary> lib, ferry::log::Logger log,
             ferry::config::Values values, uv_loop_t* loop)
      : context(ctx),
        instance_name(std::move(name)),
        library(std::move(lib)),
        logger(std::move(log)),
        config(std::move(values)),
        timers(loop) {}

  ferry::host::HostContext* context;
  std::string instance_name;
  std::shared_ptr<ferry::loader::PluginLibrary> library;
  ferry::log::Logger logger;
  ferry::config::Values config;
  ferry::host::TimerSet timers;
  void* instance = nullptr;  // what create() returned
  ferry::host::InstanceState state = ferry::host::InstanceState::kLoaded;
};
