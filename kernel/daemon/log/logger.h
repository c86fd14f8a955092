#pragma once
// A logger per subsystem ("kernel", "loader", "config", "plugin:<instance>").
// Cheap to copy; the threshold is shared by all loggers of one kernel.
#include <atomic>
#include <string>

#include "log/log_sink.h"

namespace ferry::log {

class Logger {
 public:
  Logger(LogSink* sink, const std::atomic<int>* threshold, std::string subsystem)
      : sink_(sink), threshold_(threshold), subsystem_(std::move(subsystem)) {}

  bool enabled(ferry_log_level level) const {
    return level != FERRY_LOG_OFF && static_cast<int>(level) >= threshold_->load(std::memory_order_relaxed);
  }
  void log(ferry_log_level level, std::string_view message) const {
    if (enabled(level)) sink_->write(level, subsystem_, message);
  }
  void trace(std::string_view m) const { log(FERRY_LOG_TRACE, m); }
  void debug(std::string_view m) const { log(FERRY_LOG_DEBUG, m); }
  void info(std::string_view m) const { log(FERRY_LOG_INFO, m); }
  void warn(std::string_view m) const { log(FERRY_LOG_WARN, m); }
  void error(std::string_view m) const { log(FERRY_LOG_ERROR, m); }
  const std::string& subsystem() const { return subsystem_; }

 private:
  LogSink* sink_;
  const std::atomic<int>* threshold_;
  std::string subsystem_;
};

}  // namespace ferry::log
