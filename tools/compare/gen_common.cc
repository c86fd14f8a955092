#include "gen_common.h"

#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstring>
#include <sstream>

namespace ferry::compare {

namespace {
double ms(uint64_t ns) { return static_cast<double>(ns) / 1e6; }

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto sec = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6; };
  return sec(ru.ru_utime) + sec(ru.ru_stime);
}

// JSON string body: the note is ours, but keep quotes and controls out.
std::string escape(const std::string& s) {
  std::string out;
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    out += (static_cast<unsigned char>(ch) < 0x20) ? ' ' : ch;
  }
  return out;
}
}  // namespace

int parse_options(int argc, char** argv, const char* tool, const char* modes, GenOptions& o) {
  CLI::App app{std::string(tool) + ": a load generator for tools/compare.sh; one JSON summary on stdout"};
  std::vector<std::string> mode_list;
  std::istringstream in(modes);
  for (std::string m; in >> m;) mode_list.push_back(m);
  app.add_option("--host", o.host)->capture_default_str();
  app.add_option("--port", o.port, "server port")->check(CLI::Range(1, 65535));
  app.add_option("-m,--mode", o.mode, modes)->check(CLI::IsMember(mode_list))->capture_default_str();
  app.add_option("--stream", o.stream, "stream / key / subject name")->capture_default_str();
  app.add_option("-s,--size", o.size, "body bytes (>= 16: the timestamp)")
      ->check(CLI::Range(kStampBytes, size_t{4} << 20))->capture_default_str();
  app.add_option("-d,--duration", o.duration_s, "seconds; always bounds the run")
      ->check(CLI::Range(0.1, 3600.0))->capture_default_str();
  app.add_option("-N,--count", o.count, "stop after this many messages (0: run for --duration)")
      ->capture_default_str();
  app.add_option("-w,--window", o.window, "requests in flight per connection")
      ->check(CLI::Range(1u, 65536u))->capture_default_str();
  app.add_option("-b,--batch", o.batch, "messages per batch request")
      ->check(CLI::Range(1u, 4096u))->capture_default_str();
  app.add_option("-c,--threads", o.threads, "connections, one thread each")
      ->check(CLI::Range(1u, 64u))->capture_default_str();
  app.add_option("-r,--rate", o.rate, "messages/s over all threads (0: unlimited)")->capture_default_str();
  app.add_flag("--create", o.create, "create the stream first");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  return -1;
}

void stamp_body(std::string& body, uint64_t t_ns) {
  if (body.size() < kStampBytes) return;
  std::memcpy(body.data(), "FRYB\0\0\0\0", 8);
  std::memcpy(body.data() + 8, &t_ns, sizeof t_ns);
}

uint64_t read_stamp(const void* body, size_t len) {
  if (len < kStampBytes || std::memcmp(body, "FRYB\0\0\0\0", 8) != 0) return 0;
  uint64_t t = 0;
  std::memcpy(&t, static_cast<const char*>(body) + 8, sizeof t);
  return t;
}

int print_summary(const char* tool, const GenOptions& o, const Counters& c, double elapsed_s,
                  const std::string& note) {
  const bench::Histogram& h = c.latency_ns;
  uint64_t ok = c.ok.load(), failed = c.failed.load(), bytes = c.bytes.load();
  double rate = elapsed_s > 0 ? static_cast<double>(ok) / elapsed_s : 0;
  double mbps = elapsed_s > 0 ? static_cast<double>(bytes) / elapsed_s / 1e6 : 0;
  std::string n = note;
  // e2e: ok counts deliveries of what was published (losses are failures);
  // a publisher that cannot hold --rate is a measured result, not a failure.
  const bool short_count = o.count && ok < o.count;
  const bool e2e = o.mode == "e2e";
  if (short_count) {
    n += std::string(n.empty() ? "" : "; ") +
         (e2e ? "could not hold --rate: " + std::to_string(ok) + " of " + std::to_string(o.count) +
                    " delivered within --duration"
              : std::string("stopped at --duration before --count"));
  }
  std::printf(
      "{\"tool\":\"%s\",\"mode\":\"%s\",\"threads\":%u,\"size\":%zu,\"window\":%u,\"batch\":%u,"
      "\"rate_limit\":%llu,\"elapsed_s\":%.3f,\"ok\":%llu,\"failed\":%llu,\"bytes\":%llu,"
      "\"msgs_per_s\":%.1f,\"mb_per_s\":%.3f,\"latency_ms\":{\"count\":%llu,\"min\":%.3f,\"avg\":%.3f,"
      "\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"p999\":%.3f,\"max\":%.3f},\"cpu_s\":%.3f,\"note\":\"%s\"}\n",
      tool, o.mode.c_str(), o.threads, o.size, o.window, o.batch, static_cast<unsigned long long>(o.rate),
      elapsed_s, static_cast<unsigned long long>(ok), static_cast<unsigned long long>(failed),
      static_cast<unsigned long long>(bytes), rate, mbps, static_cast<unsigned long long>(h.count()),
      ms(h.min()), h.mean() / 1e6, ms(h.quantile(0.5)), ms(h.quantile(0.9)), ms(h.quantile(0.99)),
      ms(h.quantile(0.999)), ms(h.max()), cpu_seconds(), escape(n).c_str());
  std::fflush(stdout);
  if (ok == 0) return 3;
  if (failed != 0 || (short_count && !e2e)) return 1;
  return 0;
}

void await_deliveries(Counters& counters, uint64_t target) {
  uint64_t until = now_ns() + 3'000'000'000ull;
  while (counters.ok.load() < target && now_ns() < until) std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

int generator_main(const char* tool, int argc, char** argv, const GenRuns& runs, const std::string& first_error) {
  GenOptions o;
  int rc = parse_options(argc, argv, tool, "sync async batch consume e2e", o);
  if (rc >= 0) return rc;
  if (o.port == 0) {
    std::fprintf(stderr, "%s: --port is required\n", tool);
    return 2;
  }
  Counters counters;
  double elapsed = 0;
  RunFn run = o.mode == "consume" ? runs.consume : o.mode == "e2e" ? runs.e2e : runs.publish;
  rc = run(o, counters, elapsed);
  if (!first_error.empty()) std::fprintf(stderr, "%s: %s\n", tool, first_error.c_str());
  if (rc < 0) rc = print_summary(tool, o, counters, elapsed, first_error);
  return rc;
}

}  // namespace ferry::compare
