// ferry::Admin: topics, routes, cluster, offsets, progress, queries — what
// ferryctl builds on. Queries answer libferry's JSON documents as strings
// (docs/sdk.md lists their shapes); this header parses nothing.
#pragma once

#include <ferry/client.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ferry/cpp/builder.hpp"
#include "ferry/cpp/error.hpp"
#include "ferry/cpp/handles.hpp"
#include "ferry/cpp/message.hpp"
#include "ferry/cpp/pull_consumer.hpp"

namespace ferry {

struct TopicSettings {
  std::string name;
  uint32_t read_queues = 4;
  uint32_t write_queues = 4;
  uint32_t perm = 6;  // FERRY_PERM_READ | FERRY_PERM_WRITE
  uint32_t flags = 0;

  ferry_topic_settings raw() const noexcept {
    ferry_topic_settings t = FERRY_STRUCT_INIT(ferry_topic_settings);
    t.name = name.c_str();
    t.read_queues = read_queues;
    t.write_queues = write_queues;
    t.perm = perm;
    t.flags = flags;
    return t;
  }
};

class Admin {
 public:
  Admin(Admin&&) noexcept = default;
  Admin& operator=(Admin&&) noexcept = default;

  // `target`: a broker "host:port" or a cluster name.
  void create_topic(const std::string& target, const TopicSettings& topic) {
    ferry_topic_settings t = topic.raw();
    detail::check([&](char* eb, std::size_t el) { return ferry_admin_create_topic(a(), target.c_str(), &t, eb, el); });
  }
  void update_topic(const std::string& target, const TopicSettings& topic) {
    ferry_topic_settings t = topic.raw();
    detail::check([&](char* eb, std::size_t el) { return ferry_admin_update_topic(a(), target.c_str(), &t, eb, el); });
  }
  void delete_topic(const std::string& target, const std::string& topic) {
    detail::check([&](char* eb, std::size_t el) {
      return ferry_admin_delete_topic(a(), target.c_str(), topic.c_str(), eb, el);
    });
  }
  std::string topic_list() {
    return json([&](char** out, char* eb, std::size_t el) { return ferry_admin_topic_list(a(), out, eb, el); });
  }
  std::string topic_route(const std::string& topic) {
    return json([&](char** out, char* eb, std::size_t el) {
      return ferry_admin_topic_route(a(), topic.c_str(), out, eb, el);
    });
  }
  std::string cluster_info() {
    return json([&](char** out, char* eb, std::size_t el) { return ferry_admin_cluster_info(a(), out, eb, el); });
  }
  // {min, max} offsets of one queue.
  std::pair<int64_t, int64_t> queue_range(const QueueRef& queue) {
    ferry_queue_ref r = queue.raw();
    int64_t lo = 0, hi = 0;
    detail::check([&](char* eb, std::size_t el) { return ferry_admin_queue_range(a(), &r, &lo, &hi, eb, el); });
    return {lo, hi};
  }
  // Committed offsets and lag; topic nullopt = every topic the group committed.
  std::string consumer_progress(const std::string& group, const std::optional<std::string>& topic = std::nullopt) {
    return json([&](char** out, char* eb, std::size_t el) {
      return ferry_admin_consumer_progress(a(), group.c_str(), topic ? topic->c_str() : nullptr, out, eb, el);
    });
  }
  Message query_by_offset_id(const std::string& offset_msg_id) {
    ferry_client_message* out = nullptr;
    detail::check([&](char* eb, std::size_t el) {
      return ferry_admin_query_by_offset_id(a(), offset_msg_id.c_str(), &out, eb, el);
    });
    return Message::adopt(out);
  }
  std::vector<Message> query_by_key(const std::string& topic, const std::string& key, std::size_t max = 32) {
    std::vector<ferry_client_message*> raw(max, nullptr);
    std::size_t count = 0;
    detail::check([&](char* eb, std::size_t el) {
      return ferry_admin_query_by_key(a(), topic.c_str(), key.c_str(), raw.data(), max, &count, eb, el);
    });
    std::vector<Message> out;
    out.reserve(count);
    for (std::size_t i = 0; i < count; ++i) out.push_back(Message::adopt(raw[i]));
    return out;
  }
  std::string runtime_stats(const std::string& broker_address) {
    return json([&](char** out, char* eb, std::size_t el) {
      return ferry_admin_runtime_stats(a(), broker_address.c_str(), out, eb, el);
    });
  }
  void shutdown() {
    detail::check([&](char* eb, std::size_t el) { return ferry_admin_shutdown(a(), eb, el); });
  }

 private:
  friend class AdminBuilder;
  Admin(std::shared_ptr<detail::Hooks> hooks, detail::AdminPtr handle) noexcept
      : hooks_(std::move(hooks)), handle_(std::move(handle)) {}
  ferry_admin* a() const {
    if (!handle_) throw Error(FERRY_E_CLOSED, "admin was moved from");
    return handle_.get();
  }
  template <class Call>
  static std::string json(Call&& call) {
    char* out = nullptr;
    detail::check([&](char* eb, std::size_t el) { return call(&out, eb, el); });
    detail::StringPtr owned(out);
    return owned ? std::string(owned.get()) : std::string();
  }

  std::shared_ptr<detail::Hooks> hooks_;
  detail::AdminPtr handle_;
};

class AdminBuilder : public ClientBuilder<AdminBuilder> {
 public:
  Admin build() {
    auto hooks = take_hooks();
    ferry_admin* out = nullptr;
    detail::check([&](char* eb, std::size_t el) { return ferry_admin_new(conf_.raw(), &out, eb, el); });
    Admin admin(std::move(hooks), detail::AdminPtr(out));
    detail::check([&](char* eb, std::size_t el) { return ferry_admin_start(admin.handle_.get(), eb, el); });
    return admin;
  }
};

}  // namespace ferry
