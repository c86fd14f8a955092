// crc32_bench: the record checksum's throughput — zlib (portable) vs the
// PCLMULQDQ-folded path — and one record's verification, with Google
// Benchmark. Numbers for docs/benchmarks.md ("## Storage"); not a test.
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "ferry_common/crc32.h"
#include "ferry_common/properties.h"
#include "ferry_common/record_encoder.h"
#include "ferry_common/record_verify.h"

namespace {

std::vector<unsigned char> random_bytes(size_t n) {
  std::mt19937_64 rng(1);
  std::vector<unsigned char> b(n);
  for (auto& c : b) c = static_cast<unsigned char>(rng());
  return b;
}

void BM_Crc32Portable(benchmark::State& st) {
  auto buf = random_bytes(static_cast<size_t>(st.range(0)));
  for (auto _ : st)
    benchmark::DoNotOptimize(ferry::common::crc32_impl::portable(0, buf.data(), buf.size()));
  st.SetBytesProcessed(static_cast<int64_t>(st.iterations()) * st.range(0));
}

void BM_Crc32Folded(benchmark::State& st) {
  if (!ferry::common::crc32_impl::folded_available()) {
    st.SkipWithError("no PCLMULQDQ");
    return;
  }
  auto buf = random_bytes(static_cast<size_t>(st.range(0)));
  for (auto _ : st)
    benchmark::DoNotOptimize(ferry::common::crc32_impl::folded(0, buf.data(), buf.size()));
  st.SetBytesProcessed(static_cast<int64_t>(st.iterations()) * st.range(0));
}

// Folding a body's CRC into a running CRC (the encoder and verifier reuse
// BODYCRC for the whole-record CRC this way).
void BM_Crc32Combine(benchmark::State& st) {
  uint32_t a = 0x12345678u, b = 0x9abcdef0u;
  for (auto _ : st) {
    a = ferry::common::crc32_combine(a, b, static_cast<size_t>(st.range(0)));
    benchmark::DoNotOptimize(a);
  }
}

// The bench's message: topic "bench", a body of `body_size` bytes, a TAGS
// property, an IPv4 born host (views into its own strings: not copyable).
struct BenchMessage {
  explicit BenchMessage(size_t body_size) : body(body_size, 'x') {
    ferry::common::PropertiesBuilder pb;
    pb.add("TAGS", "TagA");
    props = pb.str();
    m.topic = {topic.data(), topic.size()};
    m.body = {body.data(), body.size()};
    m.properties = {props.data(), props.size()};
    m.born_host = {host.data(), host.size()};
  }
  BenchMessage(const BenchMessage&) = delete;
  BenchMessage& operator=(const BenchMessage&) = delete;
  std::string topic = "bench", body, host{"\x7f\0\0\x01", 4}, props;
  ferry_message m = FERRY_STRUCT_INIT(ferry_message);
};

// One 1 KiB-body record as storage_bench writes it: decode + both checksums.
void BM_VerifyRecord(benchmark::State& st) {
  BenchMessage bm(static_cast<size_t>(st.range(0)));
  const ferry_message& m = bm.m;
  const std::string& host = bm.host;
  ferry::common::RecordPlan plan;
  const char* why = nullptr;
  if (ferry::common::plan_record(m, host.size(), 1u << 24, &plan, &why) != FERRY_OK) {
    st.SkipWithError(why);
    return;
  }
  std::vector<char> rec(plan.size);
  ferry::common::RecordStamp stamp;
  stamp.store_host = {host.data(), host.size()};
  ferry::common::encode_record(m, plan, stamp, rec.data());
  for (auto _ : st) {
    ferry_record_view v;
    benchmark::DoNotOptimize(ferry::common::verify_record(rec.data(), rec.size(), &v, &why));
  }
  st.SetBytesProcessed(static_cast<int64_t>(st.iterations()) * static_cast<int64_t>(rec.size()));
}

// One record encoded (plan + encode, checksums included), as the append
// path does per message: the bench's 1 KiB body, topic "bench", a TAGS.
void BM_EncodeRecord(benchmark::State& st) {
  BenchMessage bm(static_cast<size_t>(st.range(0)));
  const ferry_message& m = bm.m;
  const std::string& host = bm.host;
  ferry::common::RecordStamp stamp;
  stamp.store_host = {host.data(), host.size()};
  std::vector<char> rec(static_cast<size_t>(st.range(0)) + 4096);
  for (auto _ : st) {
    ferry::common::RecordPlan plan;
    const char* why = nullptr;
    if (ferry::common::plan_record(m, host.size(), 1u << 24, &plan, &why) != FERRY_OK) {
      st.SkipWithError(why);
      return;
    }
    ++stamp.queue_offset;
    ferry::common::encode_record(m, plan, stamp, rec.data());
    benchmark::DoNotOptimize(rec.data());
    benchmark::ClobberMemory();
  }
  st.SetBytesProcessed(static_cast<int64_t>(st.iterations()) * st.range(0));
}

BENCHMARK(BM_Crc32Portable)->Arg(64)->Arg(1128)->Arg(64 << 10)->Arg(1 << 20);
BENCHMARK(BM_Crc32Folded)->Arg(64)->Arg(1128)->Arg(64 << 10)->Arg(1 << 20);
BENCHMARK(BM_Crc32Combine)->Arg(1024)->Arg(64 << 10);
BENCHMARK(BM_VerifyRecord)->Arg(1024)->Arg(64 << 10);
BENCHMARK(BM_EncodeRecord)->Arg(1024)->Arg(64 << 10);

}  // namespace

BENCHMARK_MAIN();
