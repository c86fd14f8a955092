#pragma once
// Worker threads that run user callbacks, so user code never runs on the I/O
// thread. One thread for a handle's completions (in order); N for a push
// consumer's listeners. stop() runs every task already queued, then joins.
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "thread_policy.h"

namespace ferry::sdk {

class Workers {
 public:
  using Task = std::function<void()>;
  // Each thread first takes `policy` (apply_thread_policy); a refusal is
  // reported once, from the thread that met it, through refused(errno).
  explicit Workers(size_t threads, ThreadPolicy policy = ThreadPolicy::kNormal,
                   std::function<void(int)> refused = {});
  ~Workers();
  Workers(const Workers&) = delete;
  Workers& operator=(const Workers&) = delete;

  // [any] False after stop() began (the task is not run).
  bool post(Task t);
  // [any, not a worker] Runs what is queued, then joins. Idempotent.
  void stop();
  // True on one of these threads.
  bool on_worker() const;

 private:
  void run();

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Task> tasks_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
  ThreadPolicy policy_;
  std::function<void(int)> refused_;
  std::atomic<bool> refusal_reported_{false};
};

}  // namespace ferry::sdk
