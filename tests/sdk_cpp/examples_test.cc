// The C++ examples (sdk/cpp/examples) run against a real ferryd; each must
// exit 0 and print its summary line.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <sstream>
#include <string>
#include <vector>

#include "ferryd_fixture.h"

namespace ferry::test {
namespace {

using namespace std::chrono_literals;

class CppExamples : public BrokerTest {
 protected:
  // Runs bin/ferry_cpp_example_<name> on a fresh topic; returns its output.
  std::string run(const std::string& name, std::vector<std::string> extra = {}) {
    std::string topic;
    make_topic(&topic);
    if (IsSkipped()) return "";
    std::vector<std::string> argv{bin_path("ferry_cpp_example_" + name), "--name-servers", broker_->address(),
                                  "--topic", topic, "--group", "ex_" + topic};
    argv.insert(argv.end(), extra.begin(), extra.end());
    ChildProcess child(argv, broker_->dir() + "/example_" + name + ".log");
    auto status = child.wait_for(120s);
    EXPECT_TRUE(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << child.log();
    return child.log();
  }
  // FERRY_CPP_EXAMPLES: the examples this build has (comma-separated).
  static bool built(const std::string& name) {
    return (std::string(",") + FERRY_CPP_EXAMPLES + ",").find("," + name + ",") != std::string::npos;
  }
};

// Runs the example (when this build has it) and expects `line` in its output.
#define FERRY_EXAMPLE_TEST(test, name, line, extra)                                             \
  TEST_F(CppExamples, test) {                                                                  \
    if (!built(name)) {                                                                        \
      GTEST_SKIP() << "libferry lacks the consumer functions: example " name " not built";     \
    }                                                                                          \
    std::string out = run(name, extra);                                                        \
    if (IsSkipped()) return;                                                                   \
    EXPECT_NE(out.find(line), std::string::npos) << out;                                       \
  }

FERRY_EXAMPLE_TEST(ProducerSync, "producer_sync", "sync: 10 sent", {})
FERRY_EXAMPLE_TEST(ProducerAsync, "producer_async", "async: 100 sent, 0 failed", {})
FERRY_EXAMPLE_TEST(ProducerOneway, "producer_oneway", "oneway: 10 handed off", {})
FERRY_EXAMPLE_TEST(ProducerBatch, "producer_batch", "batch: 10 stored", {})
FERRY_EXAMPLE_TEST(Ordered, "ordered", "in order: true", {})
FERRY_EXAMPLE_TEST(PushClustering, "push_consumer", "(clustering): 10 of 10", {})
FERRY_EXAMPLE_TEST(PushBroadcasting, "push_consumer", "(broadcasting): 10 of 10", {"--broadcasting"})
FERRY_EXAMPLE_TEST(Pull, "pull_consumer", "pull: 10 of 10", {})

}  // namespace
}  // namespace ferry::test
