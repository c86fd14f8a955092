#pragma once
// The core's series in the kernel's metrics registry (docs/core.md,
// "Metrics"). Broker-wide series are registered at construction, per-topic
// ones on a topic's first send or pull, so a broker with 10,000 idle topics
// exports none of theirs. Updates are one atomic add per send or pull, not
// per message; gauges are refreshed by the core's tick.
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "env.h"

namespace ferry::core {

struct TopicMetrics {
  Metric* messages_in = nullptr;
  Metric* bytes_in = nullptr;
  Metric* messages_out = nullptr;
  Metric* bytes_out = nullptr;
};

class CoreMetrics {
 public:
  explicit CoreMetrics(Env& env);

  // The topic's series, registered on first use. [loop]
  const TopicMetrics& topic(std::string_view name);

  // Consumer lag, set at scrape time (Core::collect_metrics): start a round,
  // set each group/topic's lag, end the round (pairs not set in it drop to
  // 0: their offsets are gone). At most kMaxLagSeries pairs get a series,
  // so a broker with many groups x topics cannot blow up /metrics; the
  // rest are counted in ferry_core_consumer_lag_series_dropped. [loop]
  static constexpr size_t kMaxLagSeries = 1000;
  void begin_lag_round() { ++lag_round_; lag_dropped_now_ = 0; }
  void set_lag(std::string_view group, std::string_view topic, uint64_t lag);
  void end_lag_round();

  Metric* append_latency_us = nullptr;  // storage append of one send (its whole batch)
  Metric* ack_latency_us = nullptr;     // append to acknowledgement (durable/replicated)
  Metric* sends_busy = nullptr;
  Metric* send_timeouts = nullptr;
  Metric* held_pulls = nullptr;
  Metric* pending_acks = nullptr;
  Metric* clients = nullptr;
  Metric* client_connections = nullptr;
  Metric* consumer_groups = nullptr;
  Metric* topics = nullptr;

  static void add(Metric* m, double v) {
    if (m) m->add(v);
  }
  static void set(Metric* m, double v) {
    if (m) m->set(v);
  }
  // Microseconds since `since` into a histogram.
  static void observe_since(Metric* m, std::chrono::steady_clock::time_point since) {
    if (m)
      m->observe(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - since).count());
  }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct LagSeries {
    Metric* metric = nullptr;
    uint64_t round = 0;  // last round that set it
  };
  Env& env_;
  std::unordered_map<std::string, TopicMetrics, Hash, std::equal_to<>> topics_;
  std::unordered_map<std::string, LagSeries, Hash, std::equal_to<>> lag_;  // group '\0' topic
  Metric* lag_dropped_ = nullptr;
  uint64_t lag_round_ = 0;
  uint64_t lag_dropped_now_ = 0;
};

}  // namespace ferry::core
