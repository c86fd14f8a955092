#include "config.h"

namespace ferry::core {
namespace {

// Defaults here must equal CoreConfig's initialisers (tests/core checks).
const ferry_config_key kKeys[] = {
    FERRY_CONFIG_KEY("max_message_size", FERRY_CONFIG_SIZE, "4MiB", "1", "1GiB", nullptr,
                     "Largest message body a send may carry; larger ones get FERRY_E_MESSAGE_TOO_LARGE."),
    FERRY_CONFIG_KEY("auto_create_topics", FERRY_CONFIG_BOOL, "false", nullptr, nullptr, nullptr,
                     "Create an unknown topic on its first send instead of FERRY_E_TOPIC_NOT_FOUND."),
    FERRY_CONFIG_KEY("default_queue_count", FERRY_CONFIG_INT, "4", "1", "1024", nullptr,
                     "Read and write queues of an auto-created topic."),
    FERRY_CONFIG_KEY("long_poll_max_hold", FERRY_CONFIG_DURATION, "15s", "0ms", "1h", nullptr,
                     "Longest a pull with nothing new is held; a client's hold_ms is capped to it."),
    FERRY_CONFIG_KEY("max_held_pulls", FERRY_CONFIG_INT, "10000", "0", "10000000", nullptr,
                     "Pulls held at once; past it a pull that would wait gets FERRY_E_BUSY."),
    FERRY_CONFIG_KEY("client_expiry", FERRY_CONFIG_DURATION, "120s", "10ms", "1d", nullptr,
                     "A client silent this long is dropped and its groups' members notified."),
    FERRY_CONFIG_KEY("client_sweep_interval", FERRY_CONFIG_DURATION, "10s", "1ms", "1h", nullptr,
                     "How often silent clients and expired queue locks are looked for."),
    FERRY_CONFIG_KEY("offset_persist_interval", FERRY_CONFIG_DURATION, "5s", "1ms", "1h", nullptr,
                     "How often changed consumer offsets are written (and always at shutdown)."),
    FERRY_CONFIG_KEY("topic_persist_delay", FERRY_CONFIG_DURATION, "10ms", "0ms", "10s", nullptr,
                     "Group-commit window of topic table writes: changes within it share one write; their replies wait for it."),
    FERRY_CONFIG_KEY("send_queue_capacity", FERRY_CONFIG_INT, "10000", "1", "10000000", nullptr,
                     "Sends waiting for their durability watermark; past it FERRY_E_BUSY at once."),
    FERRY_CONFIG_KEY("ack_timeout", FERRY_CONFIG_DURATION, "5s", "1ms", "1h", nullptr,
                     "Ack timeout when neither flush nor replication plugin states one."),
    FERRY_CONFIG_KEY("queue_lock_lease", FERRY_CONFIG_DURATION, "60s", "10ms", "1h", nullptr,
                     "Lease of a queue lock for ordered consumption; the holder renews it."),
    FERRY_CONFIG_KEY("max_batch_messages", FERRY_CONFIG_INT, "1024", "1", "65536", nullptr,
                     "Messages one batch send may carry."),
    FERRY_CONFIG_KEY("max_pull_count", FERRY_CONFIG_INT, "1024", "1", "65536", nullptr,
                     "Cap on a pull's max_count."),
    FERRY_CONFIG_KEY("max_pull_bytes", FERRY_CONFIG_SIZE, "4MiB", "1KiB", "1GiB", nullptr,
                     "Cap on a pull's max_bytes (one record is always returned); keep it under the frame limit."),
};

}  // namespace

std::span<const ferry_config_key> core_config_keys() { return kKeys; }

}  // namespace ferry::core
