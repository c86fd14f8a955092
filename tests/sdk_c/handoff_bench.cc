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

// A variant's config: "k=v,k=v", or a bare number meaning sync_spin_us=N.
std::vector<std::pair<std::string, std::string>> variant_conf(const std::string& arg) {
  std::vector<std::pair<std::string, std::string>> kv;
  if (arg.find('=') == std::string::npos) return {{"sync_spin_us", arg}};
  size_t start = 0;
  while (start < arg.size()) {
    size_t end = arg.find(',', start);
    if (end == std::string::npos) end = arg.size();
    std::string part = arg.substr(start, end - start);
    size_t eq = part.find('=');
    if (eq != std::string::npos) kv.emplace_back(part.substr(0, eq), part.substr(eq + 1));
    start = end + 1;
  }
  return kv;
}

}  // namespace

// ferry_sdk_handoff_bench [sends per round] [rounds] [variant...]: each
// variant is another producer config ("sync_io_spin_us=30,sync_spin_us=0",
// or a bare number: sync_spin_us), measured beside the default one.
int main(int argc, char** argv) {
  int n = argc > 1 ? std::atoi(argv[1]) : 20000;
  int rounds = argc > 2 ? std::atoi(argv[2]) : 5;
  FakeCluster cluster({.brokers = 1, .queues = 4});
  cluster.create_topic("B");
  std::vector<std::string> names{"default"};
  std::vector<Producer> producers;
  producers.push_back(start_producer(make_conf(cluster.name_servers())));
  for (int i = 3; i < argc; ++i) {
    names.push_back(argv[i]);
    producers.push_back(start_producer(make_conf(cluster.name_servers(), variant_conf(argv[i]))));
  }
  for (auto& p : producers) sdk_round(p.get(), 1000);  // warm: route, connection
  std::vector<double> raw, hop;
  std::vector<std::vector<double>> sdk(producers.size());
  for (int r = 0; r < rounds; ++r) {
    raw.push_back(raw_round(cluster.broker_address(0), n));
    hop.push_back(hop_round(cluster.broker_address(0), n));
    std::printf("round %d: raw %.2f us/send, hop %.2f us/send", r, raw.back(), hop.back());
    for (size_t v = 0; v < producers.size(); ++v) {
      sdk[v].push_back(sdk_round(producers[v].get(), n));
      std::printf(", sdk [%s] %.2f us/send", names[v].c_str(), sdk[v].back());
    }
    std::printf("\n");
  }
  double mr = median(raw), mh = median(hop), ms = median(sdk[0]);
  std::printf("median of %d rounds x %d sends: raw loop round trip %.2f us, thread hop %.2f us, sdk sync send %.2f us; "
              "sdk adds %.2f us (%.2fx raw): wake-ups %.2f us, libferry's send path %.2f us\n",
              rounds, n, mr, mh, ms, ms - mr, ms / mr, mh - mr, ms - mh);
  for (size_t v = 1; v < producers.size(); ++v) {
    double mv = median(sdk[v]);
    std::printf("  [%s]: %.2f us (%.2fx raw, %.2fx default)\n", names[v].c_str(), mv, mv / mr, mv / ms);
  }
  return 0;
}
