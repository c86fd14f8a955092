// Messages. ferry::Message owns one (to send, or returned by poll / a
// query); ferry::MessageView borrows one (a listener's, valid only while the
// listener runs). Both read through libferry's accessors, so a grown C
// struct breaks nothing here. string_views point into the C message: valid
// while it lives and until its next setter call.
#pragma once

#include <ferry/client.h>

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "ferry/cpp/error.hpp"
#include "ferry/cpp/handles.hpp"

namespace ferry {

namespace detail {

inline std::string_view view_of(const char* p, std::size_t n) noexcept {
  return p ? std::string_view(p, n) : std::string_view();
}

// Accessors shared by Message and MessageView (CRTP over raw()).
template <class Derived>
class MessageReader {
 public:
  std::string_view topic() const noexcept { return str(ferry_message_topic); }
  std::string_view body() const noexcept {
    std::size_t n = 0;
    const void* p = ferry_message_body(m(), &n);
    return p ? std::string_view(static_cast<const char*>(p), n) : std::string_view();
  }
  std::string_view tags() const noexcept { return str(ferry_message_tags); }
  std::string_view keys() const noexcept { return str(ferry_message_keys); }
  std::string_view msg_id() const noexcept { return str(ferry_message_msg_id); }
  std::string_view offset_msg_id() const noexcept { return str(ferry_message_offset_msg_id); }
  std::string_view broker_name() const noexcept { return str(ferry_message_broker_name); }
  // nullopt when absent (an empty value is present).
  std::optional<std::string_view> property(const std::string& name) const {
    std::size_t n = 0;
    const char* p = ferry_message_property(m(), name.c_str(), &n);
    if (!p) return std::nullopt;
    return std::string_view(p, n);
  }
  int32_t queue_id() const noexcept { return ferry_message_queue_id(m()); }
  int64_t queue_offset() const noexcept { return ferry_message_queue_offset(m()); }
  int64_t commit_offset() const noexcept { return ferry_message_commit_offset(m()); }
  int64_t store_timestamp() const noexcept { return ferry_message_store_timestamp(m()); }
  int64_t born_timestamp() const noexcept { return ferry_message_born_timestamp(m()); }
  int32_t reconsume_times() const noexcept { return ferry_message_reconsume_times(m()); }
  int32_t flag() const noexcept { return ferry_message_flag(m()); }

 private:
  const ferry_client_message* m() const noexcept { return static_cast<const Derived*>(this)->raw(); }
  std::string_view str(const char* (*fn)(const ferry_client_message*, std::size_t*)) const noexcept {
    std::size_t n = 0;
    const char* p = fn(m(), &n);
    return view_of(p, n);
  }
};

}  // namespace detail

// A borrowed message (listener argument). Copyable, cheap; never outlives
// the listener call it was handed to.
class MessageView : public detail::MessageReader<MessageView> {
 public:
  explicit MessageView(const ferry_client_message* m) noexcept : m_(m) {}
  const ferry_client_message* raw() const noexcept { return m_; }

 private:
  const ferry_client_message* m_;
};

// An owned message. Setters return *this for chaining:
//   ferry::Message msg("orders", body); msg.set_tags("paid").set_keys("order-17");
class Message : public detail::MessageReader<Message> {
 public:
  Message(const std::string& topic, std::string_view body) {
    ferry_client_message* out = nullptr;
    detail::check([&](char* eb, std::size_t el) {
      return ferry_message_new(topic.c_str(), body.data(), body.size(), &out, eb, el);
    });
    m_.reset(out);
  }
  // Takes ownership of a message libferry handed out (poll, queries).
  static Message adopt(ferry_client_message* m) noexcept { return Message(m); }

  Message& set_tags(const std::string& tags) {
    return apply([&](char* eb, std::size_t el) { return ferry_message_set_tags(raw(), tags.c_str(), eb, el); });
  }
  Message& set_keys(const std::string& keys) {
    return apply([&](char* eb, std::size_t el) { return ferry_message_set_keys(raw(), keys.c_str(), eb, el); });
  }
  Message& set_property(const std::string& name, const std::string& value) {
    return apply([&](char* eb, std::size_t el) {
      return ferry_message_set_property(raw(), name.c_str(), value.c_str(), eb, el);
    });
  }
  Message& set_flag(int32_t flag) {
    return apply([&](char* eb, std::size_t el) { return ferry_message_set_flag(raw(), flag, eb, el); });
  }
  // Makes this message what Message(topic, body) would make — no tags, keys
  // or properties, flag 0, a fresh msg id at its next send — in the same
  // memory (ferry_message_reset): a sender reusing one message allocates
  // nothing for it per send once warm. A send copies the message before it
  // returns, so reset may follow any send at once.
  Message& reset(const std::string& topic, std::string_view body) {
    return apply([&](char* eb, std::size_t el) {
      return ferry_message_reset(raw(), topic.c_str(), body.data(), body.size(), eb, el);
    });
  }
  // Declared by libferry, working later: FERRY_E_NOT_SUPPORTED today.
  Message& set_delay_level(int32_t level) {
    return apply([&](char* eb, std::size_t el) { return ferry_message_set_delay_level(raw(), level, eb, el); });
  }
  Message& set_deliver_at(int64_t epoch_ms) {
    return apply([&](char* eb, std::size_t el) { return ferry_message_set_deliver_at(raw(), epoch_ms, eb, el); });
  }

  MessageView view() const noexcept { return MessageView(m_.get()); }
  ferry_client_message* raw() const noexcept { return m_.get(); }
  ferry_client_message* release() noexcept { return m_.release(); }

 private:
  explicit Message(ferry_client_message* m) noexcept : m_(m) {}
  template <class Call>
  Message& apply(Call&& call) {
    detail::check(std::forward<Call>(call));
    return *this;
  }

  detail::MessagePtr m_;
};

// The messages of one listener call: a borrowed array, iterable as views.
class MessageList {
 public:
  class iterator {
   public:
    using value_type = MessageView;
    using difference_type = std::ptrdiff_t;
    using reference = MessageView;
    using pointer = void;
    using iterator_category = std::input_iterator_tag;
    explicit iterator(ferry_client_message* const* p) noexcept : p_(p) {}
    MessageView operator*() const noexcept { return MessageView(*p_); }
    iterator& operator++() noexcept { ++p_; return *this; }
    bool operator==(const iterator& o) const noexcept { return p_ == o.p_; }
    bool operator!=(const iterator& o) const noexcept { return p_ != o.p_; }

   private:
    ferry_client_message* const* p_;
  };

  MessageList(ferry_client_message* const* msgs, std::size_t count) noexcept
      : msgs_(msgs), count_(msgs ? count : 0) {}
  std::size_t size() const noexcept { return count_; }
  bool empty() const noexcept { return count_ == 0; }
  MessageView operator[](std::size_t i) const noexcept { return MessageView(msgs_[i]); }
  iterator begin() const noexcept { return iterator(msgs_); }
  iterator end() const noexcept { return iterator(msgs_ + count_); }

 private:
  ferry_client_message* const* msgs_;
  std::size_t count_;
};

}  // namespace ferry
