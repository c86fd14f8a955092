// The push consumer's chained second pull per queue (pull_pipeline=2, the
// default; PullRequest.chain) against a real ferryd: every message exactly
// once, in queue order, while pulls are held, answered back to back and
// cut short by small batches — and the same with pull_pipeline=1.
#include <ferry_test/paths.h>

#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "ferryd_fixture.h"

namespace ferry::sdk::test {
namespace {

using namespace std::chrono_literals;
using ferry::test::wait_until;

struct Seen {
  std::mutex mu;
  std::map<int32_t, std::vector<int64_t>> offsets;  // queue -> queue offsets in delivery order
  size_t total = 0;
};

ferry_consume_status record(void* ud, ferry_client_message* const* msgs, size_t n) {
  auto* s = static_cast<Seen*>(ud);
  std::lock_guard l(s->mu);
  for (size_t i = 0; i < n; ++i) s->offsets[ferry_message_queue_id(msgs[i])].push_back(ferry_message_queue_offset(msgs[i]));
  s->total += n;
  return FERRY_CONSUME_SUCCESS;
}

class PushPipeline : public FerrydSdk, public ::testing::WithParamInterface<const char*> {
 protected:
  // A started push consumer of `topic` whose listener records into `seen`.
  Push start_push(const ferry_config* conf, const std::string& topic, Seen& seen) {
    char err[512];
    ferry_push_consumer* raw = nullptr;
    EXPECT_EQ(FERRY_OK, ferry_push_consumer_new(conf, &raw, err, sizeof err)) << err;
    Push c(raw);
    if (!raw) return c;
    EXPECT_EQ(FERRY_OK, ferry_push_consumer_subscribe(raw, topic.c_str(), "*", err, sizeof err)) << err;
    EXPECT_EQ(FERRY_OK, ferry_push_consumer_set_listener(raw, record, &seen, err, sizeof err)) << err;
    EXPECT_EQ(FERRY_OK, ferry_push_consumer_start(raw, err, sizeof err)) << err;
    return c;
  }
};

TEST_P(PushPipeline, EveryMessageOnceInQueueOrder) {
  const std::string topic = std::string("Pipe") + GetParam();
  create_topic(topic, 4);
  // One consume thread: delivery order is the order answers were taken.
  auto cconf = make_conf(addr_, {{"group", topic + "G"}, {"consume_from", "first"}, {"pull_batch_size", "3"},
                                 {"consume_threads", "1"}, {"long_poll_ms", "2000"}, {"pull_pipeline", GetParam()}});
  Seen seen;
  Push c = start_push(cconf.get(), topic, seen);
  ASSERT_FALSE(HasFailure());
  auto p = start_producer(conf_);
  // Bursts with pauses: some land on held pulls, some on answers in flight,
  // some exceed a batch so the follower reads at once; the long polls end
  // empty in between (2 s hold, 2.5 s pause) and the chain goes on.
  const int kBursts = 6, kPer = 40;
  for (int b = 0; b < kBursts; ++b) {
    send_n(p.get(), topic, kPer, "b" + std::to_string(b) + "-");
    std::this_thread::sleep_for(b == 2 ? 2500ms : 50ms);
  }
  const size_t want = kBursts * kPer;
  ASSERT_TRUE(wait_until([&] { std::lock_guard l(seen.mu); return seen.total >= want; }, 20s))
      << seen.total << " of " << want << "\n" << daemon_->log();
  std::this_thread::sleep_for(300ms);  // nothing more may come
  std::lock_guard l(seen.mu);
  EXPECT_EQ(want, seen.total);
  size_t sum = 0;
  for (const auto& [q, offs] : seen.offsets) {
    for (size_t i = 0; i < offs.size(); ++i)
      ASSERT_EQ(static_cast<int64_t>(i), offs[i]) << "queue " << q << ": delivery " << i << " (duplicate, gap or order)";
    sum += offs.size();
  }
  EXPECT_EQ(want, sum);
}

// A chained pull waits behind its head for up to one hold, then holds for
// its own: on a queue that stays empty it is outstanding for two holds, and
// the client must not time it out after one (that abandoned the chain, left
// a retry pause with no pull at the broker, and logged a failure per queue).
struct PullLog {
  std::mutex mu;
  std::vector<std::string> lines;
  static void on_log(void* ud, ferry_log_level, const char* line) {
    auto* l = static_cast<PullLog*>(ud);
    std::lock_guard g(l->mu);
    if (std::string_view(line).find("pull ") != std::string_view::npos) l->lines.emplace_back(line);
  }
};

TEST_P(PushPipeline, AnIdleQueueKeepsItsPullsWithoutTimeouts) {
  const std::string topic = std::string("PipeIdle") + GetParam();
  create_topic(topic, 1);
  auto cconf = make_conf(addr_, {{"group", topic + "G"}, {"consume_from", "first"}, {"long_poll_ms", "600"},
                                 {"request_timeout_ms", "300"}, {"log_level", "info"}, {"pull_pipeline", GetParam()}});
  PullLog log;
  char err[512];
  ASSERT_EQ(FERRY_OK, ferry_config_set_log_cb(cconf.get(), &PullLog::on_log, &log, err, sizeof err)) << err;
  Seen seen;
  Push c = start_push(cconf.get(), topic, seen);
  ASSERT_FALSE(HasFailure());
  std::this_thread::sleep_for(3s);  // five holds of an empty queue
  auto p = start_producer(conf_);
  send_n(p.get(), topic, 1, "late-");
  ASSERT_TRUE(wait_until([&] { std::lock_guard l(seen.mu); return seen.total >= 1; }, 10s)) << daemon_->log();
  std::lock_guard g(log.mu);
  EXPECT_TRUE(log.lines.empty()) << log.lines.size() << " pull failures on an idle queue, first: " << log.lines.front();
}

INSTANTIATE_TEST_SUITE_P(Depth, PushPipeline, ::testing::Values("2", "1"));

}  // namespace
}  // namespace ferry::sdk::test
