// Admin calls against the FakeCluster: topics, routes, cluster, ranges,
// progress, queries, stats.
#include <cstring>
#include <string>

#include "sdk_fixture.h"

namespace ferry::sdk::test {
namespace {

std::string take(char* s) {
  std::string out = s ? s : "";
  ferry_string_free(s);
  return out;
}

TEST(SdkAdmin, TopicsRoutesProgressAndQueries) {
  FakeCluster cluster({.brokers = 2, .queues = 2});
  auto conf = make_conf(cluster.name_servers());
  ferry_admin* raw = nullptr;
  char err[512];
  ASSERT_EQ(FERRY_OK, ferry_admin_new(conf.get(), &raw, err, sizeof err));
  Admin a(raw);
  char* json = nullptr;
  EXPECT_EQ(FERRY_E_STATE, ferry_admin_topic_list(a.get(), &json, err, sizeof err));
  ASSERT_EQ(FERRY_OK, ferry_admin_start(a.get(), err, sizeof err));

  ferry_topic_settings t = FERRY_STRUCT_INIT(ferry_topic_settings);
  t.name = "Orders";
  t.read_queues = t.write_queues = 3;
  t.perm = 6;
  // By cluster name: every master gets it.
  ASSERT_EQ(FERRY_OK, ferry_admin_create_topic(a.get(), "fake", &t, err, sizeof err)) << err;
  EXPECT_EQ(FERRY_E_ALREADY_EXISTS, ferry_admin_create_topic(a.get(), cluster.broker_address(0).c_str(), &t, err, sizeof err));
  ASSERT_EQ(FERRY_OK, ferry_admin_topic_list(a.get(), &json, err, sizeof err)) << err;
  EXPECT_EQ("{\"topics\":[\"Orders\"]}", take(json));
  ASSERT_EQ(FERRY_OK, ferry_admin_topic_route(a.get(), "Orders", &json, err, sizeof err)) << err;
  std::string route = take(json);
  EXPECT_NE(std::string::npos, route.find("\"broker\":\"broker-1\",\"read\":3")) << route;
  ASSERT_EQ(FERRY_OK, ferry_admin_cluster_info(a.get(), &json, err, sizeof err)) << err;
  EXPECT_NE(std::string::npos, take(json).find(cluster.broker_address(1)));
  EXPECT_EQ(FERRY_E_NO_ROUTE, ferry_admin_topic_route(a.get(), "Missing", &json, err, sizeof err));

  auto p = start_producer(conf);
  for (int i = 0; i < 6; ++i) {
    auto m = make_msg("Orders", "o" + std::to_string(i), "", "order-" + std::to_string(i % 2));
    ASSERT_EQ(FERRY_OK, ferry_producer_send(p.get(), m.get(), nullptr, err, sizeof err)) << err;
  }
  ferry_queue_ref q{sizeof(ferry_queue_ref), "Orders", "broker-0", 0};
  int64_t mn = -1, mx = -1;
  ASSERT_EQ(FERRY_OK, ferry_admin_queue_range(a.get(), &q, &mn, &mx, err, sizeof err)) << err;
  EXPECT_EQ(0, mn);
  EXPECT_EQ(static_cast<int64_t>(cluster.stored(0, "Orders", 0)), mx);

  ferry_client_message* found[16];
  size_t n = 0;
  ASSERT_EQ(FERRY_OK, ferry_admin_query_by_key(a.get(), "Orders", "order-1", found, 16, &n, err, sizeof err)) << err;
  EXPECT_EQ(3u, n);
  size_t len = 0;
  const char* idp = ferry_message_offset_msg_id(found[0], &len);
  std::string id(idp, len);
  for (size_t i = 0; i < n; ++i) ferry_message_destroy(found[i]);
  ferry_client_message* one = nullptr;
  ASSERT_EQ(FERRY_OK, ferry_admin_query_by_offset_id(a.get(), id.c_str(), &one, err, sizeof err)) << err;
  idp = ferry_message_offset_msg_id(one, &len);
  EXPECT_EQ(id, std::string(idp, len));
  ferry_message_destroy(one);

  EXPECT_EQ(FERRY_E_GROUP_NOT_FOUND, ferry_admin_consumer_progress(a.get(), "Nobody", "Orders", &json, err, sizeof err));
  ASSERT_EQ(FERRY_OK, ferry_admin_runtime_stats(a.get(), cluster.broker_address(0).c_str(), &json, err, sizeof err)) << err;
  EXPECT_NE(std::string::npos, take(json).find("\"topics\":1"));
  ASSERT_EQ(FERRY_OK, ferry_admin_delete_topic(a.get(), "fake", "Orders", err, sizeof err)) << err;
  ASSERT_EQ(FERRY_OK, ferry_admin_topic_list(a.get(), &json, err, sizeof err)) << err;
  EXPECT_EQ("{\"topics\":[]}", take(json));
}

// The group calls refuse a missing argument by name, before any I/O.
TEST(SdkAdmin, GroupCallsRefuseMissingArgumentsByName) {
  FakeCluster cluster({.brokers = 1, .queues = 1});
  auto conf = make_conf(cluster.name_servers());
  ferry_admin* raw = nullptr;
  char err[512];
  ASSERT_EQ(FERRY_OK, ferry_admin_new(conf.get(), &raw, err, sizeof err));
  Admin a(raw);
  ASSERT_EQ(FERRY_OK, ferry_admin_start(a.get(), err, sizeof err));
  char* json = nullptr;
  auto expect_refused = [&](ferry_status st, const char* what) {
    EXPECT_EQ(FERRY_E_INVALID_ARGUMENT, st) << what;
    EXPECT_NE(std::string(err).find(std::string(what) + " is NULL"), std::string::npos) << what << ": " << err;
  };
  expect_refused(ferry_admin_consumer_progress(a.get(), nullptr, nullptr, &json, err, sizeof err), "group");
  expect_refused(ferry_admin_consumer_progress(a.get(), "G", nullptr, nullptr, err, sizeof err), "json_out");
  expect_refused(ferry_admin_consumer_connections(a.get(), nullptr, &json, err, sizeof err), "group");
  expect_refused(ferry_admin_reset_offset_by_time(a.get(), "G", nullptr, 0, &json, err, sizeof err), "topic");
  expect_refused(ferry_admin_reset_offset_by_time(a.get(), "G", "T", 0, nullptr, err, sizeof err), "json_out");
  expect_refused(ferry_admin_dlq_list(a.get(), nullptr, 0, &json, err, sizeof err), "group");
  expect_refused(ferry_admin_dlq_resend(a.get(), nullptr, nullptr, &json, err, sizeof err), "group");
  expect_refused(ferry_admin_dlq_resend(a.get(), "G", nullptr, nullptr, err, sizeof err), "json_out");
  EXPECT_EQ(nullptr, json);
}

}  // namespace
}  // namespace ferry::sdk::test
