// compare-nats: NATS JetStream load generator for tools/compare.sh, over
// Debian's cnats (libnats-dev 3.4). One connection + JetStream context per
// thread; the stream uses file storage. Modes:
//   sync     js_Publish, one at a time (latency: the call)
//   async    js_PublishAsync with MaxPending = --window (latency: publish → ack)
//   batch    --batch async publishes, then PublishAsyncComplete (one sample per batch)
//   consume  pull subscriber from the first message, Fetch(256), AckAll on
//            the last of each batch, until --count (latency: the backlog's age)
//   e2e      push subscriber (deliver new, ack none) + an async publisher at
//            --rate in this process (latency: publish → delivery)
#include <nats/nats.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gen_common.h"

namespace {

using namespace ferry::compare;

struct ConnDeleter {
  void operator()(natsConnection* c) const { natsConnection_Destroy(c); }
};
struct JsDeleter {
  void operator()(jsCtx* j) const { jsCtx_Destroy(j); }
};
struct SubDeleter {
  void operator()(natsSubscription* s) const { natsSubscription_Destroy(s); }
};
using ConnPtr = std::unique_ptr<natsConnection, ConnDeleter>;
using JsPtr = std::unique_ptr<jsCtx, JsDeleter>;
using SubPtr = std::unique_ptr<natsSubscription, SubDeleter>;

std::string g_first_error;  // written once under g_error_once; read after joins
std::once_flag g_error_once;

void note_error(const std::string& what, natsStatus s) {
  std::call_once(g_error_once, [&] {
    const char* last = nats_GetLastError(nullptr);
    g_first_error = what + ": " + natsStatus_GetText(s) + (last && *last ? std::string(" (") + last + ")" : "");
  });
}

// What the ack and message handlers update.
struct Sink {
  Counters* counters = nullptr;
  size_t size = 0;
  bool per_message_latency = true;
  std::atomic<uint64_t> publish_failed{0};
};

void on_ack(jsCtx*, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* closure) {
  auto* sink = static_cast<Sink*>(closure);
  if (pa != nullptr) {
    if (sink->per_message_latency) {
      uint64_t sent = read_stamp(natsMsg_GetData(msg), static_cast<size_t>(natsMsg_GetDataLength(msg)));
      sink->counters->success(1, sink->size, now_ns() - sent);
    } else {
      sink->counters->ok.fetch_add(1, std::memory_order_relaxed);
      sink->counters->bytes.fetch_add(sink->size, std::memory_order_relaxed);
    }
  } else {
    sink->counters->failure();
    note_error("publish ack", pae ? pae->Err : NATS_ERR);
  }
  natsMsg_Destroy(msg);
}

void on_message(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  auto* sink = static_cast<Sink*>(closure);
  size_t len = static_cast<size_t>(natsMsg_GetDataLength(msg));
  uint64_t sent = read_stamp(natsMsg_GetData(msg), len);
  uint64_t now = now_ns();
  if (sent != 0 && sent <= now) sink->counters->success(1, len, now - sent);
  natsMsg_Destroy(msg);
}

// One connection and JetStream context; the async options carry the sink.
struct Client {
  ConnPtr nc;
  JsPtr js;
};

bool connect(const GenOptions& o, Sink* sink, Client& c) {
  std::string url = "nats://" + o.host + ":" + std::to_string(o.port);
  natsConnection* nc = nullptr;
  natsStatus s = natsConnection_ConnectTo(&nc, url.c_str());
  c.nc.reset(nc);
  if (s != NATS_OK) {
    note_error("connect " + url, s);
    return false;
  }
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.PublishAsync.MaxPending = o.mode == "batch" ? o.batch : o.window;
  jo.PublishAsync.AckHandler = on_ack;
  jo.PublishAsync.AckHandlerClosure = sink;
  jo.PublishAsync.StallWait = 10000;
  jsCtx* js = nullptr;
  s = natsConnection_JetStream(&js, nc, &jo);
  c.js.reset(js);
  if (s != NATS_OK) note_error("JetStream context", s);
  return s == NATS_OK;
}

std::string subject_of(const GenOptions& o) { return o.stream + ".m"; }

bool create_stream(const GenOptions& o, jsCtx* js) {
  std::string subject = subject_of(o);
  const char* subjects[] = {subject.c_str()};
  jsStreamConfig sc;
  jsStreamConfig_Init(&sc);
  sc.Name = o.stream.c_str();
  sc.Subjects = subjects;
  sc.SubjectsLen = 1;
  sc.Storage = js_FileStorage;
  jsStreamInfo* si = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_AddStream(&si, js, &sc, nullptr, &jerr);
  jsStreamInfo_Destroy(si);
  if (s != NATS_OK) note_error("create stream " + o.stream + " (js error " + std::to_string(jerr) + ")", s);
  return s == NATS_OK;
}

// Publishes until the budget, the deadline or an error: sync, async or batch.
void publish_loop(const GenOptions& o, Client& c, Sink& sink, Budget& budget, const Pacer& pacer,
                  uint64_t deadline) {
  const std::string subject = subject_of(o);
  std::string body(o.size, 'x');
  const int len = static_cast<int>(body.size());
  jsPubOptions wait_all;
  jsPubOptions_Init(&wait_all);
  wait_all.MaxWait = 10000;
  uint64_t seq = 0;
  while (now_ns() < deadline) {
    uint64_t n = budget.claim(o.mode == "batch" ? o.batch : 1);
    if (n == 0) break;
    pacer.wait(seq);
    seq += n;
    if (o.mode == "sync") {
      stamp_body(body, now_ns());
      uint64_t t0 = now_ns();
      jsPubAck* pa = nullptr;
      natsStatus s = js_Publish(&pa, c.js.get(), subject.c_str(), body.data(), len, nullptr, nullptr);
      jsPubAck_Destroy(pa);
      if (s != NATS_OK) {
        sink.counters->failure();
        note_error("js_Publish", s);
        return;
      }
      sink.counters->success(1, o.size, now_ns() - t0);
      continue;
    }
    uint64_t t0 = now_ns();
    for (uint64_t i = 0; i < n; ++i) {
      stamp_body(body, now_ns());
      natsStatus s = js_PublishAsync(c.js.get(), subject.c_str(), body.data(), len, nullptr);
      if (s != NATS_OK) {
        sink.counters->failure();
        note_error("js_PublishAsync", s);
        return;
      }
    }
    if (o.mode == "batch") {
      natsStatus s = js_PublishAsyncComplete(c.js.get(), &wait_all);
      if (s != NATS_OK) {
        note_error("js_PublishAsyncComplete", s);
        return;
      }
      sink.counters->latency_ns.record(now_ns() - t0);
    }
  }
  // Acks still in flight: bounded by MaxWait.
  if (js_PublishAsyncComplete(c.js.get(), &wait_all) != NATS_OK) note_error("acks still pending after 10 s", NATS_TIMEOUT);
}

int run_publish(const GenOptions& o, Counters& counters, double& elapsed) {
  std::vector<std::unique_ptr<Sink>> sinks;
  std::vector<Client> clients(o.threads);
  for (uint32_t t = 0; t < o.threads; ++t) {
    sinks.push_back(std::make_unique<Sink>());
    sinks.back()->counters = &counters;
    sinks.back()->size = o.size;
    sinks.back()->per_message_latency = o.mode != "batch";
    if (!connect(o, sinks.back().get(), clients[t])) return 3;
  }
  if (o.create && !create_stream(o, clients[0].js.get())) return 3;
  Budget budget(o.count);
  uint64_t start = now_ns(), deadline = deadline_ns(o);
  std::vector<std::thread> threads;
  for (uint32_t t = 0; t < o.threads; ++t) {
    threads.emplace_back([&, t] {
      Pacer pacer(o.rate, o.threads);
      publish_loop(o, clients[t], *sinks[t], budget, pacer, deadline);
    });
  }
  for (auto& th : threads) th.join();
  elapsed = static_cast<double>(now_ns() - start) / 1e9;
  return -1;
}

int run_consume(const GenOptions& o, Counters& counters, double& elapsed) {
  Sink sink;
  sink.counters = &counters;
  Client c;
  if (!connect(o, &sink, c)) return 3;
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = o.stream.c_str();
  so.Config.AckPolicy = js_AckAll;  // a pull consumer needs acks; one per batch
  so.Config.DeliverPolicy = js_DeliverAll;
  natsSubscription* raw = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  std::string durable = "compare_" + std::to_string(::getpid());
  natsStatus s = js_PullSubscribe(&raw, c.js.get(), subject_of(o).c_str(), durable.c_str(), nullptr, &so, &jerr);
  SubPtr sub(raw);
  if (s != NATS_OK) {
    note_error("js_PullSubscribe (js error " + std::to_string(jerr) + ")", s);
    return 3;
  }
  uint64_t start = now_ns(), deadline = deadline_ns(o);
  while (now_ns() < deadline && (o.count == 0 || counters.ok.load() < o.count)) {
    natsMsgList list{};
    s = natsSubscription_Fetch(&list, sub.get(), 256, 1000, nullptr);
    if (s == NATS_TIMEOUT) continue;
    if (s != NATS_OK) {
      counters.failure();
      note_error("natsSubscription_Fetch", s);
      break;
    }
    uint64_t now = now_ns();
    for (int i = 0; i < list.Count; ++i) {
      size_t len = static_cast<size_t>(natsMsg_GetDataLength(list.Msgs[i]));
      uint64_t sent = read_stamp(natsMsg_GetData(list.Msgs[i]), len);
      counters.success(1, len, sent && sent <= now ? now - sent : 0);
    }
    if (list.Count > 0) natsMsg_Ack(list.Msgs[list.Count - 1], nullptr);
    natsMsgList_Destroy(&list);
  }
  elapsed = static_cast<double>(now_ns() - start) / 1e9;
  return -1;
}

int run_e2e(const GenOptions& o, Counters& counters, double& elapsed) {
  Sink sub_sink;
  sub_sink.counters = &counters;
  Counters published;
  Sink pub_sink;
  pub_sink.counters = &published;
  pub_sink.size = o.size;
  Client sub_client, pub_client;
  if (!connect(o, &sub_sink, sub_client) || !connect(o, &pub_sink, pub_client)) return 3;
  if (o.create && !create_stream(o, pub_client.js.get())) return 3;
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = o.stream.c_str();
  so.Config.AckPolicy = js_AckNone;
  so.Config.DeliverPolicy = js_DeliverNew;
  so.ManualAck = true;  // ack none: the library must not ack either
  natsSubscription* raw = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_Subscribe(&raw, sub_client.js.get(), subject_of(o).c_str(), on_message, &sub_sink, nullptr, &so, &jerr);
  SubPtr sub(raw);
  if (s != NATS_OK) {
    note_error("js_Subscribe (js error " + std::to_string(jerr) + ")", s);
    return 3;
  }
  natsSubscription_SetPendingLimits(sub.get(), -1, -1);
  Budget budget(o.count);
  Pacer pacer(o.rate, 1);
  uint64_t start = now_ns(), deadline = deadline_ns(o);
  publish_loop(o, pub_client, pub_sink, budget, pacer, deadline);
  // Deliveries still on their way: at most 3 s more.
  uint64_t target = published.ok.load();
  await_deliveries(counters, target);
  elapsed = static_cast<double>(now_ns() - start) / 1e9;
  if (counters.ok.load() < target) counters.failure(target - counters.ok.load());
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  int rc = generator_main("compare-nats", argc, argv, {run_publish, run_consume, run_e2e}, g_first_error);
  nats_Close();
  return rc;
}
