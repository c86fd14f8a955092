// run_loop's busy-poll (ferry/net/busy_poll.h): a loop that polls after I/O
// still runs every callback (async wake-ups, timers, request/answer over
// TCP), ends when its handles are closed, and an idle loop sleeps: its
// thread's CPU time over 2 s idle stays far below the 2 s a spin would take
// (a generous bound, not a timing assertion).
#include <gtest/gtest.h>
#include <time.h>

#include <atomic>
#include <thread>

#include "ferry/net/busy_poll.h"
#include "ferry/net/loop_thread.h"

namespace ferry::net {
namespace {

TEST(BusyPoll, RunsAsyncAndTimerCallbacksAndEndsWhenHandlesClose) {
  uv_loop_t loop;
  ASSERT_EQ(0, uv_loop_init(&loop));
  struct State {
    uv_async_t async;
    uv_timer_t timer;
    std::atomic<int> asyncs{0};
    int ticks = 0;
  } st;
  st.async.data = st.timer.data = &st;
  uv_async_init(&loop, &st.async, [](uv_async_t* a) { ++static_cast<State*>(a->data)->asyncs; });
  uv_timer_init(&loop, &st.timer);
  // The timer ends the test once every wake-up was handled and it ran a few
  // times itself (timers fall due inside polling windows too).
  uv_timer_start(&st.timer, [](uv_timer_t* t) {
    auto* s = static_cast<State*>(t->data);
    if (++s->ticks >= 3 && s->asyncs.load() == 1000) {
      uv_close(reinterpret_cast<uv_handle_t*>(&s->async), nullptr);
      uv_close(reinterpret_cast<uv_handle_t*>(&s->timer), nullptr);
    }
  }, 1, 1);
  // One uv_async_send at a time, each after the previous was handled: every
  // one is a wake-up (or a poll) of the loop.
  std::thread sender([&] {
    for (int i = 0; i < 1000; ++i) {
      uv_async_send(&st.async);
      while (st.asyncs.load() <= i) std::this_thread::yield();
    }
  });
  EXPECT_EQ(0, run_loop(&loop, 200));
  sender.join();
  EXPECT_EQ(1000, st.asyncs.load());
  EXPECT_GE(st.ticks, 3);
  EXPECT_EQ(0, uv_loop_close(&loop));
}

double thread_cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

TEST(BusyPoll, AnIdleLoopSleepsAfterItsWindow) {
  LoopThread lt(kMaxBusyPollUs);  // the largest window: 10 ms of polling after each wake-up
  // A timer ticking every 2 ms — inside every window — must not keep the
  // loop polling either (timer turns do not extend a window).
  uv_timer_t timer;
  lt.run_sync([&] {
    uv_timer_init(lt.loop(), &timer);
    uv_timer_start(&timer, [](uv_timer_t*) {}, 2, 2);
  });
  for (int i = 0; i < 20; ++i) lt.run_sync([] {});  // wake-ups: each opens a window
  double before = lt.run_sync([] { return thread_cpu_s(); });
  std::this_thread::sleep_for(std::chrono::seconds(2));
  double after = lt.run_sync([] { return thread_cpu_s(); });
  EXPECT_LT(after - before, 0.5) << "the idle loop thread spun";
  lt.run_sync([&] { uv_close(reinterpret_cast<uv_handle_t*>(&timer), nullptr); });
  EXPECT_TRUE(lt.stop());
}

TEST(BusyPoll, ZeroIsPlainUvRun) {
  LoopThread lt(0);
  EXPECT_EQ(42, lt.run_sync([] { return 42; }));
  EXPECT_TRUE(lt.stop());
}

}  // namespace
}  // namespace ferry::net
