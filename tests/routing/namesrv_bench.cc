// Registration cost of a large topic table, side by side: a full round
// (broker: snapshot, plan, encode every chunk; name server: verify, decode,
// apply every chunk) against the heartbeat that replaces it while the table
// is unchanged. docs/benchmarks.md, "Name server registration".
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "chunker.h"
#include "codec.h"
#include "registry_table.h"

namespace ferry::namesrv {
namespace {

const BrokerIdentity kBroker{"DefaultCluster", "broker-a", 0, "127.0.0.1:10911", ""};

std::vector<TopicConfig> table(int64_t n) {
  std::vector<TopicConfig> t;
  t.reserve(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) t.push_back({"bench-topic-" + std::to_string(i), 8, 8, 6, 0});
  return t;
}

// Broker side: snapshot + plan + encode every chunk of one round.
void BM_RoundEncode(benchmark::State& state) {
  const auto topics = table(state.range(0));
  size_t chunks = 0;
  for (auto _ : state) {
    TopicSnapshot snap = make_snapshot(topics);
    std::vector<ChunkRange> plan;
    plan_chunks(kBroker, snap.topics, chunk_budget(16u << 20, 1u << 20), &plan);
    for (uint32_t i = 0; i < plan.size(); ++i) {
      Buffer b = encode_register(kBroker, 1, i, static_cast<uint32_t>(plan.size()), snap.version,
                                 std::span<const TopicConfig>(snap.topics.data() + plan[i].begin,
                                                              plan[i].end - plan[i].begin));
      benchmark::DoNotOptimize(b.data());
    }
    chunks = plan.size();
  }
  state.counters["chunks"] = static_cast<double>(chunks);
}

// Name server side: verify, decode and apply every chunk of a round to a
// table that already holds the previous round (the steady state).
void BM_RoundApply(benchmark::State& state) {
  TopicSnapshot snap = make_snapshot(table(state.range(0)));
  std::vector<ChunkRange> plan;
  plan_chunks(kBroker, snap.topics, chunk_budget(16u << 20, 1u << 20), &plan);
  std::vector<Buffer> payloads;
  RegistryTable reg;
  uint64_t round = 1;
  auto encode_round = [&] {
    payloads.clear();
    for (uint32_t i = 0; i < plan.size(); ++i)
      payloads.push_back(encode_register(
          kBroker, round, i, static_cast<uint32_t>(plan.size()), snap.version,
          std::span<const TopicConfig>(snap.topics.data() + plan[i].begin,
                                       plan[i].end - plan[i].begin)));
  };
  auto apply = [&] {
    for (const Buffer& p : payloads) {
      RegisterChunk c;
      decode_register(as_slice(p), &c);
      RegisterAnswer a;
      reg.register_chunk(c, 0, &a);
    }
  };
  encode_round();
  apply();
  for (auto _ : state) {
    state.PauseTiming();
    ++round;
    encode_round();
    state.ResumeTiming();
    apply();
  }
  state.counters["topics"] = static_cast<double>(reg.topic_count());
}

// The unchanged-table path, both sides: the broker snapshots and
// fingerprints its table, the name server verifies and answers one heartbeat.
void BM_Heartbeat(benchmark::State& state) {
  const auto topics = table(state.range(0));
  RegistryTable reg;
  TopicSnapshot snap0 = make_snapshot(topics);
  Buffer first = encode_register(kBroker, 1, 0, 1, snap0.version, snap0.topics);
  RegisterChunk c;
  decode_register(as_slice(first), &c);
  RegisterAnswer a;
  reg.register_chunk(c, 0, &a);
  for (auto _ : state) {
    TopicSnapshot snap = make_snapshot(topics);  // the broker reads its table each interval
    Buffer hb = encode_heartbeat(kBroker, snap.version);
    BrokerIdentity b;
    uint64_t v = 0;
    decode_heartbeat(as_slice(hb), &b, &v);
    reg.heartbeat(b, v, 0, &a);
    benchmark::DoNotOptimize(a.topics_known);
  }
}

// Name server side of a heartbeat alone: verify, decode, compare.
void BM_HeartbeatApply(benchmark::State& state) {
  TopicSnapshot snap = make_snapshot(table(state.range(0)));
  RegistryTable reg;
  Buffer first = encode_register(kBroker, 1, 0, 1, snap.version, snap.topics);
  RegisterChunk c;
  decode_register(as_slice(first), &c);
  RegisterAnswer a;
  reg.register_chunk(c, 0, &a);
  Buffer hb = encode_heartbeat(kBroker, snap.version);
  for (auto _ : state) {
    BrokerIdentity b;
    uint64_t v = 0;
    decode_heartbeat(as_slice(hb), &b, &v);
    reg.heartbeat(b, v, 0, &a);
    benchmark::DoNotOptimize(a.topics_known);
  }
}

BENCHMARK(BM_RoundEncode)->Arg(100000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RoundApply)->Arg(100000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Heartbeat)->Arg(100000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_HeartbeatApply)->Arg(100000)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace ferry::namesrv

BENCHMARK_MAIN();
