#pragma once
// The [core] section of ferryd's config: the keys (for the kernel's schema
// validation and --print-schema) and the values the core runs with.
#include <ferry/config.h>

#include <cstdint>
#include <span>

namespace ferry::core {

struct CoreConfig {
  uint64_t max_message_size = 4ull << 20;        // body bytes per message
  bool auto_create_topics = false;
  uint32_t default_queue_count = 4;              // auto-created topics
  uint64_t long_poll_max_hold_ms = 15'000;       // cap on a client's hold_ms
  uint32_t max_held_pulls = 10'000;              // past it: FERRY_E_BUSY
  uint64_t client_expiry_ms = 120'000;
  uint64_t client_sweep_interval_ms = 10'000;
  uint64_t offset_persist_interval_ms = 5'000;
  uint64_t topic_persist_delay_ms = 10;          // group-commit window of topic table writes
  uint32_t send_queue_capacity = 10'000;         // sends waiting for watermarks
  uint64_t ack_timeout_ms = 5'000;               // when no flush plugin says
  uint64_t queue_lock_lease_ms = 60'000;
  uint32_t max_batch_messages = 1'024;
  uint32_t max_pull_count = 1'024;               // cap on a pull's max_count
  uint64_t max_pull_bytes = 4ull << 20;          // cap on a pull's max_bytes (frame limit)
};

// Keys with types and defaults, in static storage.
std::span<const ferry_config_key> core_config_keys();

}  // namespace ferry::core
