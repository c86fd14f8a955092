#include "report.h"

#include <chrono>
#include <cstdio>
#include <string>
#include <utility>

namespace ferry::bench {

namespace {
double ms(uint64_t ns) { return static_cast<double>(ns) / 1e6; }
}  // namespace

std::vector<std::string> Options::topic_names() const {
  if (topics <= 1) return {topic};
  std::vector<std::string> out;
  for (uint32_t i = 0; i < topics; ++i) out.push_back(topic + "-" + std::to_string(i));
  return out;
}

Progress::Progress(Stats& stats, bool enabled) : stats_(stats) {
  if (enabled) thread_ = std::thread([this] { run(); });
}

Progress::~Progress() { stop(); }

void Progress::stop() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
}

void Progress::run() {
  using namespace std::chrono;
  auto start = steady_clock::now();
  auto next = start + seconds(1);
  uint64_t last_ok = 0, last_bytes = 0;
  int tick = 0;
  while (!stop_.load()) {
    // Sleep in short steps so stop() is prompt.
    while (!stop_.load() && steady_clock::now() < next) std::this_thread::sleep_for(milliseconds(20));
    if (stop_.load()) break;
    double secs = duration<double>(steady_clock::now() - (next - seconds(1))).count();
    next += seconds(1);
    ++tick;
    uint64_t ok = stats_.ok.load(), bytes = stats_.bytes.load();
    uint64_t n = stats_.iv_count.exchange(0), sum = stats_.iv_sum_ns.exchange(0);
    uint64_t mx = stats_.iv_max_ns.exchange(0);
    std::fprintf(stderr,
                 "[%4ds] %10.0f msgs/s %8.2f MB/s  lat avg %8.3f ms max %8.3f ms  failed %llu  total %llu\n",
                 tick, static_cast<double>(ok - last_ok) / secs,
                 static_cast<double>(bytes - last_bytes) / secs / 1e6, n ? ms(sum) / static_cast<double>(n) : 0.0,
                 ms(mx), static_cast<unsigned long long>(stats_.failed.load()),
                 static_cast<unsigned long long>(ok));
    last_ok = ok;
    last_bytes = bytes;
  }
}

namespace {
// consume --split as a JSON member (with its trailing comma), else "".
std::string split_json(const Stats& s) {
  if (!s.split) return "";
  std::string out = "\"split_ms\":{";
  const char* sep = "";
  for (auto [name, h] : {std::pair{"since_born", &s.born_age_ns}, std::pair{"since_stored", &s.store_age_ns}}) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "%s\"%s\":{\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"p999\":%.3f,\"max\":%.3f}",
                  sep, name, ms(h->quantile(0.5)), ms(h->quantile(0.9)), ms(h->quantile(0.99)),
                  ms(h->quantile(0.999)), ms(h->max()));
    out += buf;
    sep = ",";
  }
  return out + "},";
}
}  // namespace

void print_summary(const char* role, const Options& o, const Stats& s, double elapsed_s,
                   const std::string& note, const std::string& extra_json) {
  const Histogram& h = s.latency_ns;
  double rate = elapsed_s > 0 ? static_cast<double>(s.ok.load()) / elapsed_s : 0;
  double mbps = elapsed_s > 0 ? static_cast<double>(s.bytes.load()) / elapsed_s / 1e6 : 0;
  const char* mode = std::string(role) == "produce" ? o.mode.c_str() : o.consume_mode.c_str();
  if (o.json) {
    std::printf(
        "{\"tool\":\"ferry-bench\",\"role\":\"%s\",\"mode\":\"%s\",\"threads\":%u,\"size\":%zu,"
        "\"topics\":%u,\"window\":%u,\"batch\":%u,\"rate_limit\":%llu,\"from\":\"%s\","
        "\"elapsed_s\":%.3f,\"ok\":%llu,\"failed\":%llu,\"foreign\":%llu,\"bytes\":%llu,"
        "\"msgs_per_s\":%.1f,\"mb_per_s\":%.3f,\"latency_ms\":{\"count\":%llu,\"min\":%.3f,"
        "\"avg\":%.3f,\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"p999\":%.3f,\"max\":%.3f},"
        "%s%s\"note\":\"%s\"}\n",
        role, mode, o.threads, o.size, o.topics, o.window, o.batch,
        static_cast<unsigned long long>(o.rate), o.from.c_str(), elapsed_s,
        static_cast<unsigned long long>(s.ok.load()), static_cast<unsigned long long>(s.failed.load()),
        static_cast<unsigned long long>(s.foreign.load()), static_cast<unsigned long long>(s.bytes.load()),
        rate, mbps, static_cast<unsigned long long>(h.count()), ms(h.min()), h.mean() / 1e6,
        ms(h.quantile(0.5)), ms(h.quantile(0.9)), ms(h.quantile(0.99)), ms(h.quantile(0.999)),
        ms(h.max()), split_json(s).c_str(), extra_json.c_str(), note.c_str());
    return;
  }
  std::printf("ferry-bench %s (%s): %llu ok, %llu failed in %.2f s\n", role, mode,
              static_cast<unsigned long long>(s.ok.load()), static_cast<unsigned long long>(s.failed.load()),
              elapsed_s);
  std::printf("  throughput  %.0f msgs/s  %.2f MB/s\n", rate, mbps);
  std::printf("  latency ms  min %.3f  avg %.3f  p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f  (%llu samples)\n",
              ms(h.min()), h.mean() / 1e6, ms(h.quantile(0.5)), ms(h.quantile(0.9)), ms(h.quantile(0.99)),
              ms(h.quantile(0.999)), ms(h.max()), static_cast<unsigned long long>(h.count()));
  if (s.foreign.load()) {
    std::printf("  %llu messages had no ferry-bench timestamp (not in the latency figures)\n",
                static_cast<unsigned long long>(s.foreign.load()));
  }
  if (s.split) {
    for (auto [name, sh] : {std::pair{"since born ", &s.born_age_ns}, std::pair{"since stored", &s.store_age_ns}})
      std::printf("  age ms %s  p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f  (wall clock, ms resolution)\n",
                  name, ms(sh->quantile(0.5)), ms(sh->quantile(0.9)), ms(sh->quantile(0.99)),
                  ms(sh->quantile(0.999)), ms(sh->max()));
  }
  if (!note.empty()) std::printf("  note: %s\n", note.c_str());
}

}  // namespace ferry::bench
