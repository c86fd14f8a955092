// net::set_thread_slice (the helper behind kernel.thread_slice_us and
// libferry's thread_slice_us): it changes only the calling thread, keeps the
// thread's nice value, 0 returns to the default, and a thread started by a
// sliced thread inherits the slice. Skipped where the OS has no custom
// slices (Linux < 6.12).
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>
#include <thread>

#include "ferry/net/thread_slice.h"

namespace ferry::net {
namespace {

TEST(ThreadSlice, RangeIsZeroOrTheOsRange) {
  EXPECT_TRUE(thread_slice_valid(0));
  EXPECT_FALSE(thread_slice_valid(99));
  EXPECT_TRUE(thread_slice_valid(100));
  EXPECT_TRUE(thread_slice_valid(100'000));
  EXPECT_FALSE(thread_slice_valid(100'001));
}

TEST(ThreadSlice, AppliesToTheCallingThreadKeepsNiceAndResets) {
  const uint64_t main_before = thread_slice_ns();
  std::thread([&] {
    const uint64_t dflt = thread_slice_ns();
    const auto tid = static_cast<id_t>(::syscall(SYS_gettid));
    ASSERT_EQ(0, ::setpriority(PRIO_PROCESS, tid, 5));
    if (set_thread_slice(300) != 0 || thread_slice_ns() != 300'000) GTEST_SKIP() << "no custom slices here";
    EXPECT_EQ(5, ::getpriority(PRIO_PROCESS, tid));
    uint64_t child = 0;
    std::thread([&] { child = thread_slice_ns(); }).join();
    EXPECT_EQ(300'000u, child);  // inherited at clone
    EXPECT_EQ(0, set_thread_slice(0));
    EXPECT_EQ(dflt, thread_slice_ns());
    EXPECT_EQ(5, ::getpriority(PRIO_PROCESS, tid));
  }).join();
  EXPECT_EQ(main_before, thread_slice_ns());
}

}  // namespace
}  // namespace ferry::net
