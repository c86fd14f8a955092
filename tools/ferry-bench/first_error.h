#pragma once
// The first failure of a run (status + text), kept for the summary. Only the
// failure path takes its lock.
#include <ferry/client.h>

#include <mutex>
#include <string>

namespace ferry::bench {

class FirstError {
 public:
  void note(ferry_status s, const char* text) {
    std::lock_guard lock(mu_);
    if (status_ != FERRY_OK) return;
    status_ = s;
    text_ = std::string(ferry_status_name(s)) + (text && *text ? std::string(": ") + text : "");
  }
  ferry_status status() const {
    std::lock_guard lock(mu_);
    return status_;
  }
  std::string text() const {
    std::lock_guard lock(mu_);
    return text_;
  }

 private:
  mutable std::mutex mu_;
  ferry_status status_ = FERRY_OK;
  std::string text_;
};

}  // namespace ferry::bench
