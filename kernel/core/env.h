#pragma once
// What the messaging core needs from the kernel, as a small C++ interface so
// the kernel implements it over libuv and its host table, and tests give a
// fake (manual clock, hand-driven watermarks, recorded notifications).
//
// Threads: every call is made on the loop thread unless it says [any].
#include <ferry/host.h>
#include <ferry/status.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace ferry::core {

// A running timer; destroying it cancels it (its callback never runs after).
class Timer {
 public:
  virtual ~Timer() = default;
};

// A ferry_error the kernel's set_error understands: plugins report into it
// through api->set_error, the core reads it back. One per call site; reset()
// before reuse.
class ErrorSlot {
 public:
  virtual ~ErrorSlot() = default;
  virtual ferry_error* get() = 0;
  virtual std::string message() const = 0;
  virtual void reset() = 0;
};

// A series in the kernel's metrics registry (the broker's /metrics). The
// Env owns it until the Env is destroyed. Updates are lock-free. [any]
class Metric {
 public:
  virtual ~Metric() = default;
  virtual void add(double delta) = 0;      // counter
  virtual void set(double value) = 0;      // gauge
  virtual void observe(double value) = 0;  // histogram, microseconds
};

// Who this broker is, for offset message ids and stats.
struct BrokerIdentity {
  std::string advertised_address;  // "host:port" clients use; encoded in offset ids
  std::string cluster_name;
  std::string broker_name;
  int64_t broker_id = 0;           // 0 = master
};

class Env {
 public:
  virtual ~Env() = default;

  // ---- clock (mockable) ----
  virtual int64_t now_ms() = 0;           // wall clock [any]
  virtual uint64_t monotonic_ms() = 0;    // deadlines, expiry [any]

  // ---- loop ----
  // Run fn on the loop soon. The one doorway in from other threads (storage
  // dispatcher, workers). False once the loop is closed: fn never runs. [any]
  virtual bool post(ferry_task_fn fn, void* user_data) = 0;
  // Run fn at the end of this loop turn, after the requests it read, with no
  // wake-up of its own. False when this Env cannot: the caller does the work
  // now. [loop]
  virtual bool defer(std::function<void()> fn) {
    (void)fn;
    return false;
  }
  // Call fn after delay_ms, then every repeat_ms (0 = once).
  virtual std::unique_ptr<Timer> start_timer(uint64_t delay_ms, uint64_t repeat_ms,
                                             std::function<void()> fn) = 0;
  // Run work on a worker thread (may block), then done on the loop.
  virtual bool queue_work(std::function<void()> work, std::function<void()> done) = 0;

  // ---- logging and metrics ----
  virtual void log(ferry_log_level level, std::string_view message) = 0;  // [any]
  virtual bool log_enabled(ferry_log_level level) = 0;                    // [any]
  // Register (or find) a series; `labels` is "k=v,k=v" or empty. nullptr
  // when the kernel keeps no metrics or refuses the name (logged). [loop]
  virtual Metric* metric(std::string_view name, std::string_view help, ferry_metric_type type,
                         std::string_view labels) {
    (void)name, (void)help, (void)type, (void)labels;
    return nullptr;
  }

  // ---- identity, files ----
  virtual const BrokerIdentity& identity() = 0;
  virtual const std::string& data_dir() = 0;  // absolute, exists
  virtual std::unique_ptr<ErrorSlot> new_error() = 0;

  // ---- durability (the kernel owns the watermark atomics) ----
  // Current value of a watermark. [any]
  virtual uint64_t watermark(ferry_watermark which) = 0;
  // After storage.append: WRITE = max(WRITE, offset), then (coalesced, once
  // per loop iteration) flush.on_appended / replication.on_appended. The
  // kernel calls Core::on_watermarks() after every DURABLE / REPLICATED
  // advance (one coalesced wake-up per advance).
  virtual void publish_write(uint64_t write_offset) = 0;

  // ---- connections ----
  // Send a oneway notification to an accepted client connection. False when
  // the connection has gone (the caller does not retry).
  virtual bool notify_client(uint64_t conn_id, uint32_t code, std::string_view payload) = 0;

  // ---- topic table changed (create/update/delete): the kernel tells the
  // routing plugin (on_topics_changed), debounced there. ----
  virtual void topics_changed() = 0;
};

}  // namespace ferry::core
