#pragma once
// Where log lines go. The kernel owns one sink; every subsystem logger and
// every plugin instance writes through it. StderrSink buffers lines and
// writes them on its own thread, so logging never blocks a caller on I/O
// (the host table promises plugins that). CaptureSink keeps lines for tests.
#include <ferry/abi.h>

#include <condition_variable>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace ferry::log {

const char* level_name(ferry_log_level level);
// "trace" .. "off"; FERRY_LOG_INFO for anything else.
ferry_log_level parse_level(std::string_view name);

class LogSink {
 public:
  virtual ~LogSink() = default;
  // [any]; must not block on I/O.
  virtual void write(ferry_log_level level, std::string_view subsystem,
                     std::string_view message) = 0;
};

class StderrSink final : public LogSink {
 public:
  StderrSink();
  ~StderrSink() override;  // writes what is buffered, then joins
  StderrSink(const StderrSink&) = delete;
  StderrSink& operator=(const StderrSink&) = delete;
  void write(ferry_log_level level, std::string_view subsystem, std::string_view message) override;

 private:
  void run();
  std::mutex mu_;
  std::condition_variable cv_;
  std::string pending_;
  bool closing_ = false;
  std::thread writer_;
};

class CaptureSink final : public LogSink {
 public:
  void write(ferry_log_level level, std::string_view subsystem, std::string_view message) override;
  // "subsystem: message" lines in arrival order.
  std::vector<std::string> lines() const;

 private:
  mutable std::mutex mu_;
  std::vector<std::string> lines_;
};

}  // namespace ferry::log
