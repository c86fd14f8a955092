#include "sdk_fixture.h"

namespace ferry::sdk::test {

Conf make_conf(const std::string& ns, std::vector<std::pair<std::string, std::string>> extra) {
  Conf c(ferry_config_new());
  char err[512];
  auto set = [&](const std::string& k, const std::string& v) {
    EXPECT_EQ(FERRY_OK, ferry_config_set(c.get(), k.c_str(), v.c_str(), err, sizeof err)) << err;
  };
  set("name_servers", ns);
  set("request_timeout_ms", "2000");
  set("connect_timeout_ms", "1000");
  set("send_timeout_ms", "3000");
  set("long_poll_ms", "500");
  set("rebalance_interval_ms", "1000");
  set("commit_interval_ms", "200");
  set("reconsume_delay_ms", "100");
  set("lock_renew_ms", "500");
  set("log_level", "error");
  for (auto& [k, v] : extra) set(k, v);
  return c;
}

Producer start_producer(const Conf& conf) {
  ferry_producer* p = nullptr;
  char err[512];
  EXPECT_EQ(FERRY_OK, ferry_producer_new(conf.get(), &p, err, sizeof err)) << err;
  EXPECT_EQ(FERRY_OK, ferry_producer_start(p, err, sizeof err)) << err;
  return Producer(p);
}

Msg make_msg(const std::string& topic, const std::string& body, const std::string& tags, const std::string& keys) {
  ferry_client_message* m = nullptr;
  char err[256];
  EXPECT_EQ(FERRY_OK, ferry_message_new(topic.c_str(), body.data(), body.size(), &m, err, sizeof err)) << err;
  if (!tags.empty()) {
    EXPECT_EQ(FERRY_OK, ferry_message_set_tags(m, tags.c_str(), err, sizeof err));
  }
  if (!keys.empty()) {
    EXPECT_EQ(FERRY_OK, ferry_message_set_keys(m, keys.c_str(), err, sizeof err));
  }
  return Msg(m);
}

MsgBatch make_batch(const std::string& topic, int n, const std::string& prefix) {
  MsgBatch b;
  for (int i = 0; i < n; ++i) {
    b.owned.push_back(make_msg(topic, prefix + std::to_string(i)));
    b.raw.push_back(b.owned.back().get());
  }
  return b;
}

std::string body_of(const ferry_client_message* m) {
  size_t len = 0;
  const void* b = ferry_message_body(m, &len);
  return b ? std::string(static_cast<const char*>(b), len) : std::string();
}

void send_n(ferry_producer* p, const std::string& topic, int n, const std::string& prefix) {
  char err[512];
  for (int i = 0; i < n; ++i) {
    auto m = make_msg(topic, prefix + "-" + std::to_string(i));
    ASSERT_EQ(FERRY_OK, ferry_producer_send(p, m.get(), nullptr, err, sizeof err)) << err;
  }
}

}  // namespace ferry::sdk::test
