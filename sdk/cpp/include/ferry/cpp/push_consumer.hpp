// ferry::PushConsumer: libferry pulls (long polling) and calls a listener
// on the consumer's consume threads.
//   auto consumer = ferry::PushConsumerBuilder()
//       .name_servers("127.0.0.1:9876").group("g").subscribe("orders", "*")
//       .listener([](const ferry::MessageList& msgs) { ...; return ferry::ConsumeStatus::Success; })
//       .build();
// A listener that throws is reported through on_callback_error and counts
// as RECONSUME_LATER (orderly: SUSPEND): the messages come again, none lost.
#pragma once

#include <ferry/client.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ferry/cpp/callbacks.hpp"
#include "ferry/cpp/consumer_builder.hpp"
#include "ferry/cpp/error.hpp"
#include "ferry/cpp/handles.hpp"
#include "ferry/cpp/message.hpp"

namespace ferry {

enum class ConsumeStatus {
  Success = FERRY_CONSUME_SUCCESS,
  ReconsumeLater = FERRY_CONSUME_RECONSUME_LATER,
};
enum class OrderlyStatus {
  Success = FERRY_ORDERLY_SUCCESS,
  Suspend = FERRY_ORDERLY_SUSPEND,
};

// Messages of one queue; runs on a consume thread, several calls at once.
using ConcurrentListener = std::function<ConsumeStatus(const MessageList& msgs)>;
// Messages of one queue in order; one call per queue at a time.
using OrderlyListener = std::function<OrderlyStatus(const MessageList& msgs)>;

namespace detail {

struct ListenerState {
  Hooks* hooks;
  ConcurrentListener concurrent;
  OrderlyListener orderly;
};

inline ferry_consume_status concurrent_trampoline(void* user_data, ferry_client_message* const* msgs,
                                                  std::size_t count) noexcept {
  auto* st = static_cast<ListenerState*>(user_data);
  return guarded(st->hooks, "listener", FERRY_CONSUME_RECONSUME_LATER, [&] {
    return static_cast<ferry_consume_status>(st->concurrent(MessageList(msgs, count)));
  });
}

inline ferry_orderly_status orderly_trampoline(void* user_data, ferry_client_message* const* msgs,
                                               std::size_t count) noexcept {
  auto* st = static_cast<ListenerState*>(user_data);
  return guarded(st->hooks, "orderly listener", FERRY_ORDERLY_SUSPEND, [&] {
    return static_cast<ferry_orderly_status>(st->orderly(MessageList(msgs, count)));
  });
}

}  // namespace detail

class PushConsumer {
 public:
  PushConsumer(PushConsumer&&) noexcept = default;
  PushConsumer& operator=(PushConsumer&&) noexcept = default;

  // Graceful stop: running listeners finish, offsets are committed
  // synchronously, queue locks released. Idempotent.
  void shutdown() {
    detail::check([&](char* eb, std::size_t el) { return ferry_push_consumer_shutdown(handle_.get(), eb, el); });
  }
  // Queues this consumer owns now (after rebalance).
  std::size_t queue_count() const noexcept { return ferry_push_consumer_queue_count(handle_.get()); }
  // Messages pulled past the committed offset on queues this consumer gave
  // up (rebalance, shutdown): the bound on what another member re-delivers.
  std::uint64_t handover_uncommitted() const noexcept {
    return ferry_push_consumer_handover_uncommitted(handle_.get());
  }
  ferry_push_consumer* raw() const noexcept { return handle_.get(); }

 private:
  friend class PushConsumerBuilder;
  PushConsumer(std::shared_ptr<detail::Hooks> hooks, std::unique_ptr<detail::ListenerState> listener,
               detail::PushConsumerPtr handle) noexcept
      : hooks_(std::move(hooks)), listener_(std::move(listener)), handle_(std::move(handle)) {}

  // Destroyed after the handle: listeners may run until it is gone.
  std::shared_ptr<detail::Hooks> hooks_;
  std::unique_ptr<detail::ListenerState> listener_;
  detail::PushConsumerPtr handle_;
};

class PushConsumerBuilder : public ConsumerBuilder<PushConsumerBuilder> {
 public:
  PushConsumerBuilder& consume_from_timestamp(int64_t epoch_ms) {
    set("consume_from", "timestamp");
    return set("consume_timestamp_ms", std::to_string(epoch_ms));
  }
  PushConsumerBuilder& consume_threads(int n) { return set("consume_threads", std::to_string(n)); }
  PushConsumerBuilder& consume_batch_size(int n) { return set("consume_batch_size", std::to_string(n)); }
  // The listener runs on the consumer's I/O thread (short, never blocking listeners only).
  PushConsumerBuilder& consume_on_io_thread(bool on) { return set("consume_on_io_thread", on ? "true" : "false"); }
  PushConsumerBuilder& listener(ConcurrentListener fn) {
    concurrent_ = std::move(fn);
    return *this;
  }
  PushConsumerBuilder& orderly_listener(OrderlyListener fn) {
    orderly_ = std::move(fn);
    return *this;
  }

  // Created, subscribed, listener set and started.
  PushConsumer build() {
    if (!concurrent_ == !orderly_)
      throw Error(FERRY_E_INVALID_ARGUMENT, "set exactly one of listener() and orderly_listener()");
    auto hooks = take_hooks();
    auto state = std::make_unique<detail::ListenerState>(detail::ListenerState{hooks.get(), concurrent_, orderly_});
    ferry_push_consumer* out = nullptr;
    detail::check([&](char* eb, std::size_t el) { return ferry_push_consumer_new(conf_.raw(), &out, eb, el); });
    PushConsumer consumer(std::move(hooks), std::move(state), detail::PushConsumerPtr(out));
    ferry_push_consumer* c = consumer.raw();
    apply_subscriptions(c, ferry_push_consumer_subscribe, ferry_push_consumer_subscribe_sql92);
    detail::ListenerState* st = consumer.listener_.get();
    detail::check([&](char* eb, std::size_t el) {
      return st->concurrent ? ferry_push_consumer_set_listener(c, &detail::concurrent_trampoline, st, eb, el)
                            : ferry_push_consumer_set_orderly_listener(c, &detail::orderly_trampoline, st, eb, el);
    });
    detail::check([&](char* eb, std::size_t el) { return ferry_push_consumer_start(c, eb, el); });
    return consumer;
  }

 private:
  ConcurrentListener concurrent_;
  OrderlyListener orderly_;
};

}  // namespace ferry
