#pragma once
// ferry_config: string keys and values, checked when set (unknown key, bad
// form, out of range: an error naming the key). Settings is the parsed,
// typed copy a handle keeps.
#include <ferry/client.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "api_common.h"
#include "thread_policy.h"

struct ferry_config {
  std::map<std::string, std::string> values;  // only keys that were set
  ferry_log_cb log_cb = nullptr;
  void* log_user = nullptr;
};

namespace ferry::sdk {

enum class MessageModel { kClustering, kBroadcasting };
enum class ConsumeFrom { kLast, kFirst, kTimestamp };
enum class Strategy { kAverage, kRoundRobin, kConsistentHash };

struct Settings {
  std::vector<std::string> name_servers;
  std::string client_id;
  std::string group = "DEFAULT_GROUP";
  uint32_t request_timeout_ms = 3000;
  uint32_t connect_timeout_ms = 3000;
  uint32_t route_refresh_ms = 30000;
  uint32_t heartbeat_interval_ms = 30000;
  uint32_t send_timeout_ms = 3000;
  uint32_t send_retries = 2;
  uint32_t broker_backoff_ms = 3000;
  uint64_t max_message_size = 4u << 20;
  MessageModel message_model = MessageModel::kClustering;
  ConsumeFrom consume_from = ConsumeFrom::kLast;
  int64_t consume_timestamp_ms = 0;
  uint32_t consume_threads = 4;
  uint32_t consume_batch_size = 1;
  uint32_t pull_batch_size = 32;
  uint32_t long_poll_ms = 15000;
  uint32_t pull_pipeline = 2;  // push concurrent: pulls in flight per queue (chained)
  uint32_t queue_max_cached_messages = 1000;
  uint64_t queue_max_cached_bytes = 100ull << 20;
  Strategy rebalance_strategy = Strategy::kAverage;
  uint32_t rebalance_interval_ms = 20000;
  uint32_t commit_interval_ms = 5000;
  uint32_t reconsume_delay_ms = 1000;
  // Clustering push consumer: a message failed this many times after its
  // first delivery goes to the group's dead-letter topic (RocketMQ's 16).
  uint32_t max_reconsume_times = 16;
  uint32_t lock_renew_ms = 20000;
  std::string offset_store_dir = "./ferry_offsets";
  bool enable_auto_commit = true;
  ferry_log_level log_level = FERRY_LOG_WARN;
  // A sync call's thread checks for its answer this long before sleeping
  // on the condition variable (saves the wake-up when the answer is quick).
  uint32_t sync_spin_us = 0;
  // After answering a sync send, the I/O thread watches for the same
  // producer's next sync send this long before going back to epoll: a send
  // that comes in time needs no wake-up of the I/O thread.
  uint32_t sync_io_spin_us = 0;
  // Bounded busy-poll instead of sleeping right after I/O: the I/O thread's
  // loop (net::run_loop) and a sync send's direct-lane read wait this long
  // without blocking (0 = off).
  uint32_t busy_poll_us = 0;
  // The scheduling policy of the I/O thread and the callback threads
  // (thread_policy.h): kBatch = they do not preempt on wake-up.
  ThreadPolicy thread_policy = ThreadPolicy::kNormal;
  // A sync send while the producer has nothing else in flight does its own
  // socket I/O on the caller's thread (DirectLane), with no hand-off to the
  // I/O thread and back.
  bool sync_direct = true;
  // A concurrent push consumer calls its listener on the I/O thread, right
  // after the pull answer is decoded, instead of handing each batch to a
  // listener thread (one wake-up and one sleeping hop less per batch; the
  // listener must be short and never block: the I/O thread waits for it).
  bool consume_on_io_thread = false;
  // A sync send on the direct lane: the caller reads its answer without
  // blocking for up to this long before its blocking read, while recent
  // answers came inside that window (SpinGate, adaptive; 0 = off;
  // busy_poll_us > 0 replaces it with a fixed window).
  uint32_t sync_direct_spin_us = 50;
  // Client-side batching of async sends (1 = off): sends of one topic that
  // reach the I/O thread together, or within linger, go as one SEND_BATCH
  // of up to max_messages / max_bytes; each keeps its own completion.
  uint32_t async_batch_max_messages = 1;
  uint64_t async_batch_max_bytes = 256u << 10;
  uint32_t async_batch_linger_ms = 0;
  // A producer calls its async send callbacks on the I/O thread at the end
  // of the loop turn that took their answers, instead of handing the turn's
  // completions to the callback thread (one wake-up and one sleeping hop
  // less per turn; the callback must be short and never block).
  bool callback_on_io_thread = false;
  ferry_log_cb log_cb = nullptr;
  void* log_user = nullptr;
};

// Checks one key/value; fills *why on error (FERRY_E_CONFIG).
ferry_status check_config_value(const std::string& key, const std::string& value, std::string* why);
// Default text of a key (false when unknown).
bool config_default(const std::string& key, std::string* out);
// Builds Settings from conf (every value already checked); requires
// name_servers when `need_name_servers`.
ferry_status build_settings(const ferry_config& conf, bool need_name_servers, Settings* out,
                            std::string* why);

}  // namespace ferry::sdk
