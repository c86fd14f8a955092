// What the push and pull consumer builders share: subscriptions (tag or
// SQL92, applied in build() in the order given), message model and start
// position.
#pragma once

#include <ferry/client.h>

#include <cstddef>
#include <string>
#include <vector>

#include "ferry/cpp/builder.hpp"
#include "ferry/cpp/error.hpp"

namespace ferry {

enum class MessageModel { Clustering, Broadcasting };
enum class ConsumeFrom { Last, First, Timestamp };

namespace detail {

inline const char* model_name(MessageModel m) noexcept {
  return m == MessageModel::Broadcasting ? "broadcasting" : "clustering";
}
inline const char* consume_from_name(ConsumeFrom f) noexcept {
  switch (f) {
    case ConsumeFrom::First: return "first";
    case ConsumeFrom::Timestamp: return "timestamp";
    case ConsumeFrom::Last: break;
  }
  return "last";
}

}  // namespace detail

template <class Derived>
class ConsumerBuilder : public ClientBuilder<Derived> {
 public:
  // Tag expression: "*" (all), "TagA || TagB". Pull consumers: group-managed
  // queues (rebalanced among members), not with assign().
  Derived& subscribe(const std::string& topic, const std::string& tag_expression = "*") {
    subs_.push_back({topic, tag_expression, false});
    return this->self();
  }
  // Declared by libferry, working later: build() throws FERRY_E_NOT_SUPPORTED today.
  Derived& subscribe_sql92(const std::string& topic, const std::string& sql) {
    subs_.push_back({topic, sql, true});
    return this->self();
  }
  Derived& message_model(MessageModel m) { return this->set("message_model", detail::model_name(m)); }
  Derived& consume_from(ConsumeFrom f) { return this->set("consume_from", detail::consume_from_name(f)); }

 protected:
  // Each subscription on handle `c` through libferry's tag or SQL92 call;
  // throws ferry::Error on the first refusal.
  template <class Handle>
  using SubscribeFn = ferry_status (*)(Handle*, const char*, const char*, char*, std::size_t);
  template <class Handle>
  void apply_subscriptions(Handle* c, SubscribeFn<Handle> tag, SubscribeFn<Handle> sql) const {
    for (const Sub& s : subs_) {
      detail::check([&](char* eb, std::size_t el) {
        return (s.sql ? sql : tag)(c, s.topic.c_str(), s.expr.c_str(), eb, el);
      });
    }
  }

 private:
  struct Sub {
    std::string topic;
    std::string expr;
    bool sql;
  };
  std::vector<Sub> subs_;
};

}  // namespace ferry
