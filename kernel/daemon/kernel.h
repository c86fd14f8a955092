#pragma once
// The kernel: owns the libuv loop (run on the calling thread), the host
// context and the plugin instances of an Assembly. Lifecycle, all on the
// loop thread:
//   run(): create every instance (start order), start every instance, serve
//          until SIGINT/SIGTERM or request_stop(), then stop (reverse order),
//          run what was posted meanwhile, wait for queued work, destroy
//          (reverse order), close every handle and return.
// Seams: attach_net / attach_core (before run) plug the transport server and
// the messaging core into the host table; without them the host functions
// they back return FERRY_E_NOT_SUPPORTED (docs/abi.md, "Current state").
#include <uv.h>

#include <array>
#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "assembly.h"
#include "host/clock.h"
#include "host/instance.h"
#include "host/net_bridge.h"
#include "log/log_sink.h"
#include "log/logger.h"

namespace ferry {

class CoreGlue;
namespace http {
class MetricsServer;
}

struct KernelOptions {
  const host::Clock* clock = nullptr;  // nullptr: the system clock
  log::LogSink* sink = nullptr;        // nullptr: stderr (buffered, own thread)
  bool handle_signals = true;          // SIGINT/SIGTERM stop the kernel
};

class Kernel {
 public:
  Kernel(Assembly assembly, KernelOptions options);
  ~Kernel();
  Kernel(const Kernel&) = delete;
  Kernel& operator=(const Kernel&) = delete;

  uv_loop_t* loop() { return &loop_; }
  void attach_net(std::unique_ptr<host::NetSeam> net);    // before run()
  // The real transport (kernel/net) on kernel.listen, as ferryd runs it.
  void attach_transport();                                 // before run()
  // The messaging core (kernel/core) when a storage instance is configured:
  // built after every instance is created, started after every start,
  // stopped before them. Without storage the core stays off.  Before run().
  void enable_core() { core_wanted_ = true; }
  // The core once running (nullptr otherwise). [loop]
  CoreGlue* core_glue() { return core_glue_; }
  void attach_core(std::unique_ptr<host::CoreSeam> core);  // before run()

  // Returns 0 after a clean stop, 1 when an instance failed to create or
  // start (the reason is logged and kept in last_error()). Once only.
  int run();
  // Ask the loop to stop. [any]
  void request_stop();
  // True once every instance has started and the loop serves. [any]
  bool serving() const { return serving_.load(); }

  const std::string& last_error() const { return last_error_; }
  host::Watermarks& watermarks() { return watermarks_; }
  host::MetricsRegistry& metrics() { return metrics_; }
  bool read_only() const { return context_.read_only.load(); }
  const log::Logger& logger() const { return logger_; }
  // "ip:port" the listener is bound to once run() has started it (the
  // configured address until then; differs for port 0). [loop], or [any]
  // while serving().
  const std::string& listen_address() const { return listen_; }
  // "ip:port" of the /metrics endpoint once started ([kernel] metrics_listen;
  // empty when off). [loop], or [any] while serving().
  const std::string& metrics_address() const { return metrics_address_; }
  const config::Values& kernel_config() const { return assembly_.file.kernel(); }
  std::vector<std::string> instance_names() const;  // start order
  // A created instance by kind (and name, when several), as service_find
  // gives it to plugins; the core's way to reach storage, flush and filters.
  // nullopt when absent. [loop], or [any] while serving() (the list does not
  // change then).
  std::optional<ferry_service> find_service(uint32_t kind, const std::string& name = "") const;

 private:
  bool bring_up();
  void begin_shutdown();
  void stop_plugins();
  void finish_shutdown();
  void configure_watermarks();
  bool create_instance(ferry_host& inst);
  bool start_instance(ferry_host& inst);
  void stop_instance(ferry_host& inst);
  void destroy_instance(ferry_host& inst);
  void fail(const ferry_host& inst, const std::string& what);

  Assembly assembly_;
  std::unique_ptr<log::StderrSink> own_sink_;
  log::LogSink* sink_;
  std::atomic<int> threshold_;
  log::Logger logger_;
  host::SystemClock system_clock_;
  uv_loop_t loop_{};
  std::unique_ptr<host::LoopBridge> bridge_;
  host::MetricsRegistry metrics_;
  host::Watermarks watermarks_;
  std::unique_ptr<host::NetSeam> net_;
  std::unique_ptr<host::CoreSeam> core_;
  host::HostContext context_;
  std::vector<std::unique_ptr<ferry_host>> instances_;  // start order
  std::string data_dir_, listen_, advertised_, cluster_, broker_name_;
  uv_signal_t sigint_{}, sigterm_{};
  uv_timer_t drain_timer_{};
  uint32_t busy_poll_us_ = 0;  // kernel.busy_poll_us
  bool signals_ = false;
  bool transport_ = false;
  host::NetBridge* net_bridge_ = nullptr;  // net_ when it is the transport
  bool core_wanted_ = false;
  CoreGlue* core_glue_ = nullptr;          // core_ when the core runs
  bool open_core();
  bool start_metrics_http();
  std::string render_metrics();
  std::unique_ptr<http::MetricsServer> metrics_http_;  // [kernel] metrics_listen
  std::string metrics_address_;
  // Kernel-level series, refreshed from the transport at each scrape.
  host::Metric* m_conn_open_ = nullptr;
  host::Metric* m_conn_accepted_ = nullptr;
  host::Metric* m_requests_ = nullptr;
  host::Metric* m_bad_frames_ = nullptr;
  std::array<host::Metric*, 4> m_watermarks_{};
  bool shutting_down_ = false;
  bool ran_ = false;
  std::atomic<bool> serving_{false};
  int exit_code_ = 0;
  std::string last_error_;
};

}  // namespace ferry
