// ferry::PullConsumer (lite): poll() runs on the caller's thread and hands
// back owned messages; commits, seeks and assignment are explicit.
#pragma once

#include <ferry/client.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ferry/cpp/callbacks.hpp"
#include "ferry/cpp/consumer_builder.hpp"
#include "ferry/cpp/error.hpp"
#include "ferry/cpp/handles.hpp"
#include "ferry/cpp/message.hpp"
#include "ferry/cpp/push_consumer.hpp"

namespace ferry {

// One message queue: (topic, broker group, queue id).
struct QueueRef {
  std::string topic;
  std::string broker_name;
  int32_t queue_id = 0;

  ferry_queue_ref raw() const noexcept {
    ferry_queue_ref r = FERRY_STRUCT_INIT(ferry_queue_ref);
    r.topic = topic.c_str();
    r.broker_name = broker_name.c_str();
    r.queue_id = queue_id;
    return r;
  }
  bool operator==(const QueueRef& o) const {
    return topic == o.topic && broker_name == o.broker_name && queue_id == o.queue_id;
  }
};

// Async commit completion (status, libferry's text: "" on success).
using CommitCallback = std::function<void(Status status, std::string_view error)>;

namespace detail {

struct AsyncCommit {
  std::shared_ptr<const Hooks> hooks;
  CommitCallback fn;
};

inline void commit_trampoline(void* user_data, ferry_status status, const char* error) noexcept {
  std::unique_ptr<AsyncCommit> ctx(static_cast<AsyncCommit*>(user_data));
  guarded(ctx->hooks.get(), "commit callback", 0, [&] {
    if (ctx->fn) ctx->fn(status, error ? std::string_view(error) : std::string_view());
    return 0;
  });
}

inline std::vector<ferry_queue_ref> raw_refs(const std::vector<QueueRef>& queues) {
  std::vector<ferry_queue_ref> out;
  out.reserve(queues.size());
  for (const QueueRef& q : queues) out.push_back(q.raw());
  return out;
}

}  // namespace detail

class PullConsumer {
 public:
  PullConsumer(PullConsumer&&) noexcept = default;
  PullConsumer& operator=(PullConsumer&&) noexcept = default;

  // Up to `max` messages, waiting up to `timeout`; empty when none came.
  std::vector<Message> poll(std::chrono::milliseconds timeout, std::size_t max = 32) {
    std::vector<ferry_client_message*> raw(max, nullptr);
    std::size_t count = 0;
    detail::check([&](char* eb, std::size_t el) {
      return ferry_pull_consumer_poll(c(), static_cast<int32_t>(timeout.count()), raw.data(), max, &count, eb, el);
    });
    std::vector<Message> out;
    out.reserve(count);
    for (std::size_t i = 0; i < count; ++i) out.push_back(Message::adopt(raw[i]));
    return out;
  }

  void commit_sync() {
    detail::check([&](char* eb, std::size_t el) { return ferry_pull_consumer_commit_sync(c(), eb, el); });
  }
  // `done` (may be empty) runs once on the callback thread unless this throws.
  void commit_async(CommitCallback done = {}) {
    auto ctx = std::make_unique<detail::AsyncCommit>(detail::AsyncCommit{hooks_, std::move(done)});
    detail::check([&](char* eb, std::size_t el) {
      return ferry_pull_consumer_commit_async(c(), &detail::commit_trampoline, ctx.get(), eb, el);
    });
    ctx.release();
  }

  void assign(const std::vector<QueueRef>& queues) {
    auto refs = detail::raw_refs(queues);
    detail::check([&](char* eb, std::size_t el) {
      return ferry_pull_consumer_assign(c(), refs.data(), refs.size(), eb, el);
    });
  }
  // The topic's readable queues (from the name servers).
  std::vector<QueueRef> fetch_queues(const std::string& topic) {
    ferry_queue_ref* refs = nullptr;
    std::size_t count = 0;
    detail::check([&](char* eb, std::size_t el) {
      return ferry_pull_consumer_fetch_queues(c(), topic.c_str(), &refs, &count, eb, el);
    });
    std::unique_ptr<ferry_queue_ref, std::function<void(ferry_queue_ref*)>> guard(
        refs, [count](ferry_queue_ref* r) { ferry_queue_refs_free(r, count); });
    std::vector<QueueRef> out;
    out.reserve(count);
    for (std::size_t i = 0; i < count; ++i)
      out.push_back(QueueRef{refs[i].topic ? refs[i].topic : "", refs[i].broker_name ? refs[i].broker_name : "",
                             refs[i].queue_id});
    return out;
  }
  void seek(const QueueRef& queue, int64_t offset) {
    ferry_queue_ref r = queue.raw();
    detail::check([&](char* eb, std::size_t el) { return ferry_pull_consumer_seek(c(), &r, offset, eb, el); });
  }
  void seek_timestamp(const QueueRef& queue, int64_t epoch_ms) {
    ferry_queue_ref r = queue.raw();
    detail::check([&](char* eb, std::size_t el) {
      return ferry_pull_consumer_seek_timestamp(c(), &r, epoch_ms, eb, el);
    });
  }
  // Commits (with auto-commit) and stops. Idempotent.
  void shutdown() {
    detail::check([&](char* eb, std::size_t el) { return ferry_pull_consumer_shutdown(c(), eb, el); });
  }
  ferry_pull_consumer* raw() const noexcept { return handle_.get(); }

 private:
  friend class PullConsumerBuilder;
  PullConsumer(std::shared_ptr<detail::Hooks> hooks, detail::PullConsumerPtr handle) noexcept
      : hooks_(std::move(hooks)), handle_(std::move(handle)) {}
  ferry_pull_consumer* c() const {
    if (!handle_) throw Error(FERRY_E_CLOSED, "pull consumer was moved from");
    return handle_.get();
  }

  std::shared_ptr<detail::Hooks> hooks_;
  detail::PullConsumerPtr handle_;
};

class PullConsumerBuilder : public ConsumerBuilder<PullConsumerBuilder> {
 public:
  // Exact queues, no rebalance.
  PullConsumerBuilder& assign(std::vector<QueueRef> queues) {
    assigned_ = std::move(queues);
    return *this;
  }
  PullConsumerBuilder& auto_commit(bool on) { return set("enable_auto_commit", on ? "true" : "false"); }
  PullConsumerBuilder& pull_batch_size(int n) { return set("pull_batch_size", std::to_string(n)); }

  // Created, subscribed or assigned, and started.
  PullConsumer build() {
    auto hooks = take_hooks();
    ferry_pull_consumer* out = nullptr;
    detail::check([&](char* eb, std::size_t el) { return ferry_pull_consumer_new(conf_.raw(), &out, eb, el); });
    PullConsumer consumer(std::move(hooks), detail::PullConsumerPtr(out));
    ferry_pull_consumer* c = consumer.raw();
    apply_subscriptions(c, ferry_pull_consumer_subscribe, ferry_pull_consumer_subscribe_sql92);
    if (!assigned_.empty()) consumer.assign(assigned_);
    detail::check([&](char* eb, std::size_t el) { return ferry_pull_consumer_start(c, eb, el); });
    return consumer;
  }

 private:
  std::vector<QueueRef> assigned_;
};

}  // namespace ferry
