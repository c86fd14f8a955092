// Start order follows declared requirements whatever the config order;
// shutdown reverses it.
#include <gtest/gtest.h>

#include "ferry_test/temp_dir.h"
#include "kernel_harness.h"

namespace ferry::test {
namespace {

using Lines = std::vector<std::string>;

std::string block(const std::string& instance, const std::string& stem) {
  return "[plugins." + instance + "]\nlibrary = \"" + fake_plugin(stem) + "\"\ngreeting = \"" +
         instance + "\"\n";
}

TEST(Lifecycle, ReverseDependencyOrderInConfigStartsRequirementsFirst) {
  TempDir dir;
  // filter requires flush, flush requires storage: listed backwards.
  KernelRun run(block("filter", "ferry_filter_fakefilter") + block("flush", "ferry_flush_fakeflush") +
                    block("store", "ferry_storage_fakestore"),
                dir.str());
  ASSERT_TRUE(run.ok()) << run.errors();
  EXPECT_EQ(run.kernel().instance_names(), (Lines{"store", "flush", "filter"}));
  run.start();
  ASSERT_TRUE(run.wait_serving());
  EXPECT_EQ(run.stop_and_join(), 0);
  EXPECT_EQ(run.lines_of(), (Lines{"store: create store", "flush: create flush",
                                   "filter: create filter", "store: start store",
                                   "flush: start flush", "filter: start filter",
                                   "filter: stop filter", "flush: stop flush", "store: stop store",
                                   "filter: destroy filter", "flush: destroy flush",
                                   "store: destroy store"}));
}

TEST(Lifecycle, ConfigOrderIsKeptBetweenUnrelatedInstances) {
  TempDir dir;
  KernelRun run(block("b", "ferry_storage_fakestore") + block("a", "ferry_filter_fakenullop"),
                dir.str());
  ASSERT_TRUE(run.ok()) << run.errors();
  // No requirement between them: the file's order, not the keys' order.
  EXPECT_EQ(run.kernel().instance_names(), (Lines{"b", "a"}));
}

TEST(Lifecycle, DataDirIsCreatedAndReportedAbsolute) {
  TempDir dir;
  std::string data = dir.str() + "/nested/data";
  KernelRun run(block("store", "ferry_storage_fakestore"), data);
  ASSERT_TRUE(run.ok()) << run.errors();
  run.start();
  ASSERT_TRUE(run.wait_serving());
  EXPECT_TRUE(std::filesystem::is_directory(data));
  EXPECT_EQ(run.stop_and_join(), 0);
}

TEST(Lifecycle, StopRequestedBeforeRunStillStartsAndStopsCleanly) {
  TempDir dir;
  KernelRun run(block("store", "ferry_storage_fakestore"), dir.str());
  ASSERT_TRUE(run.ok()) << run.errors();
  run.kernel().request_stop();
  run.start();
  EXPECT_EQ(run.join(), 0);
  EXPECT_EQ(run.lines_of(), (Lines{"store: create store", "store: start store",
                                   "store: stop store", "store: destroy store"}));
}

}  // namespace
}  // namespace ferry::test
