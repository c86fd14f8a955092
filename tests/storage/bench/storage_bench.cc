// storage_bench: mmaplog append throughput (mmap / pwrite, single / batch of
// 32, no fsync in the loop) beside a plain write() loop of the same bytes;
// recovery of a crashed log vs reading it sequentially; dispatch latency
// under load; anonymous RSS as data grows. Not a test: numbers for
// docs/benchmarks.md. Usage: storage_bench <dir on the disk to measure> [MiB]
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ferry_common/properties.h"
#include "store.h"

namespace ml = ferry::mmaplog;
using Clock = std::chrono::steady_clock;

namespace {

double secs(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}
int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}
long rss_anon_kib() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("RssAnon:", 0) == 0) return std::stol(line.substr(8));
  return -1;
}

struct Msgs {
  std::string topic = "bench";
  std::string body = std::string(1024, 'x');
  std::string props;
  std::string host{"\x7f\0\0\x01", 4};
  std::vector<ferry_message> msgs;
  std::vector<const ferry_message*> ptrs;
  explicit Msgs(size_t n) {
    ferry::common::PropertiesBuilder pb;
    pb.add("TAGS", "TagA");
    props = pb.str();
    msgs.resize(n);
    for (size_t i = 0; i < n; ++i) {
      ferry_message& m = msgs[i];
      m = FERRY_STRUCT_INIT(ferry_message);
      m.topic = {topic.data(), topic.size()};
      m.queue_id = static_cast<int32_t>(i % 8);
      m.body = {body.data(), body.size()};
      m.properties = {props.data(), props.size()};
      m.born_host = {host.data(), host.size()};
      m.born_timestamp_ms = 1;
    }
    for (auto& m : msgs) ptrs.push_back(&m);
  }
};

ml::Options options(const std::string& dir, ml::WriteMode mode) {
  ml::Options o;
  o.dir = dir;
  o.segment_size = 256ull << 20;
  o.write_mode = mode;
  o.housekeeping_interval_ms = 1000;
  o.store_host.assign("\x7f\0\0\x01", 4);
  // Experiments on the mmap path's pre-fault window without a rebuild.
  if (const char* w = std::getenv("STORAGE_BENCH_PREFAULT_KIB")) o.prefault_window = std::stoull(w) << 10;
  if (const char* m = std::getenv("STORAGE_BENCH_SEGMENT_MIB")) o.segment_size = std::stoull(m) << 20;
  if (const char* p = std::getenv("STORAGE_BENCH_PREFILL")) o.segment_prefill = std::string(p) != "0";
  return o;
}

std::unique_ptr<ml::Store> open_store(const ml::Options& o, ml::Env env = {}) {
  if (!env.now_ms) env.now_ms = now_ms;
  std::unique_ptr<ml::Store> s;
  std::string err;
  if (ml::Store::open(o, std::make_shared<ml::PosixIo>(), env, &s, &err) != FERRY_OK) {
    std::fprintf(stderr, "open: %s\n", err.c_str());
    std::exit(1);
  }
  s->start();
  return s;
}

// Returns bytes/s of records appended.
double bench_append(const std::string& dir, ml::WriteMode mode, size_t batch, uint64_t total) {
  std::filesystem::remove_all(dir);
  auto s = open_store(options(dir, mode));
  Msgs m(batch);
  std::vector<ferry_append_result> res(batch);
  size_t appended = 0;
  uint64_t wo = 0;
  std::string err;
  auto t0 = Clock::now();
  while (s->write_offset() < total) {
    if (s->append(m.ptrs.data(), batch, res.data(), &appended, &wo, &err) != FERRY_OK) {
      std::fprintf(stderr, "append: %s\n", err.c_str());
      std::exit(1);
    }
  }
  double t = secs(t0, Clock::now());
  double rate = static_cast<double>(s->write_offset()) / t;
  s.reset();
  std::filesystem::remove_all(dir);
  return rate;
}

// The same record bytes with write(2): `chunk` bytes per call.
double bench_plain_write(const std::string& dir, size_t record, size_t chunk, uint64_t total) {
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::string path = dir + "/plain";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::string buf(chunk, 'x');
  (void)record;
  auto t0 = Clock::now();
  uint64_t done = 0;
  while (done < total) {
    ssize_t n = ::write(fd, buf.data(), buf.size());
    if (n <= 0) std::exit(1);
    done += static_cast<uint64_t>(n);
  }
  double t = secs(t0, Clock::now());
  ::close(fd);
  std::filesystem::remove_all(dir);
  return static_cast<double>(done) / t;
}

// `mode`: the write path the log was written with. On the pwrite path
// segment_prefill leaves the segments past the head written with zeros
// (STORAGE_BENCH_PREFILL=0 turns it off), which a recovery after a crash
// reads while it looks for records past the torn point.
void bench_recovery(const std::string& dir, uint64_t total, ml::WriteMode mode = ml::WriteMode::Mmap) {
  std::filesystem::remove_all(dir);
  {
    auto s = open_store(options(dir, mode));
    Msgs m(32);
    std::vector<ferry_append_result> res(32);
    size_t appended;
    uint64_t wo;
    std::string err;
    while (s->write_offset() < total) s->append(m.ptrs.data(), 32, res.data(), &appended, &wo, &err);
    uint64_t synced;
    s->sync(UINT64_MAX, &synced, &err);
    // The worst case for the pre-fill: the crash finds it done, so the
    // scan past the torn point reads whole segments of zeros.
    if (const char* w = std::getenv("STORAGE_BENCH_SETTLE_MS"))
      std::this_thread::sleep_for(std::chrono::milliseconds(std::stoull(w)));
    s->abandon();  // crash: no clean marker
  }
  std::filesystem::remove(dir + "/checkpoint");  // no checkpoint: verify every record
  // Both measured cold: the log was synced, so its pages are clean and
  // POSIX_FADV_DONTNEED drops them from the page cache.
  auto drop_cache = [&] {
    for (auto& e : std::filesystem::directory_iterator(dir + "/commitlog")) {
      int fd = ::open(e.path().c_str(), O_RDONLY);
      ::fdatasync(fd);
      ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
      ::close(fd);
    }
  };
  drop_cache();
  auto t0 = Clock::now();
  uint64_t read_bytes = 0;
  std::vector<char> buf(1 << 20);
  std::vector<std::filesystem::path> segs;
  for (auto& e : std::filesystem::directory_iterator(dir + "/commitlog")) segs.push_back(e.path());
  std::sort(segs.begin(), segs.end());
  // Exactly the log's bytes (not the segments' unwritten sparse tails).
  for (auto& p : segs) {
    int fd = ::open(p.c_str(), O_RDONLY);
    ssize_t n;
    while (read_bytes < total && (n = ::read(fd, buf.data(), std::min<uint64_t>(buf.size(), total - read_bytes))) > 0)
      read_bytes += static_cast<uint64_t>(n);
    ::close(fd);
  }
  double t_read = secs(t0, Clock::now());
  drop_cache();
  ml::Options o = options(dir, mode);
  auto t1 = Clock::now();
  std::unique_ptr<ml::Store> s;
  std::string err;
  ml::Env env;
  env.now_ms = now_ms;
  if (ml::Store::open(o, std::make_shared<ml::PosixIo>(), env, &s, &err) != FERRY_OK) {
    std::fprintf(stderr, "recover: %s\n", err.c_str());
    std::exit(1);
  }
  double t_rec = secs(t1, Clock::now());
  std::printf("| recovery, cold cache (verify every record, %llu MiB of log) | %.2f s | %.0f MiB/s |\n",
              static_cast<unsigned long long>(s->write_offset() >> 20), t_rec,
              static_cast<double>(s->write_offset()) / t_rec / 1048576);
  std::printf("| sequential read(), cold cache, of the same %llu MiB of segment files | %.2f s | %.0f MiB/s |\n",
              static_cast<unsigned long long>(read_bytes >> 20), t_read,
              static_cast<double>(read_bytes) / t_read / 1048576);
  std::printf("\nrecovery / read = %.2fx\n\n", t_rec / t_read);
  s.reset();
  std::filesystem::remove_all(dir);
}

struct Lat {
  std::mutex mu;
  std::vector<std::pair<uint64_t, Clock::time_point>> appended;  // end offset, time
  std::vector<double> lat_us;
  size_t next = 0;
  static void on(void* ud, const ferry_dispatch_entry*, size_t, uint64_t off) {
    auto* l = static_cast<Lat*>(ud);
    auto t = Clock::now();
    std::lock_guard lk(l->mu);
    while (l->next < l->appended.size() && l->appended[l->next].first <= off) {
      l->lat_us.push_back(std::chrono::duration<double, std::micro>(t - l->appended[l->next].second).count());
      ++l->next;
    }
  }
};

void bench_dispatch(const std::string& dir, uint64_t total) {
  std::filesystem::remove_all(dir);
  Lat lat;
  lat.appended.reserve(total / (32 * 1000) + 16);
  std::unique_ptr<ml::Store> s;
  std::string err;
  ml::Env env;
  env.now_ms = now_ms;
  ml::Options o = options(dir, ml::WriteMode::Mmap);
  if (ml::Store::open(o, std::make_shared<ml::PosixIo>(), env, &s, &err) != FERRY_OK) std::exit(1);
  s->set_dispatch_listener(&Lat::on, &lat);
  s->start();
  Msgs m(32);
  std::vector<ferry_append_result> res(32);
  size_t appended;
  uint64_t wo;
  while (s->write_offset() < total) {
    s->append(m.ptrs.data(), 32, res.data(), &appended, &wo, &err);
    {
      std::lock_guard lk(lat.mu);
      lat.appended.emplace_back(wo, Clock::now());
    }
    s->on_visible();  // what the kernel's optional on_visible does
  }
  while (s->dispatched_offset() < s->write_offset()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  std::vector<double> v;
  {
    std::lock_guard lk(lat.mu);
    v = lat.lat_us;
  }
  std::sort(v.begin(), v.end());
  auto pct = [&](double p) { return v.empty() ? 0 : v[static_cast<size_t>(p * (v.size() - 1))]; };
  std::printf("| dispatch latency, append -> in consume queue, batches of 32 at full speed (%zu batches) | p50 %.0f us | p99 %.0f us | max %.0f us |\n",
              v.size(), pct(0.5), pct(0.99), v.empty() ? 0 : v.back());
  s.reset();
  std::filesystem::remove_all(dir);
}

void bench_rss(const std::string& dir, uint64_t total) {
  std::filesystem::remove_all(dir);
  auto s = open_store(options(dir, ml::WriteMode::Mmap));
  Msgs m(32);
  std::vector<ferry_append_result> res(32);
  size_t appended;
  uint64_t wo;
  std::string err;
  std::printf("| stored MiB | RssAnon KiB |\n|---|---|\n");
  std::printf("| 0 | %ld |\n", rss_anon_kib());
  uint64_t step = total / 8, mark = step;
  while (s->write_offset() < total) {
    s->append(m.ptrs.data(), 32, res.data(), &appended, &wo, &err);
    if (s->write_offset() >= mark) {
      while (s->dispatched_offset() < s->write_offset()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      std::printf("| %llu | %ld |\n", static_cast<unsigned long long>(s->write_offset() >> 20), rss_anon_kib());
      mark += step;
    }
  }
  s.reset();
  std::filesystem::remove_all(dir);
}

// "append [runs]": the append table alone, every case run `runs` times
// (interleaved, so drift hits all cases alike) and reported as medians.
// "<case>": one case alone, for a profiler (perf record -g).
void append_table(const std::string& dir, uint64_t total, int runs) {
  const double rec = 1024 + 112 + 12;
  struct Case {
    const char* name;
    std::function<double()> run;
    std::vector<double> rates;
  };
  std::vector<Case> cases = {
      {"plain write(), one call per record", [&] { return bench_plain_write(dir, 1148, 1148, total); }, {}},
      {"plain write(), one call per 32 records", [&] { return bench_plain_write(dir, 1148, 1148 * 32, total); }, {}},
      {"mmaplog mmap, single appends", [&] { return bench_append(dir, ml::WriteMode::Mmap, 1, total); }, {}},
      {"mmaplog mmap, batches of 32", [&] { return bench_append(dir, ml::WriteMode::Mmap, 32, total); }, {}},
      {"mmaplog pwrite, single appends", [&] { return bench_append(dir, ml::WriteMode::Pwrite, 1, total); }, {}},
      {"mmaplog pwrite, batches of 32", [&] { return bench_append(dir, ml::WriteMode::Pwrite, 32, total); }, {}},
  };
  for (int r = 0; r < runs; ++r)
    for (auto& c : cases) c.rates.push_back(c.run());
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
  };
  double plain = median(cases[0].rates);
  std::printf("## append, 1 KiB bodies (%.0f-byte records), %llu MiB per run, no fsync, median of %d\n\n",
              rec, static_cast<unsigned long long>(total >> 20), runs);
  std::printf("| case | MiB/s | records/s | vs plain write() per record | runs (MiB/s) |\n|---|---|---|---|---|\n");
  for (auto& c : cases) {
    double m = median(c.rates);
    std::string all;
    for (double x : c.rates) all += (all.empty() ? "" : " ") + std::to_string(static_cast<int>(x / 1048576));
    std::printf("| %s | %.0f | %.0f | %.0f %% | %s |\n", c.name, m / 1048576, m / rec, 100 * m / plain,
                all.c_str());
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: %s <scratch dir> [MiB per append run, default 512] "
                 "[recovery | recovery-pwrite | append [runs] | mmap1 | mmap32 | pwrite1 | pwrite32]\n",
                 argv[0]);
    return 2;
  }
  std::string dir = argv[1];
  uint64_t mib = argc > 2 ? std::stoull(argv[2]) : 512;
  uint64_t total = mib << 20;
  std::string only = argc > 3 ? argv[3] : "";
  if (only == "recovery" || only == "recovery-pwrite") {
    std::printf("| what | time | rate |\n|---|---|---|\n");
    // STORAGE_BENCH_RECOVERY_MIB: a log shorter than a segment ends early
    // in it (with the pre-fill, the rest of the segment is zeros).
    const char* rm = std::getenv("STORAGE_BENCH_RECOVERY_MIB");
    bench_recovery(dir, rm ? std::stoull(rm) << 20 : 1ull << 30,
                   only == "recovery" ? ml::WriteMode::Mmap : ml::WriteMode::Pwrite);
    return 0;
  }
  if (only == "append") {
    append_table(dir, total, argc > 4 ? std::stoi(argv[4]) : 3);
    return 0;
  }
  struct One {
    const char* name;
    ml::WriteMode mode;
    size_t batch;
  };
  for (One o : {One{"mmap1", ml::WriteMode::Mmap, 1}, One{"mmap32", ml::WriteMode::Mmap, 32},
                One{"pwrite1", ml::WriteMode::Pwrite, 1}, One{"pwrite32", ml::WriteMode::Pwrite, 32}}) {
    if (only == o.name) {
      // CPU of every thread (writer, dispatcher, allocator) per record,
      // beside the rate: what the dispatcher costs shows here, not in MiB/s.
      auto cpu_s = [] {
        rusage ru{};
        getrusage(RUSAGE_SELF, &ru);
        return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
      };
      const double c0 = cpu_s();
      const double rate = bench_append(dir, o.mode, o.batch, total);
      const double records = static_cast<double>(total) / (1024 + 112 + 12);
      std::printf("%s: %.0f MiB/s, %.2f us/record, CPU %.2f us/record (all threads)\n", o.name,
                  rate / 1048576, 1e6 * static_cast<double>(total) / rate / records,
                  1e6 * (cpu_s() - c0) / records);
      return 0;
    }
  }
  if (!only.empty()) {
    std::fprintf(stderr, "unknown section %s\n", only.c_str());
    return 2;
  }
  append_table(dir, total, 1);
  std::printf("\n## recovery after a crash\n\n| what | time | rate |\n|---|---|---|\n");
  bench_recovery(dir, 1ull << 30);
  std::printf("## dispatch latency under full append load\n\n");
  bench_dispatch(dir, total);
  std::printf("\n## anonymous RSS as the log grows\n\n");
  bench_rss(dir, 1ull << 30);
  return 0;
}
