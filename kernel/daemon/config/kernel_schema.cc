#include "config/kernel_schema.h"

#include <cstdlib>
#include <iterator>

namespace ferry::config {
namespace {

// clang-format off
constexpr ferry_config_key kKernelKeys[] = {
  FERRY_CONFIG_KEY("listen", FERRY_CONFIG_STRING, "127.0.0.1:10911", NULL, NULL, NULL,
                   "host:port the transport listens on for clients and brokers (port 0 picks a free one)"),
  FERRY_CONFIG_KEY("data_dir", FERRY_CONFIG_STRING, "./data", NULL, NULL, NULL,
                   "directory for all persistent data; created when missing; relative to the working directory"),
  FERRY_CONFIG_KEY("plugin_dir", FERRY_CONFIG_STRING, "", NULL, NULL, NULL,
                   "where plugin libraries are found; empty means <dir of ferryd>/../lib/ferry/plugins"),
  FERRY_CONFIG_KEY("log_level", FERRY_CONFIG_ENUM, "info", NULL, NULL, "trace|debug|info|warn|error|off",
                   "lowest severity written to the log"),
  FERRY_CONFIG_KEY("max_frame_bytes", FERRY_CONFIG_SIZE, "16MiB", "4KiB", "1GiB",
                   NULL, "largest transport frame accepted or sent (header + attachment)"),
  FERRY_CONFIG_KEY("metrics_listen", FERRY_CONFIG_STRING, "", NULL, NULL, NULL,
                   "host:port of the Prometheus endpoint (HTTP GET /metrics); empty turns it off; port 0 picks a free one"),
  FERRY_CONFIG_KEY("busy_poll_us", FERRY_CONFIG_INT, "0", "0", "10000", NULL,
                   "after a loop turn that handled I/O, poll without sleeping this many microseconds before "
                   "blocking again (lower latency on slow wake-ups, costs CPU under load); 0 turns it off"),
};

constexpr ferry_config_key kBrokerKeys[] = {
  FERRY_CONFIG_KEY("cluster", FERRY_CONFIG_STRING, "DefaultCluster", NULL, NULL, NULL,
                   "cluster this broker registers under"),
  FERRY_CONFIG_KEY("name", FERRY_CONFIG_STRING, "broker-a", NULL, NULL, NULL,
                   "broker name; a master and its slaves share it"),
  FERRY_CONFIG_KEY("id", FERRY_CONFIG_INT, "0", "0", "1024", NULL,
                   "0 for the master, 1 and up for slaves"),
  FERRY_CONFIG_KEY("advertised_address", FERRY_CONFIG_STRING, "", NULL, NULL, NULL,
                   "host:port clients are told to use; empty means the listen address"),
};
// clang-format on

Schema build(const ferry_config_key* keys, size_t count) {
  std::string error;
  auto schema = Schema::from_c(keys, sizeof(ferry_config_key), static_cast<uint32_t>(count), &error);
  // The kernel's own declarations are fixed at compile time; a bad one is a
  // programming error caught by the first test run.
  if (!schema) std::abort();
  return *schema;
}

}  // namespace

const Schema& kernel_schema() {
  static const Schema schema = build(kKernelKeys, std::size(kKernelKeys));
  return schema;
}

const Schema& broker_schema() {
  static const Schema schema = build(kBrokerKeys, std::size(kBrokerKeys));
  return schema;
}

const Schema& core_schema() {
  static const Schema schema = build(core::core_config_keys().data(), core::core_config_keys().size());
  return schema;
}

core::CoreConfig core_config(const Values& v) {
  auto u32 = [&](const char* k) { return static_cast<uint32_t>(v.i64(k)); };
  auto ms = [&](const char* k) { return static_cast<uint64_t>(v.i64(k)); };
  core::CoreConfig c;
  c.max_message_size = v.u64("max_message_size");
  c.auto_create_topics = std::get<bool>(v.find("auto_create_topics")->value);
  c.default_queue_count = u32("default_queue_count");
  c.long_poll_max_hold_ms = ms("long_poll_max_hold");
  c.max_held_pulls = u32("max_held_pulls");
  c.client_expiry_ms = ms("client_expiry");
  c.client_sweep_interval_ms = ms("client_sweep_interval");
  c.offset_persist_interval_ms = ms("offset_persist_interval");
  c.topic_persist_delay_ms = ms("topic_persist_delay");
  c.send_queue_capacity = u32("send_queue_capacity");
  c.ack_timeout_ms = ms("ack_timeout");
  c.queue_lock_lease_ms = ms("queue_lock_lease");
  c.max_batch_messages = u32("max_batch_messages");
  c.max_pull_count = u32("max_pull_count");
  return c;
}

}  // namespace ferry::config
