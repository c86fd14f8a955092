// ferry::Producer and its builder (RocketMQ 5 style):
//   auto producer = ferry::ProducerBuilder().name_servers("127.0.0.1:9876").group("g").build();
//   ferry::SendResult r = producer.send(ferry::Message("orders", "body"));
// Failed sync calls throw ferry::Error. Async completions run on the
// producer's callback thread (never the I/O thread); an exception thrown by
// one is reported through on_callback_error and goes no further.
#pragma once

#include <ferry/client.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ferry/cpp/builder.hpp"
#include "ferry/cpp/callbacks.hpp"
#include "ferry/cpp/error.hpp"
#include "ferry/cpp/handles.hpp"
#include "ferry/cpp/message.hpp"

namespace ferry {

// Outcome of one send. Sync sends return it only on success (failures
// throw); async completions get it either way (check ok()).
class SendResult {
 public:
  SendResult() noexcept : raw_(FERRY_STRUCT_INIT(ferry_send_result)) {}
  // Copies what libferry wrote (no more than it has: its struct may be older).
  SendResult(const ferry_send_result* r, Status status, const char* error) : SendResult() {
    if (r) std::memcpy(&raw_, r, std::min<std::size_t>(r->struct_size, sizeof raw_));
    raw_.struct_size = sizeof raw_;
    raw_.status = status;
    if (error) error_ = error;
  }

  Status status() const noexcept { return raw_.status; }
  bool ok() const noexcept { return raw_.status == FERRY_OK; }
  // libferry's explanation when !ok() (empty otherwise).
  const std::string& error() const noexcept { return error_; }
  std::string_view msg_id() const noexcept { return field(raw_.msg_id, sizeof raw_.msg_id); }
  std::string_view offset_msg_id() const noexcept { return field(raw_.offset_msg_id, sizeof raw_.offset_msg_id); }
  std::string_view broker_name() const noexcept { return field(raw_.broker_name, sizeof raw_.broker_name); }
  int32_t queue_id() const noexcept { return raw_.queue_id; }
  int64_t queue_offset() const noexcept { return raw_.queue_offset; }
  uint32_t attempts() const noexcept { return raw_.attempts; }
  ferry_send_result* raw() noexcept { return &raw_; }

 private:
  static std::string_view field(const char* s, std::size_t cap) noexcept {
    return std::string_view(s, ::strnlen(s, cap));
  }
  ferry_send_result raw_;
  std::string error_;
};

using SendCallback = std::function<void(const SendResult&)>;
// Picks a queue index in [0, queue_count) for a message.
using QueueSelector = std::function<std::size_t(MessageView msg, std::size_t queue_count)>;

namespace detail {

struct AsyncSend {
  std::shared_ptr<const Hooks> hooks;
  SendCallback fn;
};

inline void send_trampoline(void* user_data, ferry_status status, const ferry_send_result* r,
                            const char* error) noexcept {
  std::unique_ptr<AsyncSend> ctx(static_cast<AsyncSend*>(user_data));  // called exactly once
  guarded(ctx->hooks.get(), "send callback", 0, [&] {
    SendResult result(r, status, error);
    if (ctx->fn) ctx->fn(result);
    return 0;
  });
}

// The selector runs on the sending thread inside ferry_producer_send_select;
// an exception is kept here and rethrown once the C call returns.
struct SelectCall {
  const QueueSelector* fn;
  std::exception_ptr error;
};

inline std::size_t select_trampoline(void* user_data, const ferry_client_message* msg,
                                     std::size_t queue_count) noexcept {
  auto* call = static_cast<SelectCall*>(user_data);
  try {
    return (*call->fn)(MessageView(msg), queue_count);
  } catch (...) {
    call->error = std::current_exception();
    return FERRY_SELECTOR_ABORT;  // nothing is sent
  }
}

}  // namespace detail

class Producer {
 public:
  Producer(Producer&&) noexcept = default;
  Producer& operator=(Producer&&) noexcept = default;

  // Fetches the topics' routes and opens the connections to their brokers
  // before the first send (ferry_producer_prepare); blocks, bounded by the
  // send timeout. Throws ferry::Error with the first failure.
  void prepare(const std::vector<std::string>& topics) {
    std::vector<const char*> names;
    names.reserve(topics.size());
    for (const std::string& t : topics) names.push_back(t.c_str());
    detail::check([&](char* eb, std::size_t el) {
      return ferry_producer_prepare(p(), names.data(), names.size(), eb, el);
    });
  }

  // Sync send; throws ferry::Error with the final status after retries.
  SendResult send(const Message& msg) {
    SendResult r;
    detail::check([&](char* eb, std::size_t el) { return ferry_producer_send(p(), msg.raw(), r.raw(), eb, el); });
    return r;
  }

  // Async send: `done` runs once on the callback thread unless this throws.
  void send_async(const Message& msg, SendCallback done) {
    auto ctx = std::make_unique<detail::AsyncSend>(detail::AsyncSend{hooks_, std::move(done)});
    detail::check([&](char* eb, std::size_t el) {
      return ferry_producer_send_async(p(), msg.raw(), &detail::send_trampoline, ctx.get(), eb, el);
    });
    ctx.release();  // owned by the pending callback now
  }

  // Oneway: handed to the I/O thread, no answer awaited, no retry.
  void send_oneway(const Message& msg) {
    detail::check([&](char* eb, std::size_t el) { return ferry_producer_send_oneway(p(), msg.raw(), eb, el); });
  }

  // One topic's messages stored together, in order, in one queue.
  SendResult send_batch(const std::vector<Message>& msgs) {
    std::vector<ferry_client_message*> raw;
    raw.reserve(msgs.size());
    for (const Message& m : msgs) raw.push_back(m.raw());
    SendResult r;
    detail::check([&](char* eb, std::size_t el) {
      return ferry_producer_send_batch(p(), raw.data(), raw.size(), r.raw(), eb, el);
    });
    return r;
  }

  // Equal sharding keys land in the same queue, so their order is kept.
  SendResult send_ordered(const Message& msg, std::string_view sharding_key) {
    SendResult r;
    detail::check([&](char* eb, std::size_t el) {
      return ferry_producer_send_ordered(p(), msg.raw(), sharding_key.data(), sharding_key.size(),
                                         r.raw(), eb, el);
    });
    return r;
  }

  // Sync send to the queue `selector` picks. If the selector throws, the
  // send is aborted (nothing is sent) and the exception is rethrown here
  // after the C call returns.
  SendResult send_select(const Message& msg, const QueueSelector& selector) {
    detail::SelectCall call{&selector, nullptr};
    SendResult r;
    detail::ErrBuf eb;
    Status s = ferry_producer_send_select(p(), msg.raw(), &detail::select_trampoline, &call, r.raw(),
                                          eb.data(), eb.size());
    if (call.error) std::rethrow_exception(call.error);
    if (s != FERRY_OK) detail::raise(s, eb);
    return r;
  }

  // Graceful stop: waits for in-flight sends and their callbacks. Idempotent.
  void shutdown() {
    detail::check([&](char* eb, std::size_t el) { return ferry_producer_shutdown(p(), eb, el); });
  }

  ferry_producer* raw() const noexcept { return handle_.get(); }

 private:
  friend class ProducerBuilder;
  Producer(std::shared_ptr<detail::Hooks> hooks, detail::ProducerPtr handle) noexcept
      : hooks_(std::move(hooks)), handle_(std::move(handle)) {}
  ferry_producer* p() const {
    if (!handle_) throw Error(FERRY_E_CLOSED, "producer was moved from");
    return handle_.get();
  }

  // Declared before the handle: the handle (whose callbacks use the hooks)
  // is destroyed first.
  std::shared_ptr<detail::Hooks> hooks_;
  detail::ProducerPtr handle_;
};

class ProducerBuilder : public ClientBuilder<ProducerBuilder> {
 public:
  // One budget for a send and all its retries.
  ProducerBuilder& send_timeout_ms(int64_t ms) { return set("send_timeout_ms", std::to_string(ms)); }
  ProducerBuilder& send_retries(int n) { return set("send_retries", std::to_string(n)); }
  // Client-side batching of async sends (off by default): sends of one topic
  // that reach the I/O thread together, or within linger_ms, go as one
  // request of up to max_messages / max_bytes; each keeps its own callback.
  ProducerBuilder& async_batching(uint32_t max_messages, uint64_t max_bytes = 262144, uint32_t linger_ms = 0) {
    set("async_batch_max_messages", std::to_string(max_messages));
    set("async_batch_max_bytes", std::to_string(max_bytes));
    return set("async_batch_linger_ms", std::to_string(linger_ms));
  }
  // Async send callbacks run on the producer's I/O thread at the end of the
  // loop turn that took their answers (no hand-off to the callback thread);
  // only for callbacks that are short and never block. A sync send or
  // shutdown from such a callback throws (FERRY_E_STATE).
  ProducerBuilder& callback_on_io_thread(bool on) { return set("callback_on_io_thread", on ? "true" : "false"); }

  // A started producer.
  Producer build() {
    auto hooks = take_hooks();
    ferry_producer* out = nullptr;
    detail::check([&](char* eb, std::size_t el) { return ferry_producer_new(conf_.raw(), &out, eb, el); });
    Producer producer(std::move(hooks), detail::ProducerPtr(out));
    detail::check([&](char* eb, std::size_t el) { return ferry_producer_start(producer.raw(), eb, el); });
    return producer;
  }
};

}  // namespace ferry
