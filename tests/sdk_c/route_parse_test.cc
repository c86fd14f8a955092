// parse_route (sdk/c/src/route.cc): a name server's TopicRoute flattened into
// the client's queues. Queue counts come from the peer: one above ferryd's
// limit is garbled or hostile and is skipped, not expanded into keys (the
// sdk_answer_fuzz target found a 4-billion-queue route allocating 2.4 GB).
#include <gtest/gtest.h>

#include "../../sdk/c/src/route.h"

namespace ferry::sdk::test {
namespace {

constexpr uint32_t kReadWrite = 6;  // PermRead | PermWrite

std::vector<uint8_t> route_buffer(uint32_t a_queues, uint32_t b_queues) {
  flatbuffers::FlatBufferBuilder fbb;
  std::vector<flatbuffers::Offset<fbn::BrokerData>> brokers;
  std::vector<flatbuffers::Offset<fbn::QueueData>> queues;
  for (const char* name : {"a", "b"}) {
    auto addr = fbn::CreateBrokerAddress(fbb, 0, fbb.CreateString(std::string("127.0.0.1:1") + name));
    std::vector<flatbuffers::Offset<fbn::BrokerAddress>> addrs{addr};
    brokers.push_back(fbn::CreateBrokerData(fbb, fbb.CreateString("c"), fbb.CreateString(name), fbb.CreateVector(addrs)));
    const uint32_t n = name[0] == 'a' ? a_queues : b_queues;
    queues.push_back(fbn::CreateQueueData(fbb, fbb.CreateString(name), n, n, kReadWrite));
  }
  auto topic = fbb.CreateString("T");
  fbb.Finish(fbn::CreateTopicRoute(fbb, topic, fbb.CreateVector(queues), fbb.CreateVector(brokers)), "FNSV");
  return {fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize()};
}

TEST(SdkRouteParse, ExpandsEachBrokersQueuesInOrder) {
  auto buf = route_buffer(4, kMaxQueuesPerBroker);
  auto d = read_ns<fbn::TopicRoute>(buf);
  ASSERT_TRUE(d);
  Route r = parse_route(*d.root);
  EXPECT_EQ(4 + kMaxQueuesPerBroker, r.write_queues.size());
  EXPECT_EQ(4 + kMaxQueuesPerBroker, r.read_queues.size());
  EXPECT_EQ("a", r.write_queues.front().broker);
  EXPECT_EQ(static_cast<int32_t>(kMaxQueuesPerBroker - 1), r.write_queues.back().queue_id);
}

TEST(SdkRouteParse, SkipsABrokerWhoseQueueCountIsAboveTheLimit) {
  for (uint32_t huge : {kMaxQueuesPerBroker + 1, 4'000'000'000u}) {
    auto buf = route_buffer(4, huge);
    auto d = read_ns<fbn::TopicRoute>(buf);
    ASSERT_TRUE(d);
    Route r = parse_route(*d.root);
    ASSERT_EQ(4u, r.write_queues.size()) << huge;  // broker a's only
    ASSERT_EQ(4u, r.read_queues.size()) << huge;
    for (const auto& q : r.write_queues) EXPECT_EQ("a", q.broker);
  }
}

}  // namespace
}  // namespace ferry::sdk::test
