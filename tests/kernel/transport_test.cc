// ferryd's listener and the transport side of the host table, over
// kernel/net on loopback: a plugin's request handler answers a real client;
// the plugin's own outbound connection reaches it; unknown and kernel codes
// get their documented answers; shutdown closes everything cleanly.
#include <gtest/gtest.h>

#include <ferry/net/client.h>
#include <ferry/net/loop_thread.h>

#include <future>

#include "ferry_test/temp_dir.h"
#include "kernel_harness.h"

namespace ferry::test {
namespace {

using namespace std::chrono_literals;

struct Answer {
  ferry_status status;
  std::string message, payload, attachment;
};

// One request from a kernel/net client on its own loop thread.
class TestClient {
 public:
  explicit TestClient(const std::string& address) {
    loop_.run_sync([&] {
      net::ClientOptions o;
      o.address = address;
      client_ = std::make_unique<net::Client>(loop_.loop(), std::move(o));
      std::string error;
      return client_->start(&error);
    });
  }
  ~TestClient() {
    loop_.run_sync([&] {
      client_->close({});
      return 0;
    });
    client_.reset();  // the impl frees itself in its last close callback
    loop_.stop();
  }
  bool wait_connected() {
    return wait_until([&] { return loop_.run_sync([&] { return client_->connected(); }); }, 5s);
  }
  Answer ask(uint32_t code, const std::string& payload, const std::string& attachment = "") {
    auto promise = std::make_shared<std::promise<Answer>>();
    auto future = promise->get_future();
    loop_.post([&, promise] {
      std::span<const uint8_t> p(reinterpret_cast<const uint8_t*>(payload.data()), payload.size());
      std::span<const uint8_t> a(reinterpret_cast<const uint8_t*>(attachment.data()),
                                 attachment.size());
      ferry_status st = client_->request(code, p, net::Attachment::copy(a), 2000, false,
                                         [promise](const net::Response& r) {
                                           promise->set_value(
                                               {r.status, std::string(r.message),
                                                std::string(r.payload.begin(), r.payload.end()),
                                                std::string(r.attachment.begin(),
                                                            r.attachment.end())});
                                         });
      if (st != FERRY_OK) promise->set_value({st, "not sent", "", ""});
    });
    if (future.wait_for(5s) != std::future_status::ready) return {FERRY_E_TIMEOUT, "", "", ""};
    return future.get();
  }

 private:
  net::LoopThread loop_;
  std::unique_ptr<net::Client> client_;
};

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
