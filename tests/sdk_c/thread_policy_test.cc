// The client key thread_policy: with "batch" the handle's own threads
// (ferry-io, ferry-callback, a push consumer's listener threads) run as
// SCHED_BATCH, read back with sched_getscheduler on each thread; the
// caller's thread and the default ("normal") stay SCHED_OTHER.
#include <sched.h>
#include <sys/types.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>

#include "ferry_test/child_process.h"
#include "fake_cluster.h"
#include "sdk_fixture.h"

namespace ferry::sdk::test {
namespace {

using namespace std::chrono_literals;

struct Thread {
  std::string comm;
  int policy;
};

std::map<pid_t, Thread> threads() {
  std::map<pid_t, Thread> out;
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/task")) {
    pid_t tid = static_cast<pid_t>(std::stol(e.path().filename().string()));
    std::string comm;
    std::getline(std::ifstream(e.path() / "comm"), comm);
    out[tid] = {comm, ::sched_getscheduler(tid)};
  }
  return out;
}

// Threads not in `before`, by name: how many run with `policy`, and a listing.
std::map<std::string, int> new_with_policy(const std::map<pid_t, Thread>& before, int policy, std::string* all) {
  std::map<std::string, int> n;
  all->clear();
  for (const auto& [tid, t] : threads()) {
    if (before.count(tid)) continue;
    *all += t.comm + ":" + std::to_string(t.policy) + " ";
    if (t.policy == policy) ++n[t.comm];
  }
  return n;
}

ferry_consume_status ok(void*, ferry_client_message* const*, size_t) { return FERRY_CONSUME_SUCCESS; }

TEST(SdkThreadPolicy, BatchAppliesToTheHandlesThreadsOnly) {
  FakeCluster cluster({.brokers = 1, .queues = 2});
  cluster.create_topic("T");
  const int own = ::sched_getscheduler(0);
  auto before = threads();
  auto p = start_producer(make_conf(cluster.name_servers(), {{"thread_policy", "batch"}}));
  std::string all;
  // ferry-callback names itself and takes the policy as it starts: wait for both.
  EXPECT_TRUE(ferry::test::wait_until([&] {
    auto n = new_with_policy(before, SCHED_BATCH, &all);
    return n["ferry-io"] == 1 && n["ferry-callback"] == 1;
  }, 10s)) << all;
  send_n(p.get(), "T", 3);
  EXPECT_EQ(own, ::sched_getscheduler(0)) << "the caller's thread was changed";

  before = threads();
  ferry_push_consumer* c = nullptr;
  char err[256];
  auto conf = make_conf(cluster.name_servers(), {{"group", "CG"}, {"thread_policy", "batch"}, {"consume_threads", "3"}});
  ASSERT_EQ(FERRY_OK, ferry_push_consumer_new(conf.get(), &c, err, sizeof err)) << err;
  Push push(c);
  ASSERT_EQ(FERRY_OK, ferry_push_consumer_subscribe(c, "T", "*", err, sizeof err)) << err;
  ASSERT_EQ(FERRY_OK, ferry_push_consumer_set_listener(c, ok, nullptr, err, sizeof err)) << err;
  ASSERT_EQ(FERRY_OK, ferry_push_consumer_start(c, err, sizeof err)) << err;
  // Its I/O thread, its handle's callback thread and its 3 listener threads.
  EXPECT_TRUE(ferry::test::wait_until([&] {
    auto n = new_with_policy(before, SCHED_BATCH, &all);
    return n["ferry-io"] == 1 && n["ferry-callback"] == 4;
  }, 10s)) << all;
}

TEST(SdkThreadPolicy, NormalIsTheDefaultAndChangesNothing) {
  FakeCluster cluster({.brokers = 1, .queues = 2});
  cluster.create_topic("T");
  auto before = threads();
  auto p = start_producer(make_conf(cluster.name_servers()));
  std::string all;
  EXPECT_TRUE(ferry::test::wait_until([&] {
    auto n = new_with_policy(before, SCHED_OTHER, &all);
    return n["ferry-io"] == 1 && n["ferry-callback"] == 1;
  }, 10s)) << all;
  EXPECT_EQ(0, new_with_policy(before, SCHED_BATCH, &all).size()) << all;
}

}  // namespace
}  // namespace ferry::sdk::test
