#include "host/metrics.h"

#include <cstdio>
#include <string_view>
#include <vector>

namespace ferry::host {
namespace {

bool valid_name(const std::string& s) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

// "k=v,k=v" -> k="v",k="v"; false when malformed.
bool render_labels(const std::string& in, std::string* out) {
  out->clear();
  size_t start = 0;
  while (start < in.size()) {
    size_t end = in.find(',', start);
    if (end == std::string::npos) end = in.size();
    std::string pair = in.substr(start, end - start);
    size_t eq = pair.find('=');
    if (eq == std::string::npos || !valid_name(pair.substr(0, eq))) return false;
    std::string value = pair.substr(eq + 1);
    if (value.find_first_of("\"\\\n") != std::string::npos) return false;
    if (!out->empty()) *out += ',';
    *out += pair.substr(0, eq) + "=\"" + value + "\"";
    start = end + 1;
  }
  return true;
}

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::string braces(const std::string& labels, const std::string& extra = "") {
  std::string all = labels;
  if (!extra.empty()) all += (all.empty() ? "" : ",") + extra;
  return all.empty() ? "" : "{" + all + "}";
}

const char* type_text(ferry_metric_type t) {
  switch (t) {
    case FERRY_METRIC_COUNTER: return "counter";
    case FERRY_METRIC_GAUGE: return "gauge";
    case FERRY_METRIC_HISTOGRAM: return "histogram";
  }
  return "untyped";
}

}  // namespace

void Metric::observe(double v) {
  size_t i = 0;
  while (i < kBuckets.size() && v > kBuckets[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  value_.fetch_add(v, std::memory_order_relaxed);
}

void Metric::render(std::string& out) const {
  if (type_ != FERRY_METRIC_HISTOGRAM) {
    out += name_ + braces(labels_) + " " + number(value()) + "\n";
    return;
  }
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= kBuckets.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    std::string le = i < kBuckets.size() ? number(kBuckets[i]) : "+Inf";
    out += name_ + "_bucket" + braces(labels_, "le=\"" + le + "\"") + " " +
           std::to_string(cumulative) + "\n";
  }
  out += name_ + "_sum" + braces(labels_) + " " + number(value()) + "\n";
  out += name_ + "_count" + braces(labels_) + " " + std::to_string(count()) + "\n";
}

Metric* MetricsRegistry::add(const std::string& name, const std::string& help,
                             ferry_metric_type type, const std::string& labels,
                             std::string* error) {
  if (!valid_name(name)) {
    *error = "invalid metric name '" + name + "'";
    return nullptr;
  }
  if (type < FERRY_METRIC_COUNTER || type > FERRY_METRIC_HISTOGRAM) {
    *error = "invalid metric type " + std::to_string(static_cast<int>(type));
    return nullptr;
  }
  std::string rendered;
  if (!render_labels(labels, &rendered)) {
    *error = "invalid labels '" + labels + "' (expected k=v,k=v)";
    return nullptr;
  }
  std::lock_guard lock(mu_);
  auto [t, fresh] = types_.emplace(name, type);
  if (!fresh && t->second != type) {
    *error = "metric '" + name + "' already registered as a " + type_text(t->second);
    return nullptr;
  }
  Metric*& slot = by_series_[name + '\n' + rendered];
  if (!slot) slot = &metrics_.emplace_back(name, help, type, rendered);
  return slot;  // same series: shared
}

std::string MetricsRegistry::render_text() const {
  std::lock_guard lock(mu_);
  // One pass to group series by name (in first-registration order).
  std::vector<std::vector<const Metric*>> groups;
  std::unordered_map<std::string_view, size_t> group_of;
  for (const Metric& m : metrics_) {
    auto [it, fresh] = group_of.emplace(m.name(), groups.size());
    if (fresh) groups.emplace_back();
    groups[it->second].push_back(&m);
  }
  std::string out;
  for (const auto& g : groups) {
    const Metric& m = *g.front();
    out += "# HELP " + m.name() + " " + m.help() + "\n";
    out += "# TYPE " + m.name() + " " + type_text(m.type()) + "\n";
    for (const Metric* series : g) series->render(out);
  }
  return out;
}

}  // namespace ferry::host
