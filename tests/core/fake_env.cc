#include "fake_env.h"

#include <cstring>

namespace ferry::core::test {

class FakeEnv::FakeTimer : public Timer {
 public:
  explicit FakeTimer(std::shared_ptr<TimerEntry> e) : e_(std::move(e)) {}
  ~FakeTimer() override { e_->cancelled = true; }

 private:
  std::shared_ptr<TimerEntry> e_;
};

namespace {

class Slot : public ErrorSlot {
 public:
  ferry_error* get() override { return &err_; }
  std::string message() const override { return err_.message; }
  void reset() override { err_ = ferry_error{}; }

 private:
  ferry_error err_;
};

}  // namespace

FakeEnv::FakeEnv(std::string data_dir, ferry::test::FakeHost* host)
    : data_dir_(std::move(data_dir)), host_(host) {
  identity_.advertised_address = "127.0.0.1:10911";
  identity_.broker_name = "broker-a";
  identity_.cluster_name = "test";
}

// Like a real loop at close: what was posted still runs (a task may own
// memory it frees when it runs).
FakeEnv::~FakeEnv() { run_loop(); }

bool FakeEnv::post(ferry_task_fn fn, void* user_data) {
  std::lock_guard<std::mutex> lock(mu_);
  posted_.emplace_back(fn, user_data);
  ++posts;
  return true;
}

bool FakeEnv::defer(std::function<void()> fn) {
  if (!defer_turns) return false;
  deferred_.push_back(std::move(fn));
  return true;
}

size_t FakeEnv::end_turn() {
  std::vector<std::function<void()>> run;
  run.swap(deferred_);
  for (auto& fn : run) fn();
  return run.size();
}

std::unique_ptr<Timer> FakeEnv::start_timer(uint64_t delay_ms, uint64_t repeat_ms,
                                            std::function<void()> fn) {
  auto e = std::make_shared<TimerEntry>(TimerEntry{mono_ms_ + delay_ms, repeat_ms, std::move(fn)});
  timers_[next_timer_++] = e;
  return std::make_unique<FakeTimer>(e);
}

bool FakeEnv::queue_work(std::function<void()> work, std::function<void()> done) {
  std::unique_lock<std::mutex> lock(mu_);
  if (hold_work) {
    held_.emplace_back(std::move(work), std::move(done));
    return true;
  }
  lock.unlock();
  work();  // "worker": runs now; its completion waits for run_loop like a real loop's
  lock.lock();
  done_.push_back(std::move(done));
  return true;
}

size_t FakeEnv::held_work() const {
  std::lock_guard<std::mutex> lock(mu_);
  return held_.size();
}

void FakeEnv::run_held_work() {
  std::deque<std::pair<std::function<void()>, std::function<void()>>> jobs;
  {
    std::lock_guard<std::mutex> lock(mu_);
    jobs.swap(held_);
  }
  for (auto& [work, done] : jobs) {
    work();
    std::lock_guard<std::mutex> lock(mu_);
    done_.push_back(std::move(done));
  }
}

void FakeEnv::log(ferry_log_level, std::string_view message) { log_.emplace_back(message); }

Metric* FakeEnv::metric(std::string_view name, std::string_view, ferry_metric_type type,
                        std::string_view labels) {
  auto& slot = metrics_[std::string(name) + "{" + std::string(labels) + "}"];
  if (!slot) {
    slot = std::make_unique<RecordedMetric>();
    slot->type = type;
  }
  return slot.get();
}

const FakeEnv::RecordedMetric* FakeEnv::metric_named(const std::string& key) const {
  auto it = metrics_.find(key);
  return it == metrics_.end() ? nullptr : it->second.get();
}

bool FakeEnv::logged(const std::string& needle) const {
  for (const auto& l : log_)
    if (l.find(needle) != std::string::npos) return true;
  return false;
}

std::unique_ptr<ErrorSlot> FakeEnv::new_error() { return std::make_unique<Slot>(); }

uint64_t FakeEnv::watermark(ferry_watermark which) {
  switch (which) {
    case FERRY_WATERMARK_WRITE: return write_;
    case FERRY_WATERMARK_DURABLE: return durable_;
    case FERRY_WATERMARK_REPLICATED: return replicated_;
    case FERRY_WATERMARK_VISIBLE: return host_ ? host_->watermark(FERRY_WATERMARK_VISIBLE) : write_.load();
  }
  return 0;
}

void FakeEnv::publish_write(uint64_t write_offset) {
  if (write_offset > write_) write_ = write_offset;
  if (host_) host_->publish_write(write_offset);
}

bool FakeEnv::notify_client(uint64_t conn_id, uint32_t code, std::string_view payload) {
  notifications.push_back(Notification{conn_id, code, std::string(payload)});
  return true;
}

size_t FakeEnv::run_loop() {
  size_t ran = 0;
  for (;;) {
    std::pair<ferry_task_fn, void*> task{nullptr, nullptr};
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!posted_.empty()) {
        task = posted_.front();
        posted_.pop_front();
      }
    }
    if (task.first) {
      task.first(task.second);
      ++ran;
      continue;
    }
    std::function<void()> fn;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!done_.empty()) {
        fn = std::move(done_.front());
        done_.pop_front();
      }
    }
    if (fn) {
      fn();
      ++ran;
      continue;
    }
    return ran;
  }
}

void FakeEnv::advance(uint64_t ms) {
  uint64_t target = mono_ms_ + ms;
  for (;;) {
    // Earliest due live timer at or before target.
    std::shared_ptr<TimerEntry> next;
    uint64_t id = 0;
    for (auto it = timers_.begin(); it != timers_.end();) {
      if (it->second->cancelled) {
        it = timers_.erase(it);
        continue;
      }
      if (it->second->due <= target && (!next || it->second->due < next->due)) {
        next = it->second;
        id = it->first;
      }
      ++it;
    }
    if (!next) break;
    wall_ms_ += static_cast<int64_t>(next->due - mono_ms_);
    mono_ms_ = next->due;
    if (next->repeat)
      next->due += next->repeat;
    else
      timers_.erase(id);
    auto fn = next->fn;  // the callback may cancel its own timer
    fn();
    run_loop();
  }
  wall_ms_ += static_cast<int64_t>(target - mono_ms_);
  mono_ms_ = target;
  run_loop();
}

size_t FakeEnv::live_timers() const {
  size_t n = 0;
  for (const auto& [id, t] : timers_)
    if (!t->cancelled) ++n;
  return n;
}

FakeRequest::FakeRequest(uint32_t code, std::string payload, std::string attachment, uint64_t conn,
                         std::shared_ptr<Answer> answer)
    : code_(code), payload_((payload.size() + 7) / 8), payload_len_(payload.size()),
      attachment_(std::move(attachment)), conn_(conn), answer_(std::move(answer)) {
  if (!payload.empty()) std::memcpy(payload_.data(), payload.data(), payload.size());
}

ferry_slice FakeRequest::payload() const { return {payload_.data(), payload_len_}; }

void FakeRequest::respond(Response&& r) {
  answer_->answered = true;
  answer_->status = r.status;
  answer_->message = r.message;
  answer_->payload.assign(static_cast<const char*>(r.payload.data), r.payload.len);
  answer_->payload_aligned.assign((r.payload.len + 7) / 8, 0);
  if (r.payload.len) std::memcpy(answer_->payload_aligned.data(), r.payload.data, r.payload.len);
  for (const auto& s : r.attachment) answer_->attachment.emplace_back(static_cast<const char*>(s.data), s.len);
  // r (and its keeps) die here: "the write completed". Like net::Request,
  // the answered request lets go of its frame and connection.
  payload_.clear();
  payload_len_ = 0;
  attachment_.clear();
  conn_ = 0;
}

}  // namespace ferry::core::test
