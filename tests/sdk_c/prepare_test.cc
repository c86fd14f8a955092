// ferry_producer_prepare against a real ferryd: after it, the first sends
// (sync on the caller's lane, async through the I/O thread) ask the name
// server for no route and open no connection — counted at the name server
// (/metrics), in the client's debug log and in this process's sockets.
#include <dirent.h>
#include <sys/stat.h>

#include <atomic>

#include <ferry_test/metrics_scrape.h>

#include "ferryd_fixture.h"

namespace ferry::sdk::test {
namespace {

using ferry::test::metric_sum;

// Route requests the name server answered so far: {GET_ROUTE, GET_ROUTES}.
std::pair<double, double> route_requests(int metrics_port) {
  const std::string m = ferry::test::scrape_metrics(metrics_port);
  return {metric_sum(m, "ferry_namesrv_route_requests_total"),
          metric_sum(m, "ferry_namesrv_route_batch_requests_total")};
}

// Connections the producer's I/O thread made (kernel/net logs each at debug).
struct ConnectLog {
  std::atomic<int> connects{0};
  static void on_log(void* ud, ferry_log_level, const char* line) {
    if (std::string_view(line).find(": connected to ") != std::string_view::npos)
      ++static_cast<ConnectLog*>(ud)->connects;
  }
};

// Sockets this process holds (the sync lane's included).
int open_sockets() {
  int n = 0;
  DIR* d = opendir("/proc/self/fd");
  if (!d) return -1;
  while (dirent* e = readdir(d)) {
    struct stat st{};
    std::string path = std::string("/proc/self/fd/") + e->d_name;
    if (e->d_name[0] != '.' && stat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) ++n;
  }
  closedir(d);
  return n;
}

TEST_F(FerrydSdk, PreparedTopicsFirstSendsAskNoRouteAndOpenNoConnection) {
  create_topic("SdkPrepA");
  create_topic("SdkPrepB");
  ConnectLog log;
  auto conf = make_conf(addr_, {{"log_level", "debug"}, {"route_refresh_ms", "3600000"}});
  char err[512];
  ASSERT_EQ(FERRY_OK, ferry_config_set_log_cb(conf.get(), &ConnectLog::on_log, &log, err, sizeof err)) << err;
  auto p = start_producer(conf);

  const auto before = route_requests(metrics_port_);
  ASSERT_GE(before.first, 0) << "no route counter at the name server";
  const char* topics[] = {"SdkPrepA", "SdkPrepB"};
  ASSERT_EQ(FERRY_OK, ferry_producer_prepare(p.get(), topics, 2, err, sizeof err)) << err;
  const auto prepared = route_requests(metrics_port_);
  // Both routes in one GET_ROUTES (first uses asked in one loop turn).
  EXPECT_EQ(prepared.first - before.first, 0);
  EXPECT_EQ(prepared.second - before.second, 1);
  const int connects = log.connects.load();
  EXPECT_EQ(connects, 1);  // name server and broker share the address here
  const int sockets = open_sockets();
  ASSERT_GT(sockets, 0);

  // Sync: alone in flight, so it takes the caller's lane (opened by prepare).
  ferry_send_result r = FERRY_STRUCT_INIT(ferry_send_result);
  auto m = make_msg("SdkPrepA", "sync-0");
  ASSERT_EQ(FERRY_OK, ferry_producer_send(p.get(), m.get(), &r, err, sizeof err)) << err;
  EXPECT_EQ(1u, r.attempts);
  EXPECT_EQ(sockets, open_sockets()) << "the first sync send opened a connection";
  // Async, through a handle, on the I/O thread's connection.
  ferry_producer_topic* h = nullptr;
  ASSERT_EQ(FERRY_OK, ferry_producer_topic_open(p.get(), "SdkPrepB", &h, err, sizeof err)) << err;
  std::atomic<int> acked{0};
  auto am = make_msg("SdkPrepB", "async-0");
  ASSERT_EQ(FERRY_OK, ferry_producer_send_async_topic(p.get(), h, am.get(), [](void* ud, ferry_status s, const ferry_send_result*, const char*) {
    if (s == FERRY_OK) ++*static_cast<std::atomic<int>*>(ud);
  }, &acked, err, sizeof err));
  ASSERT_TRUE(wait_until([&] { return acked.load() == 1; }, 10s));

  const auto after = route_requests(metrics_port_);
  EXPECT_EQ(after.first, prepared.first) << "a first send asked for its route";
  EXPECT_EQ(after.second, prepared.second) << "a first send asked for its route";
  EXPECT_EQ(connects, log.connects.load()) << "a first send connected";
  EXPECT_EQ(sockets, open_sockets());

  // Preparing again is a no-op for the name server (cached routes).
  ASSERT_EQ(FERRY_OK, ferry_producer_prepare(p.get(), topics, 2, err, sizeof err)) << err;
  const auto again = route_requests(metrics_port_);
  EXPECT_EQ(again.first + again.second, after.first + after.second);
}

TEST_F(FerrydSdk, PrepareReportsAnUnknownTopicAndStillReadiesTheOthers) {
  create_topic("SdkPrepKnown");
  auto conf = make_conf(addr_, {{"route_refresh_ms", "3600000"}});
  char err[512];
  ferry_producer* raw = nullptr;
  ASSERT_EQ(FERRY_OK, ferry_producer_new(conf.get(), &raw, err, sizeof err)) << err;
  Producer p(raw);
  const char* topics[] = {"SdkPrepKnown", "SdkPrepNobodyKnows"};
  EXPECT_EQ(FERRY_E_STATE, ferry_producer_prepare(raw, topics, 2, err, sizeof err));
  ASSERT_EQ(FERRY_OK, ferry_producer_start(raw, err, sizeof err)) << err;
  EXPECT_EQ(FERRY_OK, ferry_producer_prepare(raw, nullptr, 0, err, sizeof err)) << err;
  EXPECT_EQ(FERRY_E_INVALID_ARGUMENT, ferry_producer_prepare(raw, nullptr, 1, err, sizeof err));
  const char* with_null[] = {"SdkPrepKnown", nullptr};
  EXPECT_EQ(FERRY_E_INVALID_ARGUMENT, ferry_producer_prepare(raw, with_null, 2, err, sizeof err));
  const char* empty[] = {""};
  EXPECT_EQ(FERRY_E_INVALID_NAME, ferry_producer_prepare(raw, empty, 1, err, sizeof err));
  EXPECT_EQ(FERRY_E_INVALID_ARGUMENT, ferry_producer_prepare(nullptr, topics, 2, err, sizeof err));

  EXPECT_EQ(FERRY_E_NO_ROUTE, ferry_producer_prepare(raw, topics, 2, err, sizeof err));
  EXPECT_NE(std::string(err).find("SdkPrepNobodyKnows"), std::string::npos) << err;
  const auto before = route_requests(metrics_port_);
  send_n(raw, "SdkPrepKnown", 1);
  const auto after = route_requests(metrics_port_);
  EXPECT_EQ(before, after) << "the known topic was not readied";

  ASSERT_EQ(FERRY_OK, ferry_producer_shutdown(raw, err, sizeof err)) << err;
  EXPECT_EQ(FERRY_E_CLOSED, ferry_producer_prepare(raw, topics, 1, err, sizeof err));
}

}  // namespace
}  // namespace ferry::sdk::test
