#include "log/log_sink.h"

#include <pthread.h>
#include <unistd.h>

#include <chrono>
#include <ctime>

namespace ferry::log {

const char* level_name(ferry_log_level level) {
  switch (level) {
    case FERRY_LOG_TRACE: return "trace";
    case FERRY_LOG_DEBUG: return "debug";
    case FERRY_LOG_INFO: return "info";
    case FERRY_LOG_WARN: return "warn";
    case FERRY_LOG_ERROR: return "error";
    case FERRY_LOG_OFF: return "off";
  }
  return "?";
}

ferry_log_level parse_level(std::string_view name) {
  for (int l = FERRY_LOG_TRACE; l <= FERRY_LOG_OFF; ++l)
    if (name == level_name(static_cast<ferry_log_level>(l))) return static_cast<ferry_log_level>(l);
  return FERRY_LOG_INFO;
}

StderrSink::StderrSink() : writer_([this] { run(); }) {}

StderrSink::~StderrSink() {
  {
    std::lock_guard lock(mu_);
    closing_ = true;
  }
  cv_.notify_one();
  writer_.join();
}

void StderrSink::write(ferry_log_level level, std::string_view subsystem,
                       std::string_view message) {
  using namespace std::chrono;
  auto now = system_clock::now();
  std::time_t secs = system_clock::to_time_t(now);
  auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string line;
  line.reserve(48 + subsystem.size() + message.size());
  line += stamp;
  line += "." + std::string(ms < 100 ? (ms < 10 ? "00" : "0") : "") + std::to_string(ms) + "Z ";
  line += level_name(level);
  line += " [";
  line += subsystem;
  line += "] ";
  line += message;
  line += '\n';
  {
    std::lock_guard lock(mu_);
    pending_ += line;
  }
  cv_.notify_one();
}

void StderrSink::run() {
  ::pthread_setname_np(::pthread_self(), "ferry-log");  // for top -H, perf, gdb
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return closing_ || !pending_.empty(); });
    std::string batch;
    batch.swap(pending_);
    bool done = closing_ && batch.empty();
    lock.unlock();
    // One write per batch: many lines share one syscall.
    for (size_t off = 0; off < batch.size();) {
      ssize_t n = ::write(STDERR_FILENO, batch.data() + off, batch.size() - off);
      if (n <= 0) break;  // stderr gone: nothing better to do with the line
      off += static_cast<size_t>(n);
    }
    if (done) return;
    lock.lock();
  }
}

void CaptureSink::write(ferry_log_level, std::string_view subsystem, std::string_view message) {
  std::lock_guard lock(mu_);
  lines_.push_back(std::string(subsystem) + ": " + std::string(message));
}

std::vector<std::string> CaptureSink::lines() const {
  std::lock_guard lock(mu_);
  return lines_;
}

}  // namespace ferry::log
