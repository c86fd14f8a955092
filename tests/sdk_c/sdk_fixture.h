#pragma once
// Shared helpers for libferry tests: a FakeCluster plus configs pointing at
// it, RAII holders for the C handles, and a message helper.
#include <ferry/client.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "fake_cluster.h"

namespace ferry::sdk::test {

struct ConfDeleter { void operator()(ferry_config* c) const { ferry_config_destroy(c); } };
struct ProducerDeleter { void operator()(ferry_producer* p) const { ferry_producer_destroy(p); } };
struct PushDeleter { void operator()(ferry_push_consumer* c) const { ferry_push_consumer_destroy(c); } };
struct PullDeleter { void operator()(ferry_pull_consumer* c) const { ferry_pull_consumer_destroy(c); } };
struct MsgDeleter { void operator()(ferry_client_message* m) const { ferry_message_destroy(m); } };
struct AdminDeleter { void operator()(ferry_admin* a) const { ferry_admin_destroy(a); } };
using Conf = std::unique_ptr<ferry_config, ConfDeleter>;
using Producer = std::unique_ptr<ferry_producer, ProducerDeleter>;
using Push = std::unique_ptr<ferry_push_consumer, PushDeleter>;
using Pull = std::unique_ptr<ferry_pull_consumer, PullDeleter>;
using Msg = std::unique_ptr<ferry_client_message, MsgDeleter>;
using Admin = std::unique_ptr<ferry_admin, AdminDeleter>;

// Config with name_servers set and test-scale timings; extra key/values.
Conf make_conf(const std::string& name_servers,
               std::vector<std::pair<std::string, std::string>> extra = {});
Producer start_producer(const Conf& conf);
Msg make_msg(const std::string& topic, const std::string& body, const std::string& tags = "",
             const std::string& keys = "");
std::string body_of(const ferry_client_message* m);
// `n` messages "<prefix><i>" on `topic`: `owned` keeps them alive, `raw`
// is what ferry_producer_send_batch takes.
struct MsgBatch {
  std::vector<Msg> owned;
  std::vector<ferry_client_message*> raw;
};
MsgBatch make_batch(const std::string& topic, int n, const std::string& prefix = "b");
// Sends `n` messages "prefix-i" synchronously, asserting success.
void send_n(ferry_producer* p, const std::string& topic, int n, const std::string& prefix = "m");

}  // namespace ferry::sdk::test
