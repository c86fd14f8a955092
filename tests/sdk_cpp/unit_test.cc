// The C++ wrapper without a broker: config and message errors as
// ferry::Error, builders, bad use, and trampolines that never let an
// exception into C (each maps to its callback's failure result).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ferry/ferry.hpp"
#include "sdk_test_util.h"

namespace {

using namespace std::chrono_literals;
using ferry::test::closed_port_address;

template <class Fn>
ferry::Status status_of(Fn&& fn) {
  try {
    fn();
  } catch (const ferry::Error& e) {
    return e.status();
  }
  return FERRY_OK;
}

TEST(CppConfig, SetGetAndDefaults) {
  ferry::Config conf;
  conf.set("group", "orders").set("send_timeout_ms", "1500");
  EXPECT_EQ(conf.get("group"), "orders");
  EXPECT_EQ(conf.get("send_timeout_ms"), "1500");
  EXPECT_EQ(conf.get("message_model"), "clustering");
  ferry::Config copy(conf);
  copy.set("group", "other");
  EXPECT_EQ(conf.get("group"), "orders");
  EXPECT_EQ(copy.get("group"), "other");
}

TEST(CppConfig, LongValueReadWhole) {
  std::string servers;
  for (int i = 1; i < 20; ++i) servers += (i > 1 ? ";" : "") + std::string("127.0.0.") + std::to_string(i) + ":9876";
  ferry::Config conf;
  conf.set("name_servers", servers);
  EXPECT_EQ(conf.get("name_servers"), servers);
}

TEST(CppConfig, UnknownKeyThrowsNamingIt) {
  ferry::Config conf;
  try {
    conf.set("no_such_key", "1");
    FAIL() << "no exception";
  } catch (const ferry::Error& e) {
    EXPECT_EQ(e.status(), FERRY_E_CONFIG);
    EXPECT_EQ(e.name(), "FERRY_E_CONFIG");
    EXPECT_NE(e.message().find("no_such_key"), std::string::npos) << e.message();
    EXPECT_NE(std::string(e.what()).find("FERRY_E_CONFIG"), std::string::npos);
    EXPECT_FALSE(e.retriable());
  }
  EXPECT_EQ(status_of([&] { conf.set("send_timeout_ms", "soon"); }), FERRY_E_CONFIG);
  EXPECT_EQ(status_of([&] { (void)conf.get("no_such_key"); }), FERRY_E_CONFIG);
}

TEST(CppMessage, FieldsRoundTrip) {
  const std::string body("\0binary\xff" "body\0", 13);
  ferry::Message msg("orders", body);
  msg.set_tags("paid").set_keys("order-1 user-7").set_property("region", "eu").set_flag(3);
  EXPECT_EQ(msg.topic(), "orders");
  EXPECT_EQ(msg.body(), body);
  EXPECT_EQ(msg.tags(), "paid");
  EXPECT_EQ(msg.keys(), "order-1 user-7");
  ASSERT_TRUE(msg.property("region").has_value());
  EXPECT_EQ(*msg.property("region"), "eu");
  EXPECT_FALSE(msg.property("absent").has_value());
  EXPECT_EQ(msg.flag(), 3);
  EXPECT_TRUE(msg.offset_msg_id().empty());
  EXPECT_EQ(msg.view().body(), body);
  ferry::Message moved(std::move(msg));
  EXPECT_EQ(moved.topic(), "orders");
}

TEST(CppMessage, ResetIsANewMessageInTheSameObject) {
  ferry::Message msg("orders", "first");
  msg.set_tags("paid").set_keys("order-1").set_property("region", "eu").set_flag(3);
  const ferry_client_message* before = msg.raw();
  msg.reset("refunds", std::string("\0second", 7));
  EXPECT_EQ(before, msg.raw());
  EXPECT_EQ(msg.topic(), "refunds");
  EXPECT_EQ(msg.body(), std::string("\0second", 7));
  EXPECT_TRUE(msg.tags().empty());
  EXPECT_TRUE(msg.keys().empty());
  EXPECT_FALSE(msg.property("region").has_value());
  EXPECT_EQ(msg.flag(), 0);
  EXPECT_NE(status_of([&] { msg.reset("", "x"); }), FERRY_OK);
  EXPECT_EQ(msg.topic(), "refunds");  // a refused reset leaves it as it was
}

TEST(CppMessage, BadUseThrows) {
  ferry::Message msg("t", "x");
  EXPECT_EQ(status_of([&] { msg.set_property("TAGS", "x"); }), FERRY_E_RESERVED_NAME);
  EXPECT_EQ(status_of([&] { msg.set_delay_level(3); }), FERRY_E_NOT_SUPPORTED);
  EXPECT_EQ(status_of([&] { msg.set_deliver_at(int64_t{1} << 41); }), FERRY_E_NOT_SUPPORTED);
  EXPECT_FALSE(msg.property("DELAY").has_value());
  EXPECT_NE(status_of([] { ferry::Message m("", "x"); }), FERRY_OK);
}

ferry::ProducerBuilder unreachable() {
  ferry::ProducerBuilder b;
  b.name_servers(closed_port_address()).send_timeout_ms(500).request_timeout_ms(300)
      .set("connect_timeout_ms", "300").log_level("off");
  return b;
}

TEST(CppProducer, BuilderErrors) {
  EXPECT_EQ(status_of([] { ferry::ProducerBuilder().set("sendtimeout", "5"); }), FERRY_E_CONFIG);
  try {
    ferry::ProducerBuilder().group("g").build();
    FAIL() << "built without name servers";
  } catch (const ferry::Error& e) {
    EXPECT_NE(e.message().find("name_servers"), std::string::npos) << e.what();
  }
}

TEST(CppProducer, SendAfterShutdownOrMoveIsClosed) {
  auto producer = unreachable().build();
  ferry::Message msg("t", "x");
  producer.shutdown();
  producer.shutdown();  // idempotent
  EXPECT_EQ(status_of([&] { producer.send(msg); }), FERRY_E_CLOSED);
  EXPECT_EQ(status_of([&] { producer.send_oneway(msg); }), FERRY_E_CLOSED);
  EXPECT_EQ(status_of([&] { producer.send_async(msg, [](const ferry::SendResult&) {}); }), FERRY_E_CLOSED);
  ferry::Producer other(std::move(producer));
  EXPECT_EQ(status_of([&] { producer.send(msg); }), FERRY_E_CLOSED);  // NOLINT(bugprone-use-after-move)
}

TEST(CppProducer, NoNameServerIsAClearError) {
  auto producer = unreachable().build();
  ferry::Message msg("t", "x");
  ferry::Status s = status_of([&] { producer.send(msg); });
  EXPECT_TRUE(s == FERRY_E_NO_NAME_SERVER || s == FERRY_E_TIMEOUT || s == FERRY_E_NOT_CONNECTED)
      << ferry::status_name(s);
}

TEST(CppProducer, ThrowingAsyncCallbackIsReportedNotPropagated) {
  std::mutex mu;
  std::vector<std::string> reports;
  std::promise<ferry::SendResult> seen;
  auto producer = unreachable()
                      .on_callback_error([&](std::string_view where, std::string_view what) {
                        std::lock_guard<std::mutex> lock(mu);
                        reports.push_back(std::string(where) + ": " + std::string(what));
                      })
                      .build();
  ferry::Message msg("t", "x");
  producer.send_async(msg, [&](const ferry::SendResult& r) {
    seen.set_value(r);
    throw std::runtime_error("user callback bug");
  });
  auto fut = seen.get_future();
  ASSERT_EQ(fut.wait_for(10s), std::future_status::ready);
  ferry::SendResult r = fut.get();
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(r.error().empty());
  producer.shutdown();  // waits for the callback to have returned
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0], "send callback: user callback bug");
}

TEST(CppProducer, ThrowingSelectorIsRethrownToTheCaller) {
  auto producer = unreachable().build();
  ferry::Message msg("t", "x");
  try {
    producer.send_select(msg, [](ferry::MessageView, std::size_t) -> std::size_t {
      throw std::logic_error("selector bug");
    });
    FAIL() << "no exception";
  } catch (const std::logic_error& e) {
    EXPECT_STREQ(e.what(), "selector bug");
  } catch (const ferry::Error& e) {
    // No route, so the selector never ran: still a clear error.
    EXPECT_NE(e.status(), FERRY_OK);
  }
}

TEST(CppProducer, TransactionsAreDeclaredNotSupported) {
  EXPECT_EQ(status_of([] {
              ferry::TransactionProducerBuilder()
                  .name_servers("127.0.0.1:1")
                  .checker([](ferry::MessageView) { return ferry::TransactionState::Commit; })
                  .build();
            }),
            FERRY_E_NOT_SUPPORTED);
}

// Trampolines called exactly as libferry's consume threads call them.
struct Messages {
  std::vector<ferry::Message> owned;
  std::vector<ferry_client_message*> raw;
  explicit Messages(std::initializer_list<const char*> bodies) {
    for (const char* b : bodies) owned.emplace_back("t", b);
    for (auto& m : owned) raw.push_back(m.raw());
  }
};

struct Reports {
  std::vector<std::string> lines;
  ferry::detail::Hooks hooks;
  Reports() {
    hooks.on_error = [this](std::string_view where, std::string_view what) {
      lines.push_back(std::string(where) + ": " + std::string(what));
    };
  }
};

TEST(CppTrampolines, ThrowingListenerMeansReconsumeLater) {
  Reports rep;
  Messages msgs{"a", "b"};
  std::vector<std::string> bodies;
  ferry::detail::ListenerState st{&rep.hooks, [&](const ferry::MessageList& list) -> ferry::ConsumeStatus {
                                    for (ferry::MessageView m : list) bodies.emplace_back(m.body());
                                    throw std::runtime_error("listener bug");
                                  }, {}};
  EXPECT_EQ(ferry::detail::concurrent_trampoline(&st, msgs.raw.data(), msgs.raw.size()),
            FERRY_CONSUME_RECONSUME_LATER);
  EXPECT_EQ(bodies, (std::vector<std::string>{"a", "b"}));
  ASSERT_EQ(rep.lines.size(), 1u);
  EXPECT_EQ(rep.lines[0], "listener: listener bug");
}

TEST(CppTrampolines, ListenerAnswersPassThrough) {
  Reports rep;
  Messages msgs{"a"};
  ferry::detail::ListenerState st{&rep.hooks, [](const ferry::MessageList& list) {
                                    return list.size() == 1 ? ferry::ConsumeStatus::ReconsumeLater
                                                            : ferry::ConsumeStatus::Success;
                                  }, {}};
  EXPECT_EQ(ferry::detail::concurrent_trampoline(&st, msgs.raw.data(), 1), FERRY_CONSUME_RECONSUME_LATER);
  EXPECT_EQ(ferry::detail::concurrent_trampoline(&st, msgs.raw.data(), 0), FERRY_CONSUME_SUCCESS);
  EXPECT_TRUE(rep.lines.empty());
}

TEST(CppTrampolines, ThrowingOrderlyListenerMeansSuspend) {
  Reports rep;
  Messages msgs{"a"};
  ferry::detail::ListenerState st{&rep.hooks, {}, [](const ferry::MessageList&) -> ferry::OrderlyStatus {
                                    throw 42;  // not even a std::exception
                                  }};
  EXPECT_EQ(ferry::detail::orderly_trampoline(&st, msgs.raw.data(), 1), FERRY_ORDERLY_SUSPEND);
  ASSERT_EQ(rep.lines.size(), 1u);
  EXPECT_EQ(rep.lines[0], "orderly listener: unknown exception");
}

TEST(CppTrampolines, ThrowingErrorHookFallsBackToStderr) {
  ferry::detail::Hooks hooks;
  hooks.on_error = [](std::string_view, std::string_view) { throw std::runtime_error("hook bug"); };
  hooks.log = [](ferry_log_level, std::string_view) { throw std::runtime_error("log bug"); };
  testing::internal::CaptureStderr();
  ferry::detail::log_trampoline(&hooks, FERRY_LOG_WARN, "a line");
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("log handler threw: log bug"), std::string::npos) << err;
}

TEST(CppTrampolines, TransactionCallbacksMapToUnknown) {
  Reports rep;
  ferry::Message msg("t", "x");
  ferry::detail::CheckState check{&rep.hooks, [](ferry::MessageView) -> ferry::TransactionState {
                                    throw std::runtime_error("check bug");
                                  }};
  EXPECT_EQ(ferry::detail::check_trampoline(&check, msg.raw()), FERRY_TRANSACTION_UNKNOWN);
  ferry::LocalTransaction local = [](ferry::MessageView) { return ferry::TransactionState::Rollback; };
  ferry::detail::LocalCall call{&rep.hooks, &local};
  EXPECT_EQ(ferry::detail::local_trampoline(&call, msg.raw(), nullptr), FERRY_TRANSACTION_ROLLBACK);
  ASSERT_EQ(rep.lines.size(), 1u);
  EXPECT_EQ(rep.lines[0], "transaction check: check bug");
}

}  // namespace
