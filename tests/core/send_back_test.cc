// Retry / dead-letter flow in the core: SEND_BACK stores a retry copy (or a
// dead letter once the reconsume times are used up) through the put path,
// QUERY_QUEUE reads the write-only DLQ, DLQ_RESEND stores a dead letter
// again in its original topic; every bad request gets a specific status.
#include "core_fixture.h"
#include "core/names.h"

namespace ferry::core::test {
namespace {

std::string prop(const ferry_record_view& v, const char* name) {
  ferry_slice s{};
  if (!ferry_property_find(v.properties, name, &s)) return "<absent>";
  return std::string(static_cast<const char*>(s.data), s.len);
}

size_t count_of(std::string_view props, std::string_view name) {
  size_t n = 0;
  for (size_t pos = 0; (pos = props.find(std::string(name) + FERRY_PROP_NAME_VALUE_SEP, pos)) != std::string_view::npos; ++pos) ++n;
  return n;
}

std::string dlq_resend(uint64_t commit_offset, const std::string& group = "cg") {
  flatbuffers::FlatBufferBuilder fbb;
  auto g = fbb.CreateString(group);
  return finish(fbb, fb::CreateDlqResendRequest(fbb, g, commit_offset));
}

class SendBackTest : public CoreFixture {
 protected:
  void SetUp() override {
    CoreFixture::SetUp();
    make_core();
    create_topic("T");
    // A clustering member of cg subscribed to T and to its retry topic.
    auto hb = call(FERRY_CODE_HEARTBEAT, heartbeat("c1", {{"cg", 7, true, {{"T", ""}, {"%RETRY%cg", ""}}}}));
    ASSERT_EQ(hb->status, FERRY_OK) << hb->message;
    auto a = send("T", {{"payload", "TagA", "k1", "U1", 2}});
    ASSERT_EQ(a->status, FERRY_OK) << a->message;
    auto* r = answer_as<fb::SendResponse>(*a)->results()->Get(0);
    first_offset_ = r->commit_offset();
    first_id_ = std::string(sv(r->offset_msg_id()));
    storage_.dispatch();
  }
  // Runs the request through its worker read; the answer once acked.
  std::shared_ptr<Answer> run(uint32_t code, std::string payload) {
    auto a = call(code, std::move(payload));
    env_.run_loop();
    return a;
  }
  // The copy a SEND_BACK / DLQ_RESEND answer names, read back by offset.
  ferry_record_view copy_of(const Answer& a, std::string* topic) {
    auto* resp = answer_as<fb::SendResponse>(a);
    EXPECT_NE(resp, nullptr);
    *topic = std::string(sv(resp->topic()));
    uint64_t off = resp->results()->Get(0)->commit_offset();
    const std::string& bytes = storage_.records.at(off);
    ferry_record_view v;
    EXPECT_EQ(ferry_record_decode(bytes.data(), bytes.size(), &v), FERRY_OK);
    return v;
  }
  uint64_t offset_of(const Answer& a) {
    return answer_as<fb::SendResponse>(a)->results()->Get(0)->commit_offset();
  }
  uint64_t first_offset_ = 0;
  std::string first_id_;
};

TEST_F(SendBackTest, HeartbeatSubscribingTheRetryTopicCreatesItWithOneQueue) {
  const TopicConfig* t = core_->topics().find("%RETRY%cg");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->read_queues, 1u);
  EXPECT_EQ(t->write_queues, 1u);
  EXPECT_EQ(t->perm, static_cast<uint32_t>(FERRY_PERM_READ | FERRY_PERM_WRITE));
  EXPECT_TRUE(t->flags & FERRY_TOPIC_SYSTEM);
  // Persisted like any topic: a fresh table reads it back.
  env_.run_loop();
  std::string why;
  ASSERT_EQ(core_->persist_now(&why), FERRY_OK) << why;
  TopicTable reread(core_->topics().path());
  ASSERT_EQ(reread.load(&why), FERRY_OK) << why;
  ASSERT_NE(reread.find("%RETRY%cg"), nullptr);
  // A user still may not create or send to it.
  EXPECT_EQ(call(FERRY_CODE_TOPIC_CREATE, topic_create("%RETRY%x"))->status, FERRY_E_RESERVED_NAME);
  EXPECT_EQ(send("%RETRY%cg", {{"x", "", "", "", -1}})->status, FERRY_E_RESERVED_NAME);
}

TEST_F(SendBackTest, RetryCopyCarriesOriginAndComesBackThroughAHeldPull) {
  // A member's long poll on the retry queue is woken by the copy's dispatch.
  auto held = call(FERRY_CODE_PULL_MESSAGE, pull_request("%RETRY%cg", 0, 0, 5000));
  EXPECT_FALSE(held->answered);
  auto a = run(FERRY_CODE_CONSUMER_SEND_BACK, send_back(first_offset_));
  ASSERT_TRUE(a->answered);
  ASSERT_EQ(a->status, FERRY_OK) << a->message;
  std::string topic;
  ferry_record_view v = copy_of(*a, &topic);
  EXPECT_EQ(topic, "%RETRY%cg");
  EXPECT_EQ(std::string(static_cast<const char*>(v.topic.data), v.topic.len), "%RETRY%cg");
  EXPECT_EQ(std::string(static_cast<const char*>(v.body.data), v.body.len), "payload");
  EXPECT_EQ(v.reconsume_times, 1);
  EXPECT_EQ(v.queue_id, 0);
  EXPECT_EQ(prop(v, FERRY_PROP_RETRY_TOPIC), "T");
  EXPECT_EQ(prop(v, FERRY_PROP_ORIGIN_MSG_ID), first_id_);
  EXPECT_EQ(prop(v, FERRY_PROP_DELAY), "3");  // 3 + reconsume times, kept for a delay plugin
  EXPECT_EQ(prop(v, FERRY_PROP_UNIQ_KEY), "U1");
  EXPECT_EQ(prop(v, FERRY_PROP_TAGS), "TagA");
  std::string_view props(static_cast<const char*>(v.properties.data), v.properties.len);
  EXPECT_EQ(count_of(props, FERRY_PROP_CRC32), 1u) << "the original's checksum property was copied";
  EXPECT_EQ(answer_as<fb::SendResponse>(*a)->results()->Get(0)->uniq_key()->str(), "U1");

  EXPECT_EQ(held->answered, false);
  storage_.dispatch();
  env_.run_loop();
  ASSERT_TRUE(held->answered);
  ASSERT_EQ(held->status, FERRY_OK) << held->message;
  EXPECT_EQ(bodies(*held), std::vector<std::string>{"payload"});

  // The copy fails again: sent back by its own offset, the original topic
  // named as the consumer saw it. The origin id stays the first one.
  auto b = run(FERRY_CODE_CONSUMER_SEND_BACK, send_back(offset_of(*a), "cg", "T", 0, 16));
  ASSERT_EQ(b->status, FERRY_OK) << b->message;
  ferry_record_view w = copy_of(*b, &topic);
  EXPECT_EQ(topic, "%RETRY%cg");
  EXPECT_EQ(w.reconsume_times, 2);
  EXPECT_EQ(prop(w, FERRY_PROP_RETRY_TOPIC), "T");
  EXPECT_EQ(prop(w, FERRY_PROP_ORIGIN_MSG_ID), first_id_);
  EXPECT_EQ(prop(w, FERRY_PROP_DELAY), "4");
  EXPECT_EQ(core_->counters().sent_back, 2u);
  EXPECT_EQ(storage_.live_results, 0) << "a record read was not released";
}

TEST_F(SendBackTest, ExplicitDelayLevelAndOffsetIdAreHonoured) {
  auto a = run(FERRY_CODE_CONSUMER_SEND_BACK, send_back(0, "cg", "T", 30, 16, first_id_));
  ASSERT_EQ(a->status, FERRY_OK) << a->message;
  std::string topic;
  ferry_record_view v = copy_of(*a, &topic);
  EXPECT_EQ(prop(v, FERRY_PROP_DELAY), "18") << "capped at the last level";
  EXPECT_EQ(prop(v, FERRY_PROP_ORIGIN_MSG_ID), first_id_);
}

TEST_F(SendBackTest, UsedUpReconsumeTimesGoToTheWriteOnlyDeadLetterTopic) {
  // max 1: the first failure retries (0 < 1), the second (1 >= 1) is dead.
  auto a = run(FERRY_CODE_CONSUMER_SEND_BACK, send_back(first_offset_, "cg", "T", 0, 1));
  ASSERT_EQ(a->status, FERRY_OK) << a->message;
  auto b = run(FERRY_CODE_CONSUMER_SEND_BACK, send_back(offset_of(*a), "cg", "T", 0, 1));
  ASSERT_EQ(b->status, FERRY_OK) << b->message;
  std::string topic;
  ferry_record_view v = copy_of(*b, &topic);
  EXPECT_EQ(topic, "%DLQ%cg");
  EXPECT_EQ(v.reconsume_times, 2);
  EXPECT_EQ(prop(v, FERRY_PROP_RETRY_TOPIC), "T");
  EXPECT_EQ(prop(v, FERRY_PROP_ORIGIN_MSG_ID), first_id_);
  EXPECT_EQ(prop(v, FERRY_PROP_DELAY), "<absent>");
  const TopicConfig* dlq = core_->topics().find("%DLQ%cg");
  ASSERT_NE(dlq, nullptr);
  EXPECT_EQ(dlq->perm, static_cast<uint32_t>(FERRY_PERM_WRITE));
  EXPECT_EQ(dlq->read_queues, 1u);
  EXPECT_EQ(core_->counters().dead_lettered, 1u);
  storage_.dispatch();
  // Subscriptions cannot read it; an admin query can, committing nothing.
  EXPECT_EQ(call(FERRY_CODE_PULL_MESSAGE, pull_request("%DLQ%cg", 0, 0))->status, FERRY_E_NO_PERMISSION);
  auto q = call(FERRY_CODE_QUERY_QUEUE, pull_request("%DLQ%cg", 0, 0, 5000, "", "cg", 1));
  ASSERT_TRUE(q->answered) << "an admin read is never held";
  ASSERT_EQ(q->status, FERRY_OK) << q->message;
  EXPECT_EQ(bodies(*q), std::vector<std::string>{"payload"});
  EXPECT_FALSE(core_->offsets().query("cg", "%DLQ%cg", 0).has_value());
  auto empty = call(FERRY_CODE_QUERY_QUEUE, pull_request("%DLQ%cg", 0, 1, 5000));
  ASSERT_TRUE(empty->answered);
  EXPECT_EQ(empty->status, FERRY_E_NO_NEW_MESSAGE);

  // delay_level < 0: straight to the DLQ whatever the count.
  auto c = run(FERRY_CODE_CONSUMER_SEND_BACK, send_back(first_offset_, "cg", "T", -1, 16));
  ASSERT_EQ(c->status, FERRY_OK) << c->message;
  copy_of(*c, &topic);
  EXPECT_EQ(topic, "%DLQ%cg");
  // A dead letter cannot be sent back again.
  auto d = run(FERRY_CODE_CONSUMER_SEND_BACK, send_back(offset_of(*c), "cg", ""));
  EXPECT_EQ(d->status, FERRY_E_INVALID_ARGUMENT);
  EXPECT_NE(d->message.find("dead letter"), std::string::npos) << d->message;
}

TEST_F(SendBackTest, DeadLetterResentToItsOriginalTopic) {
  auto dead = run(FERRY_CODE_CONSUMER_SEND_BACK, send_back(first_offset_, "cg", "T", -1));
  ASSERT_EQ(dead->status, FERRY_OK) << dead->message;
  auto r = run(FERRY_CODE_DLQ_RESEND, dlq_resend(offset_of(*dead)));
  ASSERT_EQ(r->status, FERRY_OK) << r->message;
  std::string topic;
  ferry_record_view v = copy_of(*r, &topic);
  EXPECT_EQ(topic, "T");
  EXPECT_EQ(v.reconsume_times, 0);
  EXPECT_EQ(prop(v, FERRY_PROP_RETRY_TOPIC), "<absent>");
  EXPECT_EQ(prop(v, FERRY_PROP_DELAY), "<absent>");
  EXPECT_EQ(prop(v, FERRY_PROP_ORIGIN_MSG_ID), first_id_);
  EXPECT_EQ(prop(v, FERRY_PROP_UNIQ_KEY), "U1");
  storage_.dispatch();
  auto pulled = call(FERRY_CODE_PULL_MESSAGE, pull_request("T", v.queue_id, 0));
  ASSERT_EQ(pulled->status, FERRY_OK) << pulled->message;
  EXPECT_EQ(core_->counters().dlq_resent, 1u);

  // Not a dead letter of this group / not a dead letter at all.
  auto other = run(FERRY_CODE_DLQ_RESEND, dlq_resend(offset_of(*dead), "other"));
  EXPECT_EQ(other->status, FERRY_E_INVALID_ARGUMENT);
  EXPECT_NE(other->message.find("%DLQ%other"), std::string::npos) << other->message;
  EXPECT_EQ(run(FERRY_CODE_DLQ_RESEND, dlq_resend(first_offset_))->status, FERRY_E_INVALID_ARGUMENT);
  EXPECT_EQ(run(FERRY_CODE_DLQ_RESEND, dlq_resend(999'999))->status, FERRY_E_NOT_FOUND);
  // The original topic is gone: refused, not re-created.
  flatbuffers::FlatBufferBuilder fbb;
  auto del = call(FERRY_CODE_TOPIC_DELETE, finish(fbb, fb::CreateTopicNameRequest(fbb, fbb.CreateString("T"))));
  env_.run_loop();
  ASSERT_EQ(del->status, FERRY_OK) << del->message;
  auto gone = run(FERRY_CODE_DLQ_RESEND, dlq_resend(offset_of(*dead)));
  EXPECT_EQ(gone->status, FERRY_E_TOPIC_NOT_FOUND);
  EXPECT_EQ(core_->topics().find("T"), nullptr);
}

TEST_F(SendBackTest, BadSendBacksGetSpecificStatuses) {
  auto unknown = run(FERRY_CODE_CONSUMER_SEND_BACK, send_back(first_offset_ + 1));
  EXPECT_EQ(unknown->status, FERRY_E_NOT_FOUND);
  EXPECT_NE(unknown->message.find("commit offset"), std::string::npos) << unknown->message;
  auto far = run(FERRY_CODE_CONSUMER_SEND_BACK, send_back(1ull << 40));
  EXPECT_EQ(far->status, FERRY_E_NOT_FOUND);
  auto group = run(FERRY_CODE_CONSUMER_SEND_BACK, send_back(first_offset_, "nobody"));
  EXPECT_EQ(group->status, FERRY_E_GROUP_NOT_FOUND);
  EXPECT_NE(group->message.find("nobody"), std::string::npos) << group->message;
  EXPECT_EQ(run(FERRY_CODE_CONSUMER_SEND_BACK, send_back(first_offset_, "bad group"))->status, FERRY_E_INVALID_NAME);
  auto topic = run(FERRY_CODE_CONSUMER_SEND_BACK, send_back(first_offset_, "cg", "U"));
  EXPECT_EQ(topic->status, FERRY_E_INVALID_ARGUMENT);
  EXPECT_NE(topic->message.find("not 'U'"), std::string::npos) << topic->message;
  EXPECT_EQ(run(FERRY_CODE_CONSUMER_SEND_BACK, send_back(first_offset_, "cg", "T", 0, -1))->status,
            FERRY_E_INVALID_ARGUMENT);
  EXPECT_EQ(run(FERRY_CODE_CONSUMER_SEND_BACK, send_back(0, "cg", "T", 0, 16, "xyz"))->status,
            FERRY_E_INVALID_ARGUMENT);
  EXPECT_EQ(run(FERRY_CODE_CONSUMER_SEND_BACK, "garbage")->status, FERRY_E_INVALID_ARGUMENT);
  // A group known only by its committed offsets may send back.
  call(FERRY_CODE_PULL_MESSAGE, pull_request("T", 2, 0, 0, "", "offsets-only", 0));
  EXPECT_EQ(run(FERRY_CODE_CONSUMER_SEND_BACK, send_back(first_offset_, "offsets-only"))->status, FERRY_OK);
  EXPECT_EQ(core_->counters().sent_back, 1u);
  EXPECT_EQ(storage_.live_results, 0);
}

}  // namespace
}  // namespace ferry::core::test
