// Bad use gets a clear status and text, never a crash: NULL arguments, calls
// in the wrong state, sending on a shut-down producer, and the features that
// are declared but not working yet (FERRY_E_NOT_SUPPORTED, never success).
#include <cstring>

#include "sdk_fixture.h"

namespace ferry::sdk::test {
namespace {

TEST(SdkBadUse, NullArgumentsAreInvalidArgument) {
  char err[256] = "";
  EXPECT_EQ(FERRY_E_INVALID_ARGUMENT, ferry_config_set(nullptr, "group", "g", err, sizeof err));
  EXPECT_NE(nullptr, std::strstr(err, "conf is NULL")) << err;
  EXPECT_EQ(FERRY_E_INVALID_ARGUMENT, ferry_producer_new(nullptr, nullptr, err, sizeof err));
  EXPECT_EQ(FERRY_E_INVALID_ARGUMENT, ferry_producer_send(nullptr, nullptr, nullptr, err, sizeof err));
  EXPECT_EQ(FERRY_E_INVALID_ARGUMENT, ferry_producer_start(nullptr, nullptr, 0));  // no errbuf is fine
  EXPECT_EQ(FERRY_E_INVALID_ARGUMENT, ferry_message_new(nullptr, "x", 1, nullptr, err, sizeof err));
  ferry_client_message* m = nullptr;
  EXPECT_EQ(FERRY_E_INVALID_ARGUMENT, ferry_message_new("t", nullptr, 3, &m, err, sizeof err));
  EXPECT_EQ(nullptr, m);
  EXPECT_EQ(FERRY_E_INVALID_ARGUMENT, ferry_pull_consumer_poll(nullptr, 0, nullptr, 0, nullptr, err, sizeof err));
  size_t n = 7;
  EXPECT_EQ(FERRY_E_INVALID_ARGUMENT, ferry_pull_consumer_poll(nullptr, 0, nullptr, 0, &n, err, sizeof err));
  EXPECT_EQ(0u, n);
  EXPECT_EQ(FERRY_E_INVALID_ARGUMENT, ferry_push_consumer_subscribe(nullptr, "t", "*", err, sizeof err));
  EXPECT_EQ(FERRY_E_INVALID_ARGUMENT, ferry_admin_topic_list(nullptr, nullptr, err, sizeof err));
  // Accessors on NULL answer "absent", destroy(NULL) is a no-op.
  size_t len = 9;
  EXPECT_EQ(nullptr, ferry_message_topic(nullptr, &len));
  EXPECT_EQ(0u, len);
  EXPECT_EQ(-1, ferry_message_queue_id(nullptr));
  ferry_producer_destroy(nullptr);
  ferry_push_consumer_destroy(nullptr);
  ferry_pull_consumer_destroy(nullptr);
  ferry_admin_destroy(nullptr);
  ferry_message_destroy(nullptr);
  ferry_config_destroy(nullptr);
}

TEST(SdkBadUse, SendBeforeStartAndAfterShutdown) {
  FakeCluster cluster({});
  cluster.create_topic("T");
  auto conf = make_conf(cluster.name_servers());
  ferry_producer* raw = nullptr;
  char err[256] = "";
  ASSERT_EQ(FERRY_OK, ferry_producer_new(conf.get(), &raw, err, sizeof err));
  Producer p(raw);
  auto m = make_msg("T", "x");
  EXPECT_EQ(FERRY_E_STATE, ferry_producer_send(p.get(), m.get(), nullptr, err, sizeof err));
  EXPECT_NE(nullptr, std::strstr(err, "not started")) << err;
  ASSERT_EQ(FERRY_OK, ferry_producer_start(p.get(), err, sizeof err));
  EXPECT_EQ(FERRY_E_STATE, ferry_producer_start(p.get(), err, sizeof err));
  ASSERT_EQ(FERRY_OK, ferry_producer_send(p.get(), m.get(), nullptr, err, sizeof err)) << err;
  ASSERT_EQ(FERRY_OK, ferry_producer_shutdown(p.get(), err, sizeof err));
  EXPECT_EQ(FERRY_OK, ferry_producer_shutdown(p.get(), err, sizeof err));  // idempotent
  EXPECT_EQ(FERRY_E_CLOSED, ferry_producer_send(p.get(), m.get(), nullptr, err, sizeof err));
  EXPECT_NE(nullptr, std::strstr(err, "shut down")) << err;
  EXPECT_EQ(FERRY_E_CLOSED, ferry_producer_send_async(p.get(), m.get(), [](void*, ferry_status, const ferry_send_result*, const char*) {}, nullptr, err, sizeof err));
  EXPECT_EQ(FERRY_E_CLOSED, ferry_producer_send_oneway(p.get(), m.get(), err, sizeof err));
}

TEST(SdkBadUse, ReceivedOrBadMessagesAreRefused) {
  char err[256] = "";
  auto m = make_msg("T", "x");
  EXPECT_EQ(FERRY_E_RESERVED_NAME, ferry_message_set_property(m.get(), "UNIQ_KEY", "1", err, sizeof err));
  EXPECT_EQ(FERRY_E_INVALID_ARGUMENT, ferry_message_set_tags(m.get(), "a\x01" "b", err, sizeof err));
  std::string long_topic(200, 'a');
  ferry_client_message* bad = nullptr;
  EXPECT_EQ(FERRY_E_INVALID_NAME, ferry_message_new(long_topic.c_str(), "x", 1, &bad, err, sizeof err));
  EXPECT_EQ(nullptr, bad);
}

TEST(SdkBadUse, DeclaredFeaturesAnswerNotSupported) {
  char err[256] = "";
  auto m = make_msg("T", "x");
  EXPECT_EQ(FERRY_E_NOT_SUPPORTED, ferry_message_set_delay_level(m.get(), 3, err, sizeof err));
  EXPECT_NE(nullptr, std::strstr(err, "not supported")) << err;
  EXPECT_EQ(nullptr, ferry_message_property(m.get(), "DELAY", nullptr));  // unchanged
  EXPECT_EQ(FERRY_E_NOT_SUPPORTED, ferry_message_set_deliver_at(m.get(), 1, err, sizeof err));
  auto conf = make_conf("127.0.0.1:1");
  ferry_transaction_producer* tp = reinterpret_cast<ferry_transaction_producer*>(1);
  EXPECT_EQ(FERRY_E_NOT_SUPPORTED, ferry_transaction_producer_new(conf.get(), nullptr, nullptr, &tp, err, sizeof err));
  EXPECT_EQ(nullptr, tp);
  ferry_push_consumer* c = nullptr;
  ASSERT_EQ(FERRY_OK, ferry_push_consumer_new(conf.get(), &c, err, sizeof err));
  Push push(c);
  EXPECT_EQ(FERRY_E_NOT_SUPPORTED, ferry_push_consumer_subscribe_sql92(c, "T", "a > 1", err, sizeof err));
  ferry_pull_consumer* pc = nullptr;
  ASSERT_EQ(FERRY_OK, ferry_pull_consumer_new(conf.get(), &pc, err, sizeof err));
  Pull pull(pc);
  EXPECT_EQ(FERRY_E_NOT_SUPPORTED, ferry_pull_consumer_subscribe_sql92(pc, "T", "a > 1", err, sizeof err));
  // A push consumer without listener or subscription does not start.
  EXPECT_EQ(FERRY_E_STATE, ferry_push_consumer_start(c, err, sizeof err));
  EXPECT_NE(nullptr, std::strstr(err, "listener")) << err;
}

TEST(SdkBadUse, ShutdownFromOwnCallbackIsRefused) {
  FakeCluster cluster({});
  cluster.create_topic("T");
  auto conf = make_conf(cluster.name_servers());
  auto p = start_producer(conf);
  struct Ctx {
    ferry_producer* p;
    std::atomic<int> status{-1};
  } ctx{p.get()};
  auto m = make_msg("T", "x");
  char err[256];
  ASSERT_EQ(FERRY_OK, ferry_producer_send_async(p.get(), m.get(), [](void* ud, ferry_status, const ferry_send_result*, const char*) {
    auto* c = static_cast<Ctx*>(ud);
    c->status = ferry_producer_shutdown(c->p, nullptr, 0);
  }, &ctx, err, sizeof err));
  for (int i = 0; i < 500 && ctx.status < 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(FERRY_E_STATE, ctx.status.load());
}

}  // namespace
}  // namespace ferry::sdk::test

namespace ferry::sdk::test {
namespace {

// The exported twins of the header's static inline functions agree with them
// for every status (FFIs call the exported ones).
TEST(SdkStatus, ExportedNamesMatchTheHeader) {
#define FERRY_X_CHECK(code, text)                                        \
  EXPECT_STREQ(ferry_status_name(code), ferry_client_status_name(code)); \
  EXPECT_STREQ(text, ferry_client_status_str(code));
  FERRY_STATUS_LIST(FERRY_X_CHECK)
#undef FERRY_X_CHECK
  EXPECT_STREQ("FERRY_E_BUSY", ferry_client_status_name(FERRY_E_BUSY));
  EXPECT_STREQ("FERRY_E_UNKNOWN", ferry_client_status_name(static_cast<ferry_status>(12345)));
  EXPECT_STREQ("unknown status", ferry_client_status_str(static_cast<ferry_status>(12345)));
}

}  // namespace
}  // namespace ferry::sdk::test
