// Configuration: unknown keys and bad values are refused with a message
// naming the key; defaults are readable; nothing changes on error.
#include <cstring>

#include "sdk_fixture.h"

namespace ferry::sdk::test {
namespace {

TEST(SdkConfig, UnknownKeyNamesTheKeyAndListsValidOnes) {
  Conf c(ferry_config_new());
  char err[1024] = "";
  EXPECT_EQ(FERRY_E_CONFIG, ferry_config_set(c.get(), "name_server", "127.0.0.1:9876", err, sizeof err));
  EXPECT_NE(nullptr, std::strstr(err, "unknown config key 'name_server'")) << err;
  EXPECT_NE(nullptr, std::strstr(err, "name_servers")) << err;
}

TEST(SdkConfig, BadValuesAreRefusedWithTheExpectedForm) {
  Conf c(ferry_config_new());
  char err[1024] = "";
  EXPECT_EQ(FERRY_E_CONFIG, ferry_config_set(c.get(), "send_timeout_ms", "3s", err, sizeof err));
  EXPECT_NE(nullptr, std::strstr(err, "send_timeout_ms")) << err;
  EXPECT_EQ(FERRY_E_CONFIG, ferry_config_set(c.get(), "name_servers", "localhost", err, sizeof err));
  EXPECT_NE(nullptr, std::strstr(err, "host:port")) << err;
  EXPECT_EQ(FERRY_E_CONFIG, ferry_config_set(c.get(), "message_model", "fanout", err, sizeof err));
  EXPECT_NE(nullptr, std::strstr(err, "clustering|broadcasting")) << err;
  EXPECT_EQ(FERRY_E_CONFIG, ferry_config_set(c.get(), "consume_threads", "0", err, sizeof err));
  EXPECT_EQ(FERRY_E_CONFIG, ferry_config_set(c.get(), "busy_poll_us", "10001", err, sizeof err));
  EXPECT_NE(nullptr, std::strstr(err, "busy_poll_us")) << err;
  EXPECT_EQ(FERRY_E_CONFIG, ferry_config_set(c.get(), "busy_poll_us", "-5", err, sizeof err));
  EXPECT_EQ(FERRY_OK, ferry_config_set(c.get(), "busy_poll_us", "10000", err, sizeof err)) << err;
  EXPECT_EQ(FERRY_E_CONFIG, ferry_config_set(c.get(), "sync_direct_spin_us", "10001", err, sizeof err));
  EXPECT_NE(nullptr, std::strstr(err, "sync_direct_spin_us")) << err;
  EXPECT_EQ(FERRY_E_CONFIG, ferry_config_set(c.get(), "sync_direct_spin_us", "-1", err, sizeof err));
  EXPECT_EQ(FERRY_E_CONFIG, ferry_config_set(c.get(), "sync_direct_spin_us", "50us", err, sizeof err));
  {
    // On by default (docs/sdk.md); 0 turns it off, 10000 is the largest.
    char v[16];
    ASSERT_EQ(FERRY_OK, ferry_config_get(c.get(), "sync_direct_spin_us", v, sizeof v, nullptr, err, sizeof err));
    EXPECT_STREQ("50", v);
    EXPECT_EQ(FERRY_OK, ferry_config_set(c.get(), "sync_direct_spin_us", "0", err, sizeof err)) << err;
    EXPECT_EQ(FERRY_OK, ferry_config_set(c.get(), "sync_direct_spin_us", "10000", err, sizeof err)) << err;
  }
  EXPECT_EQ(FERRY_E_CONFIG, ferry_config_set(c.get(), "thread_policy", "idle", err, sizeof err));
  EXPECT_NE(nullptr, std::strstr(err, "normal|batch")) << err;
  EXPECT_EQ(FERRY_OK, ferry_config_set(c.get(), "thread_policy", "batch", err, sizeof err)) << err;
  // Nothing was stored: the default is still there.
  char v[64];
  size_t need = 0;
  ASSERT_EQ(FERRY_OK, ferry_config_get(c.get(), "consume_threads", v, sizeof v, &need, err, sizeof err));
  EXPECT_STREQ("4", v);
}

TEST(SdkConfig, GetReportsNeededSizeAndTruncates) {
  Conf c(ferry_config_new());
  char err[256];
  ASSERT_EQ(FERRY_OK, ferry_config_set(c.get(), "name_servers", "127.0.0.1:1;127.0.0.1:2", err, sizeof err));
  char small[4];
  size_t need = 0;
  EXPECT_EQ(FERRY_E_TOO_LARGE, ferry_config_get(c.get(), "name_servers", small, sizeof small, &need, err, sizeof err));
  EXPECT_EQ(std::strlen("127.0.0.1:1;127.0.0.1:2") + 1, need);
  EXPECT_STREQ("127", small);
  Conf d(ferry_config_dup(c.get()));
  char full[64];
  ASSERT_EQ(FERRY_OK, ferry_config_get(d.get(), "name_servers", full, sizeof full, nullptr, err, sizeof err));
  EXPECT_STREQ("127.0.0.1:1;127.0.0.1:2", full);
}

TEST(SdkConfig, ProducerNeedsNameServers) {
  Conf c(ferry_config_new());
  ferry_producer* p = reinterpret_cast<ferry_producer*>(1);
  char err[256] = "";
  EXPECT_EQ(FERRY_E_CONFIG, ferry_producer_new(c.get(), &p, err, sizeof err));
  EXPECT_EQ(nullptr, p);
  EXPECT_NE(nullptr, std::strstr(err, "name_servers")) << err;
}

}  // namespace
}  // namespace ferry::sdk::test
