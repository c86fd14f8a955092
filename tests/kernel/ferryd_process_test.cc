// ferryd as a real child process: starts from conf/standalone.toml (temp
// data_dir, free port via --set), stops with exit 0 on SIGTERM/SIGINT;
// --check-config and config errors give their exit statuses and messages.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <csignal>
#include <filesystem>
#include <fstream>

#include "ferry_test/child_process.h"
#include "ferry_test/free_port.h"
#include "ferry_test/paths.h"
#include "ferry_test/temp_dir.h"

namespace ferry::test {
namespace {

using namespace std::chrono_literals;

int exit_status(std::optional<int> status) {
  if (!status) return -1;  // still running: the test fails on it
  return WIFEXITED(*status) ? WEXITSTATUS(*status) : 128 + WTERMSIG(*status);
}

class Ferryd : public ::testing::Test {
 protected:
  std::unique_ptr<ChildProcess> spawn(std::vector<std::string> args) {
    args.insert(args.begin(), bin_path("ferryd"));
    return std::make_unique<ChildProcess>(args, dir_.str() + "/ferryd-" +
                                                    std::to_string(++runs_) + ".log");
  }
  // Runs ferryd to completion (bounded) and returns its exit status.
  int run(std::vector<std::string> args, std::string* output = nullptr) {
    auto child = spawn(std::move(args));
    int status = exit_status(child->wait_for(30s));
    if (output) *output = child->log();
    return status;
  }
  std::string write(const std::string& name, const std::string& text) {
    std::string path = dir_.str() + "/" + name;
    std::ofstream(path) << text;
    return path;
  }
  // conf/standalone.toml with a temp data_dir and a free port (the
  // registration instance registers with the registry at that port).
  std::vector<std::string> standalone_args() {
    port_ = free_port();
    return {"--config", source_dir() + "/conf/standalone.toml",
            "--set",    "kernel.data_dir=" + dir_.str() + "/data",
            "--set",    "kernel.listen=" + loopback(port_),
            "--set",    "plugins.registration.name_servers=[\"" + loopback(port_) + "\"]"};
  }

  TempDir dir_{"ferry-ferryd"};
  int runs_ = 0;
  uint16_t port_ = 0;
};

TEST_F(Ferryd, StandaloneStartsAndExitsZeroOnSigterm) {
  auto child = spawn(standalone_args());
  ASSERT_TRUE(wait_until([&] { return child->log().find("ferryd serving") != std::string::npos ||
                                      !child->running(); },
                         20s))
      << child->log();
  ASSERT_TRUE(child->running()) << child->log();
  EXPECT_TRUE(std::filesystem::is_directory(dir_.str() + "/data"));
  // The routing library runs twice over the real listener: the registration
  // instance registers this broker with the registry instance.
  EXPECT_TRUE(wait_until(
      [&] {
        return child->log().find("registered with name server " + loopback(port_)) !=
               std::string::npos;
      },
      10s))
      << child->log();
  child->signal(SIGTERM);
  EXPECT_EQ(exit_status(child->wait_for(10s)), 0) << child->log();
  EXPECT_NE(child->log().find("received SIGTERM"), std::string::npos) << child->log();
  EXPECT_NE(child->log().find("stopped"), std::string::npos) << child->log();
}

TEST_F(Ferryd, SigintStopsItToo) {
  auto child = spawn(standalone_args());
  ASSERT_TRUE(wait_until([&] { return child->log().find("ferryd serving") != std::string::npos ||
                                      !child->running(); },
                         20s))
      << child->log();
  child->signal(SIGINT);
  EXPECT_EQ(exit_status(child->wait_for(10s)), 0) << child->log();
}

// SIGPIPE (what a write to a client that reset raises) must not end the
// broker: it is ignored, and SIGTERM then stops it with exit 0.
TEST_F(Ferryd, SigpipeDoesNotStopIt) {
  auto child = spawn(standalone_args());
  ASSERT_TRUE(wait_until([&] { return child->log().find("ferryd serving") != std::string::npos ||
                                      !child->running(); },
                         20s))
      << child->log();
  child->signal(SIGPIPE);
  EXPECT_FALSE(wait_until([&] { return !child->running(); }, 300ms)) << child->log();
  child->signal(SIGTERM);
  EXPECT_EQ(exit_status(child->wait_for(10s)), 0) << child->log();
}

// conf/namesrv.toml and conf/broker.toml as two processes: the broker
// registers with the name server; both stop with exit 0.
TEST_F(Ferryd, NameServerAndBrokerConfigsRunAsTwoProcesses) {
  std::string ns = loopback(free_port());
  auto namesrv = spawn({"--config", source_dir() + "/conf/namesrv.toml", "--set",
                        "kernel.data_dir=" + dir_.str() + "/ns", "--set", "kernel.listen=" + ns});
  ASSERT_TRUE(wait_until([&] { return namesrv->log().find("ferryd serving") != std::string::npos ||
                                      !namesrv->running(); },
                         20s))
      << namesrv->log();
  auto broker = spawn({"--config", source_dir() + "/conf/broker.toml", "--set",
                       "kernel.data_dir=" + dir_.str() + "/broker", "--set",
                       "kernel.listen=" + loopback(free_port()), "--set",
                       "plugins.registration.name_servers=[\"" + ns + "\"]"});
  EXPECT_TRUE(wait_until(
      [&] { return broker->log().find("registered with name server " + ns) != std::string::npos; },
      20s))
      << broker->log() << namesrv->log();
  broker->signal(SIGTERM);
  EXPECT_EQ(exit_status(broker->wait_for(10s)), 0) << broker->log();
  namesrv->signal(SIGTERM);
  EXPECT_EQ(exit_status(namesrv->wait_for(10s)), 0) << namesrv->log();
}

TEST_F(Ferryd, ShippedConfigsPassCheckConfig) {
  for (const char* name : {"standalone.toml", "namesrv.toml", "broker.toml"}) {
    std::string out;
    EXPECT_EQ(run({"--check-config", source_dir() + "/conf/" + name}, &out), 0) << name << "\n"
                                                                                << out;
  }
}

TEST_F(Ferryd, ConfigErrorsAreAllPrintedAndExitTwo) {
  std::string path = write("bad.toml",
                           "[kernel]\n"
                           "lissten = \"127.0.0.1:1\"\n"
                           "log_level = \"loud\"\n"
                           "[plugins.x]\n"
                           "library = \"ferry_storage_nosuchplugin\"\n");
  std::string out;
  EXPECT_EQ(run({"--config", path}, &out), 2);
  EXPECT_NE(out.find(path + ":2:1: unknown key 'kernel.lissten'; valid keys: listen, data_dir, "
                            "plugin_dir, log_level, max_frame_bytes"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find(path + ":3:1: key 'kernel.log_level' = \"loud\" is not one of: trace, debug, "
                            "info, warn, error, off"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find(path + ":5:11: plugins.x: "), std::string::npos) << out;
  EXPECT_NE(out.find("ferryd: 3 configuration errors in " + path), std::string::npos) << out;
  // --check-config reports the same and exits 1.
  EXPECT_EQ(run({"--check-config", path}, &out), 1);
  EXPECT_NE(out.find("ferryd: 3 configuration errors"), std::string::npos) << out;
}

TEST_F(Ferryd, AFailingPluginExitsOneAfterCleanUp) {
  std::string path = write("fail.toml", "[plugins.bad]\nlibrary = \"" + build_dir() +
                                            "/lib/ferry/test-plugins/ferry_storage_fakecreatefails\"\n");
  std::string out;
  EXPECT_EQ(run({"--config", path, "--set", "kernel.data_dir=" + dir_.str() + "/d"}, &out), 1);
  EXPECT_NE(out.find("plugin 'bad' (ferry_storage_fakecreatefails.so) create failed: FERRY_E_IO: "
                     "cannot open /nonexistent/segment: disk on fire"),
            std::string::npos)
      << out;
}

TEST_F(Ferryd, PrintSchemaDocumentsKernelAndEveryBuiltPlugin) {
  std::string out;
  ASSERT_EQ(run({"--print-schema"}, &out), 0) << out;
  EXPECT_NE(out.find("[kernel]\n"), std::string::npos);
  EXPECT_NE(out.find("max_frame_bytes = \"16MiB\""), std::string::npos);
  EXPECT_NE(out.find("[broker]\n"), std::string::npos);
  size_t plugins = 0;
  for (const auto& e : std::filesystem::directory_iterator(plugin_dir())) {
    std::string stem = e.path().stem().string();
    ++plugins;
    EXPECT_NE(out.find("library = \"" + stem + "\""), std::string::npos) << stem << "\n" << out;
  }
  EXPECT_GT(plugins, 0u);
  EXPECT_EQ(out.find("REFUSED"), std::string::npos) << out;
}

}  // namespace
}  // namespace ferry::test
