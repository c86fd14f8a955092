// compare-redis: Redis Streams load generator for tools/compare.sh, over
// Debian's hiredis (libhiredis-dev 0.14, blocking API). One connection per
// thread; every message is `XADD <stream> * d <body>`. Modes:
//   sync     one XADD, wait for its reply (latency: the round trip)
//   async    a pipeline keeping --window XADDs in flight (latency: append → reply)
//   batch    --batch XADDs pipelined, then all their replies (one sample per batch)
//   consume  XREAD COUNT 512 from the start until --count (latency: the backlog's age)
//   e2e      a subscriber thread (XREAD BLOCK from `$`) + a pipelined
//            publisher at --rate (latency: publish → delivery)
#include <hiredis/hiredis.h>

#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gen_common.h"

namespace {

using namespace ferry::compare;

struct CtxDeleter {
  void operator()(redisContext* c) const { redisFree(c); }
};
struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using CtxPtr = std::unique_ptr<redisContext, CtxDeleter>;
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

std::string g_first_error;  // written once; read after the threads are joined
std::once_flag g_error_once;

void note_error(const std::string& what) {
  std::call_once(g_error_once, [&] { g_first_error = what; });
}

CtxPtr connect(const GenOptions& o) {
  timeval tv{5, 0};
  CtxPtr c(redisConnectWithTimeout(o.host.c_str(), o.port, tv));
  if (!c || c->err) {
    note_error("connect " + o.host + ":" + std::to_string(o.port) + ": " + (c ? c->errstr : "out of memory"));
    return nullptr;
  }
  return c;
}

// The next reply; null (and the error noted) when the connection failed or
// Redis answered an error.
ReplyPtr next_reply(redisContext* c) {
  void* raw = nullptr;
  if (redisGetReply(c, &raw) != REDIS_OK) {
    note_error(std::string("redis connection: ") + c->errstr);
    return nullptr;
  }
  ReplyPtr r(static_cast<redisReply*>(raw));
  if (r && r->type == REDIS_REPLY_ERROR) {
    note_error(std::string("redis: ") + r->str);
    return nullptr;
  }
  return r;
}

// Writes hiredis's output buffer out (a pipelining sender does this only
// when it would otherwise sit on unsent commands).
bool flush(redisContext* c) {
  int done = 0;
  while (!done) {
    if (redisBufferWrite(c, &done) != REDIS_OK) {
      note_error(std::string("redis connection: ") + c->errstr);
      return false;
    }
  }
  return true;
}

struct Xadd {
  const char* argv[5];
  size_t len[5];
  Xadd(const std::string& stream, const std::string& body)
      : argv{"XADD", stream.c_str(), "*", "d", body.data()}, len{4, stream.size(), 1, 1, body.size()} {}
  bool append(redisContext* c) { return redisAppendCommandArgv(c, 5, argv, len) == REDIS_OK; }
};

// Sends until the budget, the deadline or an error; sync, async or batch.
void publish_loop(const GenOptions& o, redisContext* c, Counters& counters, Budget& budget, const Pacer& pacer,
                  uint64_t deadline) {
  std::string body(o.size, 'x');
  Xadd cmd(o.stream, body);
  const uint32_t window = (o.mode == "async" || o.mode == "e2e") ? o.window : 1;
  std::vector<uint64_t> sent_at(window);  // FIFO ring: replies come in order
  uint64_t head = 0, tail = 0, seq = 0;
  bool more = true;
  while (more || head != tail) {
    // Fill the window (async), or send one request (sync / batch).
    while (more && tail - head < window) {
      uint64_t n = now_ns() < deadline ? budget.claim(o.mode == "batch" ? o.batch : 1) : 0;
      if (n == 0) {
        more = false;
        break;
      }
      // Paced: what is appended must reach Redis before this thread sleeps.
      if (pacer.early(seq) && !flush(c)) return;
      pacer.wait(seq);
      seq += n;
      uint64_t t0 = now_ns();
      for (uint64_t i = 0; i < n; ++i) {
        stamp_body(body, now_ns());
        if (!cmd.append(c)) {
          note_error("redisAppendCommandArgv failed");
          return;
        }
      }
      if (o.mode == "batch") {
        for (uint64_t i = 0; i < n; ++i) {
          if (!next_reply(c)) {
            counters.failure(n - i);
            return;
          }
        }
        counters.success(n, n * o.size, now_ns() - t0);
        continue;
      }
      sent_at[tail++ % window] = t0;
    }
    if (head == tail) continue;
    if (!next_reply(c)) {
      counters.failure(tail - head);
      return;
    }
    counters.success(1, o.size, now_ns() - sent_at[head++ % window]);
  }
}

int run_publish(const GenOptions& o, Counters& counters, double& elapsed) {
  std::vector<CtxPtr> conns;
  for (uint32_t t = 0; t < o.threads; ++t) {
    conns.push_back(connect(o));
    if (!conns.back()) return 3;
  }
  Budget budget(o.count);
  uint64_t start = now_ns(), deadline = deadline_ns(o);
  std::vector<std::thread> threads;
  for (uint32_t t = 0; t < o.threads; ++t) {
    threads.emplace_back([&, t] {
      Pacer pacer(o.rate, o.threads);
      publish_loop(o, conns[t].get(), counters, budget, pacer, deadline);
    });
  }
  for (auto& th : threads) th.join();
  elapsed = static_cast<double>(now_ns() - start) / 1e9;
  return -1;
}

// Reads one XREAD reply into the counters; returns the last entry id seen
// (empty when the reply held no entry).
std::string take_entries(const redisReply* r, Counters& counters, bool age_only) {
  std::string last;
  if (!r || r->type != REDIS_REPLY_ARRAY) return last;
  uint64_t now = now_ns();
  for (size_t s = 0; s < r->elements; ++s) {
    const redisReply* stream = r->element[s];
    if (stream->type != REDIS_REPLY_ARRAY || stream->elements != 2) continue;
    const redisReply* entries = stream->element[1];
    for (size_t e = 0; e < entries->elements; ++e) {
      const redisReply* entry = entries->element[e];
      if (entry->type != REDIS_REPLY_ARRAY || entry->elements != 2) continue;
      last.assign(entry->element[0]->str, entry->element[0]->len);
      const redisReply* fields = entry->element[1];
      if (fields->elements < 2) continue;
      const redisReply* value = fields->element[1];
      uint64_t sent = read_stamp(value->str, value->len);
      if (sent == 0 || sent > now) {
        if (age_only) counters.success(1, value->len, 0);
        continue;
      }
      counters.success(1, value->len, now - sent);
    }
  }
  return last;
}

int run_consume(const GenOptions& o, Counters& counters, double& elapsed) {
  CtxPtr c = connect(o);
  if (!c) return 3;
  std::string from = "0-0";
  uint64_t start = now_ns(), deadline = deadline_ns(o);
  while (now_ns() < deadline && (o.count == 0 || counters.ok.load() < o.count)) {
    const char* argv[] = {"XREAD", "COUNT", "512", "STREAMS", o.stream.c_str(), from.c_str()};
    size_t len[] = {5, 5, 3, 7, o.stream.size(), from.size()};
    ReplyPtr r(static_cast<redisReply*>(redisCommandArgv(c.get(), 6, argv, len)));
    if (!r || r->type == REDIS_REPLY_ERROR) {
      counters.failure();
      note_error(r ? r->str : c->errstr);
      break;
    }
    std::string last = take_entries(r.get(), counters, true);
    if (last.empty()) break;  // drained
    from = last;
  }
  elapsed = static_cast<double>(now_ns() - start) / 1e9;
  return -1;
}

int run_e2e(const GenOptions& o, Counters& counters, double& elapsed) {
  CtxPtr sub = connect(o), pub = connect(o);
  if (!sub || !pub) return 3;
  std::atomic<bool> stop{false};
  std::atomic<bool> listening{false};
  std::thread subscriber([&] {
    std::string from = "$";  // only what is added after the first read starts
    while (!stop.load()) {
      const char* argv[] = {"XREAD", "BLOCK", "200", "COUNT", "512", "STREAMS", o.stream.c_str(), from.c_str()};
      size_t len[] = {5, 5, 3, 5, 3, 7, o.stream.size(), from.size()};
      if (redisAppendCommandArgv(sub.get(), 8, argv, len) != REDIS_OK) break;
      listening.store(true);
      ReplyPtr r = next_reply(sub.get());
      if (!r) break;
      std::string last = take_entries(r.get(), counters, false);
      if (!last.empty()) from = last;
    }
  });
  // Let the first blocking read reach the server before anything is added.
  while (!listening.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  Counters published;
  Budget budget(o.count);
  Pacer pacer(o.rate, 1);
  uint64_t start = now_ns(), deadline = deadline_ns(o);
  publish_loop(o, pub.get(), published, budget, pacer, deadline);
  uint64_t target = published.ok.load();
  await_deliveries(counters, target);
  elapsed = static_cast<double>(now_ns() - start) / 1e9;
  stop.store(true);
  subscriber.join();  // its blocking read ends within 200 ms
  if (counters.ok.load() < target) counters.failure(target - counters.ok.load());
  counters.failed.fetch_add(published.failed.load());
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  int rc = generator_main("compare-redis", argc, argv, {run_publish, run_consume, run_e2e}, g_first_error);
  return rc;
}
