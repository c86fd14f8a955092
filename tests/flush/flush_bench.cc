// ferry_flush_bench: group commit measured against one fdatasync per
// message, side by side in one run (docs/benchmarks.md, "Flush and
// durability"). Not a test.
//
//   1. raw:      pwrite 1 KiB + fdatasync per message, one thread
//   2. per-msg:  mmaplog + flush sync, one appender (each ack = one sync)
//   3. group, kernel-shaped: N senders (default 64) each with one message in
//      flight, served by one thread as the kernel's loop serves connections:
//      it appends, publishes WRITE, and on each DURABLE advance acks every
//      covered send and appends that sender's next message.
//   4. group, thread per sender: N OS threads each send-and-wait through the
//      fake host (every DURABLE advance wakes all N: the fake host's ack
//      wait, not the plugin, bounds this one on 2 cores).
// For each: messages/s, append-to-ack latency p50/p99/p99.9, syncs.
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
  double rate() const { return static_cast<double>(messages) / seconds; }
  double pct(double p) {
    if (lat_us.empty()) return 0;
    std::sort(lat_us.begin(), lat_us.end());
    size_t i = std::min(lat_us.size() - 1, static_cast<size_t>(p * static_cast<double>(lat_us.size())));
    return lat_us[i];
  }
};

double us_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
}

// batch = 1: one fdatasync per message. batch = N: N messages per pwrite and
// one fdatasync — a group commit with no broker around it, the disk's
// ceiling for any group commit of N.
Result raw_fdatasync(const std::string& dir, size_t body, double seconds, int batch = 1) {
  Result r{batch == 1 ? std::string("raw pwrite+fdatasync per message (1 thread)")
                      : "raw pwrite of " + std::to_string(batch) + " messages + one fdatasync (ideal group)"};
  body *= static_cast<size_t>(batch);
  std::string path = dir + "/raw.log";
  int fd = ::open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY, 0644);
  if (fd < 0) throw std::runtime_error("open " + path);
  std::vector<char> buf(body, 'x');
  off_t off = 0;
  auto start = Clock::now();
  auto end = start + std::chrono::duration<double>(seconds);
  while (Clock::now() < end) {
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

// One thread plays the kernel's loop for `senders` closed-loop senders.
Result kernel_shaped(const std::string& dir, int senders, size_t body, double seconds,
                     const std::string& segment_size, const std::string& write_mode,
                     const std::string& group_wait_us) {
  Result r{"mmaplog + flush sync, " + std::to_string(senders) + " senders on one loop (kernel-shaped)" +
           (group_wait_us == "0" ? "" : ", group_wait_us " + group_wait_us)};
  std::string data = dir + "/data-loop";
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

    struct InFlight {
      uint64_t end;
      Clock::time_point t0;
    };
    std::deque<InFlight> fifo;  // ends ascend: one writer appends in order
    uint64_t seq = 0;
    auto send_one = [&] {
      TestMessage m(seq++, body);
      auto t0 = Clock::now();
      Sent s = path.append(m.view());
      if (s.status != FERRY_OK) throw std::runtime_error("append: " + s.error);
      fifo.push_back({s.end, t0});
    };
    auto start = Clock::now();
    auto end = start + std::chrono::duration<double>(seconds);
    for (int i = 0; i < senders; ++i) send_one();
    while (Clock::now() < end) {
      if (!host.wait_watermark(FERRY_WATERMARK_DURABLE, fifo.front().end, std::chrono::seconds(10))) {
        throw std::runtime_error("no DURABLE advance in 10 s");
      }
      uint64_t durable = host.watermark(FERRY_WATERMARK_DURABLE);
      int acked = 0;
      while (!fifo.empty() && fifo.front().end <= durable) {
        r.lat_us.push_back(us_since(fifo.front().t0));
        fifo.pop_front();
        ++acked;
      }
      r.messages += static_cast<uint64_t>(acked);
      for (int i = 0; i < acked; ++i) send_one();  // each acked sender sends its next
    }
    r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    r.syncs = host.metric_value("ferry_flush_syncs_total").value_or(0) - syncs0;
    while (!fifo.empty()) {  // let the last ones complete before teardown
      host.wait_watermark(FERRY_WATERMARK_DURABLE, fifo.back().end, std::chrono::seconds(10));
      fifo.clear();
    }
  }
  std::filesystem::remove_all(data);
  return r;
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
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--dir") dir = v;
    else if (k == "--appenders") appenders = std::atoi(v.c_str());
    else if (k == "--seconds") seconds = std::atof(v.c_str());
    else if (k == "--body") body = static_cast<size_t>(std::atol(v.c_str()));
    else if (k == "--segment-size") segment_size = v;
    else if (k == "--write-mode") write_mode = v;
    else if (k == "--group-wait-us") group_wait_us = v;
    else {
      std::fprintf(stderr, "usage: %s [--dir D] [--appenders N] [--seconds S] [--body B] [--segment-size 256MiB] [--write-mode mmap|pwrite] [--group-wait-us N]\n",
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
    std::vector<Result> rs;
    rs.push_back(raw_fdatasync(dir, body, seconds));
    rs.push_back(
        through_plugins(dir, "mmaplog + flush sync, 1 appender", 1, body, seconds, segment_size, write_mode, "0"));
    rs.push_back(raw_fdatasync(dir, body, seconds, appenders / 2));
    rs.push_back(kernel_shaped(dir, appenders, body, seconds, segment_size, write_mode, "0"));
    if (group_wait_us != "0") {
      rs.push_back(kernel_shaped(dir, appenders, body, seconds, segment_size, write_mode, group_wait_us));
    }
    rs.push_back(through_plugins(dir, "mmaplog + flush sync, " + std::to_string(appenders) + " sender threads",
                                 appenders, body, seconds, segment_size, write_mode, group_wait_us));
    std::printf("body %zu B, %.1f s per phase, mmaplog write_mode %s, dir %s\n\n", body, seconds,
                write_mode.c_str(), dir.c_str());
    std::printf("| phase | msgs/s | syncs/s | msgs per sync | ack p50 us | ack p99 us | ack p99.9 us |\n");
    std::printf("|---|---:|---:|---:|---:|---:|---:|\n");
    for (auto& r : rs) {
      std::printf("| %s | %.0f | %.0f | %.1f | %.0f | %.0f | %.0f |\n", r.name.c_str(), r.rate(),
                  r.syncs / r.seconds, r.syncs > 0 ? static_cast<double>(r.messages) / r.syncs : 0.0, r.pct(0.50),
                  r.pct(0.99), r.pct(0.999));
    }
    double fsync_p50 = rs[0].pct(0.50);
    std::printf("\nideal group of %d (raw) vs raw per message: %.1fx\n", appenders / 2, rs[2].rate() / rs[0].rate());
    for (size_t i = 3; i < rs.size(); ++i) {
      std::printf("\n%s:\n  throughput vs raw fdatasync per message: %.1fx; vs plugin with 1 appender: %.1fx\n",
                  rs[i].name.c_str(), rs[i].rate() / rs[0].rate(), rs[i].rate() / rs[1].rate());
      std::printf("  ack p99 / one fdatasync (raw p50): %.2fx; throughput vs ideal group: %.0f%%\n",
                  rs[i].pct(0.99) / fsync_p50, 100.0 * rs[i].rate() / rs[2].rate());
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ferry_flush_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
