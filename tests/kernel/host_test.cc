// The host table as a plugin sees it, on an instance built by hand: config
// accessors, kernel_info, service lookup, metrics, timers, post, queue_work,
// and the calls that wait for the transport and the core.
#include <gtest/gtest.h>

#include <thread>

#include "config/kernel_schema.h"
#include "ferry_test/paths.h"
#include "host/host_api.h"
#include "host/instance.h"
#include "log/log_sink.h"

namespace ferry::host {
namespace {

class HostTest : public ::testing::Test {
 protected:
  HostTest() {
    uv_loop_init(&loop_);
    bridge_ = std::make_unique<LoopBridge>(&loop_);
    ctx_.clock = &clock_;
    ctx_.metrics = &metrics_;
    ctx_.watermarks = &watermarks_;
    ctx_.bridge = bridge_.get();
    ctx_.net = &net_;
    ctx_.core = &core_;
    ctx_.instances = &instances_;
    ctx_.info = FERRY_STRUCT_INIT(ferry_kernel_info);
    ctx_.info.data_dir = "/data";
    ctx_.info.listen_address = "127.0.0.1:1";
    ctx_.info.broker_id = 2;
    ctx_.info.max_frame_bytes = 4096;

    const ferry_config_key keys[] = {
        FERRY_CONFIG_KEY("s", FERRY_CONFIG_STRING, "text", NULL, NULL, NULL, "d"),
        FERRY_CONFIG_KEY("n", FERRY_CONFIG_INT, "-3", NULL, NULL, NULL, "d"),
        FERRY_CONFIG_KEY("b", FERRY_CONFIG_BOOL, "true", NULL, NULL, NULL, "d"),
        FERRY_CONFIG_KEY("x", FERRY_CONFIG_DOUBLE, "0.25", NULL, NULL, NULL, "d"),
        FERRY_CONFIG_KEY("t", FERRY_CONFIG_DURATION, "2m", NULL, NULL, NULL, "d"),
        FERRY_CONFIG_KEY("z", FERRY_CONFIG_SIZE, "64KiB", NULL, NULL, NULL, "d"),
        FERRY_CONFIG_KEY("l", FERRY_CONFIG_STRING_LIST, "a, b", NULL, NULL, NULL, "d"),
        FERRY_CONFIG_KEY("e", FERRY_CONFIG_ENUM, "async", NULL, NULL, "sync|async", "d"),
    };
    std::string error;
    auto schema = config::Schema::from_c(keys, sizeof(ferry_config_key), 8, &error);
    config::Values values;
    for (const auto& k : schema->keys()) values.set(k.name, k.type, *k.default_value);
    add_instance("me", std::move(values));
  }
  ~HostTest() override {
    instances_.clear();
    bridge_->close();
    uv_run(&loop_, UV_RUN_DEFAULT);
    uv_loop_close(&loop_);
  }

  ferry_host* add_instance(const std::string& name, config::Values values) {
    instances_.push_back(std::make_unique<ferry_host>(&ctx_, name, nullptr,
                                                      log::Logger(&sink_, &threshold_, name),
                                                      std::move(values), &loop_));
    instances_.back()->state = InstanceState::kStarted;
    return instances_.back().get();
  }
  ferry_host* me() { return instances_[0].get(); }

  const ferry_host_api* api_ = host_api();
  uv_loop_t loop_{};
  ManualClock clock_;
  MetricsRegistry metrics_;
  Watermarks watermarks_;
  std::unique_ptr<LoopBridge> bridge_;
  UnavailableNet net_;
  UnavailableCore core_;
  log::CaptureSink sink_;
  std::atomic<int> threshold_{FERRY_LOG_INFO};
  std::vector<std::unique_ptr<ferry_host>> instances_;
  HostContext ctx_;
};

TEST_F(HostTest, TableDeclaresItsVersionAndEveryFunction) {
  EXPECT_EQ(api_->struct_size, sizeof(ferry_host_api));
  EXPECT_EQ(api_->abi_major, FERRY_ABI_MAJOR);
  EXPECT_EQ(api_->abi_minor, FERRY_ABI_MINOR);
  // Every slot is filled: a plugin may call any function of its minor.
  const auto* slots = reinterpret_cast<const void* const*>(reinterpret_cast<const char*>(api_) + 8);
  size_t n = (sizeof(ferry_host_api) - 8) / sizeof(void*);
  for (size_t i = 0; i < n; ++i) EXPECT_NE(slots[i], nullptr) << "slot " << i;
}

TEST_F(HostTest, ConfigAccessorsReturnTypedValuesAndRefuseOthers) {
  const char* s = nullptr;
  int64_t n = 0, t = 0;
  ferry_bool b = 0;
  double x = 0;
  uint64_t z = 0;
  EXPECT_EQ(api_->config_string(me(), "s", &s), FERRY_OK);
  EXPECT_STREQ(s, "text");
  EXPECT_EQ(api_->config_string(me(), "e", &s), FERRY_OK);  // enums read as strings
  EXPECT_STREQ(s, "async");
  EXPECT_EQ(api_->config_int(me(), "n", &n), FERRY_OK);
  EXPECT_EQ(n, -3);
  EXPECT_EQ(api_->config_bool(me(), "b", &b), FERRY_OK);
  EXPECT_EQ(b, 1);
  EXPECT_EQ(api_->config_double(me(), "x", &x), FERRY_OK);
  EXPECT_EQ(x, 0.25);
  EXPECT_EQ(api_->config_duration_ms(me(), "t", &t), FERRY_OK);
  EXPECT_EQ(t, 120'000);
  EXPECT_EQ(api_->config_size_bytes(me(), "z", &z), FERRY_OK);
  EXPECT_EQ(z, 65536u);
  EXPECT_EQ(api_->config_list_item(me(), "l", 1, &s), FERRY_OK);
  EXPECT_STREQ(s, "b");
  EXPECT_EQ(api_->config_list_item(me(), "l", 2, &s), FERRY_E_OUT_OF_RANGE);
  EXPECT_EQ(api_->config_int(me(), "nope", &n), FERRY_E_NOT_FOUND);
  EXPECT_EQ(api_->config_int(me(), "s", &n), FERRY_E_INVALID_ARGUMENT);
}

TEST_F(HostTest, KernelInfoCopiesOnlyWhatTheCallersStructHolds) {
  ferry_kernel_info info = FERRY_STRUCT_INIT(ferry_kernel_info);
  ASSERT_EQ(api_->kernel_info(me(), &info), FERRY_OK);
  EXPECT_STREQ(info.instance_name, "me");
  EXPECT_STREQ(info.data_dir, "/data");
  EXPECT_EQ(info.broker_id, 2);
  EXPECT_EQ(info.max_frame_bytes, 4096u);
  // An older plugin that knows only up to data_dir: nothing past it is written.
  ferry_kernel_info old{};
  old.struct_size = FERRY_STRUCT_SIZE(ferry_kernel_info, data_dir);
  old.broker_id = 77;
  ASSERT_EQ(api_->kernel_info(me(), &old), FERRY_OK);
  EXPECT_STREQ(old.data_dir, "/data");
  EXPECT_EQ(old.broker_id, 77);
}

TEST_F(HostTest, SetErrorCopiesTheMessageAndReturnsTheStatus) {
  ferry_error err;
  std::string text = "disk on fire";
  EXPECT_EQ(api_->set_error(&err, FERRY_E_IO, text.c_str()), FERRY_E_IO);
  text = "overwritten";
  EXPECT_EQ(err.status, FERRY_E_IO);
  EXPECT_EQ(err.message, "disk on fire");
  EXPECT_EQ(api_->set_error(nullptr, FERRY_E_BUSY, "x"), FERRY_E_BUSY);
}

TEST_F(HostTest, LogGoesThroughTheInstancesLoggerAndLevel) {
  api_->log(me(), FERRY_LOG_INFO, "hello");
  api_->log(me(), FERRY_LOG_DEBUG, "hidden");
  EXPECT_EQ(api_->log_enabled(me(), FERRY_LOG_DEBUG), 0);
  EXPECT_EQ(api_->log_enabled(me(), FERRY_LOG_WARN), 1);
  EXPECT_EQ(sink_.lines(), std::vector<std::string>{"me: hello"});
}

TEST_F(HostTest, ClockIsTheKernelsMockableClock) {
  int64_t before = api_->now_ms(me());
  clock_.advance_ms(1500);
  EXPECT_EQ(api_->now_ms(me()), before + 1500);
}

TEST_F(HostTest, ReportFaultTurnsTheBrokerReadOnly) {
  EXPECT_FALSE(ctx_.read_only.load());
  api_->report_fault(me(), FERRY_E_IO, "fsync failed: EIO");
  EXPECT_TRUE(ctx_.read_only.load());
  EXPECT_EQ(sink_.lines(), std::vector<std::string>{
                               "me: FAULT FERRY_E_IO: fsync failed: EIO — broker is now read-only"});
}

TEST_F(HostTest, MetricsAreRegisteredPerInstanceAndRendered) {
  ferry_metric *c = nullptr, *g = nullptr, *h = nullptr;
  ASSERT_EQ(api_->metric_register(me(), "ferry_appends_total", "Appends", FERRY_METRIC_COUNTER,
                                  "queue=3", &c),
            FERRY_OK);
  ASSERT_EQ(api_->metric_register(me(), "ferry_lag", "Lag", FERRY_METRIC_GAUGE, nullptr, &g),
            FERRY_OK);
  ASSERT_EQ(api_->metric_register(me(), "ferry_fsync_us", "Fsync", FERRY_METRIC_HISTOGRAM, "",
                                  &h),
            FERRY_OK);
  api_->metric_add(c, 2);
  api_->metric_add(c, 3);
  api_->metric_set(g, 7);
  api_->metric_observe(h, 40);
  api_->metric_observe(h, 2e7);
  std::string text = metrics_.render_text();
  EXPECT_NE(text.find("# TYPE ferry_appends_total counter\n"
                      "ferry_appends_total{instance=\"me\",queue=\"3\"} 5\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("ferry_lag{instance=\"me\"} 7\n"), std::string::npos) << text;
  EXPECT_NE(text.find("ferry_fsync_us_bucket{instance=\"me\",le=\"50\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("ferry_fsync_us_bucket{instance=\"me\",le=\"+Inf\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("ferry_fsync_us_count{instance=\"me\"} 2\n"), std::string::npos);
  // Same name, other type: refused.
  ferry_metric* bad = nullptr;
  EXPECT_EQ(api_->metric_register(me(), "ferry_lag", "x", FERRY_METRIC_COUNTER, nullptr, &bad),
            FERRY_E_INVALID_ARGUMENT);
  EXPECT_EQ(api_->metric_register(me(), "bad name", "x", FERRY_METRIC_COUNTER, nullptr, &bad),
            FERRY_E_INVALID_ARGUMENT);
}

TEST_F(HostTest, MetricUpdatesFromManyThreadsAreNotLost) {
  ferry_metric* c = nullptr;
  ASSERT_EQ(api_->metric_register(me(), "ferry_n", "n", FERRY_METRIC_COUNTER, nullptr, &c),
            FERRY_OK);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) api_->metric_add(c, 1);
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(reinterpret_cast<Metric*>(c)->value(), 40000);
}

TEST_F(HostTest, ServiceFindByKindSkipsTheCallerAndRefusesAmbiguity) {
  ferry_service svc = FERRY_STRUCT_INIT(ferry_service);
  EXPECT_EQ(api_->service_find(me(), FERRY_KIND_STORAGE, nullptr, &svc), FERRY_E_NOT_FOUND);

  std::string error;
  auto lib = loader::PluginLibrary::open(
      ferry::test::build_dir() + "/lib/ferry/test-plugins/ferry_storage_fakestore.so", &error);
  ASSERT_NE(lib, nullptr) << error;
  int a = 1, b = 2;
  for (auto [name, inst] : {std::pair{"s1", &a}, std::pair{"s2", &b}}) {
    instances_.push_back(std::make_unique<ferry_host>(&ctx_, name, lib,
                                                      log::Logger(&sink_, &threshold_, name),
                                                      config::Values(), &loop_));
    instances_.back()->instance = inst;
    instances_.back()->state = InstanceState::kCreated;
  }
  // Two storage instances: the caller must name one.
  EXPECT_EQ(api_->service_find(me(), FERRY_KIND_STORAGE, nullptr, &svc), FERRY_E_INVALID_ARGUMENT);
  ASSERT_EQ(api_->service_find(me(), FERRY_KIND_STORAGE, "s2", &svc), FERRY_OK);
  EXPECT_STREQ(svc.instance_name, "s2");
  EXPECT_EQ(svc.instance, &b);
  EXPECT_EQ(svc.kind, static_cast<uint32_t>(FERRY_KIND_STORAGE));
  EXPECT_EQ(svc.ops, nullptr);  // the fake storage offers no ops table
  // A destroyed instance is not found.
  instances_[2]->state = InstanceState::kDestroyed;
  ASSERT_EQ(api_->service_find(me(), FERRY_KIND_STORAGE, nullptr, &svc), FERRY_OK);
  EXPECT_STREQ(svc.instance_name, "s1");
  EXPECT_EQ(api_->service_find(me(), FERRY_KIND_FLUSH, nullptr, &svc), FERRY_E_NOT_FOUND);
}

TEST_F(HostTest, PostsFromOtherThreadsRunOnTheLoop) {
  struct Counter {
    std::atomic<int> n{0};
    std::thread::id loop_thread;
    bool all_on_loop = true;
  } counter;
  counter.loop_thread = std::this_thread::get_id();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i)
        ASSERT_EQ(api_->post(
                      me(),
                      [](void* p) {
                        auto* c = static_cast<Counter*>(p);
                        if (std::this_thread::get_id() != c->loop_thread) c->all_on_loop = false;
                        c->n++;
                      },
                      &counter),
                  FERRY_OK);
    });
  for (auto& t : threads) t.join();
  uv_run(&loop_, UV_RUN_NOWAIT);
  EXPECT_EQ(counter.n.load(), 400);
  EXPECT_TRUE(counter.all_on_loop);
  bridge_->close();
  EXPECT_EQ(api_->post(me(), [](void*) {}, nullptr), FERRY_E_SHUTTING_DOWN);
}

// defer: the loop-thread twin of post. Deferred work runs at the end of the
// turn that queued it (here: a timer's turn); work it defers runs in the same
// check phase (the daemon's append turn defers the work that answers its
// sends), a chain that keeps re-deferring itself goes on in later turns
// without the loop blocking in poll (the turns below would wait for the 5 s
// guard timer otherwise) and without starving it, and close() runs what is
// still queued.
TEST_F(HostTest, DeferRunsAtTheTurnsEndOnTheLoop) {
  EXPECT_TRUE(bridge_->on_loop());
  bool off_loop = true;
  std::thread([&] { off_loop = bridge_->on_loop(); }).join();
  EXPECT_FALSE(off_loop);

  std::vector<std::string> order;
  uv_timer_t first{}, guard{};
  uv_timer_init(&loop_, &first);
  uv_timer_init(&loop_, &guard);
  struct Ctx {
    LoopBridge* bridge;
    std::vector<std::string>* order;
    int turn = 0;
    std::vector<int> turns;  // the turn each entry of order was made in
    int chain_left = 10;
    void push(std::string s) {
      order->push_back(std::move(s));
      turns.push_back(turn);
    }
    void chain() {
      push("chain");
      if (--chain_left > 0) bridge->defer([this] { chain(); });
    }
  } ctx{bridge_.get(), &order};
  first.data = &ctx;
  uv_timer_start(&first, [](uv_timer_t* t) {
    auto* c = static_cast<Ctx*>(t->data);
    c->bridge->defer([c] {
      c->push("deferred");
      c->bridge->defer([c] { c->push("deferred again"); });
    });
    c->push("timer");
  }, 0, 0);
  bool guard_fired = false;
  guard.data = &guard_fired;
  uv_timer_start(&guard, [](uv_timer_t* t) { *static_cast<bool*>(t->data) = true; }, 5'000, 0);
  for (; ctx.turn < 10 && order.size() < 3; ++ctx.turn) uv_run(&loop_, UV_RUN_ONCE);
  EXPECT_FALSE(guard_fired);  // no turn blocked in poll while work was deferred
  ASSERT_EQ(order, (std::vector<std::string>{"timer", "deferred", "deferred again"}));
  EXPECT_EQ(ctx.turns[0], ctx.turns[1]);  // at the end of the timer's turn
  EXPECT_EQ(ctx.turns[1], ctx.turns[2]);  // in the same check phase

  order.clear();
  ctx.turns.clear();
  ctx.turn = 0;
  bridge_->defer([&ctx] { ctx.chain(); });
  for (; ctx.turn < 20 && order.size() < 10; ++ctx.turn) uv_run(&loop_, UV_RUN_ONCE);
  EXPECT_FALSE(guard_fired);
  ASSERT_EQ(order.size(), 10u);
  EXPECT_GT(ctx.turns.back(), ctx.turns.front()) << "a self-deferring chain must yield to the loop";
  uv_timer_stop(&guard);

  bool at_close = false;
  bridge_->defer([&] { at_close = true; });
  bridge_->close();
  EXPECT_TRUE(at_close);
  bridge_->defer([&] { ADD_FAILURE() << "ran after close"; });
  uv_close(reinterpret_cast<uv_handle_t*>(&first), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&guard), nullptr);
  uv_run(&loop_, UV_RUN_DEFAULT);
}

TEST_F(HostTest, QueueWorkRunsOffTheLoopThenDoneOnIt) {
  struct Job {
    std::thread::id loop, worker, done;
  } job;
  job.loop = std::this_thread::get_id();
  ASSERT_EQ(api_->queue_work(
                me(), [](void* p) { static_cast<Job*>(p)->worker = std::this_thread::get_id(); },
                [](void* p) { static_cast<Job*>(p)->done = std::this_thread::get_id(); }, &job),
            FERRY_OK);
  EXPECT_EQ(bridge_->work_in_flight(), 1u);
  while (bridge_->work_in_flight() > 0) uv_run(&loop_, UV_RUN_ONCE);
  EXPECT_NE(job.worker, job.loop);
  EXPECT_EQ(job.done, job.loop);
}

TEST_F(HostTest, TimersFireOnTheLoopAndStopCleanly) {
  struct Ticks {
    int n = 0;
  } ticks;
  ferry_timer* t = nullptr;
  ASSERT_EQ(api_->timer_start(me(), 1, 1, [](void* p) { static_cast<Ticks*>(p)->n++; }, &ticks, &t),
            FERRY_OK);
  while (ticks.n < 3) uv_run(&loop_, UV_RUN_ONCE);
  api_->timer_stop(me(), t);
  int seen = ticks.n;
  uv_run(&loop_, UV_RUN_NOWAIT);
  EXPECT_EQ(ticks.n, seen);
  EXPECT_EQ(me()->timers.size(), 0u);
  // A timer the plugin forgets is stopped with the instance.
  ASSERT_EQ(api_->timer_start(me(), 1000, 0, [](void*) {}, nullptr, &t), FERRY_OK);
  EXPECT_EQ(me()->timers.size(), 1u);
}

TEST_F(HostTest, TransportAndCoreCallsSayWhichSubsystemIsMissing) {
  EXPECT_EQ(api_->handler_register(me(), 10001, [](void*, ferry_request*) {}, nullptr),
            FERRY_E_NOT_SUPPORTED);
  ferry_conn* conn = nullptr;
  EXPECT_EQ(api_->conn_open(me(), "127.0.0.1:1", nullptr, nullptr, &conn), FERRY_E_NOT_SUPPORTED);
  ferry_topic_info topic = FERRY_STRUCT_INIT(ferry_topic_info);
  EXPECT_EQ(api_->topic_get(me(), ferry_slice{"T", 1}, &topic), FERRY_E_NOT_SUPPORTED);
  EXPECT_EQ(sink_.lines(),
            (std::vector<std::string>{
                "me: handler_register: not supported yet: the transport (kernel/net) is not "
                "attached to this ferryd",
                "me: conn_open: not supported yet: the transport (kernel/net) is not attached to "
                "this ferryd",
                "me: topic_get: not supported yet: the messaging core (kernel/core) is not "
                "attached to this ferryd"}));
}

}  // namespace
}  // namespace ferry::host
