// Send path: replies only once min(durable, replicated) passes the record,
// one watermark check per advance, FLUSH_TIMEOUT, SYSTEM_BUSY, bad input.
#include <random>
#include <vector>

#include "core/message_id.h"
#include "core_fixture.h"

namespace ferry::core::test {
namespace {

class SendTest : public CoreFixture {
 protected:
  // Async flush, topic T, turns deferred, and one turn of two sends behind
  // us: the next turn's sends all wait for its end (a turn's first send goes
  // at once unless the last turn read several).
  void start_queued_turns() {
    flush_.mode = FERRY_FLUSH_ASYNC;
    make_core(true);
    create_topic("T");
    env_.defer_turns = true;
    send("T", {{"w1"}});
    send("T", {{"w2"}});
    env_.end_turn();
  }
};

TEST_F(SendTest, AckWaitsForDurableWatermarkUnderSyncFlush) {
  make_core(/*with_flush=*/true);
  create_topic("T");
  auto a = send("T", {{"hello", "TagA", "k1", "U-1", 2}});
  EXPECT_FALSE(a->answered) << "acked before the record was durable";
  EXPECT_EQ(core_->pending_acks(), 1u);

  uint64_t end = storage_.write_offset;
  env_.set_durable(end - 1);  // one byte short
  core_->on_watermarks();
  EXPECT_FALSE(a->answered);

  env_.set_durable(end);
  core_->on_watermarks();
  ASSERT_TRUE(a->answered);
  ASSERT_EQ(a->status, FERRY_OK) << a->message;
  auto* r = answer_as<fb::SendResponse>(*a);
  ASSERT_NE(r, nullptr);
  ASSERT_EQ(r->results()->size(), 1u);
  auto* res = r->results()->Get(0);
  EXPECT_EQ(res->queue_id(), 2);
  EXPECT_EQ(res->queue_offset(), 0u);
  EXPECT_EQ(sv(res->uniq_key()), "U-1");
  auto id = decode_message_id(sv(res->offset_msg_id()));
  ASSERT_TRUE(id);
  EXPECT_EQ(id->address, "127.0.0.1:10911");
  EXPECT_EQ(id->commit_offset, res->commit_offset());
}

TEST_F(SendTest, OneWatermarkCheckAcksEverySendItCovers) {
  make_core(true);
  create_topic("T");
  std::vector<std::shared_ptr<Answer>> answers;
  for (int i = 0; i < 50; ++i) answers.push_back(send("T", {{"m" + std::to_string(i)}}));
  auto batch = send("T", {{"b1"}, {"b2"}, {"b3"}});
  uint64_t checks_before = core_->counters().watermark_checks;
  env_.set_durable(storage_.write_offset);
  core_->on_watermarks();
  EXPECT_EQ(core_->counters().watermark_checks, checks_before + 1);
  for (auto& a : answers) EXPECT_EQ(a->status, FERRY_OK);
  ASSERT_TRUE(batch->answered);
  auto* r = answer_as<fb::SendResponse>(*batch);
  ASSERT_EQ(r->results()->size(), 3u);
  // One batch lands in one queue, consecutive offsets.
  EXPECT_EQ(r->results()->Get(0)->queue_id(), r->results()->Get(2)->queue_id());
  EXPECT_EQ(r->results()->Get(1)->queue_offset(), r->results()->Get(0)->queue_offset() + 1);
  EXPECT_EQ(core_->pending_acks(), 0u);
}

TEST_F(SendTest, AsyncFlushAcksOnWrite) {
  flush_.mode = FERRY_FLUSH_ASYNC;
  make_core(true);
  create_topic("T");
  auto a = send("T", {{"x"}});
  ASSERT_TRUE(a->answered);
  EXPECT_EQ(a->status, FERRY_OK);
}

TEST_F(SendTest, FlushTimeoutAfterTheFlushPluginsAckTimeout) {
  flush_.ack_timeout_ms = 3000;
  make_core(true);
  create_topic("T");
  auto a = send("T", {{"x"}});
  env_.advance(2900);
  EXPECT_FALSE(a->answered);
  env_.advance(300);
  ASSERT_TRUE(a->answered);
  EXPECT_EQ(a->status, FERRY_E_FLUSH_TIMEOUT);
  // It still says where the message is: it was stored.
  auto* r = answer_as<fb::SendResponse>(*a);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->results()->size(), 1u);
}

TEST_F(SendTest, BusyAtOnceWhenTheBoundedQueueIsFull) {
  config_.send_queue_capacity = 2;
  make_core(true);
  create_topic("T");
  auto a1 = send("T", {{"1"}});
  auto a2 = send("T", {{"2"}});
  uint64_t written = storage_.write_offset;
  auto a3 = send("T", {{"3"}});
  ASSERT_TRUE(a3->answered);
  EXPECT_EQ(a3->status, FERRY_E_BUSY);
  EXPECT_TRUE(ferry_status_retriable(a3->status));
  EXPECT_EQ(storage_.write_offset, written) << "a refused send must not be stored";
  env_.set_durable(storage_.write_offset);
  core_->on_watermarks();
  EXPECT_EQ(a1->status, FERRY_OK);
  auto a4 = send("T", {{"4"}});
  EXPECT_FALSE(a4->answered) << "room again after the acks";
}

TEST_F(SendTest, BadSendsGetSpecificStatusesAndStoreNothing) {
  config_.max_message_size = 1024;
  make_core();
  create_topic("T");
  auto big = send("T", {{std::string(1025, 'x')}});
  EXPECT_EQ(big->status, FERRY_E_MESSAGE_TOO_LARGE);
  EXPECT_NE(big->message.find("max_message_size is 1024"), std::string::npos) << big->message;
  EXPECT_EQ(send("no such", {{"x"}})->status, FERRY_E_INVALID_NAME);
  auto unknown = send("Missing", {{"x"}});
  EXPECT_EQ(unknown->status, FERRY_E_TOPIC_NOT_FOUND);
  EXPECT_NE(unknown->message.find("auto_create_topics is off"), std::string::npos);
  EXPECT_EQ(send("%RETRY%g", {{"x"}})->status, FERRY_E_RESERVED_NAME);
  EXPECT_EQ(send("T", {{"x", "", "", "", 9}})->status, FERRY_E_INVALID_ARGUMENT);
  auto [p, att] = send_request("T", {{"abc"}}, /*declared_extra=*/1);
  EXPECT_EQ(call(FERRY_CODE_SEND_MESSAGE, p, att)->status, FERRY_E_INVALID_ARGUMENT);
  auto [p2, att2] = send_request("T", {{"a"}, {"b"}});
  EXPECT_EQ(call(FERRY_CODE_SEND_MESSAGE, p2, att2)->status, FERRY_E_INVALID_ARGUMENT);
  EXPECT_EQ(call(FERRY_CODE_SEND_MESSAGE, "garbage!")->status, FERRY_E_INVALID_ARGUMENT);
  EXPECT_EQ(call(9999, "")->status, FERRY_E_UNKNOWN_REQUEST);
  EXPECT_EQ(storage_.write_offset, 0u);
  // and it keeps serving
  EXPECT_EQ(send("T", {{"ok"}})->status, FERRY_OK);
}

TEST_F(SendTest, AutoCreateTopicsWhenConfigured) {
  config_.auto_create_topics = true;
  config_.default_queue_count = 3;
  make_core();
  auto a = send("Fresh", {{"x"}});
  EXPECT_EQ(a->status, FERRY_OK) << a->message;
  ASSERT_NE(core_->topics().find("Fresh"), nullptr);
  EXPECT_EQ(core_->topics().find("Fresh")->write_queues, 3u);
  EXPECT_GE(env_.topics_changed_, 1);
}

TEST_F(SendTest, StorageErrorIsReturnedWithItsMessage) {
  make_core();
  create_topic("T");
  storage_.fail_append = FERRY_E_DISK_FULL;
  auto a = send("T", {{"x"}});
  EXPECT_EQ(a->status, FERRY_E_DISK_FULL);
  EXPECT_NE(a->message.find("injected"), std::string::npos);
}

// Sends read in one loop turn share one storage call at the turn's end
// (one commit-log write); each gets its own reply, in log order.
TEST_F(SendTest, SendsOfOneTurnShareOneAppendAndEachIsAnswered) {
  flush_.mode = FERRY_FLUSH_ASYNC;
  make_core(true);
  create_topic("T");
  env_.defer_turns = true;
  // A turn's first send is appended at once unless the last turn read
  // several: the first turn here reads two (the second waits for its end).
  int calls_before = storage_.append_calls;
  auto first = send("T", {{"f1"}});
  EXPECT_TRUE(first->answered) << "a lone send after a quiet turn waits for nothing";
  auto second = send("T", {{"f2"}});
  EXPECT_FALSE(second->answered);
  EXPECT_EQ(env_.end_turn(), 1u);
  ASSERT_TRUE(second->answered);
  EXPECT_EQ(second->status, FERRY_OK) << second->message;
  EXPECT_EQ(storage_.append_calls, calls_before + 2);
  calls_before = storage_.append_calls;
  std::vector<std::shared_ptr<Answer>> answers;
  for (int i = 0; i < 5; ++i) answers.push_back(send("T", {{"m" + std::to_string(i)}}));
  auto batch = send("T", {{"b1"}, {"b2"}});
  for (auto& a : answers) EXPECT_FALSE(a->answered) << "appended before the turn ended";
  EXPECT_EQ(storage_.append_calls, calls_before);
  EXPECT_EQ(env_.end_turn(), 1u);
  EXPECT_EQ(storage_.append_calls, calls_before + 1) << "one storage call for the turn";
  answers.push_back(batch);
  uint64_t last_offset = 0;
  for (size_t i = 0; i < answers.size(); ++i) {
    ASSERT_TRUE(answers[i]->answered) << i;
    ASSERT_EQ(answers[i]->status, FERRY_OK) << answers[i]->message;
    auto* r = answer_as<fb::SendResponse>(*answers[i]);
    ASSERT_NE(r, nullptr);
    ASSERT_EQ(r->results()->size(), i + 1 == answers.size() ? 2u : 1u);
    EXPECT_TRUE(i == 0 || r->results()->Get(0)->commit_offset() > last_offset) << "log order";
    last_offset = r->results()->Get(0)->commit_offset();
  }
  EXPECT_EQ(storage_.records.size(), 9u);
  EXPECT_EQ(core_->pending_acks(), 0u);
  // Nothing queued: the next turn's end does nothing.
  env_.end_turn();
  EXPECT_EQ(storage_.append_calls, calls_before + 1);
  // After a turn of one send, the next turn's first send goes at once again.
  auto lone = send("T", {{"l"}});
  EXPECT_FALSE(lone->answered) << "the last turn read several";
  env_.end_turn();
  ASSERT_TRUE(lone->answered);
  auto again = send("T", {{"a"}});
  EXPECT_TRUE(again->answered);
}

// The storage stores a prefix of the turn: the sends inside it succeed, the
// one it ends in and those after it get the error (with what was stored).
TEST_F(SendTest, APartialTurnAppendAnswersEachSendByWhatItStored) {
  start_queued_turns();
  auto a = send("T", {{"a"}});
  auto b = send("T", {{"b1"}, {"b2"}, {"b3"}});
  auto c = send("T", {{"c"}});
  storage_.fail_append = FERRY_E_DISK_FULL;
  storage_.fail_after = 2;  // a and b1 stored
  env_.end_turn();
  ASSERT_TRUE(a->answered && b->answered && c->answered);
  EXPECT_EQ(a->status, FERRY_OK) << a->message;
  EXPECT_EQ(b->status, FERRY_E_DISK_FULL);
  EXPECT_NE(b->message.find("injected"), std::string::npos) << b->message;
  EXPECT_NE(b->message.find("(1 of 3 messages stored)"), std::string::npos) << b->message;
  EXPECT_EQ(c->status, FERRY_E_DISK_FULL);
  EXPECT_EQ(c->message.find("stored)"), std::string::npos) << c->message;
}

// A send the storage refuses for its own content (a property value holding
// the name/value separator, which the core passes through) fails alone: the
// sends after it in the same turn come from other clients and are stored.
TEST_F(SendTest, AMessageTheStorageRefusesFailsOnlyItsOwnSendInATurn) {
  start_queued_turns();
  auto a = send("T", {{"a"}});
  auto bad = send("T", {{"b1"}, {"b2", "", std::string("bad\x01key")}, {"b3"}});
  auto c = send("T", {{"c"}});
  auto d = send("T", {{"d1"}, {"d2"}});
  env_.end_turn();
  ASSERT_TRUE(a->answered && bad->answered && c->answered && d->answered);
  EXPECT_EQ(a->status, FERRY_OK) << a->message;
  EXPECT_EQ(bad->status, FERRY_E_INVALID_ARGUMENT) << bad->message;
  EXPECT_NE(bad->message.find("(1 of 3 messages stored)"), std::string::npos) << bad->message;
  EXPECT_EQ(c->status, FERRY_OK) << c->message;
  EXPECT_EQ(d->status, FERRY_OK) << d->message;
  size_t stored = 0;
  for (const auto& [key, q] : storage_.queues) stored += q.entries.size();
  EXPECT_EQ(stored, 2u + 1 + 1 + 1 + 2) << "w1 w2 a b1 c d1 d2";
}

// A turn's sends are stored and answered when the core stops before the
// turn's end, and a put_message in the same turn is appended after them.
TEST_F(SendTest, QueuedSendsAreStoredBeforeAPutAndAtStop) {
  start_queued_turns();
  auto a = send("T", {{"a"}});
  EXPECT_FALSE(a->answered);
  auto m = FERRY_STRUCT_INIT(ferry_message);
  m.topic = {"T", 1};
  m.queue_id = 0;
  m.body = {"p", 1};
  struct Got {
    bool done = false;
    uint64_t offset = 0;
  } got;
  ASSERT_EQ(core_->put_message(
                &m,
                [](void* ud, const ferry_put_result* r) {
                  static_cast<Got*>(ud)->done = true;
                  static_cast<Got*>(ud)->offset = r->commit_offset;
                },
                &got),
            FERRY_OK);
  ASSERT_TRUE(a->answered) << "the put flushed the turn's sends first";
  ASSERT_TRUE(got.done);
  EXPECT_GT(got.offset, answer_as<fb::SendResponse>(*a)->results()->Get(0)->commit_offset());
  auto b = send("T", {{"b"}});  // the turn's second send waits
  EXPECT_FALSE(b->answered);
  core_->stop();
  ASSERT_TRUE(b->answered);
  EXPECT_EQ(b->status, FERRY_OK) << b->message;
}

// A request other than a send or pull (here a topic delete) sees the sends
// read before it in the same turn stored and answered first.
TEST_F(SendTest, AnAdminRequestInTheTurnStoresTheQueuedSendsFirst) {
  start_queued_turns();
  auto a = send("T", {{"a"}});
  EXPECT_FALSE(a->answered);
  const int calls = storage_.append_calls;
  flatbuffers::FlatBufferBuilder fbb;
  auto del = call(FERRY_CODE_TOPIC_DELETE, finish(fbb, fb::CreateTopicNameRequest(fbb, fbb.CreateString("T"))));
  ASSERT_TRUE(a->answered) << "stored before the delete";
  EXPECT_EQ(a->status, FERRY_OK) << a->message;
  EXPECT_EQ(storage_.append_calls, calls + 1);
  env_.end_turn();
  EXPECT_EQ(storage_.append_calls, calls + 1) << "nothing left for the turn's end";
}

// A pre-append hook (the delay plugin's shape) moves a message to a system
// topic; put_message re-delivers through the same path.
TEST_F(SendTest, PreAppendHookRewritesTopicAndPutMessageIsAcked) {
  make_core();
  create_topic("T");
  ASSERT_EQ(core_->hook_pre_append("DELAY",
                                   [](MessageEdit& e) {
                                     std::string_view sched = "SCHEDULE_TOPIC_XXXX";
                                     e.set_property("REAL_TOPIC", {"T", 1});
                                     e.set_queue(2);
                                     return e.set_topic({sched.data(), sched.size()});
                                   }),
            FERRY_OK);
  Msg m{"later"};
  auto [p, att] = send_request("T", {m});
  // add DELAY property by hand
  {
    flatbuffers::FlatBufferBuilder fbb;
    std::string props = std::string("DELAY\x01") + "3\x02";
    auto pv = fbb.CreateVector(reinterpret_cast<const uint8_t*>(props.data()), props.size());
    std::vector<flatbuffers::Offset<fb::MessageMeta>> metas{fb::CreateMessageMeta(fbb, -1, 0, 0, pv, 0, 5, 0)};
    p = finish(fbb, fb::CreateSendRequest(fbb, 0, fbb.CreateString("T"), 0, 0, fbb.CreateVector(metas)));
  }
  auto a = call(FERRY_CODE_SEND_MESSAGE, p, att);
  env_.run_loop();  // the auto-created system topic's table write completes
  ASSERT_TRUE(a->answered);
  ASSERT_EQ(a->status, FERRY_OK) << a->message;
  const TopicConfig* sched = core_->topics().find("SCHEDULE_TOPIC_XXXX");
  ASSERT_NE(sched, nullptr);
  EXPECT_TRUE(sched->flags & FERRY_TOPIC_SYSTEM);
  ASSERT_EQ(storage_.queues.count({"SCHEDULE_TOPIC_XXXX", 2}), 1u);
  ferry_record_view v;
  const std::string& rec = storage_.records.begin()->second;
  ASSERT_EQ(ferry_record_decode(rec.data(), rec.size(), &v), FERRY_OK);
  ferry_slice real{};
  ASSERT_TRUE(ferry_property_find(v.properties, "REAL_TOPIC", &real));
  EXPECT_EQ(std::string(static_cast<const char*>(real.data), real.len), "T");

  struct Got {
    bool called = false;
    ferry_status status = FERRY_E_INTERNAL;
    std::string id;
  } got;
  auto msg = FERRY_STRUCT_INIT(ferry_message);
  msg.topic = {"T", 1};
  msg.queue_id = -1;
  msg.body = {"again", 5};
  ASSERT_EQ(core_->put_message(&msg,
                               [](void* ud, const ferry_put_result* r) {
                                 auto* g = static_cast<Got*>(ud);
                                 g->called = true;
                                 g->status = r->status;
                                 g->id = r->offset_msg_id;
                               },
                               &got),
            FERRY_OK);
  EXPECT_TRUE(got.called);
  EXPECT_EQ(got.status, FERRY_OK);
  EXPECT_EQ(got.id.size(), 32u);
}

}  // namespace
}  // namespace ferry::core::test

namespace ferry::core::test {
namespace {

// Per-topic send counts stay in the topic table until a scrape; a topic
// deleted (and re-created) between two scrapes loses none of its counts.
TEST_F(SendTest, PerTopicSendCountsArePublishedAtScrapeAndSurviveDelete) {
  make_core(/*with_flush=*/true);
  create_topic("T");
  create_topic("U");
  auto a = send("T", {{"abc", "", "", "", 0}, {"de", "", "", "", 0}});
  auto b = send("U", {{"x", "", "", "", 0}});
  env_.set_durable(storage_.write_offset);
  core_->on_watermarks();
  ASSERT_EQ(a->status, FERRY_OK) << a->message;
  ASSERT_EQ(b->status, FERRY_OK) << b->message;
  const auto* t_in = env_.metric_named("ferry_core_messages_in_total{topic=T}");
  EXPECT_TRUE(t_in == nullptr || t_in->value == 0) << "counted in the table, not yet published";
  core_->collect_metrics();
  EXPECT_EQ(env_.metric_named("ferry_core_messages_in_total{topic=T}")->value, 2);
  EXPECT_EQ(env_.metric_named("ferry_core_bytes_in_total{topic=T}")->value, 5);
  EXPECT_EQ(env_.metric_named("ferry_core_messages_in_total{topic=U}")->value, 1);
  core_->collect_metrics();
  EXPECT_EQ(env_.metric_named("ferry_core_messages_in_total{topic=T}")->value, 2) << "published once";

  auto c = send("T", {{"fgh", "", "", "", 0}});
  env_.set_durable(storage_.write_offset);
  core_->on_watermarks();
  ASSERT_EQ(c->status, FERRY_OK) << c->message;
  flatbuffers::FlatBufferBuilder fbb;
  ASSERT_EQ(call(FERRY_CODE_TOPIC_DELETE, finish(fbb, fb::CreateTopicNameRequest(fbb, fbb.CreateString("T"))))->status,
            FERRY_OK);
  create_topic("T");
  auto d = send("T", {{"ij", "", "", "", 0}});
  env_.set_durable(storage_.write_offset);
  core_->on_watermarks();
  ASSERT_EQ(d->status, FERRY_OK) << d->message;
  core_->collect_metrics();
  EXPECT_EQ(env_.metric_named("ferry_core_messages_in_total{topic=T}")->value, 4)
      << "the deleted topic's unpublished send and the re-created one's both counted";
  EXPECT_EQ(env_.metric_named("ferry_core_bytes_in_total{topic=T}")->value, 10);
}

// A send hands storage its topic entry's slot (ferry_message.storage_slot):
// the same one for every send of the topic, another for another topic, a
// fresh one once the topic was deleted and re-created; none for a put or a
// message a hook moved, and none for a queued send whose entry may be gone
// (the table changed in the turn after it was read).
TEST_F(SendTest, StorageGetsTheTopicEntrysSlotWhileTheEntryLives) {
  config_.auto_create_topics = true;
  start_queued_turns();  // two sends of T, one turn
  ASSERT_EQ(storage_.slots.size(), 2u);
  void** t_slot = storage_.slots[0].slot;
  ASSERT_NE(t_slot, nullptr);
  EXPECT_EQ(storage_.slots[0].held, nullptr) << "empty until the storage's first append";
  EXPECT_EQ(storage_.slots[1].slot, t_slot);
  EXPECT_EQ(storage_.slots[1].held, &storage_);
  create_topic("U");
  send("U", {{"u"}});
  env_.end_turn();
  ASSERT_EQ(storage_.slots.size(), 3u);
  EXPECT_NE(storage_.slots[2].slot, nullptr);
  EXPECT_NE(storage_.slots[2].slot, t_slot);

  // Queued behind T's first send of the turn: a send that auto-creates a
  // topic changes the table, so the earlier queued send hands no slot.
  send("T", {{"a"}});
  send("T", {{"b"}});
  send("Fresh", {{"c"}});
  env_.run_loop();
  env_.end_turn();
  ASSERT_EQ(storage_.slots.size(), 6u);
  EXPECT_EQ(storage_.slots[3].slot, t_slot) << "the turn's first send goes at once";
  EXPECT_EQ(storage_.slots[4].topic, "T");
  EXPECT_EQ(storage_.slots[4].slot, nullptr) << "queued before the table changed";
  EXPECT_EQ(storage_.slots[5].topic, "Fresh");
  EXPECT_NE(storage_.slots[5].slot, nullptr) << "read after the change";

  auto m = FERRY_STRUCT_INIT(ferry_message);
  m.topic = {"T", 1};
  m.queue_id = 0;
  m.body = {"p", 1};
  m.storage_slot = t_slot;  // a plugin cannot hand the host's slot
  ASSERT_EQ(core_->put_message(&m, [](void*, const ferry_put_result*) {}, nullptr), FERRY_OK);
  ASSERT_EQ(storage_.slots.size(), 7u);
  EXPECT_EQ(storage_.slots[6].slot, nullptr);

  flatbuffers::FlatBufferBuilder fbb;
  ASSERT_EQ(call(FERRY_CODE_TOPIC_DELETE, finish(fbb, fb::CreateTopicNameRequest(fbb, fbb.CreateString("T"))))->status,
            FERRY_OK);
  env_.run_loop();
  create_topic("T");
  send("T", {{"again"}});
  env_.end_turn();
  ASSERT_EQ(storage_.slots.size(), 8u);
  EXPECT_NE(storage_.slots[7].slot, nullptr);
  EXPECT_EQ(storage_.slots[7].held, nullptr) << "the re-created topic's entry starts empty";
}

// The core's series in the kernel's registry (FakeEnv records them).
TEST_F(SendTest, MetricsCountPerTopicInAndOutLatenciesAndGauges) {
  make_core(/*with_flush=*/true);
  create_topic("T");
  create_topic("Idle");
  auto a = send("T", {{"abc", "", "", "", 0}, {"de", "", "", "", 0}});
  env_.set_durable(storage_.write_offset);
  core_->on_watermarks();
  ASSERT_EQ(a->status, FERRY_OK) << a->message;
  core_->collect_metrics();  // a scrape: per-topic send counts reach the registry here
  const auto* in = env_.metric_named("ferry_core_messages_in_total{topic=T}");
  ASSERT_NE(in, nullptr);
  EXPECT_EQ(in->value, 2);
  EXPECT_EQ(env_.metric_named("ferry_core_bytes_in_total{topic=T}")->value, 5);
  EXPECT_EQ(env_.metric_named("ferry_core_messages_in_total{topic=Idle}"), nullptr)
      << "an idle topic exports no series";
  EXPECT_EQ(env_.metric_named("ferry_core_append_latency_us{}")->observations, 1u);
  EXPECT_EQ(env_.metric_named("ferry_core_ack_latency_us{}")->observations, 1u);

  storage_.dispatch();
  auto p = call(FERRY_CODE_PULL_MESSAGE, pull_request("T", 0, 0));
  ASSERT_EQ(p->status, FERRY_OK) << p->message;
  EXPECT_EQ(env_.metric_named("ferry_core_messages_out_total{topic=T}")->value, 2);
  EXPECT_GT(env_.metric_named("ferry_core_bytes_out_total{topic=T}")->value, 5) << "whole records";

  auto held = call(FERRY_CODE_PULL_MESSAGE, pull_request("T", 1, 0, 5000));
  call(FERRY_CODE_HEARTBEAT, heartbeat("C1", {{"G", 1, true, {{"T", "*"}}}}), "", 7);
  env_.advance(1000);  // gauges refresh once a second
  EXPECT_EQ(env_.metric_named("ferry_core_held_pulls{}")->value, 1);
  EXPECT_EQ(env_.metric_named("ferry_core_clients{}")->value, 1);
  EXPECT_EQ(env_.metric_named("ferry_core_client_connections{}")->value, 1);
  EXPECT_EQ(env_.metric_named("ferry_core_consumer_groups{}")->value, 1);
  EXPECT_EQ(env_.metric_named("ferry_core_topics{}")->value, 2);
  EXPECT_FALSE(held->answered);
}

// Core::peek (the net layer's look ahead) reads a SendRequest before it is
// verified: every prefix and corruption of the bytes must be read within
// them (ASan/UBSan runs of this test catch a read outside) and change
// nothing — the send handled afterwards is answered as usual.
TEST_F(SendTest, PeekReadsUnverifiedBytesWithinThemAndChangesNothing) {
  make_core(true);
  create_topic("T");
  auto [p, att] = send_request("T", {{"x"}});
  for (size_t n = 0; n <= p.size(); ++n) {
    std::vector<uint8_t> cut(p.begin(), p.begin() + static_cast<ptrdiff_t>(n));  // its own block
    core_->peek(FERRY_CODE_SEND_MESSAGE, {cut.data(), cut.size()});
  }
  std::mt19937 rng(5);
  for (int i = 0; i < 5000; ++i) {
    std::vector<uint8_t> bad(p.begin(), p.end());
    for (int k = 0; k < 3; ++k) bad[rng() % bad.size()] = static_cast<uint8_t>(rng());
    core_->peek(FERRY_CODE_SEND_BATCH, {bad.data(), bad.size()});
  }
  core_->peek(FERRY_CODE_SEND_MESSAGE, {nullptr, 0});
  core_->peek(FERRY_CODE_PULL_MESSAGE, {p.data(), p.size()});
  core_->peek(FERRY_CODE_SEND_MESSAGE, {p.data(), p.size()});
  auto a = send("T", {{"after"}});
  env_.set_durable(storage_.write_offset);
  core_->on_watermarks();
  ASSERT_TRUE(a->answered);
  EXPECT_EQ(a->status, FERRY_OK) << a->message;
}

// A send carries Core::peek's answer (its topic's hash) as its peek hint, so
// the name is hashed once. The hint is not trusted: a wrong one still finds
// the topic (and creates none: auto-create is off here); no hint hashes it.
TEST_F(SendTest, PeekHintIsTheTopicHashAndAWrongOneChangesNothing) {
  make_core(true);
  create_topic("T");
  auto [p, att] = send_request("T", {{"x"}});
  const uint64_t h = core_->peek(FERRY_CODE_SEND_MESSAGE, {p.data(), p.size()});
  EXPECT_EQ(h, TopicTable::hash_of("T"));
  EXPECT_EQ(core_->peek(FERRY_CODE_PULL_MESSAGE, {p.data(), p.size()}), 0u);
  std::vector<std::shared_ptr<FakeRequest::Answer>> answers;
  for (uint64_t hint : {h, h ^ 1, uint64_t{0}}) {
    auto req = std::make_unique<FakeRequest>(FERRY_CODE_SEND_MESSAGE, p, att);
    req->set_peek_hint(hint);
    answers.push_back(req->answer());
    core_->handle(std::move(req));
  }
  env_.set_durable(storage_.write_offset);
  core_->on_watermarks();
  for (const auto& a : answers) {
    ASSERT_TRUE(a->answered);
    EXPECT_EQ(a->status, FERRY_OK) << a->message;
  }
  EXPECT_EQ(storage_.records.size(), 3u);
  core_->collect_metrics();
  EXPECT_EQ(env_.metric_named("ferry_core_messages_in_total{topic=T}")->value, 3);
  env_.advance(1000);  // gauges refresh once a second
  EXPECT_EQ(env_.metric_named("ferry_core_topics{}")->value, 1);
}

}  // namespace
}  // namespace ferry::core::test
