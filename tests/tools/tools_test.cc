// ferryctl and ferry-bench as a user runs them: child processes against a
// real ferryd (conf/standalone.toml: name server + broker in one process,
// temp data dir, free port), asserting on exit codes and --json output.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>

#include <ferry_test/child_process.h>
#include <ferry_test/free_port.h>
#include <ferry_test/paths.h>
#include <ferry_test/temp_dir.h>

#include <ferry/client.h>

#include <atomic>
#include <mutex>
#include <set>
#include <vector>

#include "json.h"

namespace {

using namespace std::chrono_literals;
using ferry::tools::Json;

struct ToolRun {
  int code = -1;  // exit code; -1 when it did not exit in time
  std::string out;
  std::string err;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class Tools : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<ferry::test::TempDir>("ferry-tools");
    addr_ = "127.0.0.1:" + std::to_string(ferry::test::free_port());
    daemon_ = std::make_unique<ferry::test::ChildProcess>(
        std::vector<std::string>
        {ferry::test::bin_path("ferryd"), "--config", ferry::test::source_dir() + "/conf/standalone.toml", "--set",
         "kernel.data_dir=" + dir_->str() + "/data", "--set", "kernel.listen=" + addr_, "--set",
         "plugins.registration.name_servers=[\"" + addr_ + "\"]", "--set", "plugins.registration.register_interval=1s",
         "--set", "plugins.registration.change_debounce=50ms"},
        dir_->str() + "/ferryd.log");
  }
  static void TearDownTestSuite() {
    if (daemon_) {
      daemon_->signal(SIGTERM);
      daemon_->wait_for(20s);
    }
    daemon_.reset();
    dir_.reset();
  }
  void SetUp() override {
    // ferryd is up once the name server lists its cluster.
    ASSERT_TRUE(ferry::test::wait_until([&] { return ctl({"cluster", "list"}).code == 0; }, 20s, 100ms))
        << daemon_->log();
  }

  // Runs a tool; stdout and stderr kept apart so --json output parses.
  static ToolRun run(const std::string& tool, std::vector<std::string> args, std::chrono::seconds limit = 60s) {
    static int n = 0;
    std::string base = dir_->str() + "/run" + std::to_string(++n);
    std::vector<std::string> argv = {"/bin/sh", "-c", "exec \"$0\" \"$@\" 2>" + base + ".err",
                                     ferry::test::bin_path(tool)};
    argv.insert(argv.end(), args.begin(), args.end());
    ToolRun r;
    {
      ferry::test::ChildProcess child(argv, base + ".out");
      auto status = child.wait_for(limit);
      if (status && WIFEXITED(*status)) r.code = WEXITSTATUS(*status);
    }
    r.out = slurp(base + ".out");
    r.err = slurp(base + ".err");
    return r;
  }
  static ToolRun ctl(std::vector<std::string> args) {
    args.insert(args.begin(), {"-n", addr_, "--timeout", "2000"});
    return run("ferryctl", args);
  }
  static ToolRun bench(std::vector<std::string> args) {
    args.insert(args.begin() + 1, {"-n", addr_, "--json", "--quiet"});
    return run("ferry-bench", args);
  }
  static Json parse(const ToolRun& r) {
    std::string err;
    auto doc = Json::parse(r.out, &err);
    EXPECT_TRUE(doc.has_value()) << err << "\n" << r.out << r.err;
    return doc ? *doc : Json();
  }
  // Creates a topic and waits until the name server routes it.
  void create_topic(const std::string& topic, int queues) {
    ToolRun r = ctl({"topic", "create", topic, "--target", addr_, "-q", std::to_string(queues)});
    ASSERT_EQ(0, r.code) << r.out << r.err;
    ASSERT_TRUE(ferry::test::wait_until([&] { return ctl({"topic", "route", topic}).code == 0; }, 20s, 100ms));
  }

  static inline std::unique_ptr<ferry::test::TempDir> dir_;
  static inline std::unique_ptr<ferry::test::ChildProcess> daemon_;
  static inline std::string addr_;
};

TEST_F(Tools, UsageErrorsExitTwoAndHelpExitsZero) {
  ToolRun r = ctl({"topic", "create"});  // no topic name
  EXPECT_EQ(2, r.code) << r.err;
  EXPECT_NE(std::string::npos, r.err.find("topic")) << r.err;
  EXPECT_EQ(2, ctl({"no-such-command"}).code);
  EXPECT_EQ(2, ctl({"topic", "create", "T", "--perm", "x"}).code);
  EXPECT_EQ(2, bench({"produce", "--mode", "sideways"}).code);
  EXPECT_EQ(2, bench({"produce", "--size", "4"}).code);  // below the timestamp
  EXPECT_EQ(2, bench({"produce", "-c", "2", "--producers", "3"}).code);  // a producer without a thread
  ToolRun help = ctl({"message", "query-offset", "--help"});
  EXPECT_EQ(0, help.code);
  EXPECT_NE(std::string::npos, help.out.find("--offset"));
  EXPECT_EQ(0, run("ferry-bench", {"consume", "--help"}).code);
}

TEST_F(Tools, UnreachableNameServerExitsThree) {
  std::string nowhere = "127.0.0.1:" + std::to_string(ferry::test::free_port());
  ToolRun r = run("ferryctl", {"-n", nowhere, "--timeout", "500", "topic", "list"});
  EXPECT_EQ(3, r.code) << r.out << r.err;
  EXPECT_NE(std::string::npos, r.err.find("hint")) << r.err;
}

TEST_F(Tools, CtlTopicSendQueryConsume) {
  create_topic("CtlTopic", 2);
  Json list = parse(ctl({"--json", "topic", "list"}));
  bool listed = false;
  for (const Json& t : list["topics"].items()) listed |= t.as_string() == "CtlTopic";
  EXPECT_TRUE(listed);
  EXPECT_EQ(1, ctl({"topic", "create", "CtlTopic", "--target", addr_}).code);  // exists: operation failed

  Json status = parse(ctl({"--json", "topic", "status", "CtlTopic"}));
  ASSERT_EQ(2u, status["queues"].items().size());
  EXPECT_EQ(0, status["messages"].as_int());

  Json sent = parse(ctl({"--json", "message", "send", "CtlTopic", "--body", "hi", "--keys", "order-9", "-N", "3"}));
  ASSERT_EQ(3u, sent["sent"].items().size());
  const Json& first = sent["sent"].items()[0];

  status = parse(ctl({"--json", "topic", "status", "CtlTopic"}));
  EXPECT_EQ(3, status["messages"].as_int());

  Json by_id = parse(ctl({"--json", "message", "query-id", first["offset_msg_id"].as_string()}));
  ASSERT_EQ(1, by_id["count"].as_int());
  EXPECT_EQ("hi #0", by_id["messages"].items()[0]["body"].as_string());

  // query-key for found keys: CtlQueryKeyFindsSentKeys. Here, a key nobody sent is "operation failed" with the broker's reason.
  ToolRun missing = ctl({"message", "query-key", "CtlTopic", "no-such-key"});
  EXPECT_EQ(1, missing.code) << missing.out << missing.err;
  EXPECT_NE(std::string::npos, missing.err.find("FERRY_E_NOT_FOUND")) << missing.err;

  Json at = parse(ctl({"--json", "message", "query-offset", "CtlTopic", "--queue",
                       std::to_string(first["queue"].as_int()), "--offset", std::to_string(first["offset"].as_int()), "-N",
                       "1"}));
  ASSERT_EQ(1, at["count"].as_int());
  EXPECT_EQ("hi #0", at["messages"].items()[0]["body"].as_string());

  Json got = parse(ctl({"--json", "message", "consume", "CtlTopic", "-N", "3", "--from", "first", "--group",
                        "CtlGroup", "--commit"}));
  EXPECT_EQ(3, got["count"].as_int());
  Json progress = parse(ctl({"--json", "consumer", "progress", "CtlGroup", "--topic", "CtlTopic"}));
  EXPECT_EQ(0, progress["total_lag"].as_int()) << progress["queues"].items().size();
  // Without --topic every master the name servers know is asked.
  Json every = parse(ctl({"--json", "consumer", "progress", "CtlGroup"}));
  EXPECT_EQ(progress["queues"].items().size(), every["queues"].items().size());
  EXPECT_EQ(0, every["total_lag"].as_int());

  ToolRun more = ctl({"message", "consume", "CtlTopic", "-N", "1", "--from", "last", "--wait", "1"});
  EXPECT_EQ(1, more.code) << "nothing new arrives: the documented operation-failed code";

  ToolRun table = ctl({"cluster", "list"});
  EXPECT_EQ(0, table.code);
  EXPECT_NE(std::string::npos, table.out.find("broker-a")) << table.out;
  ToolRun stats = ctl({"broker", "status", addr_});
  EXPECT_EQ(0, stats.code) << stats.err;
}

// topic create returns once the name servers route the new topic (--wait,
// default 10 s), so a script's next send works; on a broker whose
// registration comes 3 s after a change the difference shows.
TEST_F(Tools, CtlTopicCreateWaitsUntilRouted) {
  ferry::test::TempDir dir("ferry-tools-wait");
  const std::string addr = "127.0.0.1:" + std::to_string(ferry::test::free_port());
  ferry::test::ChildProcess slow(
      {ferry::test::bin_path("ferryd"), "--config", ferry::test::source_dir() + "/conf/standalone.toml", "--set",
       "kernel.data_dir=" + dir.str() + "/data", "--set", "kernel.listen=" + addr, "--set",
       "plugins.registration.name_servers=[\"" + addr + "\"]", "--set", "plugins.registration.register_interval=60s",
       "--set", "plugins.registration.change_debounce=3s"},
      dir.str() + "/ferryd.log");
  auto at = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"-n", addr, "--timeout", "2000"});
    return run("ferryctl", args);
  };
  ASSERT_TRUE(ferry::test::wait_until([&] { return at({"cluster", "list"}).code == 0; }, 20s, 100ms)) << slow.log();

  // --wait 0: the old behaviour, the route is not there yet.
  ToolRun quick = at({"topic", "create", "NotYetRouted", "--target", addr, "--wait", "0"});
  ASSERT_EQ(0, quick.code) << quick.err;
  EXPECT_NE(0, at({"topic", "route", "NotYetRouted"}).code) << "routed within the 3 s debounce: the premise is off";

  // The default waits, and the next command can send.
  ToolRun waited = at({"--json", "topic", "create", "Routed", "--target", addr});
  ASSERT_EQ(0, waited.code) << waited.out << waited.err;
  EXPECT_NE(std::string::npos, waited.out.find("\"routed\":true")) << waited.out;
  ToolRun sent = at({"message", "send", "Routed", "--body", "right after create"});
  EXPECT_EQ(0, sent.code) << sent.out << sent.err;

  // A bound shorter than the registration: created, but exit 1 with a hint.
  ToolRun late = at({"topic", "create", "RoutedLate", "--target", "DefaultCluster", "--wait", "0.3"});
  EXPECT_EQ(1, late.code) << late.out << late.err;
  EXPECT_NE(std::string::npos, late.err.find("was created")) << late.err;
  EXPECT_NE(std::string::npos, late.err.find("hint")) << late.err;
  EXPECT_TRUE(ferry::test::wait_until([&] { return at({"topic", "route", "RoutedLate"}).code == 0; }, 20s, 100ms));
  slow.signal(SIGTERM);
  slow.wait_for(20s);
}

TEST_F(Tools, CtlQueryKeyFindsSentKeys) {
  create_topic("KeyTopic", 1);
  ASSERT_EQ(0, ctl({"message", "send", "KeyTopic", "--keys", "order-9 user-1", "-N", "3"}).code);
  Json by_key;
  EXPECT_TRUE(ferry::test::wait_until([&] {
    ToolRun r = ctl({"--json", "message", "query-key", "KeyTopic", "order-9"});
    if (r.code != 0) return false;
    by_key = parse(r);
    return by_key["count"].as_int() == 3;
  }, 10s, 100ms));
  Json none = parse(ctl({"--json", "message", "query-key", "KeyTopic", "order-9", "--end-ms", "1"}));
  EXPECT_EQ(0, none["count"].as_int());
}

TEST_F(Tools, BenchProducesThenConsumesEveryMessage) {
  for (const auto& mode : std::vector<std::vector<std::string>>{
           {"--mode", "sync"}, {"--mode", "async", "--window", "16"}, {"--mode", "batch", "--batch", "10"}}) {
    std::vector<std::string> args = {"produce", "--create", "--create-target", addr_, "-t", "BenchT", "-q", "2",
                                     "--size", "256", "-N", "300", "-d", "60", "-c", "2"};
    args.insert(args.end(), mode.begin(), mode.end());
    ToolRun r = bench(args);
    ASSERT_EQ(0, r.code) << r.out << r.err;
    Json j = parse(r);
    EXPECT_EQ(300, j["ok"].as_int()) << r.out;
    EXPECT_EQ(0, j["failed"].as_int());
    EXPECT_EQ(300 * 256, j["bytes"].as_int());
    EXPECT_GT(j["latency_ms"]["count"].as_int(), 0);
  }
  Json status = parse(ctl({"--json", "topic", "status", "BenchT"}));
  EXPECT_EQ(900, status["messages"].as_int());

  for (const char* mode : {"pull", "push"}) {
    ToolRun r = bench({"consume", "-t", "BenchT", "--mode", mode, "--from", "first", "-N", "900", "-d", "60"});
    ASSERT_EQ(0, r.code) << r.out << r.err;
    Json j = parse(r);
    EXPECT_GE(j["ok"].as_int(), 900) << mode;
    EXPECT_EQ(0, j["foreign"].as_int());
    EXPECT_EQ(j["ok"].as_int(), j["latency_ms"]["count"].as_int()) << "every body carried its timestamp";
  }
  // consume --set reaches libferry (a bad key or value is a usage error);
  // --timeline writes one "send_ns,recv_ns" line per timed message.
  EXPECT_EQ(2, bench({"consume", "-t", "BenchT", "--set", "busy_poll_us"}).code);
  EXPECT_EQ(2, bench({"consume", "-t", "BenchT", "--set", "busy_poll_us=99999"}).code);
  std::string timeline = dir_->str() + "/timeline.csv";
  ToolRun tl = bench({"consume", "-t", "BenchT", "--mode", "push", "--from", "first", "-N", "900", "-d", "60", "--set",
                      "busy_poll_us=50", "--set", "consume_batch_size=8", "--timeline", timeline});
  ASSERT_EQ(0, tl.code) << tl.out << tl.err;
  std::ifstream csv(timeline);
  std::string line;
  ASSERT_TRUE(std::getline(csv, line));
  EXPECT_EQ("send_ns,recv_ns", line);
  int rows = 0;
  while (std::getline(csv, line)) {
    unsigned long long sent = 0, recv = 0;
    ASSERT_EQ(2, std::sscanf(line.c_str(), "%llu,%llu", &sent, &recv)) << line;
    EXPECT_LE(sent, recv) << line;
    ++rows;
  }
  EXPECT_EQ(900, rows) << "the buffer holds --count rows";
  // A bounded run that cannot reach its count says so with exit 1.
  ToolRun short_run = bench({"consume", "-t", "BenchT", "--mode", "pull", "--from", "last", "-N", "5", "-d", "1"});
  EXPECT_EQ(1, short_run.code) << short_run.out << short_run.err;
}

// --producers: the threads spread over that many libferry producers (each
// its own connection and I/O thread), every message sent once.
TEST_F(Tools, BenchSpreadsItsThreadsOverProducers) {
  ToolRun r = bench({"produce", "--create", "--create-target", addr_, "-t", "BenchP", "-q", "4", "--size", "128",
                     "-N", "400", "-d", "60", "-c", "4", "--producers", "2", "--mode", "async", "--window", "8"});
  ASSERT_EQ(0, r.code) << r.out << r.err;
  Json j = parse(r);
  EXPECT_EQ(400, j["ok"].as_int()) << r.out;
  EXPECT_EQ(0, j["failed"].as_int());
  EXPECT_EQ(2, j["producers"].as_int()) << r.out;
  EXPECT_EQ(4, j["threads"].as_int());
  Json status = parse(ctl({"--json", "topic", "status", "BenchP"}));
  EXPECT_EQ(400, status["messages"].as_int());
}

// group list / consumer connections / reset-offset / broker config against
// the real broker: a committed group, a live push consumer (ferry-bench in
// the background), offsets moved by time and checked through progress.
TEST_F(Tools, CtlGroupsConnectionsResetAndConfig) {
  create_topic("GroupT", 2);
  ASSERT_EQ(0, ctl({"message", "send", "GroupT", "--body", "m", "-N", "6"}).code);
  Json got = parse(ctl({"--json", "message", "consume", "GroupT", "-N", "6", "--from", "first", "--group",
                        "ResetGroup", "--commit"}));
  ASSERT_EQ(6, got["count"].as_int());
  Json progress = parse(ctl({"--json", "consumer", "progress", "ResetGroup", "--topic", "GroupT"}));
  ASSERT_EQ(0, progress["total_lag"].as_int());

  // A live member: a push consumer that runs (bounded) while we look.
  ferry::test::ChildProcess live({ferry::test::bin_path("ferry-bench"), "consume", "-n", addr_, "--quiet", "-t",
                                  "GroupT", "--mode", "push", "-g", "LiveGroup", "-d", "60", "-N", "1000000"},
                                 dir_->str() + "/live-consumer.log");
  Json conns;
  ASSERT_TRUE(ferry::test::wait_until([&] {
    ToolRun r = ctl({"--json", "consumer", "connections", "LiveGroup"});
    if (r.code != 0) return false;
    conns = parse(r);
    return true;
  }, 20s, 200ms)) << live.log();
  ASSERT_EQ(1u, conns["connections"].items().size()) << conns["connections"].items().size();
  const Json& c = conns["connections"].items()[0];
  EXPECT_EQ(0u, c["address"].as_string().rfind("127.0.0.1:", 0)) << c["address"].as_string();
  EXPECT_EQ("C", c["language"].as_string());
  EXPECT_FALSE(c["version"].as_string().empty());
  EXPECT_EQ("clustering", c["model"].as_string());
  // The application's subscription and the group's retry topic, which a
  // clustering push consumer subscribes by itself.
  std::set<std::string> subs;
  for (const Json& sub : c["subscriptions"].items()) subs.insert(sub["topic"].as_string());
  EXPECT_EQ((std::set<std::string>{"%RETRY%LiveGroup", "GroupT"}), subs);
  ToolRun table = ctl({"consumer", "connections", "LiveGroup"});
  EXPECT_EQ(0, table.code);
  EXPECT_NE(std::string::npos, table.out.find("ADDRESS")) << table.out;
  ToolRun nobody = ctl({"consumer", "connections", "NoSuchGroup"});
  EXPECT_EQ(1, nobody.code) << nobody.out << nobody.err;
  EXPECT_NE(std::string::npos, nobody.err.find("GROUP_NOT_FOUND")) << nobody.err;

  // Both groups are listed: one by its committed offsets, one by its member.
  Json groups = parse(ctl({"--json", "group", "list"}));
  bool saw_reset = false, saw_live = false;
  for (const Json& g : groups["groups"].items()) {
    if (g["group"].as_string() == "ResetGroup") {
      saw_reset = true;
      EXPECT_TRUE(g["has_offsets"].as_bool());
      EXPECT_EQ(0, g["members"].as_int());
      EXPECT_EQ("GroupT", g["topics"].items().at(0).as_string());
    }
    if (g["group"].as_string() == "LiveGroup") {
      saw_live = true;
      EXPECT_EQ(1, g["members"].as_int());
    }
  }
  EXPECT_TRUE(saw_reset && saw_live);
  EXPECT_EQ(0, ctl({"group", "list", "--broker", addr_}).code);

  // Back to the start: the whole topic is lag again; then to the end.
  Json reset = parse(ctl({"--json", "consumer", "reset-offset", "ResetGroup", "-t", "GroupT", "--time", "earliest"}));
  ASSERT_EQ(2u, reset["queues"].items().size());
  for (const Json& q : reset["queues"].items()) EXPECT_EQ(0, q["offset"].as_int());
  progress = parse(ctl({"--json", "consumer", "progress", "ResetGroup", "--topic", "GroupT"}));
  EXPECT_EQ(6, progress["total_lag"].as_int());
  // A time after every message: the end of each queue.
  EXPECT_EQ(0, ctl({"consumer", "reset-offset", "ResetGroup", "-t", "GroupT", "--time", "latest"}).code);
  progress = parse(ctl({"--json", "consumer", "progress", "ResetGroup", "--topic", "GroupT"}));
  EXPECT_EQ(0, progress["total_lag"].as_int());
  // The live group's members are told.
  Json told = parse(ctl({"--json", "consumer", "reset-offset", "LiveGroup", "-t", "GroupT", "--time", "now"}));
  EXPECT_EQ(1, told["members_notified"].as_int());
  EXPECT_EQ(2, ctl({"consumer", "reset-offset", "ResetGroup", "-t", "GroupT", "--time", "yesterday"}).code);
  EXPECT_EQ(1, ctl({"consumer", "reset-offset", "ResetGroup", "-t", "NoSuchTopic", "--time", "now"}).code);

  Json config = parse(ctl({"--json", "broker", "config", addr_}));
  EXPECT_EQ("\"" + addr_ + "\"", config["sections"]["kernel"]["listen"].as_string());
  EXPECT_FALSE(config["sections"]["core"].members().empty());
  EXPECT_FALSE(config["sections"]["plugins.storage"].members().empty());
  ToolRun toml = ctl({"broker", "config", addr_});
  EXPECT_EQ(0, toml.code);
  EXPECT_NE(std::string::npos, toml.out.find("[kernel]\n"));
}

// A group whose listener fails one message every time: with
// max_reconsume_times 2 it is dead-lettered after 3 deliveries; `dlq list`
// shows it, `dlq resend` puts it back in its topic and the (now healthy)
// consumer gets it. Usage mistakes exit 2, refusals 1.
struct Failing {
  std::atomic<bool> healthy{false};
  std::atomic<int> doomed_deliveries{0};
  std::atomic<int> doomed_done{0};
  std::atomic<int> last_reconsume{-1};
};

ferry_consume_status fail_doomed(void* ud, ferry_client_message* const* msgs, size_t n) {
  auto* f = static_cast<Failing*>(ud);
  for (size_t i = 0; i < n; ++i) {
    size_t len = 0;
    const void* body = ferry_message_body(msgs[i], &len);
    if (std::string(static_cast<const char*>(body), len) != "doomed") continue;
    ++f->doomed_deliveries;
    f->last_reconsume = ferry_message_reconsume_times(msgs[i]);
    if (!f->healthy) return FERRY_CONSUME_RECONSUME_LATER;
    ++f->doomed_done;
  }
  return FERRY_CONSUME_SUCCESS;
}

TEST_F(Tools, DeadLettersAreListedAndResent) {
  create_topic("DlqT", 1);
  // Nothing failed yet: not an error.
  ToolRun none = ctl({"dlq", "list", "--group", "DlqG"});
  EXPECT_EQ(0, none.code) << none.err;
  EXPECT_NE(std::string::npos, none.out.find("no dead letters")) << none.out;
  EXPECT_EQ(0u, parse(ctl({"--json", "dlq", "list", "--group", "DlqG"}))["messages"].items().size());

  std::unique_ptr<ferry_config, void (*)(ferry_config*)> conf(ferry_config_new(), ferry_config_destroy);
  char err[512];
  for (auto [k, v] : std::vector<std::pair<const char*, std::string>>{
           {"name_servers", addr_}, {"group", "DlqG"}, {"consume_from", "first"}, {"max_reconsume_times", "2"},
           {"rebalance_interval_ms", "500"}, {"long_poll_ms", "500"}, {"log_level", "error"}})
    ASSERT_EQ(FERRY_OK, ferry_config_set(conf.get(), k, v.c_str(), err, sizeof err)) << err;
  Failing f;
  ferry_push_consumer* raw = nullptr;
  ASSERT_EQ(FERRY_OK, ferry_push_consumer_new(conf.get(), &raw, err, sizeof err)) << err;
  std::unique_ptr<ferry_push_consumer, void (*)(ferry_push_consumer*)> consumer(raw, ferry_push_consumer_destroy);
  ASSERT_EQ(FERRY_OK, ferry_push_consumer_subscribe(raw, "DlqT", "*", err, sizeof err)) << err;
  ASSERT_EQ(FERRY_OK, ferry_push_consumer_set_listener(raw, fail_doomed, &f, err, sizeof err)) << err;
  ASSERT_EQ(FERRY_OK, ferry_push_consumer_start(raw, err, sizeof err)) << err;
  ToolRun sent = ctl({"--json", "message", "send", "DlqT", "-b", "doomed", "--tags", "TagX", "--keys", "k-doom"});
  ASSERT_EQ(0, sent.code) << sent.err;

  Json list;
  ASSERT_TRUE(ferry::test::wait_until([&] {
    ToolRun r = ctl({"--json", "dlq", "list", "--group", "DlqG"});
    if (r.code != 0) return false;
    list = parse(r);
    return list["messages"].items().size() == 1;
  }, 30s, 200ms)) << daemon_->log();
  EXPECT_EQ(3, f.doomed_deliveries.load());
  const Json& m = list["messages"].items()[0];
  EXPECT_EQ("DlqT", m["original_topic"].as_string());
  EXPECT_EQ(3, m["reconsume_times"].as_int());
  EXPECT_EQ("TagX", m["tags"].as_string());
  EXPECT_EQ("k-doom", m["keys"].as_string());
  EXPECT_GT(m["store_timestamp_ms"].as_int(), 0);
  std::string id = m["offset_msg_id"].as_string();
  ASSERT_EQ(32u, id.size()) << id;
  ToolRun table = ctl({"dlq", "list", "--group", "DlqG"});
  EXPECT_EQ(0, table.code);
  EXPECT_NE(std::string::npos, table.out.find("ORIGINAL_TOPIC")) << table.out;
  EXPECT_NE(std::string::npos, table.out.find(id)) << table.out;

  // Mistakes: neither or both of --id / --all, an id that is not one, no group.
  EXPECT_EQ(2, ctl({"dlq", "resend", "--group", "DlqG"}).code);
  EXPECT_EQ(2, ctl({"dlq", "resend", "--group", "DlqG", "--id", id, "--all"}).code);
  EXPECT_EQ(2, ctl({"dlq", "list"}).code);
  ToolRun bad = ctl({"dlq", "resend", "--group", "DlqG", "--id", "not-an-id"});
  EXPECT_EQ(1, bad.code);
  EXPECT_NE(std::string::npos, bad.err.find("32 hex digits")) << bad.err;
  ToolRun other = ctl({"dlq", "resend", "--group", "OtherG", "--id", id});
  EXPECT_EQ(1, other.code);
  EXPECT_NE(std::string::npos, other.err.find("%DLQ%OtherG")) << other.err;
  ToolRun help = ctl({"dlq", "resend", "--help"});
  EXPECT_EQ(0, help.code);
  EXPECT_NE(std::string::npos, help.out.find("--all"));

  // Fixed: re-send it; the group consumes it from its topic, afresh.
  f.healthy = true;
  Json resent = parse(ctl({"--json", "dlq", "resend", "--group", "DlqG", "--id", id}));
  ASSERT_EQ(1u, resent["resent"].items().size()) << resent["resent"].items().size();
  EXPECT_EQ("DlqT", resent["resent"].items()[0]["topic"].as_string());
  ASSERT_TRUE(ferry::test::wait_until([&] { return f.doomed_done.load() == 1; }, 20s, 50ms));
  EXPECT_EQ(0, f.last_reconsume.load());
  ToolRun all = ctl({"dlq", "resend", "--group", "DlqG", "--all"});
  EXPECT_EQ(0, all.code) << all.err;
  EXPECT_NE(std::string::npos, all.out.find("1 dead letter(s)")) << all.out;
  ASSERT_TRUE(ferry::test::wait_until([&] { return f.doomed_done.load() == 2; }, 20s, 50ms));
  ASSERT_EQ(FERRY_OK, ferry_push_consumer_shutdown(raw, err, sizeof err)) << err;
}

}  // namespace
