// Topic table: validation, persistence, debounced writes; names.
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "core/names.h"
#include "core/topic_table.h"
#include "core_fixture.h"

namespace ferry::core::test {
namespace {

TEST(Names, ClearErrors) {
  std::string why;
  EXPECT_EQ(check_name("topic", "Good_Name-1%|x", &why), FERRY_OK);
  EXPECT_EQ(check_name("topic", "", &why), FERRY_E_INVALID_NAME);
  EXPECT_NE(why.find("empty"), std::string::npos);
  EXPECT_EQ(check_name("topic", "a b", &why), FERRY_E_INVALID_NAME);
  EXPECT_NE(why.find("invalid character ' ' at 1"), std::string::npos) << why;
  EXPECT_EQ(check_name("group", std::string(128, 'a'), &why), FERRY_E_INVALID_NAME);
  EXPECT_NE(why.find("128 bytes; the limit is 127"), std::string::npos) << why;
  EXPECT_TRUE(is_system_topic("%DLQ%g"));
  EXPECT_TRUE(is_system_topic("SCHEDULE_TOPIC_XXXX"));
  EXPECT_FALSE(is_system_topic("orders"));
}

TEST(TopicTable, ValidatesCreatesUpdatesRemoves) {
  ferry::test::TempDir dir;
  TopicTable t(dir.str() + "/topics.conf");
  std::string why;
  EXPECT_EQ(t.create({"orders", 8, 8, 6, 0}, false, &why), FERRY_OK);
  EXPECT_EQ(t.create({"orders", 8, 8, 6, 0}, false, &why), FERRY_E_ALREADY_EXISTS);
  EXPECT_EQ(t.create({"%RETRY%g", 1, 1, 6, 0}, false, &why), FERRY_E_RESERVED_NAME);
  EXPECT_EQ(t.create({"%RETRY%g", 1, 1, 6, 0}, true, &why), FERRY_OK);
  EXPECT_TRUE(t.find("%RETRY%g")->flags & FERRY_TOPIC_SYSTEM);
  EXPECT_EQ(t.create({"zero", 0, 4, 6, 0}, false, &why), FERRY_E_INVALID_ARGUMENT);
  EXPECT_EQ(t.create({"perm", 4, 4, 64, 0}, false, &why), FERRY_E_INVALID_ARGUMENT);
  EXPECT_EQ(t.update({"nope", 4, 4, 6, 0}, false, &why), FERRY_E_TOPIC_NOT_FOUND);
  EXPECT_EQ(t.update({"orders", 2, 2, 4, 0}, false, &why), FERRY_OK);
  EXPECT_EQ(t.find("orders")->perm, 4u);
  EXPECT_EQ(t.remove("%RETRY%g", false, &why), FERRY_E_RESERVED_NAME);
  bool more = false;
  EXPECT_EQ(t.list("", 10, false, &more).size(), 1u);
  EXPECT_EQ(t.list("", 10, true, &more).size(), 2u);
  EXPECT_EQ(t.remove("orders", false, &why), FERRY_OK);
  EXPECT_EQ(t.find("orders"), nullptr);
}

TEST(TopicTable, PersistsAndReloads) {
  ferry::test::TempDir dir;
  std::string path = dir.str() + "/core/topics.conf", why;
  {
    TopicTable t(path);
    ASSERT_EQ(t.create({"a", 3, 2, 6, FERRY_TOPIC_ORDERED}, false, &why), FERRY_OK);
    ASSERT_EQ(t.create({"b", 1, 1, 4, 0}, false, &why), FERRY_OK);
    ASSERT_EQ(t.save(&why), FERRY_OK) << why;
    EXPECT_EQ(t.writes(), 1u);
    ASSERT_EQ(t.save(&why), FERRY_OK);
    EXPECT_EQ(t.writes(), 1u) << "unchanged table rewritten";
  }
  TopicTable t(path);
  ASSERT_EQ(t.load(&why), FERRY_OK) << why;
  ASSERT_EQ(t.size(), 2u);
  const TopicConfig* a = t.find("a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->read_queues, 3u);
  EXPECT_EQ(a->write_queues, 2u);
  EXPECT_EQ(a->flags, static_cast<uint32_t>(FERRY_TOPIC_ORDERED));
}

// Send counts kept in the entries (TopicRuntime) reach the sink once per
// flush, survive update(), and are flushed before remove() / load() drop
// the entry, so a delete or reload between two scrapes loses none.
struct SinkLog {
  std::map<std::string, std::pair<uint64_t, uint64_t>> got;
  int calls = 0;
  TopicTable::CountSink sink() {
    return [this](const TopicConfig& t, uint64_t m, uint64_t b) {
      ++calls;
      got[t.name].first += m;
      got[t.name].second += b;
    };
  }
};

TEST(TopicTable, SendCountsReachTheSinkOncePerFlush) {
  ferry::test::TempDir dir;
  SinkLog log;
  TopicTable t(dir.str() + "/topics.conf", log.sink());
  std::string why;
  for (const char* n : {"a", "b", "c"}) ASSERT_EQ(t.create({n, 4, 4, 6, 0}, false, &why), FERRY_OK);
  t.count_in(*t.find("a"), 2, 10);
  t.count_in(*t.find("a"), 3, 30);
  t.count_in(*t.find("b"), 1, 5);
  EXPECT_EQ(t.counted(), 2u) << "a topic is listed once however often it is counted";
  EXPECT_EQ(log.calls, 0) << "nothing published before a flush";
  t.flush_counts();
  EXPECT_EQ(log.calls, 2);
  EXPECT_EQ(log.got["a"], std::make_pair(uint64_t{5}, uint64_t{40}));
  EXPECT_EQ(log.got["b"], std::make_pair(uint64_t{1}, uint64_t{5}));
  EXPECT_EQ(t.counted(), 0u);
  t.flush_counts();
  EXPECT_EQ(log.calls, 2) << "a second flush publishes nothing twice";

  t.count_in(*t.find("c"), 7, 70);
  EXPECT_EQ(t.update({"c", 8, 8, 6, 0}, false, &why), FERRY_OK);
  EXPECT_EQ(t.find("c")->write_queues, 8u);
  t.flush_counts();
  EXPECT_EQ(log.got["c"], std::make_pair(uint64_t{7}, uint64_t{70})) << "update keeps the counts";
}

TEST(TopicTable, RemoveAndReloadFlushTheEntryFirst) {
  ferry::test::TempDir dir;
  const std::string path = dir.str() + "/topics.conf";
  SinkLog log;
  TopicTable t(path, log.sink());
  std::string why;
  for (const char* n : {"a", "b", "c", "d"}) ASSERT_EQ(t.create({n, 4, 4, 6, 0}, false, &why), FERRY_OK);
  for (const char* n : {"a", "b", "c", "d"}) t.count_in(*t.find(n), 1, 1);
  // Removing the first listed entry moves the last into its slot.
  ASSERT_EQ(t.remove("a", false, &why), FERRY_OK);
  EXPECT_EQ(log.calls, 1) << "the removed topic's counts go to the sink at once";
  EXPECT_EQ(log.got["a"].first, 1u);
  EXPECT_EQ(t.counted(), 3u);
  // Re-created under the same name: a new entry, no counts of the old one.
  ASSERT_EQ(t.create({"a", 4, 4, 6, 0}, false, &why), FERRY_OK);
  t.count_in(*t.find("d"), 1, 1);
  t.count_in(*t.find("a"), 4, 4);
  ASSERT_EQ(t.remove("c", false, &why), FERRY_OK);
  t.flush_counts();
  EXPECT_EQ(log.got["a"].first, 5u);
  EXPECT_EQ(log.got["b"].first, 1u);
  EXPECT_EQ(log.got["c"].first, 1u);
  EXPECT_EQ(log.got["d"].first, 2u);
  EXPECT_EQ(log.calls, 5);

  ASSERT_EQ(t.save(&why), FERRY_OK) << why;
  t.count_in(*t.find("b"), 9, 9);
  const uint64_t before = t.generation();
  ASSERT_EQ(t.load(&why), FERRY_OK) << why;
  EXPECT_EQ(log.got["b"].first, 10u) << "load() replaces every entry: their counts are flushed first";
  EXPECT_GT(t.generation(), before) << "entries held by generation are known stale";
  EXPECT_FALSE(t.dirty());
  EXPECT_EQ(t.counted(), 0u);
  t.count_in(*t.find("b"), 1, 1);
  t.flush_counts();
  EXPECT_EQ(log.got["b"].first, 11u);
}

// find() goes through TopicIndex: every live name found as its own entry,
// removed and unknown names not, across growth, removals and a reload.
TEST(TopicTable, FindIsExactAcrossCreatesRemovesAndReload) {
  ferry::test::TempDir dir;
  TopicTable t(dir.str() + "/topics.conf");
  std::string why;
  const int n = 5000;
  auto name = [](int i) { return "topic-" + std::to_string(i); };
  for (int i = 0; i < n; ++i) ASSERT_EQ(t.create({name(i), 4, 4, 6, 0}, false, &why), FERRY_OK);
  for (int i = 0; i < n; i += 3) ASSERT_EQ(t.remove(name(i), false, &why), FERRY_OK);
  auto check = [&](const TopicTable& tt) {
    for (int i = 0; i < n; ++i) {
      const TopicConfig* c = tt.find(name(i));
      if (i % 3 == 0) {
        EXPECT_EQ(c, nullptr) << name(i);
      } else {
        ASSERT_NE(c, nullptr) << name(i);
        EXPECT_EQ(c->name, name(i));
      }
    }
    EXPECT_EQ(tt.find("topic-"), nullptr);
    EXPECT_EQ(tt.find("nope"), nullptr);
  };
  check(t);
  ASSERT_EQ(t.save(&why), FERRY_OK) << why;
  TopicTable again(dir.str() + "/topics.conf");
  ASSERT_EQ(again.load(&why), FERRY_OK) << why;
  check(again);
  ASSERT_EQ(again.create({name(0), 4, 4, 6, 0}, false, &why), FERRY_OK);
  EXPECT_EQ(again.find(name(0))->name, name(0));
}

// Colliding hashes: removal shifts later slots back so every probe still
// reaches its entry, also across the end of the slot array.
TEST(TopicIndex, EraseKeepsCollidingEntriesReachable) {
  std::vector<TopicConfig> cs(30);  // stays at 64 slots
  for (size_t i = 0; i < cs.size(); ++i) cs[i].name = "t" + std::to_string(i);
  auto name_of = [](const TopicConfig& c) -> std::string_view { return c.name; };
  auto h = [](size_t i) -> uint64_t { return i < 15 ? 63 : 62 + (i % 3); };  // 62, 63, 64 = 0: wraps
  TopicIndex index;
  for (size_t i = 0; i < cs.size(); ++i) index.insert(&cs[i], h(i));
  for (size_t i = 0; i < cs.size(); i += 2) index.erase(&cs[i], h(i));
  EXPECT_EQ(index.size(), cs.size() / 2);
  for (size_t i = 0; i < cs.size(); ++i)
    EXPECT_EQ(index.find(cs[i].name, h(i), name_of), i % 2 ? &cs[i] : nullptr) << i;
}

TEST(TopicTable, CorruptFileNamesTheLine) {
  ferry::test::TempDir dir;
  std::string path = dir.str() + "/topics.conf", why;
  std::ofstream(path) << "# header\nok 1 1 6 0\nbroken line\n";
  TopicTable t(path);
  EXPECT_EQ(t.load(&why), FERRY_E_CORRUPTED);
  EXPECT_NE(why.find(":3:"), std::string::npos) << why;
}

TEST(TopicTable, CrashBeforeRenameKeepsTheOldFile) {
  ferry::test::TempDir dir;
  std::string path = dir.str() + "/topics.conf", why;
  TopicTable t(path);
  ASSERT_EQ(t.create({"old", 1, 1, 6, 0}, false, &why), FERRY_OK);
  ASSERT_EQ(t.save(&why), FERRY_OK);
  ASSERT_EQ(t.create({"new", 1, 1, 6, 0}, false, &why), FERRY_OK);
  EXPECT_EQ(t.save(&why, [](const std::string&) { return false; }), FERRY_E_IO);
  EXPECT_TRUE(t.dirty()) << "a failed save must be retried";
  TopicTable reread(path);
  ASSERT_EQ(reread.load(&why), FERRY_OK) << why;
  EXPECT_NE(reread.find("old"), nullptr);
  EXPECT_EQ(reread.find("new"), nullptr);
}

class TopicAdminTest : public CoreFixture {};

TEST_F(TopicAdminTest, HundredThousandCreationsShareOneWrite) {
  config_.topic_persist_delay_ms = 1000;
  make_core();
  std::string why;
  for (int i = 0; i < 100'000; ++i)
    ASSERT_EQ(core_->create_topic({"t" + std::to_string(i), 1, 1, 6, 0}, false, &why), FERRY_OK) << why;
  EXPECT_EQ(core_->topics().writes(), 0u);
  env_.advance(1000);
  EXPECT_EQ(core_->topics().writes(), 1u);
  env_.advance(5000);
  EXPECT_EQ(core_->topics().writes(), 1u) << "rewritten without a change";
  TopicTable reread(dir_.str() + "/core/topics.conf");
  ASSERT_EQ(reread.load(&why), FERRY_OK) << why;
  EXPECT_EQ(reread.size(), 100'000u);
}

TEST_F(TopicAdminTest, CreateIsAnsweredOnlyOnceTheSharedWriteCoversIt) {
  config_.topic_persist_delay_ms = 1000;
  make_core();
  auto a = call(FERRY_CODE_TOPIC_CREATE, topic_create("a"));
  env_.advance(400);
  auto b = call(FERRY_CODE_TOPIC_CREATE, topic_create("b"));
  auto dup = call(FERRY_CODE_TOPIC_CREATE, topic_create("a"));
  EXPECT_EQ(dup->status, FERRY_E_ALREADY_EXISTS) << "refusals need no write";
  EXPECT_FALSE(a->answered) << "acknowledged before it is on disk";
  EXPECT_FALSE(b->answered);
  EXPECT_EQ(core_->topics().writes(), 0u);
  env_.advance(599);
  EXPECT_FALSE(a->answered) << "the window runs from the first unsaved change";
  env_.advance(1);
  ASSERT_TRUE(a->answered && b->answered);
  EXPECT_EQ(a->status, FERRY_OK) << a->message;
  EXPECT_EQ(b->status, FERRY_OK) << b->message;
  EXPECT_EQ(core_->topics().writes(), 1u) << "both share one write";
  TopicTable reread(dir_.str() + "/core/topics.conf");
  std::string why;
  ASSERT_EQ(reread.load(&why), FERRY_OK) << why;
  EXPECT_NE(reread.find("a"), nullptr);
  EXPECT_NE(reread.find("b"), nullptr);

  flatbuffers::FlatBufferBuilder fbb;
  auto del = call(FERRY_CODE_TOPIC_DELETE, finish(fbb, fb::CreateTopicNameRequest(fbb, fbb.CreateString("a"))));
  EXPECT_FALSE(del->answered);
  env_.advance(1000);
  ASSERT_TRUE(del->answered);
  EXPECT_EQ(del->status, FERRY_OK);
  EXPECT_EQ(core_->topics().writes(), 2u);
}

TEST_F(TopicAdminTest, FailedWriteAnswersWithAnErrorAndIsRetried) {
  config_.topic_persist_delay_ms = 100;
  make_core();
  bool fail = true;
  core_->set_before_rename_hook([&](const std::string&) { return !fail; });
  auto a = call(FERRY_CODE_TOPIC_CREATE, topic_create("a"));
  env_.advance(100);
  ASSERT_TRUE(a->answered);
  EXPECT_EQ(a->status, FERRY_E_IO);
  EXPECT_NE(a->message.find("not persisted"), std::string::npos) << a->message;
  fail = false;
  env_.advance(1000);  // retried
  EXPECT_EQ(core_->topics().writes(), 1u);
  EXPECT_FALSE(core_->topics().dirty());
}

TEST_F(TopicAdminTest, SendThatAutoCreatesItsTopicIsAckedOnlyOnceTheTableIsWritten) {
  config_.topic_persist_delay_ms = 1000;
  config_.auto_create_topics = true;
  make_core();  // no flush plugin: acks at WRITE, so only the table holds it
  auto first = send("auto", {{"m1"}});
  EXPECT_FALSE(first->answered) << "acked before the auto-created topic is on disk";
  env_.advance(1000);
  ASSERT_TRUE(first->answered);
  EXPECT_EQ(first->status, FERRY_OK) << first->message;
  auto second = send("auto", {{"m2"}});
  ASSERT_TRUE(second->answered) << "an existing topic adds no wait";
  EXPECT_EQ(second->status, FERRY_OK);
  EXPECT_GE(env_.topics_changed_, 1) << "the routing plugin is told at once";
}

// The topic-table write (whole file + fdatasync + rename) runs on a worker:
// the loop keeps serving while it is held, one write at a time, and the
// changes made meanwhile go into the next write.
TEST_F(TopicAdminTest, TopicTableIsWrittenOnAWorkerWhileTheLoopServes) {
  config_.topic_persist_delay_ms = 100;
  env_.hold_work = true;
  make_core();
  std::thread::id writer;
  core_->set_before_rename_hook([&](const std::string&) {
    writer = std::this_thread::get_id();
    return true;
  });
  const std::string path = dir_.str() + "/core/topics.conf";
  auto a = call(FERRY_CODE_TOPIC_CREATE, topic_create("a"));
  env_.advance(100);
  ASSERT_EQ(env_.held_work(), 1u) << "the write is handed to a worker";
  EXPECT_FALSE(a->answered) << "acknowledged before the write completed";
  EXPECT_FALSE(std::filesystem::exists(path));

  // The loop is free meanwhile: another change is accepted, its timer fires,
  // but no second write starts while one is in flight.
  auto b = call(FERRY_CODE_TOPIC_CREATE, topic_create("b"));
  auto dup = call(FERRY_CODE_TOPIC_CREATE, topic_create("a"));
  EXPECT_EQ(dup->status, FERRY_E_ALREADY_EXISTS);
  env_.advance(500);
  EXPECT_EQ(env_.held_work(), 1u) << "two writes of one file in flight";

  std::thread worker([&] { env_.run_held_work(); });
  worker.join();
  EXPECT_NE(writer, std::this_thread::get_id()) << "written on the loop thread";
  EXPECT_FALSE(a->answered) << "answered before the completion reached the loop";
  env_.run_loop();
  ASSERT_TRUE(a->answered);
  EXPECT_EQ(a->status, FERRY_OK) << a->message;
  EXPECT_FALSE(b->answered) << "b was created after the snapshot that was written";
  EXPECT_EQ(core_->topics().writes(), 1u);

  env_.advance(100);  // the next write, armed by the completion, covers b
  ASSERT_EQ(env_.held_work(), 1u);
  std::thread worker2([&] { env_.run_held_work(); });
  worker2.join();
  env_.run_loop();
  ASSERT_TRUE(b->answered);
  EXPECT_EQ(b->status, FERRY_OK) << b->message;
  EXPECT_EQ(core_->topics().writes(), 2u);
  TopicTable reread(path);
  std::string why;
  ASSERT_EQ(reread.load(&why), FERRY_OK) << why;
  EXPECT_NE(reread.find("a"), nullptr);
  EXPECT_NE(reread.find("b"), nullptr);
}

// Shutdown writes the table on the loop while an older snapshot may still
// wait for its worker: that older write must not replace the newer file.
TEST_F(TopicAdminTest, AWorkerWriteFinishingAfterShutdownKeepsTheNewerTable) {
  config_.topic_persist_delay_ms = 100;
  env_.hold_work = true;
  make_core();
  const std::string path = dir_.str() + "/core/topics.conf";
  auto a = call(FERRY_CODE_TOPIC_CREATE, topic_create("a"));
  env_.advance(100);
  ASSERT_EQ(env_.held_work(), 1u);  // snapshot {a}, not written yet
  auto b = call(FERRY_CODE_TOPIC_CREATE, topic_create("b"));
  core_->stop();  // writes {a, b} now
  ASSERT_TRUE(a->answered && b->answered);
  EXPECT_EQ(a->status, FERRY_OK) << a->message;
  EXPECT_EQ(b->status, FERRY_OK) << b->message;
  std::thread worker([&] { env_.run_held_work(); });  // the stale {a} snapshot
  worker.join();
  env_.run_loop();
  TopicTable reread(path);
  std::string why;
  ASSERT_EQ(reread.load(&why), FERRY_OK) << why;
  EXPECT_NE(reread.find("a"), nullptr);
  EXPECT_NE(reread.find("b"), nullptr) << "the older snapshot was written over the newer one";
}

TEST_F(TopicAdminTest, RequestsCreateGetListUpdateDelete) {
  make_core();
  EXPECT_EQ(call(FERRY_CODE_TOPIC_CREATE, topic_create("orders", 8, 8))->status, FERRY_OK);
  EXPECT_EQ(call(FERRY_CODE_TOPIC_CREATE, topic_create("orders"))->status, FERRY_E_ALREADY_EXISTS);
  EXPECT_EQ(call(FERRY_CODE_TOPIC_CREATE, topic_create("bad name"))->status, FERRY_E_INVALID_NAME);
  EXPECT_EQ(call(FERRY_CODE_TOPIC_CREATE, topic_create("RMQ_SYS_X"))->status, FERRY_E_RESERVED_NAME);
  EXPECT_EQ(call(FERRY_CODE_TOPIC_UPDATE, topic_create("orders", 2, 2, 4))->status, FERRY_OK);
  for (int i = 0; i < 5; ++i) create_topic("p" + std::to_string(i));

  flatbuffers::FlatBufferBuilder fbb;
  auto get = call(FERRY_CODE_TOPIC_GET, finish(fbb, fb::CreateTopicNameRequest(fbb, fbb.CreateString("orders"))));
  ASSERT_EQ(get->status, FERRY_OK);
  EXPECT_EQ(answer_as<fb::TopicResponse>(*get)->topic()->read_queues(), 2u);

  fbb.Clear();
  auto page = call(FERRY_CODE_TOPIC_LIST, finish(fbb, fb::CreateTopicListRequest(fbb, fbb.CreateString("orders"), 3)));
  auto* l = answer_as<fb::TopicListResponse>(*page);
  ASSERT_NE(l, nullptr);
  ASSERT_EQ(l->topics()->size(), 3u);
  EXPECT_EQ(sv(l->topics()->Get(0)->name()), "p0");
  EXPECT_TRUE(l->more());

  fbb.Clear();
  EXPECT_EQ(call(FERRY_CODE_TOPIC_DELETE, finish(fbb, fb::CreateTopicNameRequest(fbb, fbb.CreateString("orders"))))->status,
            FERRY_OK);
  EXPECT_EQ(core_->topics().find("orders"), nullptr);
  EXPECT_GE(env_.topics_changed_, 7);
}

TEST(CoreConfigKeys, DefaultsMatchTheStruct) {
  CoreConfig c;
  auto keys = core_config_keys();
  auto find = [&](std::string_view n) -> const ferry_config_key* {
    for (const auto& k : keys)
      if (n == k.name) return &k;
    return nullptr;
  };
  ASSERT_NE(find("max_message_size"), nullptr);
  EXPECT_STREQ(find("max_message_size")->default_value, "4MiB");
  EXPECT_EQ(c.max_message_size, 4u << 20);
  EXPECT_STREQ(find("auto_create_topics")->default_value, "false");
  EXPECT_FALSE(c.auto_create_topics);
  EXPECT_STREQ(find("long_poll_max_hold")->default_value, "15s");
  EXPECT_EQ(c.long_poll_max_hold_ms, 15'000u);
  EXPECT_STREQ(find("client_expiry")->default_value, "120s");
  EXPECT_EQ(c.client_expiry_ms, 120'000u);
  EXPECT_STREQ(find("queue_lock_lease")->default_value, "60s");
  EXPECT_EQ(c.queue_lock_lease_ms, 60'000u);
  EXPECT_STREQ(find("send_queue_capacity")->default_value, "10000");
  EXPECT_EQ(c.send_queue_capacity, 10'000u);
  EXPECT_STREQ(find("max_pull_bytes")->default_value, "4MiB");
  EXPECT_EQ(c.max_pull_bytes, 4u << 20);
  EXPECT_STREQ(find("offset_persist_interval")->default_value, "5s");
  EXPECT_EQ(c.offset_persist_interval_ms, 5'000u);
  EXPECT_STREQ(find("topic_persist_delay")->default_value, "10ms");
  EXPECT_EQ(c.topic_persist_delay_ms, 10u);
  for (const auto& k : keys) {
    EXPECT_EQ(k.struct_size, sizeof(ferry_config_key));
    EXPECT_NE(k.description, nullptr);
  }
}

}  // namespace
}  // namespace ferry::core::test
