// Benchmark: what the user-thread -> I/O-thread -> user-thread hand-off adds
// to a sync send. Both sides send the same SEND_MESSAGE to the same
// in-process fake broker, one request at a time:
//   raw  — issued from the I/O loop itself, the next one from the previous
//          answer's callback (no thread hop): the bare round trip;
//   hop  — the same pre-encoded request, posted from the calling thread to
//          an I/O loop thread, the caller waiting on a condition variable:
//          raw + the two thread wake-ups, without libferry's send path;
//   sdk  — ferry_producer_send from the calling thread (post to the I/O
//          thread, wait for its answer on a condition variable).
// So hop - raw is the wake-ups, sdk - hop libferry's own work (building
// the op, encoding, route lookup, decoding, the result).
// Rounds alternate so machine noise hits both alike; medians are printed.
#include <ferry/codes.h>
#include <ferry/net/client.h>
#include <ferry/net/loop_thread.h>
#include <ferry_sdk_wire/core_generated.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <condition_variable>
#include <future>
#include <mutex>

#include "sdk_fixture.h"

using namespace ferry::sdk::test;
using Clock = std::chrono::steady_clock;

namespace {

double raw_round(const std::string& addr, int n) {
  ferry::net::LoopThread loop;
  std::promise<double> result;
  std::unique_ptr<ferry::net::Client> client;
  flatbuffers::FlatBufferBuilder fbb(256);
  std::vector<flatbuffers::Offset<ferry::wire::core::MessageMeta>> metas{
      ferry::wire::core::CreateMessageMeta(fbb, -1, 0, 0, 0, 0, 16, 0)};
  auto v = fbb.CreateVector(metas);
  fbb.Finish(ferry::wire::core::CreateSendRequest(fbb, fbb.CreateString("g"), fbb.CreateString("B"), 0, 0, v), "FRCO");
  std::vector<uint8_t> payload(fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize());
  std::vector<uint8_t> body(16, 'x');
  int left = n;
  Clock::time_point t0;
  std::function<void()> next;
  next = [&] {
    client->request(FERRY_CODE_SEND_MESSAGE, payload, ferry::net::Attachment::copy(body), 3000, false,
                    [&](const ferry::net::Response& r) {
                      if (r.status != FERRY_OK) std::abort();
                      if (--left == 0) {
                        result.set_value(std::chrono::duration<double, std::micro>(Clock::now() - t0).count() / n);
                        return;
                      }
                      next();
                    });
  };
  loop.run_sync([&] {
    ferry::net::ClientOptions o;
    o.address = addr;
    o.on_event = [&](uint64_t, ferry::net::ConnEvent ev, std::string_view) {
      if (ev == ferry::net::ConnEvent::kConnected) {
        t0 = Clock::now();
        next();
      }
    };
    client = std::make_unique<ferry::net::Client>(loop.loop(), o);
    std::string why;
    client->start(&why);
  });
  double us = result.get_future().get();
  loop.run_sync([&] {
    client->close({});
    client.reset();
  });
  loop.stop();
  return us;
}

std::vector<uint8_t> send_payload() {
  flatbuffers::FlatBufferBuilder fbb(256);
  std::vector<flatbuffers::Offset<ferry::wire::core::MessageMeta>> metas{
      ferry::wire::core::CreateMessageMeta(fbb, -1, 0, 0, 0, 0, 16, 0)};
  auto v = fbb.CreateVector(metas);
  fbb.Finish(ferry::wire::core::CreateSendRequest(fbb, fbb.CreateString("g"), fbb.CreateString("B"), 0, 0, v), "FRCO");
  return {fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize()};
}

// One request at a time from this thread through a loop thread: the bare
// cost of the two hops around the round trip.
double hop_round(const std::string& addr, int n) {
  ferry::net::LoopThread loop;
  std::unique_ptr<ferry::net::Client> client;
  std::promise<void> up;
  loop.run_sync([&] {
    ferry::net::ClientOptions o;
    o.address = addr;
    o.on_event = [&](uint64_t, ferry::net::ConnEvent ev, std::string_view) {
      if (ev == ferry::net::ConnEvent::kConnected) up.set_value();
    };
    client = std::make_unique<ferry::net::Client>(loop.loop(), o);
    std::string why;
    client->start(&why);
  });
  up.get_future().wait();
  auto payload = send_payload();
  std::vector<uint8_t> body(16, 'x');
  std::mutex mu;
  std::condition_variable cv;
  auto t0 = Clock::now();
  for (int i = 0; i < n; ++i) {
    bool done = false;
    loop.post([&] {
      client->request(FERRY_CODE_SEND_MESSAGE, payload, ferry::net::Attachment::copy(body), 3000, false,
                      [&](const ferry::net::Response& r) {
                        if (r.status != FERRY_OK) std::abort();
                        std::lock_guard l(mu);
                        done = true;
                        cv.notify_one();
                      });
    });
    std::unique_lock l(mu);
    cv.wait(l, [&] { return done; });
  }
  double us = std::chrono::duration<double, std::micro>(Clock::now() - t0).count() / n;
  loop.run_sync([&] {
    client->close({});
    client.reset();
  });
  loop.stop();
  return us;
}

double sdk_round(ferry_producer* p, int n) {
  auto m = make_msg("B", std::string(16, 'x'));
  char err[256];
  auto t0 = Clock::now();
  for (int i = 0; i < n; ++i)
    if (ferry_producer_send(p, m.get(), nullptr, err, sizeof err) != FERRY_OK) std::abort();
  return std::chrono::duration<double, std::micro>(Clock::now() - t0).count() / n;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int n = argc > 1 ? std::atoi(argv[1]) : 20000;
  int rounds = argc > 2 ? std::atoi(argv[2]) : 5;
  FakeCluster cluster({.brokers = 1, .queues = 4});
  cluster.create_topic("B");
  auto conf = make_conf(cluster.name_servers());
  auto p = start_producer(conf);
  // The same with sync_spin_us (argv[3], default 50): the caller checks for
  // the answer that long before sleeping.
  std::string spin = argc > 3 ? argv[3] : "50";
  auto sconf = make_conf(cluster.name_servers(), {{"sync_spin_us", spin}});
  auto ps = start_producer(sconf);
  sdk_round(p.get(), 1000);  // warm: route, connection
  sdk_round(ps.get(), 1000);
  std::vector<double> raw, hop, sdk, spun;
  for (int r = 0; r < rounds; ++r) {
    raw.push_back(raw_round(cluster.broker_address(0), n));
    hop.push_back(hop_round(cluster.broker_address(0), n));
    sdk.push_back(sdk_round(p.get(), n));
    spun.push_back(sdk_round(ps.get(), n));
    std::printf("round %d: raw %.2f us/send, hop %.2f us/send, sdk sync %.2f us/send, sdk sync spin %s us %.2f us/send\n",
                r, raw.back(), hop.back(), sdk.back(), spin.c_str(), spun.back());
  }
  double mr = median(raw), mh = median(hop), ms = median(sdk), mp = median(spun);
  std::printf("median of %d rounds x %d sends: raw loop round trip %.2f us, thread hop %.2f us, sdk sync send %.2f us; "
              "sdk adds %.2f us (%.2fx raw): wake-ups %.2f us, libferry's send path %.2f us; "
              "with sync_spin_us=%s: %.2f us (%.2fx raw)\n",
              rounds, n, mr, mh, ms, ms - mr, ms / mr, mh - mr, ms - mh, spin.c_str(), mp, mp / mr);
  return 0;
}
