// Consumer builders without a broker: misuse and declared-later calls give
// a ferry::Error with the right status.
#include <gtest/gtest.h>

#include <string>

#include "ferry/ferry.hpp"

namespace {

template <class Fn>
ferry::Status status_of(Fn&& fn) {
  try {
    fn();
  } catch (const ferry::Error& e) {
    return e.status();
  }
  return FERRY_OK;
}

auto success = [](const ferry::MessageList&) { return ferry::ConsumeStatus::Success; };

TEST(CppPushConsumer, NeedsExactlyOneListener) {
  EXPECT_EQ(status_of([] { ferry::PushConsumerBuilder().name_servers("127.0.0.1:1").subscribe("t").build(); }),
            FERRY_E_INVALID_ARGUMENT);
  EXPECT_EQ(status_of([] {
              ferry::PushConsumerBuilder()
                  .name_servers("127.0.0.1:1")
                  .subscribe("t")
                  .listener(success)
                  .orderly_listener([](const ferry::MessageList&) { return ferry::OrderlyStatus::Success; })
                  .build();
            }),
            FERRY_E_INVALID_ARGUMENT);
}

TEST(CppPushConsumer, Sql92IsDeclaredNotSupported) {
  EXPECT_EQ(status_of([] {
              ferry::PushConsumerBuilder().name_servers("127.0.0.1:1").subscribe_sql92("t", "a > 1").listener(success).build();
            }),
            FERRY_E_NOT_SUPPORTED);
}

TEST(CppPushConsumer, BadConfigValueThrowsAtSet) {
  EXPECT_EQ(status_of([] { ferry::PushConsumerBuilder().consume_threads(0); }), FERRY_E_CONFIG);
  EXPECT_EQ(status_of([] { ferry::PushConsumerBuilder().set("rebalance_strategy", "random"); }), FERRY_E_CONFIG);
}

TEST(CppPullConsumer, Sql92IsDeclaredNotSupported) {
  EXPECT_EQ(status_of([] { ferry::PullConsumerBuilder().name_servers("127.0.0.1:1").subscribe_sql92("t", "a > 1").build(); }),
            FERRY_E_NOT_SUPPORTED);
}

}  // namespace
