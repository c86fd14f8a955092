// ferry-bench consume: a push consumer (listener threads) or a pull consumer
// (poll threads); end-to-end latency from the producer's stamp in the body.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "../ferryctl/sdk_util.h"
#include "first_error.h"
#include "report.h"
#include "run.h"
#include "set_keys.h"
#include "stats.h"

namespace ferry::bench {

namespace {

using namespace std::chrono;

int64_t wall_ns() {
  return duration_cast<nanoseconds>(system_clock::now().time_since_epoch()).count();
}

void take(Stats& stats, const ferry_client_message* m) {
  if (stats.split) {
    const int64_t now = wall_ns();
    const int64_t born = ferry_message_born_timestamp(m) * 1'000'000;
    const int64_t stored = ferry_message_store_timestamp(m) * 1'000'000;
    if (born > 0 && now >= born) stats.born_age_ns.record(static_cast<uint64_t>(now - born));
    if (stored > 0 && now >= stored) stats.store_age_ns.record(static_cast<uint64_t>(now - stored));
  }
  size_t len = 0;
  const void* body = ferry_message_body(m, &len);
  uint64_t sent = read_stamp(body, len);
  uint64_t now = now_ns();
  if (sent == 0 || sent > now) {
    // Not ours (or from another host's clock): counted, not timed.
    stats.ok.fetch_add(1, std::memory_order_relaxed);
    stats.bytes.fetch_add(len, std::memory_order_relaxed);
    stats.foreign.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  stats.success(len, now - sent);
  if (stats.timeline.enabled()) stats.timeline.record(sent, now);
}

ferry_consume_status on_messages(void* ud, ferry_client_message* const* msgs, size_t n) {
  auto* stats = static_cast<Stats*>(ud);
  for (size_t i = 0; i < n; ++i) take(*stats, msgs[i]);
  return FERRY_CONSUME_SUCCESS;
}

bool done(const Options& o, const Stats& s, steady_clock::time_point deadline) {
  return steady_clock::now() >= deadline || (o.count && s.ok.load() >= o.count);
}

}  // namespace

int run_consume(const Options& o) {
  std::string group = o.group.empty() ? "ferry_bench_" + std::to_string(::getpid()) + "_" +
                                            std::to_string(system_clock::now().time_since_epoch().count())
                                      : o.group;
  tools::SdkError e;
  std::vector<std::pair<std::string, std::string>> kv{{"name_servers", o.name_servers},
                                                      {"group", group},
                                                      {"consume_from", o.from},
                                                      {"consume_threads", std::to_string(o.threads)},
                                                      {"consume_batch_size", "32"},
                                                      {"pull_batch_size", std::to_string(o.pull_batch)},
                                                      {"long_poll_ms", "1000"}};
  if (!append_set_keys(o.consumer_set, &kv)) return tools::kExitUsage;
  tools::ConfigPtr conf = tools::make_config(kv, &e);
  if (!conf) {
    std::fprintf(stderr, "bad configuration: %s\n", e.message.c_str());
    return tools::kExitUsage;
  }
  Stats stats;
  stats.split = o.split;
  // --timeline without --count: room for 10 M messages (160 MB).
  if (!o.timeline.empty()) stats.timeline.enable(o.count ? o.count : 10'000'000);
  FirstError first;
  char err[512] = "";
  ferry_status s = FERRY_OK;
  auto start = steady_clock::now();
  auto deadline = start + duration_cast<steady_clock::duration>(duration<double>(o.duration_s));
  double elapsed = 0;
  if (o.consume_mode == "push") {
    ferry_push_consumer* raw = nullptr;
    s = ferry_push_consumer_new(conf.get(), &raw, err, sizeof err);
    tools::PushPtr c(raw);
    for (const std::string& t : o.topic_names()) {
      if (s == FERRY_OK) s = ferry_push_consumer_subscribe(c.get(), t.c_str(), "*", err, sizeof err);
    }
    if (s == FERRY_OK) s = ferry_push_consumer_set_listener(c.get(), on_messages, &stats, err, sizeof err);
    if (s == FERRY_OK) s = ferry_push_consumer_start(c.get(), err, sizeof err);
    if (s != FERRY_OK) {
      std::fprintf(stderr, "%s\n", tools::describe_failure("push consumer start", s, err).c_str());
      return tools::exit_code_for(s);
    }
    {
      Progress progress(stats, !o.quiet);
      while (!done(o, stats, deadline)) std::this_thread::sleep_for(milliseconds(5));
    }
    elapsed = duration<double>(steady_clock::now() - start).count();
    ferry_push_consumer_shutdown(c.get(), err, sizeof err);
  } else {
    ferry_pull_consumer* raw = nullptr;
    s = ferry_pull_consumer_new(conf.get(), &raw, err, sizeof err);
    tools::PullPtr c(raw);
    for (const std::string& t : o.topic_names()) {
      if (s == FERRY_OK) s = ferry_pull_consumer_subscribe(c.get(), t.c_str(), "*", err, sizeof err);
    }
    if (s == FERRY_OK) s = ferry_pull_consumer_start(c.get(), err, sizeof err);
    if (s != FERRY_OK) {
      std::fprintf(stderr, "%s\n", tools::describe_failure("pull consumer start", s, err).c_str());
      return tools::exit_code_for(s);
    }
    {
      Progress progress(stats, !o.quiet);
      std::vector<std::thread> pollers;
      for (uint32_t t = 0; t < o.threads; ++t) {
        pollers.emplace_back([&] {
          ferry_client_message* msgs[256];
          char perr[512] = "";
          while (!done(o, stats, deadline)) {
            size_t n = 0;
            ferry_status ps = ferry_pull_consumer_poll(c.get(), 100, msgs, 256, &n, perr, sizeof perr);
            if (ps != FERRY_OK) {
              stats.failure();
              first.note(ps, perr);
              std::this_thread::sleep_for(milliseconds(100));  // a failing poll must not spin
              continue;
            }
            for (size_t i = 0; i < n; ++i) {
              take(stats, msgs[i]);
              ferry_message_destroy(msgs[i]);
            }
          }
        });
      }
      for (auto& t : pollers) t.join();
    }
    elapsed = duration<double>(steady_clock::now() - start).count();
    ferry_pull_consumer_shutdown(c.get(), err, sizeof err);
  }
  std::string note = first.text();
  if (o.count && stats.ok.load() < o.count) {
    note += std::string(note.empty() ? "" : "; ") + "stopped at --duration before --count was reached";
  }
  if (!o.timeline.empty()) {
    uint64_t dropped = 0;
    if (!stats.timeline.write(o.timeline, &dropped)) {
      std::fprintf(stderr, "--timeline %s: cannot write it\n", o.timeline.c_str());
    } else if (dropped) {
      note += std::string(note.empty() ? "" : "; ") + "--timeline: " + std::to_string(dropped) +
              " messages past its buffer not written";
    }
  }
  print_summary("consume", o, stats, elapsed, note);
  if (stats.failed.load() != 0) return stats.ok.load() == 0 ? tools::exit_code_for(first.status()) : tools::kExitFailed;
  if (o.count && stats.ok.load() < o.count) return tools::kExitFailed;
  return tools::kExitOk;
}

}  // namespace ferry::bench
