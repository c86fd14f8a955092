#pragma once
// An in-process ferry_host_api for plugin tests: the kernel's side of the ABI
// without the kernel. Plugins are loaded as .so files (PluginHandle) and see
// the threading the ABI promises: one "loop thread" runs lifecycle calls,
// posted tasks, timers and queue_work completions in order; queue_work runs
// on one worker thread.
//
// What it fakes (and how the real kernel will differ):
//  - config: a map key -> TOML-like text, checked loosely against the
//    plugin's declared schema (types, enums, min/max), defaults applied.
//    Sizes ("1GiB") and durations ("30s") use a small parser here; plugin
//    tests must not depend on kernel/daemon.
//  - watermarks: atomics. VISIBLE and the ack rule are computed as the
//    kernel will: min(DURABLE under sync flush / WRITE otherwise,
//    REPLICATED when a replication service exists / WRITE otherwise).
//    Like the kernel, publish_write posts one coalesced flush.on_appended,
//    and a VISIBLE advance one coalesced storage.on_visible (when present).
//  - clock: real, or manual (tests move it; timers follow it).
//  - metrics: counters that only keep their value; log: a buffer (+stderr
//    when FERRY_TEST_VERBOSE is set).
//  - transport and messaging core (handlers, connections, topics,
//    put_message, hooks): FERRY_E_NOT_SUPPORTED.
#include <ferry/flush.h>
#include <ferry/host.h>
#include <ferry/plugin.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

// Completes the ABI's opaque error type for tests: pass `&err` where a
// plugin op takes a ferry_error*, then read status and message.
struct ferry_error {
  ferry_status status = FERRY_OK;
  std::string message;
};

namespace ferry::test {

using ConfigMap = std::map<std::string, std::string>;

struct LogLine {
  ferry_log_level level;
  std::string instance;
  std::string text;
};

struct Fault {
  std::string instance;
  ferry_status status;
  std::string message;
};

// Small parsers (the fake's own; the kernel has the real one).
// "1GiB", "64KiB", "4MiB", "512B", "4096", "1kB" (=1000). nullopt on error.
std::optional<uint64_t> parse_size(const std::string& text);
// "500ms", "30s", "2m", "2h", "1d", "250" (ms). nullopt on error.
std::optional<int64_t> parse_duration_ms(const std::string& text);

class FakeHost {
 public:
  struct Options {
    bool manual_clock = false;  // now_ms / monotonic_ns / timers follow advance_clock
    std::string data_dir;       // empty: a temp dir removed with the host
    int64_t manual_epoch_ms = 1'700'000'000'000;  // now_ms at manual time 0
  };
  FakeHost();
  explicit FakeHost(Options options);
  // Runs the remaining posted tasks, then stops the loop and worker threads.
  // Destroy every PluginHandle first.
  ~FakeHost();
  FakeHost(const FakeHost&) = delete;
  FakeHost& operator=(const FakeHost&) = delete;

  const ferry_host_api* api() const;

  // ---- instances and services ----
  // A per-instance ferry_host. `desc` (may be null: no schema, every key is a
  // string) validates `config`; throws std::invalid_argument naming the key
  // on an unknown key, a missing required key or a bad value.
  ferry_host* add_instance(const std::string& name, const ferry_plugin_desc* desc,
                           const ConfigMap& config);
  // Frees the instance's timers and services. The handle is invalid after.
  void remove_instance(ferry_host* h);
  // Make an instance findable with service_find. A FLUSH service's info()
  // decides the ack/visibility rule; a REPLICATION service makes REPLICATED
  // count.
  void register_service(ferry_host* h, uint32_t kind, const void* ops, void* instance);
  void unregister_service(ferry_host* h);
  const std::string& instance_name(ferry_host* h) const;

  // ---- the loop ----
  // Run fn on the loop thread and wait for it (inline when already there or
  // once the loop is closed). Exceptions from fn are rethrown here.
  void run_on_loop(const std::function<void()>& fn);
  bool on_loop_thread() const;

  // ---- clock ----
  bool manual_clock() const;
  // Manual clock only: move time forward, fire the timers that fell due
  // (on the loop thread) and return after they ran.
  void advance_clock(std::chrono::milliseconds by);

  // ---- watermarks: the kernel's side ----
  // What the kernel does after storage.append: WRITE = max(WRITE, offset),
  // then one coalesced flush.on_appended(WRITE) on the loop thread.
  void publish_write(uint64_t write_offset);
  uint64_t watermark(ferry_watermark which) const;
  // Wait until `which` >= at_least. False on timeout.
  bool wait_watermark(ferry_watermark which, uint64_t at_least, std::chrono::milliseconds timeout);
  // Wait as the kernel waits before acking a send whose record ends at
  // `record_end`: FERRY_OK once acked; FERRY_E_FLUSH_TIMEOUT after the flush
  // plugin's ack_timeout_ms (sync mode); the fault's status when a fault was
  // reported first. `max_wait` bounds the wait when no flush plugin is
  // registered (default: ack at once on WRITE).
  ferry_status wait_ack(uint64_t record_end,
                        std::chrono::milliseconds max_wait = std::chrono::milliseconds(5000));
  // The flush service's info() (mode 0 when none is registered).
  ferry_flush_info flush_info() const;

  // ---- what plugins told the host ----
  std::vector<Fault> faults() const;
  bool read_only() const;  // a fault was reported
  std::vector<LogLine> log_lines() const;
  std::string log_text() const;
  // True when some logged line contains `needle`.
  bool logged(const std::string& needle) const;
  // Value of a metric registered by any instance (nullopt if unknown).
  std::optional<double> metric_value(const std::string& name) const;

  const std::string& data_dir() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// One plugin instance loaded from a .so, driven through its descriptor on
// the host's loop thread. Destroy before the FakeHost.
class PluginHandle {
 public:
  // <plugin_dir()>/ferry_<kind>_<name>.so
  static std::string library_path(const std::string& kind, const std::string& name);

  // dlopen + ferry_plugin_entry + fingerprint check (magic, ABI major,
  // pointer size, descriptor size, kind == expected_kind when non-zero).
  // Throws std::runtime_error with dlerror's text or the mismatch.
  PluginHandle(FakeHost& host, const std::string& path, uint32_t expected_kind = 0);
  PluginHandle(FakeHost& host, const std::string& kind, const std::string& name);
  // A plugin linked into the test (no dlopen): same lifecycle, same checks.
  PluginHandle(FakeHost& host, const ferry_plugin_desc* linked);
  // stop (if started) and destroy (if created), then dlclose.
  ~PluginHandle();
  PluginHandle(const PluginHandle&) = delete;
  PluginHandle& operator=(const PluginHandle&) = delete;

  const ferry_plugin_desc* desc() const { return desc_; }

  // add_instance + desc->create on the loop; registers the service (kind,
  // ops) on success. Throws std::invalid_argument on bad config; a failing
  // create returns its status with err filled.
  ferry_status create(const std::string& instance_name, const ConfigMap& config = {},
                      ferry_error* err = nullptr);
  // The same, with `create_fn` called instead of desc->create (e.g. a
  // plugin's create_with_io test entry).
  using CreateFn = std::function<ferry_status(const ferry_host_api*, ferry_host*, void**, ferry_error*)>;
  ferry_status create_with(const CreateFn& create_fn, const std::string& instance_name,
                           const ConfigMap& config = {}, ferry_error* err = nullptr);
  ferry_status start(ferry_error* err = nullptr);
  void stop();
  void destroy();
  // create + start, throwing std::runtime_error with the error text on failure.
  void create_and_start(const std::string& instance_name, const ConfigMap& config = {});

  void* instance() const { return instance_; }
  ferry_host* host() const { return host_handle_; }
  template <class Ops>
  const Ops* ops() const {
    return static_cast<const Ops*>(raw_ops_);
  }

 private:
  FakeHost& host_;
  void* lib_ = nullptr;
  const ferry_plugin_desc* desc_ = nullptr;
  ferry_host* host_handle_ = nullptr;
  void* instance_ = nullptr;
  const void* raw_ops_ = nullptr;
  bool created_ = false;
  bool started_ = false;
};

}  // namespace ferry::test
