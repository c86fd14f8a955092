#pragma once
// A hand-driven core::Env for tests: manual clock and timers, posted tasks
// and worker completions run only when the test calls run_loop(), DURABLE and
// REPLICATED set by hand, client notifications recorded.
#include <ferry_test/fake_host.h>

#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/env.h"
#include "core/request.h"

namespace ferry::core::test {

struct Notification {
  uint64_t conn_id;
  uint32_t code;
  std::string payload;
};

class FakeEnv : public Env {
 public:
  // `host` (optional): a FakeHost whose WRITE watermark follows publish_write
  // so a storage plugin loaded in it sees VISIBLE advance.
  explicit FakeEnv(std::string data_dir, ferry::test::FakeHost* host = nullptr);
  ~FakeEnv() override;

  int64_t now_ms() override { return wall_ms_; }
  uint64_t monotonic_ms() override { return mono_ms_; }
  bool post(ferry_task_fn fn, void* user_data) override;
  std::unique_ptr<Timer> start_timer(uint64_t delay_ms, uint64_t repeat_ms,
                                     std::function<void()> fn) override;
  bool queue_work(std::function<void()> work, std::function<void()> done) override;
  // Refused (the core works at once) unless defer_turns; else kept until
  // end_turn().
  bool defer(std::function<void()> fn) override;
  void log(ferry_log_level level, std::string_view message) override;
  bool log_enabled(ferry_log_level) override { return true; }
  const BrokerIdentity& identity() override { return identity_; }
  const std::string& data_dir() override { return data_dir_; }
  std::unique_ptr<ErrorSlot> new_error() override;
  uint64_t watermark(ferry_watermark which) override;
  void publish_write(uint64_t write_offset) override;
  bool notify_client(uint64_t conn_id, uint32_t code, std::string_view payload) override;
  void topics_changed() override { ++topics_changed_; }
  Metric* metric(std::string_view name, std::string_view help, ferry_metric_type type,
                 std::string_view labels) override;

  // ---- test controls ----
  // Run posted tasks and worker completions until none is left.
  size_t run_loop();
  // Move both clocks and fire due timers (in deadline order).
  void advance(uint64_t ms);
  void set_durable(uint64_t v) { durable_ = v; }
  void set_replicated(uint64_t v) { replicated_ = v; }
  bool logged(const std::string& needle) const;
  // When set, queue_work keeps each job until run_held_work(), which the
  // test may call from another thread (a real worker); the completions then
  // wait for run_loop() on the test's "loop" thread.
  bool hold_work = false;
  // When set, defer() keeps fn until end_turn() runs it (the kernel's loop
  // runs it at the end of the turn that read the requests).
  bool defer_turns = false;
  size_t end_turn();
  size_t held_work() const;
  void run_held_work();

  // A registered series: its value (counter/gauge) or observation count.
  struct RecordedMetric : Metric {
    ferry_metric_type type = FERRY_METRIC_COUNTER;
    double value = 0;
    uint64_t observations = 0;
    void add(double d) override { value += d; }
    void set(double v) override { value = v; }
    void observe(double v) override {
      value += v;
      ++observations;
    }
  };
  // "name{labels}" -> series; nullptr when never registered.
  const RecordedMetric* metric_named(const std::string& key) const;

  std::vector<Notification> notifications;
  int topics_changed_ = 0;
  std::atomic<size_t> posts{0};
  size_t live_timers() const;

 private:
  struct TimerEntry {
    uint64_t due;
    uint64_t repeat;
    std::function<void()> fn;
    bool cancelled = false;
  };
  class FakeTimer;

  std::string data_dir_;
  ferry::test::FakeHost* host_;
  BrokerIdentity identity_;
  int64_t wall_ms_ = 1'700'000'000'000;
  uint64_t mono_ms_ = 1'000'000;
  mutable std::mutex mu_;
  std::deque<std::pair<ferry_task_fn, void*>> posted_;  // guarded by mu_
  std::deque<std::function<void()>> done_;  // guarded by mu_
  std::deque<std::pair<std::function<void()>, std::function<void()>>> held_;  // guarded by mu_
  std::map<uint64_t, std::shared_ptr<TimerEntry>> timers_;
  uint64_t next_timer_ = 1;
  std::atomic<uint64_t> write_{0}, durable_{0}, replicated_{0};
  std::vector<std::string> log_;
  std::map<std::string, std::unique_ptr<RecordedMetric>> metrics_;
  std::vector<std::function<void()>> deferred_;
};

// A request whose answer is captured (payload and attachment copied, then
// the Response's keeps released, as a transport would after its write);
// once answered its payload, attachment and connection id are gone, as a
// net::Request's are.
class FakeRequest : public Request {
 public:
  struct Answer {
    bool answered = false;
    ferry_status status = FERRY_OK;
    std::string message;
    std::string payload;
    std::vector<std::string> attachment;
    std::vector<uint64_t> payload_aligned;  // payload copy, 8-aligned, for reading
  };
  FakeRequest(uint32_t code, std::string payload, std::string attachment = {}, uint64_t conn = 1,
              std::shared_ptr<Answer> answer = std::make_shared<Answer>());
  uint32_t code() const override { return code_; }
  ferry_slice payload() const override;
  ferry_slice attachment() const override { return {attachment_.data(), attachment_.size()}; }
  uint64_t conn_id() const override { return conn_; }
  std::string_view peer() const override { return "127.0.0.1:5555"; }
  bool oneway() const override { return false; }
  uint64_t peek_hint() const override { return peek_hint_; }
  void set_peek_hint(uint64_t h) { peek_hint_ = h; }
  void respond(Response&& r) override;
  std::shared_ptr<Answer> answer() const { return answer_; }

 private:
  uint32_t code_;
  std::vector<uint64_t> payload_;  // aligned storage
  size_t payload_len_;
  std::string attachment_;
  uint64_t conn_;
  uint64_t peek_hint_ = 0;
  std::shared_ptr<Answer> answer_;
};

// Reads the answer's payload as T (verified).
template <class T>
const T* answer_as(const FakeRequest::Answer& a);

}  // namespace ferry::core::test

#include "core/wire.h"

namespace ferry::core::test {
template <class T>
const T* answer_as(const FakeRequest::Answer& a) {
  ferry_slice s{a.payload_aligned.data(), a.payload.size()};
  auto d = read_payload<T>(s);
  return d.root;  // points into a.payload_aligned (no copy made: aligned)
}
}  // namespace ferry::core::test
