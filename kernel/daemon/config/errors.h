#pragma once
// Config errors are collected, never thrown one at a time: an operator fixes a
// file in one pass when every problem is printed together.
#include <cstdint>
#include <string>
#include <vector>

namespace ferry::config {

struct Location {
  std::string file;
  uint32_t line = 0;    // 1-based; 0 when unknown
  uint32_t column = 0;  // 1-based; 0 when unknown
};

struct ConfigError {
  Location where;
  std::string message;
  // "FILE:LINE:COL: message" ("FILE: message" when the position is unknown).
  std::string text() const;
};

class ErrorList {
 public:
  void add(Location where, std::string message);
  bool empty() const { return errors_.empty(); }
  size_t size() const { return errors_.size(); }
  const std::vector<ConfigError>& all() const { return errors_; }
  // Every error, one per line, in the order found.
  std::string text() const;

 private:
  std::vector<ConfigError> errors_;
};

}  // namespace ferry::config
