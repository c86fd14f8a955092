#pragma once
// The kernel's metrics registry. Registration happens on the loop (rare);
// updates are lock-free atomics from any thread (hot paths update them).
// render_text() writes the Prometheus text exposition format for the
// broker's /metrics endpoint.
#include <ferry/host.h>

#include <array>
#include <atomic>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>

namespace ferry::host {

class Metric {
 public:
  // Histogram bucket upper bounds, microseconds: 10us .. 10s, then +Inf.
  static constexpr std::array<double, 13> kBuckets{10,     50,     100,     500,    1000,
                                                   5000,   10000,  50000,   100000, 500000,
                                                   1000000, 5000000, 10000000};

  Metric(std::string name, std::string help, ferry_metric_type type, std::string labels)
      : name_(std::move(name)), help_(std::move(help)), type_(type), labels_(std::move(labels)) {}

  void add(double delta) { value_.fetch_add(delta, std::memory_order_relaxed); }
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  void observe(double v);
  double value() const { return value_.load(std::memory_order_relaxed); }
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  ferry_metric_type type() const { return type_; }
  const std::string& labels() const { return labels_; }
  void render(std::string& out) const;

 private:
  std::string name_, help_;
  ferry_metric_type type_;
  std::string labels_;           // rendered: k="v",k="v"
  std::atomic<double> value_{0};  // counter/gauge value, histogram sum
  std::atomic<uint64_t> count_{0};
  std::array<std::atomic<uint64_t>, kBuckets.size() + 1> buckets_{};
};

class MetricsRegistry {
 public:
  // `labels` is "k=v,k=v" or empty. A name must keep one type. nullptr with
  // *error when the name or labels are malformed or the type conflicts.
  Metric* add(const std::string& name, const std::string& help, ferry_metric_type type,
              const std::string& labels, std::string* error);
  // Prometheus text format, metrics grouped by name.
  std::string render_text() const;

 private:
  mutable std::mutex mu_;       // guards the list and indexes, not the values
  std::deque<Metric> metrics_;  // deque: stable addresses for handed-out Metric*
  // Indexes, so registering per-topic series for 10,000 topics stays linear.
  std::unordered_map<std::string, Metric*> by_series_;  // name + '\n' + rendered labels
  std::unordered_map<std::string, ferry_metric_type> types_;
};

}  // namespace ferry::host
