// The async completion path and the per-message build step: completions of
// one loop turn go to the callback thread together, yet every send still
// gets its own callback with its own result, in the order the broker
// answered; the UNIQ_KEY written by hand matches the printf format it
// replaced; properties edited in place encode as before.
#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "../../sdk/c/src/message.h"
#include "../../sdk/c/src/uniq_key.h"
#include "ferry_test/child_process.h"
#include "sdk_fixture.h"

namespace ferry::sdk::test {
namespace {

using namespace std::chrono_literals;

// A returned view as a string (the length is written by the call, so it is
// read after it).
template <class Fn>
std::string view(Fn fn) {
  size_t n = 0;
  const char* p = fn(&n);
  return p ? std::string(p, n) : std::string();
}

struct Seen {
  std::mutex mu;
  std::vector<int> order;              // user_data index, in callback order
  std::vector<int64_t> offsets;        // queue offset, in callback order
  std::vector<std::string> ids;        // result msg_id, in callback order
  int failed = 0;
};

struct Slot {
  Seen* seen;
  int index;
};

void on_done(void* ud, ferry_status s, const ferry_send_result* r, const char*) {
  auto* slot = static_cast<Slot*>(ud);
  std::lock_guard lock(slot->seen->mu);
  if (s != FERRY_OK) {
    ++slot->seen->failed;
    return;
  }
  slot->seen->order.push_back(slot->index);
  slot->seen->offsets.push_back(r->queue_offset);
  slot->seen->ids.push_back(r->msg_id);
}

TEST(SdkProducerCompletion, EverySendOfABurstGetsItsOwnCallbackAndResultInAnswerOrder) {
  FakeCluster cluster({.brokers = 1, .queues = 1});
  cluster.create_topic("T");
  auto conf = make_conf(cluster.name_servers());
  auto p = start_producer(conf);
  constexpr int kN = 600;  // many answers per read: completions share turns
  Seen seen;
  std::vector<Slot> slots(kN);
  std::vector<Msg> msgs;
  char err[256];
  for (int i = 0; i < kN; ++i) {
    slots[i] = {&seen, i};
    msgs.push_back(make_msg("T", "c" + std::to_string(i)));
    ASSERT_EQ(FERRY_OK, ferry_producer_send_async(p.get(), msgs.back().get(), &on_done, &slots[i], err, sizeof err))
        << err;
  }
  ASSERT_TRUE(ferry::test::wait_until(
      [&] {
        std::lock_guard lock(seen.mu);
        return static_cast<int>(seen.order.size()) + seen.failed == kN;
      },
      10s));
  std::lock_guard lock(seen.mu);
  EXPECT_EQ(0, seen.failed);
  ASSERT_EQ(static_cast<size_t>(kN), seen.order.size());
  // One queue, one connection: sent in order, stored in order, answered in
  // order — and each callback carries its own message's offset and id.
  std::set<std::string> distinct;
  for (int k = 0; k < kN; ++k) {
    EXPECT_EQ(k, seen.order[k]) << "callback " << k;
    EXPECT_EQ(k, seen.offsets[k]) << "callback " << k;
    auto* msg = msgs[seen.order[k]].get();
    EXPECT_EQ(view([&](size_t* n) { return ferry_message_msg_id(msg, n); }), seen.ids[k]);
    distinct.insert(seen.ids[k]);
  }
  EXPECT_EQ(static_cast<size_t>(kN), distinct.size());
  EXPECT_EQ(static_cast<size_t>(kN), cluster.stored(0));
}

TEST(SdkProducerCompletion, ShutdownRightAfterABurstRunsEveryCallbackOnce) {
  FakeCluster cluster({});
  cluster.create_topic("T");
  auto conf = make_conf(cluster.name_servers());
  for (int round = 0; round < 5; ++round) {
    auto p = start_producer(conf);
    Seen seen;
    constexpr int kN = 300;
    std::vector<Slot> slots(kN);
    char err[256];
    for (int i = 0; i < kN; ++i) {
      slots[i] = {&seen, i};
      auto m = make_msg("T", "s");
      ASSERT_EQ(FERRY_OK, ferry_producer_send_async(p.get(), m.get(), &on_done, &slots[i], err, sizeof err)) << err;
    }
    ASSERT_EQ(FERRY_OK, ferry_producer_shutdown(p.get(), err, sizeof err)) << err;
    std::lock_guard lock(seen.mu);
    EXPECT_EQ(kN, static_cast<int>(seen.order.size()) + seen.failed) << "round " << round;
    std::set<int> once(seen.order.begin(), seen.order.end());
    EXPECT_EQ(seen.order.size(), once.size()) << "round " << round;
  }
}

// The calling thread's name ("ferry-io", "ferry-callback", ...).
std::string thread_name() {
  char name[32] = "";
  ::pthread_getname_np(::pthread_self(), name, sizeof name);
  return name;
}

// callback_on_io_thread: every callback runs on the producer's I/O thread,
// once, in answer order, with its own result — batched sends too.
TEST(SdkProducerCompletion, CallbackOnIoThreadRunsEachCallbackThereOnceInAnswerOrder) {
  for (const char* batch : {"1", "64"}) {
    FakeCluster cluster({.brokers = 1, .queues = 1});
    cluster.create_topic("T");
    auto p = start_producer(make_conf(cluster.name_servers(), {{"callback_on_io_thread", "true"},
                                                               {"async_batch_max_messages", batch}}));
    constexpr int kN = 600;
    struct Named {
      Seen seen;
      std::set<std::string> threads;  // under seen.mu
    } named;
    struct NSlot {
      Named* named;
      int index;
    };
    std::vector<NSlot> slots(kN);
    auto on = [](void* ud, ferry_status s, const ferry_send_result* r, const char*) {
      auto* slot = static_cast<NSlot*>(ud);
      std::lock_guard lock(slot->named->seen.mu);
      slot->named->threads.insert(thread_name());
      if (s != FERRY_OK) {
        ++slot->named->seen.failed;
        return;
      }
      slot->named->seen.order.push_back(slot->index);
      slot->named->seen.offsets.push_back(r->queue_offset);
    };
    char err[256];
    for (int i = 0; i < kN; ++i) {
      slots[i] = {&named, i};
      auto m = make_msg("T", "c" + std::to_string(i));
      ASSERT_EQ(FERRY_OK, ferry_producer_send_async(p.get(), m.get(), on, &slots[i], err, sizeof err)) << err;
    }
    ASSERT_TRUE(ferry::test::wait_until(
        [&] {
          std::lock_guard lock(named.seen.mu);
          return static_cast<int>(named.seen.order.size()) + named.seen.failed >= kN;
        },
        10s));
    ASSERT_EQ(FERRY_OK, ferry_producer_shutdown(p.get(), err, sizeof err)) << err;
    std::lock_guard lock(named.seen.mu);
    EXPECT_EQ(0, named.seen.failed) << "batch " << batch;
    ASSERT_EQ(static_cast<size_t>(kN), named.seen.order.size()) << "batch " << batch;
    for (int k = 0; k < kN; ++k) {
      EXPECT_EQ(k, named.seen.order[k]) << "batch " << batch << ", callback " << k;
      EXPECT_EQ(k, named.seen.offsets[k]) << "batch " << batch << ", callback " << k;
    }
    EXPECT_EQ(std::set<std::string>{"ferry-io"}, named.threads) << "batch " << batch;
    EXPECT_EQ(static_cast<size_t>(kN), cluster.stored(0));
  }
}

// A callback on the I/O thread that calls a sync send or shutdown on its
// own producer is refused at once (each would wait for the thread it is
// blocking); an async send from it goes out and gets its own callback.
TEST(SdkProducerCompletion, CallbackOnIoThreadRefusesSyncSendAndShutdownButTakesAsyncSends) {
  FakeCluster cluster({.brokers = 1, .queues = 1});
  cluster.create_topic("T");
  auto p = start_producer(make_conf(cluster.name_servers(), {{"callback_on_io_thread", "true"}}));
  struct Ctx {
    ferry_producer* p = nullptr;
    std::atomic<int> sync_status{-1};
    std::atomic<int> batch_status{-1};
    std::atomic<int> shutdown_status{-1};
    std::atomic<int> async_status{-1};
    std::atomic<int> second_done{0};
  } ctx;
  ctx.p = p.get();
  auto first = [](void* ud, ferry_status, const ferry_send_result*, const char*) {
    auto* c = static_cast<Ctx*>(ud);
    auto m = make_msg("T", "from the callback");
    ferry_client_message* one[] = {m.get()};
    c->sync_status = ferry_producer_send(c->p, m.get(), nullptr, nullptr, 0);
    c->batch_status = ferry_producer_send_batch(c->p, one, 1, nullptr, nullptr, 0);
    c->shutdown_status = ferry_producer_shutdown(c->p, nullptr, 0);
    auto second = [](void* ud2, ferry_status s, const ferry_send_result*, const char*) {
      if (s == FERRY_OK) static_cast<Ctx*>(ud2)->second_done++;
    };
    c->async_status = ferry_producer_send_async(c->p, m.get(), second, c, nullptr, 0);
  };
  char err[256];
  auto m = make_msg("T", "first");
  ASSERT_EQ(FERRY_OK, ferry_producer_send_async(p.get(), m.get(), first, &ctx, err, sizeof err)) << err;
  ASSERT_TRUE(ferry::test::wait_until([&] { return ctx.second_done.load() == 1; }, 10s));
  EXPECT_EQ(FERRY_E_STATE, ctx.sync_status.load());
  EXPECT_EQ(FERRY_E_STATE, ctx.batch_status.load());
  EXPECT_EQ(FERRY_E_STATE, ctx.shutdown_status.load());
  EXPECT_EQ(FERRY_OK, ctx.async_status.load());
  // The producer still works from other threads, and shuts down normally.
  auto later = make_msg("T", "later");
  EXPECT_EQ(FERRY_OK, ferry_producer_send(p.get(), later.get(), nullptr, err, sizeof err)) << err;
  ASSERT_EQ(FERRY_OK, ferry_producer_shutdown(p.get(), err, sizeof err)) << err;
  EXPECT_EQ(3u, cluster.stored(0));
}

TEST(SdkUniqKey, MatchesThePrintfFormatItReplaced) {
  struct Case {
    const char* prefix;
    uint64_t ms;
    uint32_t counter;
  } cases[] = {{"0123ABCD4F2E", 0, 0},
               {"0123ABCD4F2E", 1764355200123ull, 1},
               {"FFFFFFFFFFFF", 0xFFFFFFFFFFFFull, 0xFFFFFFFFu},
               {"A1B2C3D4E5F6", 0x1234567890ABCDEFull, 0x00C0FFEEu},  // ms cut to 48 bits
               {"", 42, 7},
               {"0123456789ABCDEFXYZ", 5, 5}};  // prefix cut at 16
  for (const auto& c : cases) {
    char want[64];
    std::string prefix(c.prefix, std::min<size_t>(16, std::strlen(c.prefix)));
    int n = std::snprintf(want, sizeof want, "%s%012llX%08X", prefix.c_str(),
                          static_cast<unsigned long long>(c.ms & 0xFFFFFFFFFFFFull), c.counter);
    char got[kUniqKeyMax];
    size_t len = format_uniq_key(c.prefix, c.ms, c.counter, got);
    EXPECT_EQ(std::string(want, static_cast<size_t>(n)), std::string(got, len)) << c.prefix << " " << c.ms;
  }
  // Every digit value in every position (the digits are written eight at a
  // time): pseudo-random values and each single-digit pattern.
  uint64_t x = 88172645463325252ull;
  for (int i = 0; i < 20000; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    uint64_t ms = i < 16 * 12 ? (uint64_t{static_cast<unsigned>(i) % 16} << (4 * (i / 16))) : x;
    uint32_t counter = i < 16 * 8 ? (uint32_t{static_cast<unsigned>(i) % 16} << (4 * (i / 16))) : static_cast<uint32_t>(x >> 20);
    char want[64];
    int n = std::snprintf(want, sizeof want, "%s%012llX%08X", "PFX", static_cast<unsigned long long>(ms & 0xFFFFFFFFFFFFull),
                          counter);
    char got[kUniqKeyMax];
    size_t len = format_uniq_key("PFX", ms, counter, got);
    ASSERT_EQ(std::string(want, static_cast<size_t>(n)), std::string(got, len)) << ms << " " << counter;
  }
}

TEST(SdkMessageProperties, SetInPlaceEncodesLikeAFreshEncodingAndReadsBack) {
  auto m = make_msg("T", "b");
  char err[256];
  ASSERT_EQ(FERRY_OK, ferry_message_set_tags(m.get(), "TagA", err, sizeof err));
  ASSERT_EQ(FERRY_OK, ferry_message_set_keys(m.get(), "k1", err, sizeof err));
  ASSERT_EQ(FERRY_OK, ferry_message_set_property(m.get(), "color", "red", err, sizeof err));
  // Replace with longer, shorter and empty values: order of first setting kept.
  ASSERT_EQ(FERRY_OK, ferry_message_set_tags(m.get(), "A-much-longer-tag", err, sizeof err));
  ASSERT_EQ(FERRY_OK, ferry_message_set_keys(m.get(), "", err, sizeof err));
  ASSERT_EQ(FERRY_OK, ferry_message_set_property(m.get(), "color", "b", err, sizeof err));
  ASSERT_EQ(FERRY_OK, ferry_message_set_property(m.get(), "col", "prefix-of-color", err, sizeof err));
  std::string want = std::string(FERRY_PROP_TAGS) + "\x01" "A-much-longer-tag\x02" + FERRY_PROP_KEYS +
                     "\x01\x02" "color\x01" "b\x02" "col\x01prefix-of-color\x02";
  EXPECT_EQ(want, m->props_encoded);
  auto* msg = m.get();
  EXPECT_EQ("A-much-longer-tag", view([&](size_t* n) { return ferry_message_tags(msg, n); }));
  size_t n = 1;
  EXPECT_EQ(nullptr, ferry_message_keys(msg, &n));
  EXPECT_EQ(0u, n);
  EXPECT_EQ("b", view([&](size_t* k) { return ferry_message_property(msg, "color", k); }));
  EXPECT_EQ("prefix-of-color", view([&](size_t* k) { return ferry_message_property(msg, "col", k); }));
  EXPECT_EQ(nullptr, ferry_message_property(msg, "co", &n));
}

TEST(SdkMessageProperties, AResentMessageKeepsItsMsgIdAndAFreshOneGetsANewOne) {
  FakeCluster cluster({});
  cluster.create_topic("T");
  auto conf = make_conf(cluster.name_servers());
  auto p = start_producer(conf);
  auto m = make_msg("T", "again", "TagA", "k");
  ferry_send_result r1 = FERRY_STRUCT_INIT(ferry_send_result), r2 = FERRY_STRUCT_INIT(ferry_send_result);
  char err[256];
  ASSERT_EQ(FERRY_OK, ferry_producer_send(p.get(), m.get(), &r1, err, sizeof err)) << err;
  ASSERT_EQ(FERRY_OK, ferry_producer_send(p.get(), m.get(), &r2, err, sizeof err)) << err;
  EXPECT_EQ(32u, std::strlen(r1.msg_id));
  EXPECT_STREQ(r1.msg_id, r2.msg_id);
  auto* msg = m.get();
  EXPECT_EQ("TagA", view([&](size_t* n) { return ferry_message_tags(msg, n); }));  // UNIQ_KEY appended
  auto other = make_msg("T", "other");
  ferry_send_result r3 = FERRY_STRUCT_INIT(ferry_send_result);
  ASSERT_EQ(FERRY_OK, ferry_producer_send(p.get(), other.get(), &r3, err, sizeof err)) << err;
  EXPECT_STRNE(r1.msg_id, r3.msg_id);
  EXPECT_EQ(0, std::strncmp(r1.msg_id, r3.msg_id, 12));  // one producer: one prefix
}

// ferry_message_reset: a reused message is a new message (fresh msg id, no
// old properties), keeps its memory, and refuses received messages and bad
// arguments.
TEST(SdkMessageProperties, AResetMessageIsANewMessageInTheSameMemory) {
  FakeCluster cluster({});
  cluster.create_topic("T");
  cluster.create_topic("U");
  auto conf = make_conf(cluster.name_servers());
  auto p = start_producer(conf);
  auto m = make_msg("T", "first", "TagA", "k");
  char err[256];
  ferry_send_result r1 = FERRY_STRUCT_INIT(ferry_send_result), r2 = FERRY_STRUCT_INIT(ferry_send_result);
  ASSERT_EQ(FERRY_OK, ferry_producer_send(p.get(), m.get(), &r1, err, sizeof err)) << err;
  auto* msg = m.get();
  const void* props_before = msg->props_encoded.data();
  ASSERT_EQ(FERRY_OK, ferry_message_reset(msg, "U", "second body", 11, err, sizeof err)) << err;
  EXPECT_EQ("U", msg->topic());
  EXPECT_EQ("second body", msg->body());
  size_t n = 1;
  EXPECT_EQ(nullptr, ferry_message_tags(msg, &n));
  EXPECT_EQ(nullptr, ferry_message_keys(msg, &n));
  EXPECT_TRUE(msg->props_encoded.empty());
  EXPECT_EQ(props_before, msg->props_encoded.data());  // capacity kept
  ASSERT_EQ(FERRY_OK, ferry_producer_send(p.get(), msg, &r2, err, sizeof err)) << err;
  EXPECT_EQ(32u, std::strlen(r2.msg_id));
  EXPECT_STRNE(r1.msg_id, r2.msg_id);
  EXPECT_EQ(0, std::strncmp(r1.msg_id, r2.msg_id, 12));
  EXPECT_EQ(std::string(r2.msg_id), view([&](size_t* k) { return ferry_message_property(msg, FERRY_PROP_UNIQ_KEY, k); }));
  // Empty body, NULL body with len 0.
  ASSERT_EQ(FERRY_OK, ferry_message_reset(msg, "T", nullptr, 0, err, sizeof err)) << err;
  EXPECT_EQ("", msg->body());
  // Bad uses.
  EXPECT_EQ(FERRY_E_INVALID_ARGUMENT, ferry_message_reset(nullptr, "T", "x", 1, err, sizeof err));
  EXPECT_EQ(FERRY_E_INVALID_ARGUMENT, ferry_message_reset(msg, nullptr, "x", 1, err, sizeof err));
  EXPECT_EQ(FERRY_E_INVALID_ARGUMENT, ferry_message_reset(msg, "T", nullptr, 1, err, sizeof err));
  EXPECT_NE(FERRY_OK, ferry_message_reset(msg, "", "x", 1, err, sizeof err));
  ferry_client_message received;
  received.received = true;
  EXPECT_EQ(FERRY_E_STATE, ferry_message_reset(&received, "T", "x", 1, err, sizeof err));
}

}  // namespace
}  // namespace ferry::sdk::test
