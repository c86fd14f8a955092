#pragma once
// A child process (fork + execv) that is always reaped: the destructor sends
// SIGKILL if it still runs and waits for it. stdout+stderr go to a log file
// so a failing test can print what the child said.
#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace ferry::test {

class ChildProcess {
 public:
  // argv[0] is the executable path. Log goes to `log_path` (truncated).
  ChildProcess(std::vector<std::string> argv, std::string log_path,
               std::vector<std::string> extra_env = {});
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool running();
  void signal(int sig);
  // Wait up to `timeout` for exit. Returns the wait status (as waitpid gives
  // it) or nullopt on timeout.
  std::optional<int> wait_for(std::chrono::milliseconds timeout);
  // SIGKILL and reap.
  void kill_now();
  // The child's combined output so far.
  std::string log() const;
  const std::string& log_path() const { return log_path_; }

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
  std::string log_path_;
};

// Poll `pred` every `step` until it returns true or `timeout` passes.
template <class Pred>
bool wait_until(Pred pred, std::chrono::milliseconds timeout,
                std::chrono::milliseconds step = std::chrono::milliseconds(10));

}  // namespace ferry::test

#include <thread>
namespace ferry::test {
template <class Pred>
bool wait_until(Pred pred, std::chrono::milliseconds timeout, std::chrono::milliseconds step) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(step);
  }
  return pred();
}
}  // namespace ferry::test
