// The retry / dead-letter flow end to end, libferry against a real ferryd:
// RECONSUME_LATER sends the message back to the broker, it comes back from
// %RETRY%<group> under its original topic with reconsume_times 1..N while
// its queue's commit moves on; past max_reconsume_times it lands in
// %DLQ%<group>, is listed and re-sent by the admin calls; a graceful
// shutdown sends nothing back; broadcasting retries locally.
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ferryd_fixture.h"

namespace ferry::sdk::test {
namespace {

struct Delivery {
  std::string body, topic, msg_id;
  int32_t reconsume_times = -1;
};

// A listener that fails chosen bodies: `fail_times[body]` times (-1: always).
struct Script {
  std::mutex mu;
  std::map<std::string, int> fail_times;
  std::vector<Delivery> seen;
  std::vector<std::string> succeeded;
  // Optional gate before the final success of `gated` (the test opens it).
  std::string gated;
  bool gate_open = true;
  std::condition_variable gate_cv;
  // Set by the test when a listener call should wait for shutdown.
  std::atomic<ferry_push_consumer*> wait_for_shutdown_of{nullptr};
  std::atomic<bool> entered{false};  // a listener call is waiting for it

  size_t deliveries_of(const std::string& body) {
    std::lock_guard l(mu);
    size_t n = 0;
    for (auto& d : seen) n += d.body == body;
    return n;
  }
  bool succeeded_all(const std::vector<std::string>& bodies) {
    std::lock_guard l(mu);
    for (auto& b : bodies)
      if (std::find(succeeded.begin(), succeeded.end(), b) == succeeded.end()) return false;
    return true;
  }
  void open_gate() {
    std::lock_guard l(mu);
    gate_open = true;
    gate_cv.notify_all();
  }
};

std::string str_of(const char* p, size_t n) { return p ? std::string(p, n) : std::string(); }

ferry_consume_status scripted(void* ud, ferry_client_message* const* msgs, size_t n) {
  auto* s = static_cast<Script*>(ud);
  ferry_consume_status result = FERRY_CONSUME_SUCCESS;
  for (size_t i = 0; i < n; ++i) {
    Delivery d;
    size_t len = 0;
    d.body = body_of(msgs[i]);
    const char* t = ferry_message_topic(msgs[i], &len);
    d.topic = str_of(t, len);
    const char* id = ferry_message_msg_id(msgs[i], &len);
    d.msg_id = str_of(id, len);
    d.reconsume_times = ferry_message_reconsume_times(msgs[i]);
    if (ferry_push_consumer* c = s->wait_for_shutdown_of.load()) {
      // Answer only once shutdown began (queue_count is 0 once it did).
      s->entered = true;
      ferry::test::wait_until([&] { return ferry_push_consumer_queue_count(c) == 0; }, 10s);
      std::this_thread::sleep_for(50ms);
      std::lock_guard l(s->mu);
      s->seen.push_back(d);
      return FERRY_CONSUME_RECONSUME_LATER;
    }
    std::unique_lock l(s->mu);
    s->seen.push_back(d);
    int& left = s->fail_times[d.body];
    if (left != 0) {
      if (left > 0) --left;
      result = FERRY_CONSUME_RECONSUME_LATER;
      continue;
    }
    if (d.body == s->gated) s->gate_cv.wait_for(l, 15s, [&] { return s->gate_open; });
    s->succeeded.push_back(d.body);
  }
  return result;
}

Push scripted_consumer(const Conf& conf, const std::string& topic, Script* s) {
  ferry_push_consumer* c = nullptr;
  char err[512];
  EXPECT_EQ(FERRY_OK, ferry_push_consumer_new(conf.get(), &c, err, sizeof err)) << err;
  EXPECT_EQ(FERRY_OK, ferry_push_consumer_subscribe(c, topic.c_str(), "*", err, sizeof err));
  EXPECT_EQ(FERRY_OK, ferry_push_consumer_set_listener(c, scripted, s, err, sizeof err));
  EXPECT_EQ(FERRY_OK, ferry_push_consumer_start(c, err, sizeof err)) << err;
  return Push(c);
}

class FerrydRetry : public FerrydSdk {
 protected:
  std::string progress(const std::string& group, const std::string& topic) {
    char* json = nullptr;
    if (ferry_admin_consumer_progress(admin_.get(), group.c_str(), topic.c_str(), &json, nullptr, 0) != FERRY_OK)
      return {};
    std::string s = json;
    ferry_string_free(json);
    return s;
  }
  int64_t stat(const std::string& name) {
    char* json = nullptr;
    char err[256];
    EXPECT_EQ(FERRY_OK, ferry_admin_runtime_stats(admin_.get(), addr_.c_str(), &json, err, sizeof err)) << err;
    std::string s = json ? json : "";
    ferry_string_free(json);
    auto at = s.find("\"" + name + "\":");
    if (at == std::string::npos) return -1;
    return std::stoll(s.substr(at + name.size() + 3));
  }
  std::string dlq_list(const std::string& group, ferry_status* st) {
    char* json = nullptr;
    char err[512] = "";
    *st = ferry_admin_dlq_list(admin_.get(), group.c_str(), 0, &json, err, sizeof err);
    std::string s = json ? json : err;
    ferry_string_free(json);
    return s;
  }
};

TEST_F(FerrydRetry, FailedMessageComesBackFromTheRetryTopicWithoutHoldingItsQueue) {
  create_topic("RetryT", 1);
  auto conf = make_conf(addr_, {{"group", "RetryG"}, {"consume_from", "first"}});
  Script s;
  s.fail_times["poison"] = 3;
  s.gated = "poison";  // its final success waits until the queue's commit passed it
  s.gate_open = false;
  auto c = scripted_consumer(conf, "RetryT", &s);
  auto p = start_producer(conf_);
  auto m = make_msg("RetryT", "poison", "TagP");
  char err[512];
  ASSERT_EQ(FERRY_OK, ferry_producer_send(p.get(), m.get(), nullptr, err, sizeof err)) << err;
  send_n(p.get(), "RetryT", 10, "ok");
  std::vector<std::string> oks;
  for (int i = 0; i < 10; ++i) oks.push_back("ok-" + std::to_string(i));
  ASSERT_TRUE(wait_until([&] { return s.succeeded_all(oks); }, 20s)) << daemon_->log();
  // The poison message's queue commits past it (11 messages) while its
  // last retry is still waiting: the queue is not blocked. Before the
  // retry flow, the commit stayed at 0 until poison succeeded.
  std::string prog;
  EXPECT_TRUE(wait_until([&] {
    prog = progress("RetryG", "RetryT");
    return prog.find("\"committed\":11") != std::string::npos;
  }, 10s)) << prog;
  ASSERT_TRUE(wait_until([&] { return s.deliveries_of("poison") == 4; }, 20s)) << s.deliveries_of("poison");
  s.open_gate();
  ASSERT_TRUE(wait_until([&] { return s.succeeded_all({"poison"}); }, 10s));
  std::vector<Delivery> poison;
  {
    std::lock_guard l(s.mu);
    for (auto& d : s.seen)
      if (d.body == "poison") poison.push_back(d);
  }
  ASSERT_EQ(poison.size(), 4u);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(poison[static_cast<size_t>(i)].reconsume_times, i);
    EXPECT_EQ(poison[static_cast<size_t>(i)].topic, "RetryT") << "retry copies show their original topic";
    EXPECT_EQ(poison[static_cast<size_t>(i)].msg_id, poison[0].msg_id) << "the unique id survives the copies";
  }
  EXPECT_EQ(stat("messages_sent_back"), 3);
  EXPECT_EQ(stat("messages_dead_lettered"), 0);
  // The retry queue's copies are committed too.
  EXPECT_TRUE(wait_until([&] { return progress("RetryG", "%RETRY%RetryG").find("\"committed\":3") != std::string::npos; }, 10s))
      << progress("RetryG", "%RETRY%RetryG");
  ferry_status st = FERRY_OK;
  std::string none = dlq_list("RetryG", &st);
  EXPECT_EQ(FERRY_E_NOT_FOUND, st) << none;
}

TEST_F(FerrydRetry, AlwaysFailingMessageIsDeadLetteredListedResentAndConsumed) {
  create_topic("DoomT", 1);
  auto conf = make_conf(addr_, {{"group", "DoomG"}, {"consume_from", "first"}, {"max_reconsume_times", "2"}});
  Script s;
  s.fail_times["doomed"] = -1;
  auto c = scripted_consumer(conf, "DoomT", &s);
  auto p = start_producer(conf_);
  auto m = make_msg("DoomT", "doomed", "TagD", "key-d");
  char err[512];
  ASSERT_EQ(FERRY_OK, ferry_producer_send(p.get(), m.get(), nullptr, err, sizeof err)) << err;
  send_n(p.get(), "DoomT", 3, "fine");
  // 1 delivery + max_reconsume_times (2) retries, then the DLQ.
  ASSERT_TRUE(wait_until([&] { return stat("messages_dead_lettered") == 1; }, 20s)) << daemon_->log();
  EXPECT_EQ(s.deliveries_of("doomed"), 3u);
  EXPECT_EQ(stat("messages_sent_back"), 2);
  ferry_status st = FERRY_OK;
  std::string list;
  ASSERT_TRUE(wait_until([&] {
    list = dlq_list("DoomG", &st);
    return st == FERRY_OK && list.find("\"original_topic\"") != std::string::npos;
  }, 10s)) << list;
  EXPECT_NE(list.find("\"original_topic\":\"DoomT\""), std::string::npos) << list;
  EXPECT_NE(list.find("\"reconsume_times\":3"), std::string::npos) << list;
  EXPECT_NE(list.find("\"keys\":\"key-d\""), std::string::npos) << list;
  EXPECT_NE(list.find("\"tags\":\"TagD\""), std::string::npos) << list;
  EXPECT_NE(list.find("\"more\":false"), std::string::npos) << list;
  // No fourth delivery: the DLQ is not subscribed (write-only).
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(s.deliveries_of("doomed"), 3u);
  EXPECT_TRUE(s.succeeded_all({"fine-0", "fine-1", "fine-2"}));

  // Fixed: re-send it; it is consumed from its original topic, afresh.
  {
    std::lock_guard l(s.mu);
    s.fail_times["doomed"] = 0;
  }
  char* json = nullptr;
  ASSERT_EQ(FERRY_OK, ferry_admin_dlq_resend(admin_.get(), "DoomG", nullptr, &json, err, sizeof err)) << err;
  std::string resent = json;
  ferry_string_free(json);
  EXPECT_NE(resent.find("\"topic\":\"DoomT\""), std::string::npos) << resent;
  ASSERT_TRUE(wait_until([&] { return s.succeeded_all({"doomed"}); }, 20s));
  std::lock_guard l(s.mu);
  EXPECT_EQ(s.seen.back().body, "doomed");
  EXPECT_EQ(s.seen.back().reconsume_times, 0);
  EXPECT_EQ(s.seen.back().topic, "DoomT");
}

TEST_F(FerrydRetry, AdminDeadLetterCallsRefuseWhatTheyCannotDo) {
  ferry_status st;
  std::string none = dlq_list("NoDeadG", &st);
  EXPECT_EQ(st, FERRY_E_NOT_FOUND);
  EXPECT_NE(none.find("NoDeadG"), std::string::npos) << none;
  char* json = nullptr;
  char err[512];
  EXPECT_EQ(FERRY_E_INVALID_ARGUMENT, ferry_admin_dlq_resend(admin_.get(), "G", "not-an-id", &json, err, sizeof err));
  EXPECT_EQ(json, nullptr);
  // A well-formed id of a record that is no dead letter of the group.
  create_topic("PlainT", 1);
  auto p = start_producer(conf_);
  auto m = make_msg("PlainT", "plain");
  ferry_send_result r = FERRY_STRUCT_INIT(ferry_send_result);
  ASSERT_EQ(FERRY_OK, ferry_producer_send(p.get(), m.get(), &r, err, sizeof err)) << err;
  ferry_status s = FERRY_OK;
  ASSERT_TRUE(wait_until([&] {
    s = ferry_admin_dlq_resend(admin_.get(), "G", r.offset_msg_id, &json, err, sizeof err);
    return s != FERRY_E_NOT_FOUND;  // visible once dispatched
  }, 5s));
  EXPECT_EQ(s, FERRY_E_INVALID_ARGUMENT) << err;
  EXPECT_NE(std::string(err).find("%DLQ%G"), std::string::npos) << err;
}

TEST_F(FerrydRetry, GracefulShutdownSendsNothingBack) {
  create_topic("ShutT", 1);
  auto conf = make_conf(addr_, {{"group", "ShutG"}, {"consume_from", "first"}, {"commit_interval_ms", "60000"}});
  auto p = start_producer(conf_);
  Script s;
  auto c = scripted_consumer(conf, "ShutT", &s);
  s.wait_for_shutdown_of = c.get();  // the listener answers RECONSUME_LATER once shutdown began
  send_n(p.get(), "ShutT", 1, "late");
  // Shut down while the listener holds the message.
  ASSERT_TRUE(wait_until([&] { return s.entered.load(); }, 20s)) << daemon_->log();
  char err[256];
  ASSERT_EQ(FERRY_OK, ferry_push_consumer_shutdown(c.get(), err, sizeof err)) << err;
  EXPECT_EQ(s.deliveries_of("late-0"), 1u);
  EXPECT_EQ(stat("messages_sent_back"), 0) << "a shutting-down consumer sent a message back";
  // Not acknowledged either: a restart delivers it again, as sent.
  Script s2;
  auto c2 = scripted_consumer(conf, "ShutT", &s2);
  ASSERT_TRUE(wait_until([&] { return s2.succeeded_all({"late-0"}); }, 20s));
  std::lock_guard l(s2.mu);
  EXPECT_EQ(s2.seen.front().reconsume_times, 0);
  EXPECT_EQ(stat("messages_sent_back"), 0);
}

TEST_F(FerrydRetry, BroadcastingRetriesLocallyAndNeverSendsBack) {
  create_topic("BcastT", 1);
  auto conf = make_conf(addr_, {{"group", "BcastG"}, {"message_model", "broadcasting"}, {"consume_from", "first"},
                                {"offset_store_dir", dir_.str() + "/offsets"}});
  Script s;
  s.fail_times["again"] = 2;
  auto c = scripted_consumer(conf, "BcastT", &s);
  auto p = start_producer(conf_);
  auto m = make_msg("BcastT", "again");
  char err[512];
  ASSERT_EQ(FERRY_OK, ferry_producer_send(p.get(), m.get(), nullptr, err, sizeof err)) << err;
  ASSERT_TRUE(wait_until([&] { return s.succeeded_all({"again"}); }, 20s));
  EXPECT_EQ(s.deliveries_of("again"), 3u);
  std::lock_guard l(s.mu);
  for (auto& d : s.seen) EXPECT_EQ(d.reconsume_times, 0) << "a local retry is the same record";
  EXPECT_EQ(stat("messages_sent_back"), 0);
  char* json = nullptr;
  EXPECT_NE(FERRY_OK, ferry_admin_topic_route(admin_.get(), "%RETRY%BcastG", &json, nullptr, 0));
  ferry_string_free(json);
}

}  // namespace
}  // namespace ferry::sdk::test
