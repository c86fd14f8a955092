// One std::unique_ptr per libferry handle, each with a one-line deleter.
// Destroying a handle shuts it down first (libferry's _destroy does), so a
// C++ object going out of scope is a graceful stop.
#pragma once

#include <ferry/client.h>

#include <memory>

namespace ferry::detail {

struct ConfigDeleter { void operator()(ferry_config* p) const noexcept { ferry_config_destroy(p); } };
struct MessageDeleter { void operator()(ferry_client_message* p) const noexcept { ferry_message_destroy(p); } };
struct ProducerDeleter { void operator()(ferry_producer* p) const noexcept { ferry_producer_destroy(p); } };
struct TxProducerDeleter { void operator()(ferry_transaction_producer* p) const noexcept { ferry_transaction_producer_destroy(p); } };
struct PushConsumerDeleter { void operator()(ferry_push_consumer* p) const noexcept { ferry_push_consumer_destroy(p); } };
struct PullConsumerDeleter { void operator()(ferry_pull_consumer* p) const noexcept { ferry_pull_consumer_destroy(p); } };
struct AdminDeleter { void operator()(ferry_admin* p) const noexcept { ferry_admin_destroy(p); } };
struct StringDeleter { void operator()(char* p) const noexcept { ferry_string_free(p); } };

using ConfigPtr = std::unique_ptr<ferry_config, ConfigDeleter>;
using MessagePtr = std::unique_ptr<ferry_client_message, MessageDeleter>;
using ProducerPtr = std::unique_ptr<ferry_producer, ProducerDeleter>;
using TxProducerPtr = std::unique_ptr<ferry_transaction_producer, TxProducerDeleter>;
using PushConsumerPtr = std::unique_ptr<ferry_push_consumer, PushConsumerDeleter>;
using PullConsumerPtr = std::unique_ptr<ferry_pull_consumer, PullConsumerDeleter>;
using AdminPtr = std::unique_ptr<ferry_admin, AdminDeleter>;
using StringPtr = std::unique_ptr<char, StringDeleter>;

}  // namespace ferry::detail
