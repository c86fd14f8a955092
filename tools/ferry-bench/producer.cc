// ferry-bench produce: N sending threads over one libferry producer, or over
// --producers P of them (thread t sends through producer t % P).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>
#include <vector>

#include "../ferryctl/sdk_util.h"
#include "first_error.h"
#include "report.h"
#include "run.h"
#include "set_keys.h"
#include "stats.h"

namespace ferry::bench {

namespace {

using namespace std::chrono;
using tools::MessagePtr;

// Bounds the async sends in flight for one thread. Slots are allocated once;
// a completion returns its slot to the free list.
//
// A sender that finds the window full sleeps until refill_ slots are free
// (1/16 of the window), not one: it is woken once per refill_ completions
// instead of once per completion (a futex wake and a context switch per
// message cost the client more than its sends on 2 shared cores), and its
// next refill_ sends reach the I/O thread together. In flight stays between
// size - refill_ and size; a window of 1 (sync) is unchanged. The owner
// takes every free slot under one lock (into its own stash), so most
// acquires take no lock.
class Window {
 public:
  struct Slot {
    Window* owner = nullptr;
    uint64_t sent_ns = 0;
    uint32_t index = 0;
  };

  Window(uint32_t size, Stats& stats, FirstError& first)
      : slots_(size), refill_(std::max<size_t>(1, size / 16)), stats_(stats), first_(first) {
    free_.reserve(size);
    stash_.reserve(size);
    for (uint32_t i = 0; i < size; ++i) {
      slots_[i].owner = this;
      slots_[i].index = i;
      free_.push_back(i);
    }
  }

  // [owner] A free slot, or nullptr if none frees up before `deadline`.
  Slot* acquire(steady_clock::time_point deadline) {
    if (stash_.empty()) {
      std::unique_lock lock(mu_);
      if (free_.empty()) {
        want_ = refill_;
        cv_.wait_until(lock, deadline, [&] { return free_.size() >= refill_; });
        want_ = 0;
        if (free_.empty()) return nullptr;
      }
      stash_.swap(free_);
    }
    uint32_t i = stash_.back();
    stash_.pop_back();
    return &slots_[i];
  }
  // Wakes the owner only when what it waits for is there (notified under
  // the lock: a drained Window may be destroyed as soon as it is woken).
  void release(Slot* s) {
    std::lock_guard lock(mu_);
    free_.push_back(s->index);
    if (want_ != 0 && free_.size() >= want_) {
      want_ = 0;
      cv_.notify_one();
    }
  }
  // [owner] Waits until every slot is back; false if `deadline` passed first.
  bool drain(steady_clock::time_point deadline) {
    std::unique_lock lock(mu_);
    want_ = slots_.size() - stash_.size();
    const bool all = cv_.wait_until(lock, deadline, [&] { return free_.size() + stash_.size() == slots_.size(); });
    want_ = 0;
    return all;
  }

  static void on_done(void* ud, ferry_status status, const ferry_send_result*, const char* error) {
    auto* slot = static_cast<Slot*>(ud);
    Window* w = slot->owner;
    if (status == FERRY_OK) {
      w->stats_.success(w->body_size, now_ns() - slot->sent_ns);
    } else {
      w->stats_.failure();
      w->first_.note(status, error);
    }
    w->release(slot);
  }

  size_t body_size = 0;

 private:
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_;   // [mu_] released slots
  std::vector<uint32_t> stash_;  // [owner] free slots taken in one go
  const size_t refill_;
  size_t want_ = 0;  // [mu_] free slots the owner sleeps for; 0 = not asleep
  std::mutex mu_;
  std::condition_variable cv_;
  Stats& stats_;
  FirstError& first_;
};

// One libferry producer (its own connections and I/O thread) and its topic
// handles.
struct Client {
  tools::ProducerPtr producer;
  std::vector<ferry_producer_topic*> handles;  // async, one per topic (empty: --by-name)
};

struct Shared {
  const Options& o;
  std::vector<Client> clients;
  std::vector<std::string> topics;
  Stats stats;
  FirstError first;
  std::atomic<uint64_t> issued{0};
  steady_clock::time_point deadline;
};

// Claims up to `want` messages from the --count budget; 0 once it is spent.
uint64_t claim(Shared& sh, uint64_t want) {
  if (sh.o.count == 0) return want;
  uint64_t before = sh.issued.fetch_add(want);
  if (before >= sh.o.count) return 0;
  return std::min(want, sh.o.count - before);
}

// The next message into `m`: a fresh one the first time, then the same one
// reset (a send copies the message before it returns, so each thread reuses
// one message per slot of its batch instead of allocating per send). False
// (noted) on failure.
bool make_message(const std::string& topic, std::string& body, Shared& sh, MessagePtr& m) {
  stamp_body(body, now_ns());
  char err[256] = "";
  ferry_status s;
  if (m) {
    s = ferry_message_reset(m.get(), topic.c_str(), body.data(), body.size(), err, sizeof err);
  } else {
    ferry_client_message* raw = nullptr;
    s = ferry_message_new(topic.c_str(), body.data(), body.size(), &raw, err, sizeof err);
    m.reset(raw);
  }
  if (s != FERRY_OK) sh.first.note(s, err);
  return s == FERRY_OK;
}

void sender(Shared& sh, uint32_t thread_index) {
  const Options& o = sh.o;
  const Client& client = sh.clients[thread_index % sh.clients.size()];
  ferry_producer* const producer = client.producer.get();
  const std::vector<ferry_producer_topic*>& handles = client.handles;
  std::string body(o.size, 'x');
  Window window(o.mode == "async" ? o.window : 1, sh.stats, sh.first);
  window.body_size = o.size;
  // Pacing: this thread's share of --rate, as a fixed schedule from start.
  const double interval_ns = o.rate ? 1e9 * o.threads / static_cast<double>(o.rate) : 0;
  const auto start = steady_clock::now();
  uint64_t seq = 0;
  std::vector<MessagePtr> batch;  // reused: one message per batch slot
  std::vector<ferry_client_message*> raw;
  MessagePtr m;                    // reused by the single-message modes
  char err[512] = "";
  while (steady_clock::now() < sh.deadline) {
    uint64_t n = claim(sh, o.mode == "batch" ? o.batch : 1);
    if (n == 0) break;
    if (interval_ns > 0) {
      std::this_thread::sleep_until(start + nanoseconds(static_cast<int64_t>(interval_ns * static_cast<double>(seq))));
    }
    const size_t topic_index = (seq + thread_index) % sh.topics.size();
    const std::string& topic = sh.topics[topic_index];
    seq += n;
    if (o.mode == "batch") {
      if (batch.size() < n) batch.resize(n);
      raw.clear();
      for (uint64_t i = 0; i < n; ++i) {
        if (!make_message(topic, body, sh, batch[i])) return;
        raw.push_back(batch[i].get());
      }
      uint64_t t0 = now_ns();
      ferry_status s = ferry_producer_send_batch(producer, raw.data(), raw.size(), nullptr, err, sizeof err);
      if (s == FERRY_OK) {
        sh.stats.success_n(n, n * o.size, now_ns() - t0);
      } else {
        sh.stats.failure(n);
        sh.first.note(s, err);
      }
      continue;
    }
    if (!make_message(topic, body, sh, m)) return;
    if (o.mode == "async") {
      Window::Slot* slot = window.acquire(sh.deadline + seconds(1));
      if (!slot) break;
      slot->sent_ns = now_ns();
      ferry_status s = handles.empty()
                           ? ferry_producer_send_async(producer, m.get(), &Window::on_done, slot, err, sizeof err)
                           : ferry_producer_send_async_topic(producer, handles[topic_index], m.get(),
                                                             &Window::on_done, slot, err, sizeof err);
      if (s != FERRY_OK) {  // the callback will not run
        sh.stats.failure();
        sh.first.note(s, err);
        window.release(slot);
      }
      continue;
    }
    uint64_t t0 = now_ns();
    ferry_status s = o.mode == "oneway" ? ferry_producer_send_oneway(producer, m.get(), err, sizeof err)
                                        : ferry_producer_send(producer, m.get(), nullptr, err, sizeof err);
    if (s == FERRY_OK) {
      sh.stats.success(o.size, now_ns() - t0);
    } else {
      sh.stats.failure();
      sh.first.note(s, err);
    }
  }
  // Sends in flight finish within their send timeout (3 s default) + slack.
  if (!window.drain(steady_clock::now() + seconds(10))) {
    sh.first.note(FERRY_E_TIMEOUT, "async sends still in flight 10 s after the run ended");
  }
}

// Creates the topics from `creators` threads sharing one admin handle (each
// create waits for the broker's topic-table write, so one at a time would
// take 10,000 x that write), then waits, bounded, until every one is routed.
int create_topics(const Options& o, const ferry_config* conf) {
  tools::SdkError e;
  tools::AdminPtr admin = tools::start_admin(conf, &e);
  if (!admin) {
    std::fprintf(stderr, "%s\n", tools::describe_failure("admin start", e.status, e.message.c_str()).c_str());
    return tools::exit_code_for(e.status);
  }
  const std::vector<std::string> names = o.topic_names();
  const auto started = steady_clock::now();
  std::atomic<size_t> next{0};
  FirstError first;
  auto work = [&](bool create) {
    char err[512] = "";
    for (size_t i = next.fetch_add(1); i < names.size() && first.status() == FERRY_OK; i = next.fetch_add(1)) {
      const std::string& t = names[i];
      if (create) {
        ferry_topic_settings ts = FERRY_STRUCT_INIT(ferry_topic_settings);
        ts.name = t.c_str();
        ts.read_queues = ts.write_queues = o.queues;
        ts.perm = 6;  // read + write
        ferry_status s = ferry_admin_create_topic(admin.get(), o.create_target.c_str(), &ts, err, sizeof err);
        if (s != FERRY_OK && s != FERRY_E_ALREADY_EXISTS) first.note(s, ("create topic " + t + ": " + err).c_str());
        continue;
      }
      // The route appears at the broker's next registration: wait, bounded.
      auto until = steady_clock::now() + seconds(30);
      while (true) {
        char* json = nullptr;
        ferry_status s = ferry_admin_topic_route(admin.get(), t.c_str(), &json, err, sizeof err);
        tools::JsonString owned(json);
        if (s == FERRY_OK) break;
        if (steady_clock::now() > until) {
          first.note(FERRY_E_NO_ROUTE, ("topic " + t + " created but no name server routes it after 30 s: " + err).c_str());
          break;
        }
        std::this_thread::sleep_for(milliseconds(100));
      }
    }
  };
  for (bool create : {true, false}) {
    next = 0;
    std::vector<std::thread> creators;
    const size_t n = std::min<size_t>(names.size(), 32);
    for (size_t i = 0; i < n; ++i) creators.emplace_back(work, create);
    for (auto& t : creators) t.join();
    if (first.status() != FERRY_OK) {
      std::fprintf(stderr, "%s\n", first.text().c_str());
      return first.status() == FERRY_E_NO_ROUTE ? tools::kExitFailed : tools::exit_code_for(first.status());
    }
  }
  if (!o.quiet)
    std::fprintf(stderr, "created and routed %zu topic(s) in %.2f s\n", names.size(),
                 duration<double>(steady_clock::now() - started).count());
  return tools::kExitOk;
}

// One async send per topic (window 256), untimed: the producer has every
// route cached and the broker has seen every topic before the measured run,
// so the run measures the steady state rather than first-use lookups. Its
// time goes to stderr, apart from the summary.
int warm_up(const Shared& sh, ferry_producer* producer) {
  const Options& o = sh.o;
  Stats stats;
  FirstError first;
  Window window(256, stats, first);
  window.body_size = o.size;
  std::string body(o.size, 'x');
  char err[512] = "";
  const auto started = steady_clock::now();
  const auto deadline = started + seconds(60);
  for (const std::string& topic : sh.topics) {
    stamp_body(body, now_ns());
    ferry_client_message* raw = nullptr;
    if (ferry_message_new(topic.c_str(), body.data(), body.size(), &raw, err, sizeof err) != FERRY_OK) break;
    MessagePtr m(raw);
    Window::Slot* slot = window.acquire(deadline);
    if (!slot) break;
    slot->sent_ns = now_ns();
    ferry_status s = ferry_producer_send_async(producer, m.get(), &Window::on_done, slot, err, sizeof err);
    if (s != FERRY_OK) {
      stats.failure();
      first.note(s, err);
      window.release(slot);
    }
  }
  bool drained = window.drain(deadline + seconds(10));
  uint64_t ok = stats.ok.load();
  if (!o.quiet || ok != sh.topics.size())
    std::fprintf(stderr, "warm-up: %llu of %zu topic(s) sent in %.2f s%s%s\n",
                 static_cast<unsigned long long>(ok), sh.topics.size(),
                 duration<double>(steady_clock::now() - started).count(), first.text().empty() ? "" : ": ",
                 first.text().c_str());
  if (drained && ok == sh.topics.size()) return tools::kExitOk;
  return first.status() != FERRY_OK ? tools::exit_code_for(first.status()) : tools::kExitFailed;
}

// The producer's client-side batching as the SDK will apply it (the value
// set, else libferry's default), so a summary says whether its async sends
// were batched (compare.sh's table names it): a JSON member with its comma.
std::string client_batch_json(const ferry_config* conf) {
  auto get = [conf](const char* key) {
    char v[32] = "";
    return ferry_config_get(conf, key, v, sizeof v, nullptr, nullptr, 0) == FERRY_OK ? std::string(v) : std::string("0");
  };
  return "\"client_batch\":{\"max_messages\":" + get("async_batch_max_messages") + ",\"max_bytes\":" +
         get("async_batch_max_bytes") + ",\"linger_ms\":" + get("async_batch_linger_ms") + "},";
}

}  // namespace

int run_produce(const Options& o) {
  tools::SdkError e;
  std::vector<std::pair<std::string, std::string>> kv{
      {"name_servers", o.name_servers}, {"group", o.group.empty() ? "ferry_bench_producer" : o.group}};
  if (!append_set_keys(o.producer_set, &kv)) return tools::kExitUsage;
  tools::ConfigPtr conf = tools::make_config(kv, &e);
  if (!conf) {
    std::fprintf(stderr, "bad configuration: %s\n", e.message.c_str());
    return tools::kExitUsage;
  }
  if (o.create) {
    int rc = create_topics(o, conf.get());
    if (rc != tools::kExitOk) return rc;
  }
  if (o.producers > o.threads) {
    std::fprintf(stderr, "--producers %u is more than --threads %u: a producer without a thread would send nothing\n",
                 o.producers, o.threads);
    return tools::kExitUsage;
  }
  Shared sh{o, {}, o.topic_names(), {}, {}, {}, {}};
  char err[512] = "";
  ferry_status s = FERRY_OK;
  for (uint32_t i = 0; i < o.producers; ++i) {
    ferry_producer* raw = nullptr;
    s = ferry_producer_new(conf.get(), &raw, err, sizeof err);
    sh.clients.push_back(Client{tools::ProducerPtr(raw), {}});
    if (s == FERRY_OK) s = ferry_producer_start(raw, err, sizeof err);
    if (s != FERRY_OK) {
      std::fprintf(stderr, "%s\n", tools::describe_failure("producer start", s, err).c_str());
      return tools::exit_code_for(s);
    }
  }
  // Routes and broker connections before the clock starts, as a client
  // connects before it sends (compare.sh's NATS and Redis clients connect
  // at start-up too): the run's first sends then pay no route lookup or
  // connect (docs/benchmarks.md, "Session 12 (client)").
  if (!o.no_prepare) {
    std::vector<const char*> names;
    names.reserve(sh.topics.size());
    for (const std::string& t : sh.topics) names.push_back(t.c_str());
    const auto t0 = steady_clock::now();
    for (Client& c : sh.clients) {
      s = ferry_producer_prepare(c.producer.get(), names.data(), names.size(), err, sizeof err);
      if (s != FERRY_OK) {
        std::fprintf(stderr, "%s\n", tools::describe_failure("producer prepare", s, err).c_str());
        return tools::exit_code_for(s);
      }
    }
    if (!o.quiet)
      std::fprintf(stderr, "prepared %zu topic(s) in %.3f s\n", names.size(),
                   duration<double>(steady_clock::now() - t0).count());
  }
  // Topic handles (async): a send then reads its topic's route through the
  // handle, as an application writing many topics would; opened before the
  // clock starts, like the producer itself.
  if (o.mode == "async" && !o.by_name) {
    for (Client& c : sh.clients) {
      c.handles.reserve(sh.topics.size());
      for (const std::string& t : sh.topics) {
        ferry_producer_topic* h = nullptr;
        s = ferry_producer_topic_open(c.producer.get(), t.c_str(), &h, err, sizeof err);
        if (s != FERRY_OK) {
          std::fprintf(stderr, "%s\n", tools::describe_failure(("topic open " + t).c_str(), s, err).c_str());
          return tools::exit_code_for(s);
        }
        c.handles.push_back(h);
      }
    }
  }
  if (o.warmup) {
    for (const Client& c : sh.clients) {
      int rc = warm_up(sh, c.producer.get());
      if (rc != tools::kExitOk) return rc;
    }
  }
  auto start = steady_clock::now();
  sh.deadline = start + duration_cast<steady_clock::duration>(duration<double>(o.duration_s));
  {
    Progress progress(sh.stats, !o.quiet);
    std::vector<std::thread> threads;
    for (uint32_t t = 0; t < o.threads; ++t) threads.emplace_back([&sh, t] { sender(sh, t); });
    for (auto& t : threads) t.join();
  }
  double elapsed = duration<double>(steady_clock::now() - start).count();
  for (Client& c : sh.clients) ferry_producer_shutdown(c.producer.get(), err, sizeof err);
  std::string note = sh.first.text();
  if (o.mode == "oneway") note += std::string(note.empty() ? "" : "; ") + "oneway latency is the hand-off to the I/O thread, not an ack";
  if (o.mode == "batch") note += std::string(note.empty() ? "" : "; ") + "one latency sample per batch request";
  print_summary("produce", o, sh.stats, elapsed, note,
                "\"producers\":" + std::to_string(o.producers) + "," + client_batch_json(conf.get()));
  if (sh.stats.failed.load() == 0) return tools::kExitOk;
  if (sh.stats.ok.load() == 0) return tools::exit_code_for(sh.first.status());
  return tools::kExitFailed;
}

}  // namespace ferry::bench
