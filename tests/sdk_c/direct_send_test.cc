// Sync sends on the caller's thread (sync_direct, sdk/c/src/direct_lane.h)
// against real ferryd processes: the lane is taken only while nothing else
// is in flight (so a sync send never overtakes an async one of the same
// thread), a broker killed during a lane round trip moves the send to the
// other broker, a broker that stops answering times the send out, and
// shutdown closes the lanes.
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "ferryd_cluster.h"

namespace ferry::sdk::test {
namespace {

using namespace std::chrono_literals;
using ferry::test::wait_until;

uint16_t port_of(const std::string& addr) {
  return static_cast<uint16_t>(std::stoi(addr.substr(addr.rfind(':') + 1)));
}

// Established TCP connections on this machine whose remote end is `port`
// (/proc/net/tcp, IPv4): a producer holds its I/O thread's connection to a
// broker, plus one lane once a sync send went on its own thread.
size_t connections_to(uint16_t port) {
  std::ifstream in("/proc/net/tcp");
  std::string line;
  std::getline(in, line);  // header
  size_t n = 0;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string sl, local, remote, state;
    f >> sl >> local >> remote >> state;
    auto colon = remote.find(':');
    if (colon == std::string::npos || state != "01") continue;
    if (std::stoul(remote.substr(colon + 1), nullptr, 16) == port) ++n;
  }
  return n;
}

ferry_status send_sync(ferry_producer* p, const std::string& topic, const std::string& body, ferry_send_result* r,
                       std::string* why = nullptr) {
  char err[512] = "";
  auto m = make_msg(topic, body);
  ferry_status st = ferry_producer_send(p, m.get(), r, err, sizeof err);
  if (why) *why = err;
  return st;
}

TEST(SdkDirectSend, ASyncSendWithNothingInFlightTakesItsOwnLaneAndShutdownClosesIt) {
  FerrydCluster cluster({.name_servers = 1, .brokers = 1});
  ASSERT_TRUE(cluster.ok()) << cluster.error();
  ASSERT_EQ("", cluster.create_topic("DirLane", 4));
  const uint16_t port = port_of(cluster.broker_address(0));
  const size_t base = connections_to(port);

  for (const char* direct : {"true", "false"}) {
    SCOPED_TRACE(std::string("sync_direct=") + direct);
    auto p = start_producer(make_conf(cluster.name_servers(), {{"sync_direct", direct}}));
    std::set<int32_t> queues;
    int64_t last_offset[4] = {-1, -1, -1, -1};
    for (int i = 0; i < 40; ++i) {
      ferry_send_result r = FERRY_STRUCT_INIT(ferry_send_result);
      std::string why;
      ASSERT_EQ(FERRY_OK, send_sync(p.get(), "DirLane", "d-" + std::to_string(i), &r, &why)) << why;
      EXPECT_EQ(1u, r.attempts);
      EXPECT_STREQ("broker-a", r.broker_name);
      ASSERT_GE(r.queue_id, 0);
      ASSERT_LT(r.queue_id, 4);
      EXPECT_GT(r.queue_offset, last_offset[r.queue_id]);  // each queue's offsets grow
      last_offset[r.queue_id] = r.queue_offset;
      EXPECT_NE('\0', r.msg_id[0]);
      EXPECT_NE('\0', r.offset_msg_id[0]);
      queues.insert(r.queue_id);
    }
    EXPECT_EQ(4u, queues.size());  // round robin over every queue, lane or not
    // The I/O thread's connection, and the lane only when it is on.
    size_t want = base + (std::string(direct) == "true" ? 2 : 1);
    EXPECT_TRUE(wait_until([&] { return connections_to(port) == want; }, 5s))
        << connections_to(port) << " connections, want " << want;
    char err[512];
    ASSERT_EQ(FERRY_OK, ferry_producer_shutdown(p.get(), err, sizeof err)) << err;
    EXPECT_TRUE(wait_until([&] { return connections_to(port) == base; }, 5s))
        << connections_to(port) << " connections after shutdown, want " << base;
  }
}

// The same thread's async send then sync send, over and over, on a topic of
// one queue while two other threads send sync and async: every send is
// answered, offsets are distinct, and each sync send is stored after the
// async send its thread made just before it (the lane is taken only when
// nothing is in flight).
TEST(SdkDirectSend, ASyncSendRacingAsyncSendsNeverOvertakesOne) {
  FerrydCluster cluster({.name_servers = 1, .brokers = 1});
  ASSERT_TRUE(cluster.ok()) << cluster.error();
  ASSERT_EQ("", cluster.create_topic("DirRace", 1));
  auto p = start_producer(make_conf(cluster.name_servers(), {{"send_timeout_ms", "10000"}}));
  ferry_send_result first = FERRY_STRUCT_INIT(ferry_send_result);
  ASSERT_EQ(FERRY_OK, send_sync(p.get(), "DirRace", "route", &first));  // caches the route

  constexpr int kRounds = 300;
  struct Acks {
    std::mutex mu;
    std::vector<int64_t> offsets;  // every acknowledged send's offset
    std::map<int, int64_t> async_of_mixed;  // round -> the mixed thread's async offset
    int failures = 0;
    std::string first_error;
  } acks;
  struct AsyncCtx {
    Acks* acks;
    int round;  // -1: not the mixed thread's
  };
  auto async_cb = [](void* ud, ferry_status st, const ferry_send_result* r, const char* why) {
    auto* c = static_cast<AsyncCtx*>(ud);
    std::lock_guard l(c->acks->mu);
    if (st != FERRY_OK) {
      if (c->acks->failures++ == 0) c->acks->first_error = why ? why : "";
    } else {
      c->acks->offsets.push_back(r->queue_offset);
      if (c->round >= 0) c->acks->async_of_mixed[c->round] = r->queue_offset;
    }
  };
  std::vector<AsyncCtx> mixed_ctx;
  for (int i = 0; i < kRounds; ++i) mixed_ctx.push_back(AsyncCtx{&acks, i});
  AsyncCtx other_ctx{&acks, -1};
  auto send_async = [&](const std::string& body, int round) {
    auto m = make_msg("DirRace", body);
    char err[512];
    AsyncCtx* ctx = round >= 0 ? &mixed_ctx[static_cast<size_t>(round)] : &other_ctx;
    ferry_status st = ferry_producer_send_async(p.get(), m.get(), async_cb, ctx, err, sizeof err);
    if (st != FERRY_OK) {
      std::lock_guard l(acks.mu);
      if (acks.failures++ == 0) acks.first_error = err;
    }
  };
  std::map<int, int64_t> sync_of_mixed;
  std::thread mixed([&] {
    for (int i = 0; i < kRounds; ++i) {
      send_async("ma-" + std::to_string(i), i);
      ferry_send_result r = FERRY_STRUCT_INIT(ferry_send_result);
      std::string why;
      ASSERT_EQ(FERRY_OK, send_sync(p.get(), "DirRace", "ms-" + std::to_string(i), &r, &why)) << why;
      sync_of_mixed[i] = r.queue_offset;
      std::lock_guard l(acks.mu);
      acks.offsets.push_back(r.queue_offset);
    }
  });
  std::thread syncs([&] {
    for (int i = 0; i < kRounds; ++i) {
      ferry_send_result r = FERRY_STRUCT_INIT(ferry_send_result);
      std::string why;
      ASSERT_EQ(FERRY_OK, send_sync(p.get(), "DirRace", "s-" + std::to_string(i), &r, &why)) << why;
      std::lock_guard l(acks.mu);
      acks.offsets.push_back(r.queue_offset);
    }
  });
  std::thread asyncs([&] {
    for (int i = 0; i < kRounds; ++i) {
      send_async("a-" + std::to_string(i), -1);
      if (i % 16 == 0) std::this_thread::yield();
    }
  });
  mixed.join();
  syncs.join();
  asyncs.join();
  ASSERT_TRUE(wait_until([&] {
    std::lock_guard l(acks.mu);
    return acks.offsets.size() + static_cast<size_t>(acks.failures) >= 4 * kRounds;
  }, 30s));
  std::lock_guard l(acks.mu);
  EXPECT_EQ(0, acks.failures) << acks.first_error;
  std::set<int64_t> distinct(acks.offsets.begin(), acks.offsets.end());
  EXPECT_EQ(acks.offsets.size(), distinct.size());
  ASSERT_EQ(static_cast<size_t>(kRounds), sync_of_mixed.size());
  ASSERT_EQ(static_cast<size_t>(kRounds), acks.async_of_mixed.size());
  for (int i = 0; i < kRounds; ++i)
    ASSERT_GT(sync_of_mixed[i], acks.async_of_mixed[i]) << "round " << i << ": the sync send overtook the async one";
}

// broker-b stops (SIGSTOP) while a sync send waits on its lane, then is
// SIGKILLed: that send fails over to broker-a within its deadline, and every
// later send is answered by broker-a.
TEST(SdkDirectSend, ABrokerKilledDuringALaneRoundTripMovesTheSendToTheOther) {
  FerrydCluster cluster({.name_servers = 1, .brokers = 2});
  ASSERT_TRUE(cluster.ok()) << cluster.error();
  ASSERT_EQ("", cluster.create_topic("DirFail", 2));
  const uint16_t port_b = port_of(cluster.broker_address(1));
  const size_t base_b = connections_to(port_b);
  auto p = start_producer(make_conf(cluster.name_servers(), {{"send_timeout_ms", "8000"}}));
  for (int i = 0; i < 20; ++i) {
    ferry_send_result r = FERRY_STRUCT_INIT(ferry_send_result);
    std::string why;
    ASSERT_EQ(FERRY_OK, send_sync(p.get(), "DirFail", "warm-" + std::to_string(i), &r, &why)) << why;
  }
  ASSERT_TRUE(wait_until([&] { return connections_to(port_b) == base_b + 2; }, 5s))
      << "no lane to broker-b: " << connections_to(port_b) - base_b << " connection(s)";

  std::atomic<int> done{0};
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::vector<ferry_send_result> results;
  std::string failure;
  std::thread sender([&] {
    for (int i = 0; i < 100000 && !stop; ++i) {
      ferry_send_result r = FERRY_STRUCT_INIT(ferry_send_result);
      std::string why;
      ferry_status st = send_sync(p.get(), "DirFail", "f-" + std::to_string(i), &r, &why);
      std::lock_guard l(mu);
      if (st != FERRY_OK && failure.empty()) failure = std::string(ferry_status_name(st)) + ": " + why;
      results.push_back(r);
      ++done;
    }
  });
  ASSERT_TRUE(wait_until([&] { return done >= 10; }, 10s));
  cluster.signal_broker(1, SIGSTOP);
  // Round robin reaches broker-b within two sends; that one now waits.
  int stalled_at = 0;
  EXPECT_TRUE(wait_until([&] {
    int before = done;
    std::this_thread::sleep_for(200ms);
    stalled_at = done;
    return done == before;
  }, 10s));
  cluster.kill_broker(1);
  ASSERT_TRUE(wait_until([&] { return done >= stalled_at + 200; }, 30s)) << cluster.logs();
  stop = true;
  sender.join();
  std::lock_guard l(mu);
  EXPECT_EQ("", failure);
  // The send in flight at the kill went again, to broker-a.
  ASSERT_GT(results.size(), static_cast<size_t>(stalled_at));
  const ferry_send_result& moved = results[static_cast<size_t>(stalled_at)];
  EXPECT_EQ(FERRY_OK, moved.status);
  EXPECT_STREQ("broker-a", moved.broker_name);
  EXPECT_GE(moved.attempts, 2u);
  for (size_t i = static_cast<size_t>(stalled_at); i < results.size(); ++i)
    ASSERT_STREQ("broker-a", results[i].broker_name) << "send " << i;
}

// A broker that stops answering: the lane's send ends with a timeout near
// its deadline (well under the bound), and once the broker answers again
// sync sends succeed (over a fresh lane).
TEST(SdkDirectSend, ALaneSendTimesOutWhenTheBrokerStopsAnswering) {
  FerrydCluster cluster({.name_servers = 1, .brokers = 1});
  ASSERT_TRUE(cluster.ok()) << cluster.error();
  ASSERT_EQ("", cluster.create_topic("DirStall", 2));
  const uint16_t port = port_of(cluster.broker_address(0));
  const size_t base = connections_to(port);
  auto p = start_producer(make_conf(cluster.name_servers(), {{"send_timeout_ms", "500"}, {"broker_backoff_ms", "0"}}));
  for (int i = 0; i < 10; ++i) {
    ferry_send_result r = FERRY_STRUCT_INIT(ferry_send_result);
    std::string why;
    ASSERT_EQ(FERRY_OK, send_sync(p.get(), "DirStall", "w-" + std::to_string(i), &r, &why)) << why;
  }
  ASSERT_TRUE(wait_until([&] { return connections_to(port) == base + 2; }, 5s));
  cluster.signal_broker(0, SIGSTOP);
  auto t0 = std::chrono::steady_clock::now();
  ferry_send_result r = FERRY_STRUCT_INIT(ferry_send_result);
  std::string why;
  EXPECT_EQ(FERRY_E_TIMEOUT, send_sync(p.get(), "DirStall", "stalled", &r, &why)) << why;
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_LT(took, 4s);  // 500 ms deadline; bounded, not timed
  EXPECT_EQ(FERRY_E_TIMEOUT, r.status);
  cluster.signal_broker(0, SIGCONT);
  EXPECT_TRUE(wait_until([&] {
    ferry_send_result ok = FERRY_STRUCT_INIT(ferry_send_result);
    return send_sync(p.get(), "DirStall", "again", &ok) == FERRY_OK;
  }, 15s)) << cluster.logs();
  for (int i = 0; i < 10; ++i) {
    ferry_send_result ok = FERRY_STRUCT_INIT(ferry_send_result);
    ASSERT_EQ(FERRY_OK, send_sync(p.get(), "DirStall", "after-" + std::to_string(i), &ok, &why)) << why;
  }
  // The timed-out lane was closed; a fresh one took its place.
  EXPECT_TRUE(wait_until([&] { return connections_to(port) == base + 2; }, 5s)) << connections_to(port) - base;
}

}  // namespace
}  // namespace ferry::sdk::test
