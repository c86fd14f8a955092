#include "ferry/net/loop_thread.h"

#include "ferry/net/busy_poll.h"
#include "ferry/net/close_loop.h"

#include <pthread.h>

#include <csignal>
#include <stdexcept>

namespace ferry::net {

LoopThread::LoopThread(uint32_t busy_poll_us) : busy_poll_us_(busy_poll_us) {
  if (uv_loop_init(&loop_) != 0) throw std::runtime_error("uv_loop_init failed");
  // A task must not unwind through libuv's C frames.
  tasks_ = AsyncQueue<Task>::create(&loop_, [](Task& t) {
    try {
      t();
    } catch (...) {
    }
  });
  if (!tasks_) {
    uv_loop_close(&loop_);
    throw std::runtime_error("uv_async_init failed");
  }
  thread_ = std::thread([this] { run(); });
}

LoopThread::~LoopThread() { stop(); }

bool LoopThread::post(Task task) { return tasks_->push(task); }

void LoopThread::run() {
  ::pthread_setname_np(::pthread_self(), "ferry-io");  // for top -H, perf, gdb
  // libuv writes sockets with writev, and on Linux a write to a peer that
  // reset raises SIGPIPE, whose default kills the whole process (the SDK's
  // user's, a test's fake broker): blocked on this thread, the write returns
  // EPIPE and the connection closes. Only this thread's mask: the process's
  // own disposition stays the embedder's.
  sigset_t pipe;
  sigemptyset(&pipe);
  sigaddset(&pipe, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
  run_loop(&loop_, busy_poll_us_);
  if (!close_loop(&loop_)) clean_ = false;
}

bool LoopThread::stop() {
  if (stopped_) return clean_;
  stopped_ = true;
  // The task queue's handle is what keeps the loop alive once the users'
  // objects are closed; closing it from the loop lets uv_run return.
  auto tasks = tasks_;
  post([tasks] { tasks->close(); });
  if (thread_.joinable()) thread_.join();
  return clean_;
}

}  // namespace ferry::net
