// Runs every C example (sdk/c/examples) against a FakeCluster: each must
// exit 0, which they do only when what they sent/received adds up.
#include <ferry_test/child_process.h>
#include <ferry_test/paths.h>
#include <ferry_test/temp_dir.h>

#include "sdk_fixture.h"

namespace ferry::sdk::test {
namespace {

using namespace std::chrono_literals;

int run_example(const std::string& name, std::vector<std::string> args, const ferry::test::TempDir& dir) {
  std::vector<std::string> argv{ferry::test::bin_path("ferry_example_" + name)};
  argv.insert(argv.end(), args.begin(), args.end());
  ferry::test::ChildProcess child(argv, dir.str() + "/" + name + ".log");
  auto st = child.wait_for(30s);
  if (!st) return -1;
  if (!WIFEXITED(*st) || WEXITSTATUS(*st) != 0) ADD_FAILURE() << name << " said:\n" << child.log();
  return WIFEXITED(*st) ? WEXITSTATUS(*st) : -2;
}

TEST(SdkExamples, EveryExampleRuns) {
  // The directory outlives the cluster: its removal (opendir/closedir) may
  // reuse a descriptor number the cluster's loop thread accepted and libuv
  // closed with a raw syscall, which TSan cannot see unless the loop thread
  // was joined first.
  ferry::test::TempDir dir;
  FakeCluster cluster({.brokers = 1, .queues = 4});
  cluster.create_topic("Ex");
  cluster.create_topic("ExOrdered");
  std::string ns = cluster.name_servers();
  EXPECT_EQ(0, run_example("producer_sync", {ns, "Ex", "5"}, dir));
  EXPECT_EQ(0, run_example("producer_async", {ns, "Ex", "20"}, dir));
  EXPECT_EQ(0, run_example("producer_oneway", {ns, "Ex", "5"}, dir));
  EXPECT_EQ(0, run_example("producer_batch", {ns, "Ex", "10"}, dir));
  EXPECT_TRUE(ferry::test::wait_until([&] { return cluster.stored(0) == 40; }, 5s));
  EXPECT_EQ(0, run_example("push_consumer", {ns, "Ex", "40", "clustering"}, dir));
  EXPECT_EQ(0, run_example("push_consumer", {ns, "Ex", "40", "broadcasting", dir.str() + "/offsets"}, dir));
  EXPECT_EQ(0, run_example("pull_consumer", {ns, "Ex", "40"}, dir));
  EXPECT_EQ(0, run_example("ordered", {ns, "ExOrdered"}, dir));
}

}  // namespace
}  // namespace ferry::sdk::test
