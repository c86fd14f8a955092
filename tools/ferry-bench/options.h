#pragma once
// ferry-bench's command line, parsed (main.cc) into one struct per run.
#include <cstdint>
#include <string>
#include <vector>

namespace ferry::bench {

struct Options {
  // Common.
  std::string name_servers = "127.0.0.1:10911";
  std::string topic = "BenchTopic";
  uint32_t topics = 1;        // >1: topic-0 .. topic-(n-1)
  uint32_t threads = 1;
  uint32_t producers = 1;     // produce: libferry producers the threads share (thread t: t % producers)
  double duration_s = 10;     // always bounds the run
  uint64_t count = 0;         // 0: until duration
  bool json = false;
  bool quiet = false;         // no progress lines
  std::string group;
  // Producer.
  std::string mode = "sync";  // sync | async | oneway | batch
  size_t size = 1024;
  uint32_t window = 256;      // async: sends in flight per thread
  uint32_t batch = 64;        // batch: messages per request
  uint64_t rate = 0;          // messages/s over all threads, 0 = unlimited
  bool create = false;        // create the topics first
  bool warmup = false;        // one untimed message per topic before the run
  bool by_name = false;       // async: send by topic name, not through topic handles
  bool no_prepare = false;    // skip ferry_producer_prepare before the run
  std::string create_target = "DefaultCluster";
  uint32_t queues = 4;        // with --create
  std::vector<std::string> producer_set;  // --set key=value: libferry producer config
  // Consumer.
  std::string consume_mode = "push";  // push | pull
  std::string from = "last";          // first | last
  uint32_t pull_batch = 32;           // messages per pull request (libferry's default)
  bool split = false;                 // also: ages since born and since stored
  std::vector<std::string> consumer_set;  // --set key=value: libferry consumer config (after the bench's own)
  std::string timeline;               // --timeline FILE: per-message send stamp and receipt (ns)

  std::vector<std::string> topic_names() const;
};

}  // namespace ferry::bench
