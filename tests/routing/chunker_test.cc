// Chunking a large topic table under the frame limit, and reassembling the
// chunks on the registry side into the same routes.
#include "chunker.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "codec.h"
#include "registry_table.h"

namespace ferry::namesrv {
namespace {

BrokerIdentity sample_broker() {
  return BrokerIdentity{"DefaultCluster", "broker-a", 0, "127.0.0.1:10911", "127.0.0.1:10912"};
}

std::vector<TopicConfig> many_topics(size_t n, std::mt19937* rng = nullptr) {
  std::vector<TopicConfig> topics;
  topics.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    std::string name = "topic-" + std::to_string(i);
    if (rng) name += std::string((*rng)() % 120, 'x');  // varied lengths up to ~127
    topics.push_back(TopicConfig{std::move(name), static_cast<uint32_t>(1 + i % 16),
                                 static_cast<uint32_t>(1 + i % 16), 6, 0});
  }
  return topics;
}

TEST(Chunker, SnapshotSortsDeduplicatesAndFingerprints) {
  TopicSnapshot a = make_snapshot({{"b", 1, 1, 6, 0}, {"a", 1, 1, 6, 0}, {"b", 2, 2, 6, 0}});
  ASSERT_EQ(a.topics.size(), 2u);
  EXPECT_EQ(a.topics[0].name, "a");
  EXPECT_EQ(a.topics[1].write_queues, 2u);  // the last "b" wins
  TopicSnapshot b = make_snapshot({{"b", 2, 2, 6, 0}, {"a", 1, 1, 6, 0}});
  EXPECT_EQ(a.version, b.version);  // same table, any visiting order
  TopicSnapshot c = make_snapshot({{"b", 2, 2, 4, 0}, {"a", 1, 1, 6, 0}});
  EXPECT_NE(a.version, c.version);  // a perm change is a new version
  EXPECT_NE(make_snapshot({}).version, 0u);
  // Names are length-prefixed in the fingerprint: ("ab","c") != ("a","bc").
  EXPECT_NE(topics_fingerprint(std::vector<TopicConfig>{{"ab", 0, 0, 0, 0}, {"c", 0, 0, 0, 0}}),
            topics_fingerprint(std::vector<TopicConfig>{{"a", 0, 0, 0, 0}, {"bc", 0, 0, 0, 0}}));
}

TEST(Chunker, BudgetLeavesRoomForTheEnvelope) {
  EXPECT_EQ(chunk_budget(16u << 20, 1u << 20), 1u << 20);           // target is smaller
  EXPECT_EQ(chunk_budget(1u << 20, 8u << 20), (1u << 20) - 65536);  // frame minus margin
  EXPECT_EQ(chunk_budget(64 * 1024, 1u << 20), 32u * 1024);         // tiny frame: half
}

TEST(Chunker, EmptyTableIsOneEmptyChunk) {
  std::vector<ChunkRange> chunks;
  ASSERT_TRUE(plan_chunks(sample_broker(), {}, 4096, &chunks).ok());
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_EQ(chunks[0].begin, chunks[0].end);
}

TEST(Chunker, ATopicLargerThanAChunkIsRefused) {
  std::vector<TopicConfig> topics = {{std::string(8000, 'n'), 1, 1, 6, 0}};
  std::vector<ChunkRange> chunks;
  Outcome o = plan_chunks(sample_broker(), topics, 4096, &chunks);
  EXPECT_EQ(o.status, FERRY_E_TOO_LARGE);
  EXPECT_NE(o.message.find("does not fit"), std::string::npos) << o.message;
}

// 100,000 topics: every encoded chunk stays under the budget, the chunks
// cover the table in order, and a registry fed the chunks in any order ends
// with exactly the table's routes — completing only at the last chunk.
TEST(Chunker, HundredThousandTopicsUnderAFrameLimitAndReassembled) {
  const size_t kTopics = 100000;
  std::mt19937 rng(7);
  TopicSnapshot snap = make_snapshot(many_topics(kTopics, &rng));
  ASSERT_EQ(snap.topics.size(), kTopics);
  const BrokerIdentity b = sample_broker();
  // A 1 MiB frame limit (smaller than the default) forces many chunks.
  const size_t budget = chunk_budget(1u << 20, 1u << 20);
  std::vector<ChunkRange> chunks;
  ASSERT_TRUE(plan_chunks(b, snap.topics, budget, &chunks).ok());
  ASSERT_GT(chunks.size(), 5u);

  std::vector<Buffer> payloads;
  size_t next = 0;
  for (uint32_t i = 0; i < chunks.size(); ++i) {
    ASSERT_EQ(chunks[i].begin, next);
    ASSERT_GT(chunks[i].end, chunks[i].begin);
    next = chunks[i].end;
    payloads.push_back(encode_register(
        b, 42, i, static_cast<uint32_t>(chunks.size()), snap.version,
        std::span<const TopicConfig>(snap.topics.data() + chunks[i].begin,
                                     chunks[i].end - chunks[i].begin)));
    ASSERT_LE(payloads.back().size(), budget) << "chunk " << i;
  }
  EXPECT_EQ(next, kTopics);

  std::vector<uint32_t> order(payloads.size());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), rng);
  RegistryTable table;
  for (size_t k = 0; k < order.size(); ++k) {
    RegisterChunk c;
    ASSERT_TRUE(decode_register(as_slice(payloads[order[k]]), &c).ok());
    RegisterAnswer a;
    ASSERT_TRUE(table.register_chunk(c, 0, &a).ok());
    EXPECT_EQ(a.round_complete, k + 1 == order.size()) << "chunk #" << k;
  }
  EXPECT_EQ(table.topic_count(), kTopics);
  for (size_t i : {size_t{0}, kTopics / 2, kTopics - 1}) {
    auto r = table.route(snap.topics[i].name);
    ASSERT_TRUE(r) << snap.topics[i].name;
    EXPECT_EQ(r->queues[0].write_queues, snap.topics[i].write_queues);
  }
  RegisterAnswer a;
  ASSERT_TRUE(table.heartbeat(b, snap.version, 0, &a).ok());
  EXPECT_TRUE(a.topics_known);
}

TEST(Chunker, EstimateBoundsTheEncodedSizeForEveryNameLength) {
  const BrokerIdentity b = sample_broker();
  for (size_t len = 1; len <= 300; ++len) {
    std::vector<TopicConfig> topics(50, TopicConfig{std::string(len, 'q'), 1, 1, 6, 0});
    for (size_t i = 0; i < topics.size(); ++i) topics[i].name[0] = static_cast<char>('A' + i % 50);
    size_t estimate = register_fixed_cost(b);
    for (const auto& t : topics) estimate += register_topic_cost(t);
    Buffer enc = encode_register(b, 1, 0, 1, 1, topics);
    EXPECT_LE(enc.size(), estimate) << "name length " << len;
  }
}

}  // namespace
}  // namespace ferry::namesrv
