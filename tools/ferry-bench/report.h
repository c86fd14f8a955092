#pragma once
// Progress lines (stderr, once a second) and the run summary (stdout, human
// or --json).
#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

#include "options.h"
#include "stats.h"

namespace ferry::bench {

// Prints a progress line every second until stopped (joins on destruction).
class Progress {
 public:
  Progress(Stats& stats, bool enabled);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;
  void stop();

 private:
  void run();
  Stats& stats_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// extra_json: more JSON members, each with its trailing comma (--json only).
void print_summary(const char* role, const Options& o, const Stats& s, double elapsed_s,
                   const std::string& note, const std::string& extra_json = "");

}  // namespace ferry::bench
