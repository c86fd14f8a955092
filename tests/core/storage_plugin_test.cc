// The core over the real storage plugins (memory, mmaplog), loaded as .so
// into the fake host: the storage's own dispatcher thread wakes a held pull.
// Built for every storage plugin the tree has (FERRY_CORE_STORAGES).
#include <ferry_test/child_process.h>  // wait_until

#include "core/message_id.h"
#include "core_fixture.h"

namespace ferry::core::test {
namespace {

using namespace std::chrono_literals;

ferry::test::ConfigMap storage_config(const std::string& name, const std::string& dir) {
  if (name == "mmaplog")
    return {{"path", dir + "/store"},      {"segment_size", "4MiB"},   {"prefault_window", "0"},
            {"queue_file_entries", "1024"}, {"index_slots", "1024"},    {"index_entries", "4096"}};
  return {{"chunk_size", "1MiB"}, {"max_bytes", "8MiB"}};
}

class StoragePluginTest : public ::testing::TestWithParam<std::string> {
 protected:
  using Answer = FakeRequest::Answer;
  void SetUp() override {
    tag_ = std::make_unique<ferry::test::PluginHandle>(host_, "filter", "tag");
    tag_->create_and_start("tag");
    storage_ = std::make_unique<ferry::test::PluginHandle>(host_, "storage", GetParam());
    ferry_error err;
    ASSERT_EQ(storage_->create("store", storage_config(GetParam(), dir_.str()), &err), FERRY_OK) << err.message;
    PluginSet p;
    p.storage = storage_->ops<ferry_storage_ops>();
    p.storage_inst = storage_->instance();
    p.filters.push_back({tag_->ops<ferry_filter_ops>(), tag_->instance()});
    core_ = std::make_unique<Core>(env_, std::move(p), CoreConfig{});
    std::string why;
    // The listener is set before the storage starts its dispatcher.
    host_.run_on_loop([&] { ASSERT_EQ(core_->open(&why), FERRY_OK) << why; });
    ASSERT_EQ(storage_->start(&err), FERRY_OK) << err.message;
    core_->start();
    auto a = call(FERRY_CODE_TOPIC_CREATE, topic_create("T", 2, 2));
    ASSERT_EQ(a->status, FERRY_OK) << a->message;
  }
  void TearDown() override {
    core_->stop();
    storage_->stop();  // joins the dispatcher: no listener call after this
    core_.reset();
    storage_.reset();
    tag_.reset();
  }
  std::shared_ptr<Answer> call(uint32_t code, std::string payload, std::string att = {}) {
    auto req = std::make_unique<FakeRequest>(code, std::move(payload), std::move(att));
    auto a = req->answer();
    core_->handle(std::move(req));
    return a;
  }
  // Run the core's loop until `a` is answered (bounded).
  bool await(const std::shared_ptr<Answer>& a, std::chrono::milliseconds limit = 3000ms) {
    return ferry::test::wait_until([&] {
      env_.run_loop();
      return a->answered;
    }, limit, 1ms);
  }

  ferry::test::TempDir dir_{"ferry-core-storage"};
  ferry::test::FakeHost host_;
  FakeEnv env_{dir_.str(), &host_};
  std::unique_ptr<ferry::test::PluginHandle> tag_, storage_;
  std::unique_ptr<Core> core_;
};

TEST_P(StoragePluginTest, HeldPullIsWokenByTheStoragesDispatcher) {
  auto held = call(FERRY_CODE_PULL_MESSAGE, pull_request("T", 1, 0, /*hold_ms=*/5000, "Wanted"));
  env_.run_loop();
  EXPECT_FALSE(held->answered);
  auto start = std::chrono::steady_clock::now();
  auto [p, att] = send_request("T", {{"skip", "Other", "", "", 1}, {"body-1", "Wanted", "k", "U1", 1}});
  auto sent = call(FERRY_CODE_SEND_BATCH, p, att);
  ASSERT_TRUE(sent->answered);  // no flush plugin: acked on WRITE
  ASSERT_EQ(sent->status, FERRY_OK) << sent->message;
  ASSERT_TRUE(await(held)) << "held pull not woken";
  // Well under the 5 s hold: woken by the dispatcher, not by its deadline.
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2500ms);
  ASSERT_EQ(held->status, FERRY_OK) << held->message;
  EXPECT_EQ(bodies(*held), std::vector<std::string>{"body-1"});
  EXPECT_EQ(answer_as<fb::PullResponse>(*held)->next_offset(), 2u);
}

TEST_P(StoragePluginTest, StatusesAndQueryByOffsetId) {
  auto [p, att] = send_request("T", {{"a", "", "", "", 0}, {"b", "", "", "", 0}});
  auto sent = call(FERRY_CODE_SEND_BATCH, p, att);
  ASSERT_EQ(sent->status, FERRY_OK) << sent->message;
  std::string id(sv(answer_as<fb::SendResponse>(*sent)->results()->Get(1)->offset_msg_id()));
  std::shared_ptr<Answer> found;
  ASSERT_TRUE(ferry::test::wait_until([&] {
    env_.run_loop();
    found = call(FERRY_CODE_PULL_MESSAGE, pull_request("T", 0, 0));
    env_.run_loop();
    return found->answered && found->status == FERRY_OK && found->attachment.size() == 2;
  }, 3000ms, 5ms)) << found->status << " " << found->message;
  EXPECT_EQ(bodies(*found), (std::vector<std::string>{"a", "b"}));
  auto none = call(FERRY_CODE_PULL_MESSAGE, pull_request("T", 0, 2));
  ASSERT_TRUE(await(none));
  EXPECT_EQ(none->status, FERRY_E_NO_NEW_MESSAGE);
  auto high = call(FERRY_CODE_PULL_MESSAGE, pull_request("T", 0, 9));
  ASSERT_TRUE(await(high));
  EXPECT_EQ(high->status, FERRY_E_OFFSET_OUT_OF_RANGE);

  flatbuffers::FlatBufferBuilder fbb;
  auto q = call(FERRY_CODE_QUERY_BY_OFFSET_ID, finish(fbb, fb::CreateQueryByOffsetIdRequest(fbb, fbb.CreateString(id))));
  ASSERT_TRUE(await(q));
  ASSERT_EQ(q->status, FERRY_OK) << q->message;
  EXPECT_EQ(bodies(*q), std::vector<std::string>{"b"});
}

INSTANTIATE_TEST_SUITE_P(Storages, StoragePluginTest, ::testing::Values(FERRY_CORE_STORAGES),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace ferry::core::test
