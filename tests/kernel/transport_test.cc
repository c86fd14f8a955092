// ferryd's listener and the transport side of the host table, over
// kernel/net on loopback: a plugin's request handler answers a real client;
// the plugin's own outbound connection reaches it; unknown and kernel codes
// get their documented answers; shutdown closes everything cleanly.
#include <gtest/gtest.h>

#include "ferry_test/temp_dir.h"
#include "kernel_harness.h"
#include "test_client.h"

namespace ferry::test {
namespace {

using namespace std::chrono_literals;

std::string echo_config() {
  return "[plugins.echo]\nlibrary = \"" + fake_plugin("ferry_routing_fakeecho") + "\"\n";
}

TEST(Transport, PluginHandlersAnswerClientsAndPluginsReachTheKernel) {
  TempDir dir;
  KernelRun run(echo_config(), dir.str(), /*transport=*/true);
  ASSERT_TRUE(run.ok()) << run.errors();
  run.start();
  ASSERT_TRUE(run.wait_serving());
  std::string address = run.kernel().listen_address();
  ASSERT_NE(address, "127.0.0.1:0");  // the bound port, as kernel_info reports it

  // The plugin's own connection (conn_open to kernel_info's listen address)
  // reached its own handler through the kernel's listener.
  EXPECT_TRUE(wait_until(
      [&] {
        for (const auto& l : run.lines_of("echo"))
          if (l == "echo: reply FERRY_OK echoed ping") return true;
        return false;
      },
      5s))
      << ::testing::PrintToString(run.all_lines());

  TestClient client(address);
  ASSERT_TRUE(client.wait_connected());
  Answer a = client.ask(10999, "hello", "raw-bytes");
  EXPECT_EQ(a.status, FERRY_OK);
  EXPECT_EQ(a.message, "echoed");
  EXPECT_EQ(a.payload, "hello");
  EXPECT_EQ(a.attachment, "raw-bytes");

  Answer unknown = client.ask(10998, "x");
  EXPECT_EQ(unknown.status, FERRY_E_UNKNOWN_REQUEST);
  EXPECT_EQ(unknown.message, "no plugin handles request code 10998");

  Answer core = client.ask(10, "x");
  EXPECT_EQ(core.status, FERRY_E_NOT_SUPPORTED);
  EXPECT_EQ(core.message,
            "request code 10 belongs to the messaging core, which is not attached to this ferryd");

  EXPECT_EQ(run.stop_and_join(), 0);
}

TEST(Transport, ListenFailureIsAStartFailure) {
  TempDir dir;
  KernelRun first(echo_config(), dir.str() + "/a", true);
  ASSERT_TRUE(first.ok()) << first.errors();
  first.start();
  ASSERT_TRUE(first.wait_serving());
  std::string taken = first.kernel().listen_address();

  KernelRun second("[kernel]\nlisten = \"" + taken + "\"\n", dir.str() + "/b");
  ASSERT_TRUE(second.ok()) << second.errors();
  second.kernel().attach_transport();
  second.start();
  EXPECT_EQ(second.join(), 1);
  EXPECT_EQ(second.kernel().last_error(), "cannot listen on " + taken + ": address already in use");
  EXPECT_EQ(first.stop_and_join(), 0);
}

}  // namespace
}  // namespace ferry::test
