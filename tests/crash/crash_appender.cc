// ferry_crash_appender: the child of the process-crash test. Loads the
// mmaplog storage and a flush plugin into a fake host over --data, then
// several threads send messages and write one line per acknowledged message
// to --report-fd:
//     A <seq> <commit_offset> <size> <queue_id> <queue_offset>\n
// (each line is one write() below PIPE_BUF, so a SIGKILL never tears one).
// The parent kills it at random; it never exits on its own before
// --max-seconds.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "append_path.h"
#include "crash_config.h"
#include "ferry_test/fake_host.h"

namespace {

using namespace ferry::test;

struct Args {
  std::string data;
  std::string flush = "sync";
  uint64_t first_seq = 0;
  int report_fd = -1;
  int threads = 4;
  int max_seconds = 60;
};

bool parse(int argc, char** argv, Args* a) {
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--data") a->data = v;
    else if (k == "--flush") a->flush = v;
    else if (k == "--first-seq") a->first_seq = std::strtoull(v.c_str(), nullptr, 10);
    else if (k == "--report-fd") a->report_fd = std::atoi(v.c_str());
    else if (k == "--threads") a->threads = std::atoi(v.c_str());
    else if (k == "--max-seconds") a->max_seconds = std::atoi(v.c_str());
    else return false;
  }
  return !a->data.empty() && a->report_fd >= 0 && a->threads > 0;
}

int run(const Args& args) {
  FakeHost::Options o;
  o.data_dir = args.data;
  FakeHost host(o);
  PluginHandle storage(host, "storage", "mmaplog");
  storage.create_and_start("store", crash::storage_config());
  const auto* sops = storage.ops<ferry_storage_ops>();
  // As the kernel does after recovery: WRITE starts where the log ends.
  host.publish_write(sops->write_offset(storage.instance()));
  PluginHandle flush(host, "flush", args.flush);
  flush.create_and_start("flush", {});

  AppendPath path(host, sops, storage.instance());
  std::atomic<uint64_t> next{args.first_seq};
  std::atomic<bool> failed{false};
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(args.max_seconds);
  std::vector<std::thread> threads;
  for (int t = 0; t < args.threads; ++t) {
    threads.emplace_back([&] {
      while (!failed && std::chrono::steady_clock::now() < deadline) {
        uint64_t seq = next.fetch_add(1);
        TestMessage m(seq, crash::kBodyBytes, crash::kQueues);
        Sent s = path.send(m.view());
        if (s.status != FERRY_OK) {
          std::fprintf(stderr, "send seq %llu: %s %s\n", static_cast<unsigned long long>(seq),
                       ferry_status_name(s.status), s.error.c_str());
          failed = true;
          return;
        }
        char line[160];
        int n = std::snprintf(line, sizeof(line), "A %llu %llu %u %d %llu\n",
                              static_cast<unsigned long long>(seq),
                              static_cast<unsigned long long>(s.result.commit_offset), s.result.size,
                              s.result.queue_id, static_cast<unsigned long long>(s.result.queue_offset));
        if (::write(args.report_fd, line, static_cast<size_t>(n)) != n) {
          failed = true;
          return;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  return failed ? 3 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!parse(argc, argv, &args)) {
    std::fprintf(stderr,
                 "usage: %s --data DIR --report-fd FD [--flush sync|async] [--first-seq N] "
                 "[--threads N] [--max-seconds N]\n",
                 argv[0]);
    return 2;
  }
  try {
    return run(args);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "crash_appender: %s\n", e.what());
    return 4;
  }
}
