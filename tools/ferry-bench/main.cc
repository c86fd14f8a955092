// ferry-bench: load generator for Ferry over libferry (docs/tools.md).
//   ferry-bench produce --mode async --window 256 --size 1024 --duration 10
//   ferry-bench consume --mode pull --from first --count 100000
#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstdlib>

#include "../ferryctl/sdk_util.h"
#include "options.h"
#include "run.h"

int main(int argc, char** argv) {
  using ferry::bench::Options;
  constexpr uint32_t kMaxTopics = 100'000;
  Options o;
  if (const char* ns = std::getenv("FERRY_NAME_SERVERS")) o.name_servers = ns;
  CLI::App app{"ferry-bench: measure a Ferry broker through libferry. Every run is bounded by --duration."};
  app.require_subcommand(1);
  auto common = [&](CLI::App* sc) {
    sc->add_option("-n,--name-servers", o.name_servers, "host:port;host:port (env FERRY_NAME_SERVERS)")
        ->capture_default_str();
    sc->add_option("-t,--topic", o.topic, "topic, or the prefix with --topics > 1")->capture_default_str();
    // The bench keeps one name per topic and nothing else (libferry keeps
    // one route each): 100,000 topics cost a few MB here.
    sc->add_option("--topics", o.topics, "number of topics (<topic>-0 .. <topic>-N-1)")
        ->check(CLI::Range(1u, kMaxTopics))->capture_default_str();
    sc->add_option("-c,--threads", o.threads, "sending / consuming threads")
        ->check(CLI::Range(1u, 256u))->capture_default_str();
    sc->add_option("-d,--duration", o.duration_s, "seconds; always bounds the run")
        ->check(CLI::Range(0.1, 86400.0))->capture_default_str();
    sc->add_option("-N,--count", o.count, "stop after this many messages (0: run for --duration)")
        ->capture_default_str();
    sc->add_option("-g,--group", o.group, "producer / consumer group (consume default: a fresh group)");
    sc->add_flag("--json", o.json, "summary as one JSON object on stdout");
    sc->add_flag("--quiet", o.quiet, "no progress lines");
  };
  CLI::App* produce = app.add_subcommand("produce", "send messages and measure send latency");
  common(produce);
  produce->add_option("-m,--mode", o.mode, "sync | async | oneway | batch")
      ->check(CLI::IsMember({"sync", "async", "oneway", "batch"}))->capture_default_str();
  produce->add_option("-s,--size", o.size, "body bytes (>= 16: the timestamp)")
      ->check(CLI::Range(size_t{16}, size_t{4} << 20))->capture_default_str();
  produce->add_option("-w,--window", o.window, "async: sends in flight per thread")
      ->check(CLI::Range(1u, 65536u))->capture_default_str();
  produce->add_option("-b,--batch", o.batch, "batch: messages per request")
      ->check(CLI::Range(1u, 1024u))->capture_default_str();
  produce->add_option("--producers", o.producers,
                      "libferry producers (each its own connections and I/O thread); thread t sends "
                      "through producer t % N, N <= --threads")
      ->check(CLI::Range(1u, 256u))->capture_default_str();
  produce->add_option("-r,--rate", o.rate, "messages/s over all threads (0: unlimited)")->capture_default_str();
  produce->add_flag("--warmup", o.warmup,
                    "before the timed run, send one message to every topic (routes cached, queues touched; "
                    "its time is reported apart)");
  produce->add_flag("--no-prepare", o.no_prepare,
                    "do not call ferry_producer_prepare before the run (the first sends then fetch the routes "
                    "and open the connections inside it)");
  produce->add_flag("--by-name", o.by_name,
                    "async: send by topic name (ferry_producer_send_async) instead of through topic handles "
                    "opened before the run (ferry_producer_send_async_topic)");
  produce->add_flag("--create", o.create, "create the topics first (existing ones are kept)");
  produce->add_option("--create-target", o.create_target, "broker host:port or cluster name for --create")
      ->capture_default_str();
  produce->add_option("-q,--queues", o.queues, "queues per topic for --create")
      ->check(CLI::Range(1u, 1024u))->capture_default_str();
  produce->add_option("--set", o.producer_set,
                      "key=value for the libferry producer config (repeatable), e.g. "
                      "--set async_batch_max_messages=64 --set sync_io_spin_us=50");
  CLI::App* consume = app.add_subcommand("consume", "receive messages and measure end-to-end latency");
  common(consume);
  consume->add_option("-m,--mode", o.consume_mode, "push | pull")
      ->check(CLI::IsMember({"push", "pull"}))->capture_default_str();
  consume->add_option("--from", o.from, "first | last (a new group's starting point)")
      ->check(CLI::IsMember({"first", "last"}))->capture_default_str();
  consume->add_option("--pull-batch", o.pull_batch, "most messages per pull request (libferry pull_batch_size)")
      ->check(CLI::Range(1u, 1024u))->capture_default_str();
  consume->add_option("--set", o.consumer_set,
                      "key=value for the libferry consumer config (repeatable; after the bench's own keys, so it "
                      "overrides them), e.g. --set busy_poll_us=50");
  consume->add_option("--timeline", o.timeline,
                      "write FILE after the run: 'send_ns,recv_ns' per timed message (CLOCK_MONOTONIC, the clock of "
                      "perf record -k CLOCK_MONOTONIC), to line slow messages up with broker events")
      ->type_name("FILE");
  consume->add_flag("--split", o.split,
                    "also report each message's age at receipt since the producer's send call and since the "
                    "broker stored it (wall clock, ms resolution): where an end-to-end tail comes from");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? ferry::tools::kExitOk : ferry::tools::kExitUsage;
  }
  if (produce->parsed()) return ferry::bench::run_produce(o);
  return ferry::bench::run_consume(o);
}
