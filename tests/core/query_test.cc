// Queries: by offset id, unique key, key + time range; queue range, offset
// by time, group progress, runtime stats.
#include "core_fixture.h"

namespace ferry::core::test {
namespace {

class QueryTest : public CoreFixture {
 protected:
  void SetUp() override {
    CoreFixture::SetUp();
    make_core();
    create_topic("T");
    auto a = send("T", {{"one", "", "order-1 shared", "U1", 0}, {"two", "", "shared", "U2", 0}});
    ASSERT_EQ(a->status, FERRY_OK);
    ids_ = {std::string(sv(answer_as<fb::SendResponse>(*a)->results()->Get(0)->offset_msg_id())),
            std::string(sv(answer_as<fb::SendResponse>(*a)->results()->Get(1)->offset_msg_id()))};
    storage_.dispatch();
  }
  std::shared_ptr<Answer> run(uint32_t code, std::string payload) {
    auto a = call(code, std::move(payload));
    env_.run_loop();  // queries complete on the loop after the worker
    return a;
  }
  std::vector<std::string> ids_;
};

TEST_F(QueryTest, ByOffsetIdUniqKeyAndKey) {
  flatbuffers::FlatBufferBuilder fbb;
  auto byid = run(FERRY_CODE_QUERY_BY_OFFSET_ID,
                  finish(fbb, fb::CreateQueryByOffsetIdRequest(fbb, fbb.CreateString(ids_[1]))));
  ASSERT_EQ(byid->status, FERRY_OK) << byid->message;
  EXPECT_EQ(bodies(*byid), std::vector<std::string>{"two"});

  fbb.Clear();
  auto bad = run(FERRY_CODE_QUERY_BY_OFFSET_ID, finish(fbb, fb::CreateQueryByOffsetIdRequest(fbb, fbb.CreateString("xyz"))));
  EXPECT_EQ(bad->status, FERRY_E_INVALID_ARGUMENT);

  fbb.Clear();
  auto uniq = run(FERRY_CODE_QUERY_BY_UNIQ_KEY,
                  finish(fbb, fb::CreateQueryByUniqKeyRequest(fbb, fbb.CreateString("T"), fbb.CreateString("U1"))));
  ASSERT_EQ(uniq->status, FERRY_OK) << uniq->message;
  EXPECT_EQ(bodies(*uniq), std::vector<std::string>{"one"});

  fbb.Clear();
  auto key = run(FERRY_CODE_QUERY_BY_KEY, finish(fbb, fb::CreateQueryByKeyRequest(fbb, fbb.CreateString("T"),
                                                                                  fbb.CreateString("shared"), 0,
                                                                                  INT64_MAX, 10)));
  ASSERT_EQ(key->status, FERRY_OK);
  EXPECT_EQ(bodies(*key), (std::vector<std::string>{"two", "one"})) << "newest first";

  fbb.Clear();
  auto none = run(FERRY_CODE_QUERY_BY_KEY, finish(fbb, fb::CreateQueryByKeyRequest(fbb, fbb.CreateString("T"),
                                                                                   fbb.CreateString("shared"), 0, 1, 10)));
  EXPECT_EQ(none->status, FERRY_E_NOT_FOUND) << "outside the time range";
  EXPECT_EQ(storage_.live_results, 0);
}

TEST_F(QueryTest, RangeTimeProgressStats) {
  flatbuffers::FlatBufferBuilder fbb;
  auto range = run(FERRY_CODE_QUEUE_RANGE, finish(fbb, fb::CreateQueueRequest(fbb, fbb.CreateString("T"), 0)));
  ASSERT_EQ(range->status, FERRY_OK);
  EXPECT_EQ(answer_as<fb::QueueRangeResponse>(*range)->max_offset(), 2u);

  fbb.Clear();
  auto t = run(FERRY_CODE_OFFSET_BY_TIME,
               finish(fbb, fb::CreateOffsetByTimeRequest(fbb, fbb.CreateString("T"), 0, 1'700'000'000'001)));
  ASSERT_EQ(t->status, FERRY_OK);
  EXPECT_EQ(answer_as<fb::OffsetByTimeResponse>(*t)->offset(), 1u);

  call(FERRY_CODE_PULL_MESSAGE, pull_request("T", 0, 0, 0, "", "cg", /*commit=*/1));
  fbb.Clear();
  auto prog = run(FERRY_CODE_GROUP_PROGRESS, finish(fbb, fb::CreateGroupProgressRequest(fbb, fbb.CreateString("cg"))));
  ASSERT_EQ(prog->status, FERRY_OK) << prog->message;
  auto* p = answer_as<fb::GroupProgressResponse>(*prog);
  ASSERT_EQ(p->queues()->size(), 1u);
  EXPECT_EQ(p->queues()->Get(0)->committed(), 1u);
  EXPECT_EQ(p->queues()->Get(0)->max_offset(), 2u);
  EXPECT_EQ(p->queues()->Get(0)->lag(), 1u);
  EXPECT_EQ(p->total_lag(), 1u);
  fbb.Clear();
  EXPECT_EQ(run(FERRY_CODE_GROUP_PROGRESS, finish(fbb, fb::CreateGroupProgressRequest(fbb, fbb.CreateString("nobody"))))->status,
            FERRY_E_GROUP_NOT_FOUND);

  fbb.Clear();
  auto stats = run(FERRY_CODE_RUNTIME_STATS, finish(fbb, fb::CreateRuntimeStatsRequest(fbb)));
  ASSERT_EQ(stats->status, FERRY_OK);
  int64_t stored = -1;
  for (const auto* s : *answer_as<fb::RuntimeStatsResponse>(*stats)->stats())
    if (sv(s->name()) == "messages_stored") stored = s->value();
  EXPECT_EQ(stored, 2);
}

}  // namespace
}  // namespace ferry::core::test
