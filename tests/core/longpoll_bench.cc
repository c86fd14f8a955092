// Long-poll wake-up latency through a real ferryd: a consumer's pull is held
// (nothing to read), a producer sends one message, and the time from the
// send leaving the producer to the pull's answer arriving at the consumer is
// recorded. Both assemblies run side by side in one invocation.
//   scripts/locked build/bin/ferry_core_longpoll_bench [rounds]
// Against a running broker (e.g. while ferry-bench loads it), with a topic
// of its own so the load's topics never wake the held pull:
//   ferry_core_longpoll_bench <rounds> <host:port> <label>
// Not a test: docs/benchmarks.md quotes its output.
#include <sys/wait.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <thread>
#include <unistd.h>

#include "core_client.h"
#include "ferry_test/free_port.h"
#include "ferry_test/paths.h"
#include "ferry_test/temp_dir.h"

namespace ft = ferry::test;
using namespace ferry::core::test;

namespace {

struct Result {
  std::string name;
  std::vector<double> us;
};

bool measure(const std::string& address, const std::string& topic, int rounds, Result* out);

bool run(const std::string& storage, const std::string& flush, int rounds, Result* out) {
  ft::TempDir dir("ferry-longpoll-bench");
  std::string address = ft::loopback(ft::free_port());
  std::string config = dir.str() + "/broker.toml";
  std::ofstream(config) << "[kernel]\nlisten = \"" << address << "\"\ndata_dir = \"" << dir.str()
                        << "/data\"\nlog_level = \"warn\"\n\n[plugins.storage]\nlibrary = \"ferry_storage_"
                        << storage << "\"\n" << (storage == "mmaplog" ? "segment_size = \"64MiB\"\n" : "")
                        << "\n[plugins.flush]\nlibrary = \"ferry_flush_" << flush << "\"\n";
  ft::ChildProcess child({ft::bin_path("ferryd"), "--config", config}, dir.str() + "/ferryd.log");
  out->name = storage + " + " + flush;
  bool ok = measure(address, "Bench", rounds, out);
  if (!ok) std::fprintf(stderr, "ferryd log:\n%s\n", child.log().c_str());
  child.signal(SIGTERM);
  child.wait_for(15s);
  return ok;
}

bool measure(const std::string& address, const std::string& topic, int rounds, Result* out) {
  // log_level warn: wait for the port instead of the "serving" line.
  CoreClient producer(address), consumer(address);
  if (!producer.connected || !consumer.connected) {
    std::fprintf(stderr, "no broker at %s\n", address.c_str());
    return false;
  }
  Reply created = producer.ask(FERRY_CODE_TOPIC_CREATE, topic_create(topic, 1, 1));
  if (created.status != FERRY_OK) {
    std::fprintf(stderr, "create %s: %d %s\n", topic.c_str(), created.status, created.message.c_str());
    return false;
  }
  for (int i = 0; i < rounds; ++i) {
    auto held = consumer.ask_async(FERRY_CODE_PULL_MESSAGE,
                                   pull_request(topic, 0, static_cast<uint64_t>(i), 5000), "", 8000);
    // Let the pull reach the broker and be parked (the send must not race it).
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    auto [p, att] = send_request(topic, {{"m" + std::to_string(i), "", "", "", 0}});
    auto sent_at = std::chrono::steady_clock::now();
    auto ack = producer.ask_async(FERRY_CODE_SEND_MESSAGE, p, att);
    if (held.wait_for(10s) != std::future_status::ready) return false;
    Reply r = held.get();
    ack.wait_for(10s);
    if (r.status != FERRY_OK) {
      std::fprintf(stderr, "round %d: pull answered %d %s\n", i, r.status, r.message.c_str());
      return false;
    }
    out->us.push_back(std::chrono::duration<double, std::micro>(r.answered_at - sent_at).count());
  }
  producer.close();
  consumer.close();
  return true;
}

double pct(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

}  // namespace

int main(int argc, char** argv) {
  int rounds = argc > 1 ? std::atoi(argv[1]) : 300;
  std::vector<Result> results(argc > 2 ? 1 : 2);
  if (argc > 2) {
    std::string label = argc > 3 ? argv[3] : "external";
    results[0].name = label;
    if (!measure(argv[2], "LongPoll-" + std::to_string(::getpid()), rounds, &results[0])) return 1;
  } else if (!run("memory", "async", rounds, &results[0]) || !run("mmaplog", "sync", rounds, &results[1])) {
    return 1;
  }
  std::printf("long-poll wake-up latency, send issued -> held pull answered (%d rounds, 1 message each)\n",
              rounds);
  std::printf("%-18s %10s %10s %10s %10s\n", "assembly", "p50 us", "p90 us", "p99 us", "max us");
  for (const auto& r : results)
    std::printf("%-18s %10.0f %10.0f %10.0f %10.0f\n", r.name.c_str(), pct(r.us, 0.5), pct(r.us, 0.9),
                pct(r.us, 0.99), pct(r.us, 1.0));
  return 0;
}
