// Benchmark (docs/benchmarks.md, "C++ and Python SDK"): the C++ wrapper's
// sync send against libferry's C call on the same send loop — same
// producer handle, same message, same broker, one send at a time. Rounds
// alternate C / C++ (and which goes first) so machine noise hits both
// alike; medians are printed.
//
//   ferry_sdk_cpp_send_bench [--sends N] [--rounds R] [--body BYTES]
//       [--name-servers ADDR --topic T]   a running broker (ferryd), or
//                                          else an in-process fake broker
//   ferry_sdk_cpp_send_bench --serve      start the fake broker, print
//       "name_servers=ADDR topic=B broker=ADDR", serve until stdin closes (the Python
//       benchmark drives it)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "fake_cluster.h"
#include "ferry/ferry.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double us_per_send(Clock::time_point t0, int n) {
  return std::chrono::duration<double, std::micro>(Clock::now() - t0).count() / n;
}

// The C loop a C user writes: status check, result struct, error buffer.
double c_round(ferry_producer* p, ferry_client_message* m, int n) {
  char err[512];
  auto t0 = Clock::now();
  for (int i = 0; i < n; ++i) {
    ferry_send_result r = FERRY_STRUCT_INIT(ferry_send_result);
    if (ferry_producer_send(p, m, &r, err, sizeof err) != FERRY_OK) {
      std::fprintf(stderr, "C send failed: %s\n", err);
      std::exit(1);
    }
  }
  return us_per_send(t0, n);
}

// The same loop through the wrapper: exceptions, SendResult.
double cpp_round(ferry::Producer& p, const ferry::Message& m, int n) {
  auto t0 = Clock::now();
  for (int i = 0; i < n; ++i) (void)p.send(m);
  return us_per_send(t0, n);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) try {
  int n = 20000, rounds = 7;
  size_t body_size = 16;
  bool serve = false;
  std::string name_servers, topic = "B";
  for (int i = 1; i < argc; ++i) {
    auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (!std::strcmp(argv[i], "--sends")) n = std::atoi(next().c_str());
    else if (!std::strcmp(argv[i], "--rounds")) rounds = std::atoi(next().c_str());
    else if (!std::strcmp(argv[i], "--body")) body_size = std::strtoul(next().c_str(), nullptr, 10);
    else if (!std::strcmp(argv[i], "--name-servers")) name_servers = next();
    else if (!std::strcmp(argv[i], "--topic")) topic = next();
    else if (!std::strcmp(argv[i], "--serve")) serve = true;
  }
  std::unique_ptr<ferry::sdk::test::FakeCluster> fake;
  if (name_servers.empty()) {
    ferry::sdk::test::FakeCluster::Options o;
    o.brokers = 1;
    o.queues = 4;
    fake = std::make_unique<ferry::sdk::test::FakeCluster>(o);
    fake->create_topic(topic);
    name_servers = fake->name_servers();
  }
  if (serve) {
    std::printf("name_servers=%s topic=%s broker=%s\n", name_servers.c_str(), topic.c_str(),
                fake ? fake->broker_address(0).c_str() : "");
    std::fflush(stdout);
    std::string line;
    while (std::getline(std::cin, line)) {
    }
    return 0;
  }

  auto producer = ferry::ProducerBuilder().name_servers(name_servers).group("bench").log_level("error").build();
  ferry::Message msg(topic, std::string(body_size, 'x'));
  c_round(producer.raw(), msg.raw(), 1000);  // warm: route, connection
  cpp_round(producer, msg, 1000);
  std::vector<double> c, cpp;
  for (int r = 0; r < rounds; ++r) {
    if (r % 2 == 0) {  // alternate which goes first
      c.push_back(c_round(producer.raw(), msg.raw(), n));
      cpp.push_back(cpp_round(producer, msg, n));
    } else {
      cpp.push_back(cpp_round(producer, msg, n));
      c.push_back(c_round(producer.raw(), msg.raw(), n));
    }
    std::printf("round %d: C %.3f us/send, C++ %.3f us/send\n", r, c.back(), cpp.back());
  }
  double mc = median(c), mcpp = median(cpp);
  std::printf("median of %d rounds x %d sync sends (%zu-byte body, %s): C %.3f us/send (%.0f/s), "
              "C++ %.3f us/send (%.0f/s), C++/C = %.4f (%+.2f%%)\n",
              rounds, n, body_size, fake ? "in-process fake broker" : name_servers.c_str(), mc, 1e6 / mc, mcpp,
              1e6 / mcpp, mcpp / mc, 100.0 * (mcpp - mc) / mc);
  return 0;
} catch (const ferry::Error& e) {
  std::fprintf(stderr, "%s\n", e.what());
  return 1;
}
