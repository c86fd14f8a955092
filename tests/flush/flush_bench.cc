// ferry_flush_bench: group commit measured against one fdatasync per
// message, side by side in one run (docs/benchmarks.md, "Flush and
// durability"). Not a test.
//
//   1. raw:      pwrite 1 KiB + fdatasync per message, one thread (appending
//                to a new file; then the same into a sparse file, as a
//                segment is, to check the baseline is fair)
//   2. per-msg:  mmaplog + flush sync, one appender (each ack = one sync)
//   3. raw groups: pwrite of N/2 and of N messages + one fdatasync (no broker)
//   4. group, kernel-shaped: N senders (default 64) each with one message in
//      flight, served by one thread as the kernel's loop serves connections:
//      on each DURABLE advance it acks every covered send, appends each acked
//      sender's next message and publishes WRITE once for the pass (the
//      kernel posts one on_appended per loop iteration); first with WRITE
//      published after every append (session 2's loop), to compare.
//   5. (--thread-phase 1) group, thread per sender: N OS threads each
//      send-and-wait through the fake host (every DURABLE advance wakes all
//      N: the fake host's ack wait, not the plugin, bounds this one).
// For each: messages/s, append-to-ack latency p50/p99/p99.9, syncs; for the
// kernel-shaped loop also where its time went.
//
// --interleave R: instead, R rounds of [1. baseline, 3. raw group of N,
// 4. kernel-shaped loop, the same loop calling on_appended itself, and that
// loop ending each pass with the storage's end_turn as the kernel does since
// session 6 (one write per pass instead of one per append), and that loop
// handing the pass's sends to the storage in one append call as ferryd's
// core does (Core::flush_turn_sends), then the baseline again]
// back to back, each ratio taken within its round, then the medians: this
// shared disk's fdatasync time drifts by 2x within minutes, so a baseline
// measured once at the start of a 40 s run says little about the last phase.
// --loops picks the loop variants (e.g. "23"); --timeline PREFIX writes each
// loop's passes (wake, pass end, slowest ack) as CSV to line up with
// `perf record -k mono` syscall events. --slices K alternates the phases of
// a round in K pieces each, so the baseline and the loops see the same disk.
// --warmup-mib M: each loop piece first runs the loop untimed until the log
// passes M MiB (with --segment-size M MiB: the timed part runs after the
// first roll, the steady state of a running broker); --prefill true|false
// sets the storage's segment_prefill (builds without the key refuse it).
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "append_path.h"
#include "ferry_test/fake_host.h"
#include "ferry_test/temp_dir.h"

namespace {

using namespace ferry::test;
using Clock = std::chrono::steady_clock;

struct Result {
  std::string name;
  uint64_t messages = 0;
  double seconds = 0;
  double syncs = 0;
  std::vector<double> lat_us;
  std::string note;  // where the time went, when the phase measures it
  double rate() const { return static_cast<double>(messages) / seconds; }
  double pct(double p) {
    if (lat_us.empty()) return 0;
    std::sort(lat_us.begin(), lat_us.end());
    size_t i = std::min(lat_us.size() - 1, static_cast<size_t>(p * static_cast<double>(lat_us.size())));
    return lat_us[i];
  }
};

// Adds one slice of a phase to the phase's totals (--slices).
void merge_into(Result& total, Result&& slice) {
  if (total.name.empty()) total.name = slice.name;
  total.messages += slice.messages;
  total.seconds += slice.seconds;
  total.syncs += slice.syncs;
  total.lat_us.insert(total.lat_us.end(), slice.lat_us.begin(), slice.lat_us.end());
  if (!slice.note.empty()) total.note = slice.note;  // the last slice's breakdown
}

double us_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
}

// batch = 1: one fdatasync per message. batch = N: N messages per pwrite and
// one fdatasync — a group commit with no broker around it, the disk's
// ceiling for any group commit of N.
// sparse_bytes > 0: the file is first ftruncate'd to that size, as mmaplog
// creates a segment, so the writes fill holes instead of growing the file.
Result raw_fdatasync(const std::string& dir, size_t body, double seconds, int batch = 1, uint64_t sparse_bytes = 0) {
  Result r{batch == 1 ? std::string("raw pwrite+fdatasync per message (1 thread)")
                      : "raw pwrite of " + std::to_string(batch) + " messages + one fdatasync (ideal group)"};
  if (sparse_bytes > 0) r.name += ", into a sparse file like a segment";
  body *= static_cast<size_t>(batch);
  std::string path = dir + "/raw.log";
  int fd = ::open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY, 0644);
  if (fd < 0) throw std::runtime_error("open " + path);
  if (sparse_bytes > 0 && ::ftruncate(fd, static_cast<off_t>(sparse_bytes)) != 0) throw std::runtime_error("ftruncate");
  std::vector<char> buf(body, 'x');
  off_t off = 0;
  auto start = Clock::now();
  auto end = start + std::chrono::duration<double>(seconds);
  while (Clock::now() < end && (sparse_bytes == 0 || static_cast<uint64_t>(off) + buf.size() <= sparse_bytes)) {
    auto t0 = Clock::now();
    if (::pwrite(fd, buf.data(), buf.size(), off) != static_cast<ssize_t>(buf.size())) throw std::runtime_error("pwrite");
    if (::fdatasync(fd) != 0) throw std::runtime_error("fdatasync");
    off += static_cast<off_t>(buf.size());
    r.lat_us.push_back(us_since(t0));
    r.messages += static_cast<uint64_t>(batch);
    r.syncs++;
  }
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  ::close(fd);
  std::filesystem::remove(path);
  return r;
}

// group_wait_us: the sync flush plugin's group_wait_us ("0" = sync at once).
Result through_plugins(const std::string& dir, const std::string& name, int appenders, size_t body,
                       double seconds, const std::string& segment_size, const std::string& write_mode,
                       const std::string& group_wait_us) {
  Result r{name};
  std::string data = dir + "/data-" + std::to_string(appenders);
  std::filesystem::create_directories(data);
  {
    FakeHost::Options o;
    o.data_dir = data;
    FakeHost host(o);
    PluginHandle storage(host, "storage", "mmaplog");
    storage.create_and_start("store", {{"segment_size", segment_size}, {"write_mode", write_mode}});
    const auto* sops = storage.ops<ferry_storage_ops>();
    host.publish_write(sops->write_offset(storage.instance()));
    PluginHandle flush(host, "flush", "sync");
    flush.create_and_start("flush", {{"group_wait_us", group_wait_us}});
    AppendPath path(host, sops, storage.instance());
    double syncs0 = host.metric_value("ferry_flush_syncs_total").value_or(0);

    std::atomic<uint64_t> seq{0};
    std::atomic<bool> failed{false};
    std::vector<std::vector<double>> lat(static_cast<size_t>(appenders));
    auto start = Clock::now();
    auto end = start + std::chrono::duration<double>(seconds);
    std::vector<std::thread> threads;
    for (int t = 0; t < appenders; ++t) {
      threads.emplace_back([&, t] {
        auto& mine = lat[static_cast<size_t>(t)];
        mine.reserve(1 << 16);
        while (!failed && Clock::now() < end) {
          TestMessage m(seq.fetch_add(1), body);
          auto t0 = Clock::now();
          Sent s = path.send(m.view());
          if (s.status != FERRY_OK) {
            std::fprintf(stderr, "send: %s %s\n", ferry_status_name(s.status), s.error.c_str());
            failed = true;
            return;
          }
          mine.push_back(us_since(t0));
        }
      });
    }
    for (auto& th : threads) th.join();
    r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    r.syncs = host.metric_value("ferry_flush_syncs_total").value_or(0) - syncs0;
    for (auto& v : lat) {
      r.messages += v.size();
      r.lat_us.insert(r.lat_us.end(), v.begin(), v.end());
    }
    if (failed) throw std::runtime_error(name + ": a send failed");
  }
  std::filesystem::remove_all(data);
  return r;
}

// Where the slow acks' time went. An ack seen at wake k is of a send
// appended in pass k-1: its latency is the rest of that pass (after its own
// append) plus the wait from the pass's end to wake k — the flusher's
// wake-up, the fdatasync and DURABLE reaching the loop. For the passes
// whose acks reach the run's p99: the medians of the two parts, beside the
// same medians over all passes.
template <class Cycles>
std::string slow_ack_note(const Cycles& cycles, double p99) {
  std::vector<double> pass_all, wait_all, pass_slow, wait_slow, acks_appends, turn, publish;
  auto us = [](auto a, auto b) { return std::chrono::duration<double, std::micro>(b - a).count(); };
  for (const auto& c : cycles) {
    acks_appends.push_back(us(c.wake, c.appended));
    turn.push_back(us(c.appended, c.turned));
    publish.push_back(us(c.turned, c.pass_end));
  }
  for (size_t k = 1; k < cycles.size(); ++k) {
    double pass = std::chrono::duration<double, std::micro>(cycles[k - 1].pass_end - cycles[k - 1].wake).count();
    double wait = std::chrono::duration<double, std::micro>(cycles[k].wake - cycles[k - 1].pass_end).count();
    pass_all.push_back(pass);
    wait_all.push_back(wait);
    if (cycles[k].max_ack_us >= p99) {
      pass_slow.push_back(pass);
      wait_slow.push_back(wait);
    }
  }
  auto med = [](std::vector<double> v) {
    if (v.empty()) return 0.0;
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  auto p = [](std::vector<double> v, double q) {
    if (v.empty()) return 0.0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))];
  };
  char buf[512];
  std::snprintf(buf, sizeof(buf),
                "; passes with acks >= p99 (%zu of %zu): pass %.0f us, pass end -> wake %.0f us (medians); "
                "all passes: pass %.0f us (acks+appends %.0f, end_turn %.0f, publish+on_appended %.0f), "
                "pass end -> wake %.0f us (p50), %.0f us (p99)",
                pass_slow.size(), pass_all.size(), med(pass_slow), med(wait_slow), med(pass_all), med(acks_appends),
                med(turn), med(publish), med(wait_all), p(wait_all, 0.99));
  return buf;
}

template <class Cycles>
void write_timeline(const std::string& file, const Cycles& cycles) {
  FILE* f = std::fopen(file.c_str(), "w");
  if (!f) throw std::runtime_error("cannot write " + file);
  std::fprintf(f, "wake_ns,appended_ns,turned_ns,pass_end_ns,max_ack_us,acks\n");
  auto ns = [](Clock::time_point t) {
    return static_cast<long long>(std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count());
  };
  for (const auto& c : cycles)
    std::fprintf(f, "%lld,%lld,%lld,%lld,%.1f,%d\n", ns(c.wake), ns(c.appended), ns(c.turned), ns(c.pass_end),
                 c.max_ack_us, c.acks);
  std::fclose(f);
}

// One thread plays the kernel's loop for `senders` closed-loop senders.
// publish_each: publish WRITE after every append, not once per pass (the
// session-2 shape of this loop, kept to compare: every append then costs a
// cross-thread hop to the fake host's loop and often a flusher wake-up, which
// the kernel's once-per-iteration on_appended does not).
Result kernel_shaped(const std::string& dir, int senders, size_t body, double seconds,
                     const std::string& segment_size, const std::string& write_mode,
                     const std::string& group_wait_us, bool publish_each = false, bool direct = false,
                     bool end_turn = false, bool batched = false, const std::string& timeline = "",
                     uint64_t warmup_bytes = 0, const std::string& prefill = "") {
  Result r{"mmaplog + flush sync, " + std::to_string(senders) + " senders on one loop (kernel-shaped)" +
           (group_wait_us == "0" ? "" : ", group_wait_us " + group_wait_us) +
           (direct ? ", on_appended called by the loop itself" : "") +
           (end_turn ? ", storage end_turn before on_appended (one write per pass)" : "") +
           (batched ? ", one storage append call per pass" : "") +
           (publish_each ? ", WRITE published after every append (session 2 loop)" : "")};
  std::string data = dir + "/data-loop";
  std::filesystem::create_directories(data);
  {
    FakeHost::Options o;
    o.data_dir = data;
    FakeHost host(o);
    PluginHandle storage(host, "storage", "mmaplog");
    std::map<std::string, std::string> keys{{"segment_size", segment_size}, {"write_mode", write_mode}};
    if (!prefill.empty()) keys["segment_prefill"] = prefill;  // a build without the key refuses it
    storage.create_and_start("store", keys);
    const auto* sops = storage.ops<ferry_storage_ops>();
    host.publish_write(sops->write_offset(storage.instance()));
    PluginHandle flush(host, "flush", "sync");
    flush.create_and_start("flush", {{"group_wait_us", group_wait_us}});
    const auto* fops = flush.ops<ferry_flush_ops>();
    AppendPath path(host, sops, storage.instance());
    double syncs0 = host.metric_value("ferry_flush_syncs_total").value_or(0);

    struct InFlight {
      uint64_t end;
      Clock::time_point t0;
    };
    std::deque<InFlight> fifo;  // ends ascend: one writer appends in order
    // Each sender re-sends its own message: built once, as the kernel gets
    // a send already parsed (building a body per send is not the broker's
    // cost and would sit inside the loop's pass here).
    std::deque<TestMessage> msgs;  // never relocated: a TestMessage points into itself
    for (int i = 0; i < senders; ++i) msgs.emplace_back(static_cast<uint64_t>(i), body);
    size_t next_msg = 0;
    uint64_t last_end = 0;
    auto send_one = [&] {
      const TestMessage& m = msgs[next_msg++ % msgs.size()];
      auto t0 = Clock::now();
      Sent s = path.append(m.view(), publish_each);
      if (s.status != FERRY_OK) throw std::runtime_error("append: " + s.error);
      fifo.push_back({s.end, t0});
      last_end = s.end;
    };
    // batched: the pass's sends go to the storage in one append call, as
    // ferryd's core appends a loop turn's sends (Core::flush_turn_sends).
    // Every send of the pass is timed from before that call, so each ack
    // latency includes the whole pass's append.
    std::vector<const ferry_message*> batch_ptrs;
    std::vector<ferry_append_result> batch_res;
    auto send_many = [&](int n) {
      if (!batched) {
        for (int i = 0; i < n; ++i) send_one();
        return;
      }
      batch_ptrs.clear();
      for (int i = 0; i < n; ++i) batch_ptrs.push_back(&msgs[next_msg++ % msgs.size()].view());
      batch_res.assign(batch_ptrs.size(), ferry_append_result{});
      for (auto& br : batch_res) br.struct_size = sizeof(br);
      auto t0 = Clock::now();
      size_t appended = 0;
      uint64_t write = 0;
      ferry_error err;
      ferry_status st = sops->append(storage.instance(), batch_ptrs.data(), batch_ptrs.size(), batch_res.data(),
                                     &appended, &write, &err);
      if (st != FERRY_OK || appended != batch_ptrs.size()) throw std::runtime_error("batched append failed");
      for (const auto& br : batch_res) fifo.push_back({br.commit_offset + br.size, t0});
      last_end = fifo.back().end;
    };
    // Timeline of each pass (steady_clock = CLOCK_MONOTONIC, so it lines up
    // with `perf record -k mono`): when the loop woke, when its pass ended
    // (WRITE published, on_appended called), and the slowest ack it saw.
    struct Cycle {
      Clock::time_point wake, appended, turned, pass_end;
      double max_ack_us;
      int acks;
    };
    std::vector<Cycle> cycles;
    cycles.reserve(1 << 16);
    // end_turn: the pass ends as the kernel's loop turn does (core_glue.cc):
    // the storage writes what it staged and WRITE comes from it. Called once
    // first, as the kernel's first turn does, so staging is on from the start.
    auto turn_end = [&] { return end_turn ? path.end_turn(false) : last_end; };
    if (end_turn) turn_end();
    if (warmup_bytes > 0) {
      // Untimed: the same loop until the log passes warmup_bytes (with a
      // segment of that size: the timed part runs past the first roll, in
      // segments the storage's pre-fault thread had a segment's time to
      // prepare, as in a broker that has been running), then every ack.
      send_many(senders);
      host.publish_write(turn_end());
      while (last_end < warmup_bytes) {
        if (!host.wait_watermark(FERRY_WATERMARK_DURABLE, fifo.front().end, std::chrono::seconds(10)))
          throw std::runtime_error("no DURABLE advance in 10 s (warm-up)");
        uint64_t durable = host.watermark(FERRY_WATERMARK_DURABLE);
        int acked = 0;
        for (; !fifo.empty() && fifo.front().end <= durable; ++acked) fifo.pop_front();
        send_many(acked);
        if (acked > 0) host.publish_write(turn_end());
      }
      host.wait_watermark(FERRY_WATERMARK_DURABLE, fifo.back().end, std::chrono::seconds(10));
      fifo.clear();
    }
    auto start = Clock::now();
    auto end = start + std::chrono::duration<double>(seconds);
    send_many(senders);
    host.publish_write(turn_end());
    // Where the loop's time goes: blocked until DURABLE covers the oldest
    // send, vs acking and appending the next sends.
    double wait_us = 0, append_us = 0;
    uint64_t wakes = 0;
    while (Clock::now() < end) {
      auto w0 = Clock::now();
      if (!host.wait_watermark(FERRY_WATERMARK_DURABLE, fifo.front().end, std::chrono::seconds(10))) {
        throw std::runtime_error("no DURABLE advance in 10 s");
      }
      const auto woke = Clock::now();
      wait_us += std::chrono::duration<double, std::micro>(woke - w0).count();
      ++wakes;
      uint64_t durable = host.watermark(FERRY_WATERMARK_DURABLE);
      int acked = 0;
      double max_ack = 0;
      while (!fifo.empty() && fifo.front().end <= durable) {
        r.lat_us.push_back(us_since(fifo.front().t0));
        max_ack = std::max(max_ack, r.lat_us.back());
        fifo.pop_front();
        ++acked;
      }
      r.messages += static_cast<uint64_t>(acked);
      auto a0 = Clock::now();
      send_many(acked);  // each acked sender sends its next
      const auto appended = Clock::now();
      auto turned = appended;
      if (acked > 0) {
        const uint64_t written = turn_end();
        turned = Clock::now();
        host.publish_write(written);  // one on_appended per pass, as the kernel's loop
        // The fake host posts that on_appended to its own loop thread: one
        // thread hop more than the kernel, which calls it on the loop that
        // appended, at the end of the turn (core_glue.cc). direct: this loop
        // calls it itself (the posted one then finds nothing new).
        if (direct) fops->on_appended(flush.instance(), written);
      }
      append_us += us_since(a0);
      cycles.push_back({woke, appended, turned, Clock::now(), max_ack, acked});
    }
    r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    char note[256];
    std::snprintf(note, sizeof(note),
                  "loop: %.0f%% of the time waiting for DURABLE, %.0f%% re-sending (%.1f us per append), "
                  "%.1f acks per wake-up",
                  100.0 * wait_us / (r.seconds * 1e6), 100.0 * append_us / (r.seconds * 1e6),
                  r.messages ? append_us / static_cast<double>(r.messages) : 0.0,
                  wakes ? static_cast<double>(r.messages) / static_cast<double>(wakes) : 0.0);
    r.note = note + slow_ack_note(cycles, r.pct(0.99));
    if (!timeline.empty()) write_timeline(timeline, cycles);
    r.syncs = host.metric_value("ferry_flush_syncs_total").value_or(0) - syncs0;
    while (!fifo.empty()) {  // let the last ones complete before teardown
      host.wait_watermark(FERRY_WATERMARK_DURABLE, fifo.back().end, std::chrono::seconds(10));
      fifo.clear();
    }
  }
  std::filesystem::remove_all(data);
  return r;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n == 0 ? 0 : n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// loops: which loop variants run, a subset of "0123" (0 posted, 1 called,
// 2 called+end_turn, 3 batched+end_turn); timeline: file prefix for the
// per-pass timelines (one CSV per round and loop).
// slices > 1: each phase of a round runs as `slices` pieces of
// seconds/slices, the phases alternating piece by piece (baseline, raw
// group, loops, baseline, ...), and each phase's pieces are summed: this
// disk switches between fdatasync states (p50 ~260-340 vs ~480-540 us)
// within seconds, and a baseline taken in one state against a loop run in
// the other says more about the disk than about the loop.
int run_interleaved(const std::string& dir, int rounds, int senders, size_t body, double seconds,
                    const std::string& segment_size, const std::string& write_mode, const std::string& loops,
                    const std::string& timeline, int slices, uint64_t warmup_bytes, const std::string& prefill) {
  std::printf("body %zu B, %.1f s per phase, %d rounds of [baseline, raw group of %d, %d senders on one loop "
              "(on_appended posted by the fake host | called by the loop | called, after storage end_turn | "
              "one storage append per pass, end_turn, called), baseline again], write_mode %s, each phase in %d "
              "alternating piece(s)\n\n",
              body, seconds, rounds, senders, senders, write_mode.c_str(), std::max(slices, 1));
  std::printf("segment_size %s, warm-up %llu bytes before each loop piece, segment_prefill %s\n\n",
              segment_size.c_str(), static_cast<unsigned long long>(warmup_bytes),
              prefill.empty() ? "(the plugin's default)" : prefill.c_str());
  std::printf("| round | baseline msgs/s | baseline p50/p99 us | raw group x (its p50 us) | loop | msgs/s | msgs per sync "
              "| ack p50/p99 us | throughput x | ack p99 / base p50 | ack p99 / base p99 |\n");
  std::printf("|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|\n");
  struct Series {
    std::vector<double> x, vs_p50, vs_p99, p50, p99;
  } series[4];
  const char* kLoop[] = {"posted", "called", "called+end_turn", "batched+end_turn"};
  std::vector<int> run;
  for (char c : loops)
    if (c >= '0' && c <= '3') run.push_back(c - '0');
  std::vector<double> raw_x, b50, b99, after_x;
  slices = std::max(slices, 1);
  const double piece = seconds / slices;
  for (int i = 0; i < rounds; ++i) {
    Result base, raw, loop_r[4];
    for (int k = 0; k < slices; ++k) {
      merge_into(base, raw_fdatasync(dir, body, piece));
      merge_into(raw, raw_fdatasync(dir, body, piece, senders));
      for (int d : run) {
        std::string tl = timeline.empty() || slices > 1
                             ? ""
                             : timeline + "-r" + std::to_string(i + 1) + "-" + kLoop[d] + ".csv";
        merge_into(loop_r[d], kernel_shaped(dir, senders, body, piece, segment_size, write_mode, "0", false, d >= 1,
                                            d >= 2, d == 3, tl, warmup_bytes, prefill));
      }
    }
    raw_x.push_back(raw.rate() / base.rate());
    b50.push_back(base.pct(0.50));
    b99.push_back(base.pct(0.99));
    bool first = true;
    std::vector<double> round_rates;
    for (int d : run) {
      Result& g = loop_r[d];
      Series& s = series[d];
      round_rates.push_back(g.rate());
      s.x.push_back(g.rate() / base.rate());
      s.p50.push_back(g.pct(0.50));
      s.p99.push_back(g.pct(0.99));
      s.vs_p50.push_back(s.p99.back() / b50.back());
      s.vs_p99.push_back(s.p99.back() / b99.back());
      if (first) {
        std::printf("| %d | %.0f | %.0f / %.0f | %.1fx (%.0f) ", i + 1, base.rate(), b50.back(), b99.back(),
                    raw_x.back(), raw.pct(0.50));
        first = false;
      } else {
        std::printf("| | | | ");
      }
      std::printf("| %s | %.0f | %.1f | %.0f / %.0f | %.1fx | %.2fx | %.2fx |\n", kLoop[d], g.rate(),
                  g.syncs > 0 ? static_cast<double>(g.messages) / g.syncs : 0.0, s.p50.back(), s.p99.back(),
                  s.x.back(), s.vs_p50.back(), s.vs_p99.back());
      std::fprintf(stderr, "round %d %s: %s\n", i + 1, kLoop[d], g.note.c_str());
    }
    // The baseline again after the loops: how far the disk drifted within
    // the round (the ratios above use the one before, or with --slices the
    // pieces taken between the loops' pieces).
    Result again = raw_fdatasync(dir, body, seconds);
    after_x.push_back(again.rate() / base.rate());
    // Against the mean of the two baselines, for a round where the disk moved.
    std::string vs_mean;
    for (double rate : round_rates) {
      char b[32];
      std::snprintf(b, sizeof(b), "%s%.1fx", vs_mean.empty() ? "" : " / ", rate / ((base.rate() + again.rate()) / 2));
      vs_mean += b;
    }
    std::printf("| | baseline again: %.0f | %.0f / %.0f | (%.2fx the first) | vs the mean of both | | | | %s | | |\n",
                again.rate(), again.pct(0.50), again.pct(0.99), after_x.back(), vs_mean.c_str());
    std::fflush(stdout);
  }
  for (int d : run) {
    Series& s = series[d];
    std::printf("| median | | %.0f / %.0f | %.1fx | %s | | | %.0f / %.0f | %.1fx | %.2fx | %.2fx |\n", median(b50),
                median(b99), median(raw_x), kLoop[d], median(s.p50), median(s.p99), median(s.x),
                median(s.vs_p50), median(s.vs_p99));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir;
  int appenders = 64;
  double seconds = 5;
  size_t body = 1024;
  std::string segment_size = "256MiB";
  std::string write_mode = "mmap";
  std::string group_wait_us = "0";
  bool thread_phase = false;
  int interleave = 0;
  std::string loops = "0123", timeline;
  int slices = 1;
  uint64_t warmup_bytes = 0;
  std::string prefill;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--dir") dir = v;
    else if (k == "--appenders") appenders = std::atoi(v.c_str());
    else if (k == "--seconds") seconds = std::atof(v.c_str());
    else if (k == "--body") body = static_cast<size_t>(std::atol(v.c_str()));
    else if (k == "--segment-size") segment_size = v;
    else if (k == "--write-mode") write_mode = v;
    else if (k == "--group-wait-us") group_wait_us = v;
    else if (k == "--thread-phase") thread_phase = v == "1";
    else if (k == "--interleave") interleave = std::atoi(v.c_str());
    else if (k == "--loops") loops = v;
    else if (k == "--timeline") timeline = v;
    else if (k == "--slices") slices = std::atoi(v.c_str());
    else if (k == "--warmup-mib") warmup_bytes = static_cast<uint64_t>(std::atoll(v.c_str())) << 20;
    else if (k == "--prefill") prefill = v;
    else {
      std::fprintf(stderr,
                   "usage: %s [--dir D] [--appenders N] [--seconds S] [--body B] [--segment-size 256MiB] "
                   "[--write-mode mmap|pwrite] [--group-wait-us N] [--thread-phase 0|1] [--interleave R] [--loops 0123] "
                   "[--timeline PREFIX] [--slices K] [--warmup-mib M] [--prefill true|false]\n",
                   argv[0]);
      return 2;
    }
  }
  try {
    std::unique_ptr<TempDir> tmp;
    if (dir.empty()) {
      tmp = std::make_unique<TempDir>("ferry-flush-bench");
      dir = tmp->str();
    }
    if (interleave > 0) return run_interleaved(dir, interleave, appenders, body, seconds, segment_size, write_mode, loops,
                                             timeline, slices, warmup_bytes, prefill);
    std::vector<Result> rs;
    // [0] the baseline: one fdatasync per message, appending to a new file.
    rs.push_back(raw_fdatasync(dir, body, seconds));
    // [1] the same into a sparse file, as a segment is (fairness check).
    rs.push_back(raw_fdatasync(dir, body, seconds, 1, 256ull << 20));
    rs.push_back(
        through_plugins(dir, "mmaplog + flush sync, 1 appender", 1, body, seconds, segment_size, write_mode, "0"));
    size_t first_group = rs.size();
    rs.push_back(raw_fdatasync(dir, body, seconds, appenders / 2));
    rs.push_back(raw_fdatasync(dir, body, seconds, appenders));
    size_t first_plugin = rs.size();
    rs.push_back(kernel_shaped(dir, appenders, body, seconds, segment_size, write_mode, "0", true));
    rs.push_back(kernel_shaped(dir, appenders, body, seconds, segment_size, write_mode, "0"));
    rs.push_back(kernel_shaped(dir, appenders, body, seconds, segment_size, write_mode, "0", false, true, true));
    if (group_wait_us != "0") {
      rs.push_back(kernel_shaped(dir, appenders, body, seconds, segment_size, write_mode, group_wait_us));
    }
    if (thread_phase) {
      rs.push_back(through_plugins(dir, "mmaplog + flush sync, " + std::to_string(appenders) + " sender threads",
                                   appenders, body, seconds, segment_size, write_mode, group_wait_us));
    }
    std::printf("body %zu B, %.1f s per phase, mmaplog write_mode %s, dir %s\n\n", body, seconds,
                write_mode.c_str(), dir.c_str());
    std::printf("| phase | msgs/s | syncs/s | msgs per sync | ack p50 us | ack p99 us | ack p99.9 us |\n");
    std::printf("|---|---:|---:|---:|---:|---:|---:|\n");
    for (auto& r : rs) {
      std::printf("| %s | %.0f | %.0f | %.1f | %.0f | %.0f | %.0f |\n", r.name.c_str(), r.rate(),
                  r.syncs / r.seconds, r.syncs > 0 ? static_cast<double>(r.messages) / r.syncs : 0.0, r.pct(0.50),
                  r.pct(0.99), r.pct(0.999));
    }
    Result& raw = rs[0];
    double fsync_p50 = raw.pct(0.50), fsync_p99 = raw.pct(0.99);
    std::printf("\nbaseline fairness: raw per message into a sparse file / appending: %.2fx throughput\n",
                rs[1].rate() / raw.rate());
    for (size_t i = first_group; i < first_plugin; ++i) {
      std::printf("%s vs raw per message: %.1fx\n", rs[i].name.c_str(), rs[i].rate() / raw.rate());
    }
    for (size_t i = first_plugin; i < rs.size(); ++i) {
      std::printf("\n%s:\n  throughput vs one fdatasync per message: %.1fx (vs the sparse-file baseline %.1fx, "
                  "vs plugin with 1 appender %.1fx)\n",
                  rs[i].name.c_str(), rs[i].rate() / raw.rate(), rs[i].rate() / rs[1].rate(),
                  rs[i].rate() / rs[2].rate());
      std::printf("  ack p99 / one fdatasync: %.2fx its p50, %.2fx its p99; ack p50 / its p50: %.2fx\n",
                  rs[i].pct(0.99) / fsync_p50, rs[i].pct(0.99) / fsync_p99, rs[i].pct(0.50) / fsync_p50);
      if (!rs[i].note.empty()) std::printf("  %s\n", rs[i].note.c_str());
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ferry_flush_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
