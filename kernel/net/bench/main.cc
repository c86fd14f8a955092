// ferry-net-bench: request rate and round trip of kernel/net for small
// frames on loopback, each scenario beside a plain-socket baseline measured
// in the same invocation (alternating runs; medians reported).
//   ferry-net-bench [--seconds S] [--repeat N] [--payload BYTES] [--only K] [--impl ferry|plain]
// --only K runs scenario K (0, 1, 2) alone; --impl runs one side alone (for
// profiling with perf / strace / callgrind).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "ferry_run.h"
#include "plain_socket.h"

using namespace ferry::net::bench;

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

struct Summary {
  std::vector<double> rate, p50, p99;
  void add(RunResult& r) {
    rate.push_back(r.rate());
    p50.push_back(r.percentile_us(0.50));
    p99.push_back(r.percentile_us(0.99));
  }
};

}  // namespace

int main(int argc, char** argv) {
  double seconds = 2.0;
  int repeat = 3;
  size_t payload = 16;
  int only = -1;
  std::string impl = "both";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--seconds")) seconds = std::atof(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--repeat")) repeat = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--payload")) payload = std::strtoul(argv[i + 1], nullptr, 10);
    else if (!std::strcmp(argv[i], "--only")) only = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--impl")) impl = argv[i + 1];
    else {
      std::fprintf(stderr, "usage: %s [--seconds S] [--repeat N] [--payload BYTES] [--only K] [--impl ferry|plain]\n", argv[0]);
      return 2;
    }
  }
  const Scenario scenarios[] = {{1, 1}, {1, 64}, {4, 64}};
  std::printf("| scenario | impl | req/s | p50 us | p99 us | rate vs baseline | p99 vs baseline |\n");
  std::printf("|---|---|---:|---:|---:|---:|---:|\n");
  const bool do_ferry = impl != "plain", do_plain = impl != "ferry";
  for (int k = 0; k < 3; ++k) {
    if (only >= 0 && k != only) continue;
    const Scenario& s = scenarios[k];
    Summary ferry, plain;
    size_t frame_bytes = 0;
    // Warm-up (page faults, TCP autotuning) not counted.
    run_ferry(s, payload, 0.2, &frame_bytes);
    if (do_plain) run_plain(s, frame_bytes, 0.2);
    for (int r = 0; r < repeat; ++r) {
      if (do_plain) {
        RunResult p = run_plain(s, frame_bytes, seconds);
        plain.add(p);
      }
      if (do_ferry) {
        RunResult f = run_ferry(s, payload, seconds, &frame_bytes);
        ferry.add(f);
      }
    }
    char name[64];
    std::snprintf(name, sizeof(name), "%d conn x %d in flight (%zu-byte frames)", s.connections,
                  s.window, frame_bytes);
    const double br = median(plain.rate), bp50 = median(plain.p50), bp99 = median(plain.p99);
    const double fr = median(ferry.rate), fp50 = median(ferry.p50), fp99 = median(ferry.p99);
    std::printf("| %s | plain socket | %.0f | %.1f | %.1f | | |\n", name, br, bp50, bp99);
    std::printf("| %s | ferry | %.0f | %.1f | %.1f | %.2f | %.2f |\n", name, fr, fp50, fp99,
                fr / br, fp99 / bp99);
    std::fflush(stdout);
  }
  return 0;
}
