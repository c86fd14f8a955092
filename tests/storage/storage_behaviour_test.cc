// The behavioural storage suite: what the kernel relies on, run against every
// storage plugin loaded as a .so through its descriptor (mmaplog, memory).
#include <atomic>
#include <mutex>

#include "storage_test_util.h"

namespace ferry::storage_test {
namespace {

class StorageBehaviour : public ::testing::TestWithParam<std::string> {
 protected:
  test::FakeHost host{test::FakeHost::Options{.manual_clock = true}};
  std::unique_ptr<StorageInstance> s;

  void SetUp() override {
    s = std::make_unique<StorageInstance>(host, GetParam());
    ASSERT_TRUE(s->ok()) << s->create_error;
    s->start();
  }
  void TearDown() override { s.reset(); }

  std::vector<OwnedMessage> batch(const std::string& topic, int32_t qid, int n,
                                  const std::string& prefix = "m") {
    std::vector<OwnedMessage> v;
    for (int i = 0; i < n; ++i) v.emplace_back(topic, qid, prefix + std::to_string(i));
    return v;
  }
};

TEST_P(StorageBehaviour, AppendAssignsQueueOffsetsPerQueueAndReadsBack) {
  auto msgs = batch("orders", 0, 10);
  for (auto& m : batch("orders", 1, 5, "q1-")) msgs.push_back(m);
  auto res = s->append_ok(msgs);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(res[i].queue_offset, static_cast<uint64_t>(i));
  for (int i = 0; i < 5; ++i) EXPECT_EQ(res[10 + i].queue_offset, static_cast<uint64_t>(i));
  for (size_t i = 1; i < res.size(); ++i)
    EXPECT_EQ(res[i].commit_offset, res[i - 1].commit_offset + res[i - 1].size);
  EXPECT_EQ(s->ops->write_offset(s->inst), res.back().commit_offset + res.back().size);
  ASSERT_TRUE(s->wait_dispatched("orders", 0, 10));
  ASSERT_TRUE(s->wait_dispatched("orders", 1, 5));

  Result r = s->read("orders", 0, 0, 100);
  ASSERT_EQ(r->status, FERRY_READ_FOUND);
  ASSERT_EQ(r->count, 10u);
  EXPECT_EQ(r->next_offset, 10u);
  EXPECT_EQ(r->min_offset, 0u);
  EXPECT_EQ(r->max_offset, 10u);
  for (size_t i = 0; i < 10; ++i) {
    ferry_record_view v = decode(r->records[i]);
    EXPECT_EQ(str(v.body), "m" + std::to_string(i));
    EXPECT_EQ(str(v.topic), "orders");
    EXPECT_EQ(v.queue_offset, static_cast<int64_t>(i));
    EXPECT_EQ(static_cast<uint64_t>(v.physical_offset), res[i].commit_offset);
    EXPECT_EQ(r->queue_offsets[i], i);
  }
  Result q1 = s->read("orders", 1, 2, 100);
  EXPECT_EQ(q1.bodies(), (std::vector<std::string>{"q1-2", "q1-3", "q1-4"}));
}

TEST_P(StorageBehaviour, RangesAndOutOfRangeAnswers) {
  s->append_ok(batch("t", 3, 4));
  ASSERT_TRUE(s->wait_dispatched("t", 3, 4));
  uint64_t mn = 9, mx = 9;
  ferry_error err;
  ASSERT_EQ(s->ops->queue_range(s->inst, sl(std::string("t")), 3, &mn, &mx, &err), FERRY_OK);
  EXPECT_EQ(mn, 0u);
  EXPECT_EQ(mx, 4u);
  ASSERT_EQ(s->ops->queue_range(s->inst, sl(std::string("nope")), 0, &mn, &mx, &err), FERRY_OK);
  EXPECT_EQ(mx, 0u);
  Result at_max = s->read("t", 3, 4);
  EXPECT_EQ(at_max->status, FERRY_READ_NO_NEW_MESSAGE);
  EXPECT_EQ(at_max->next_offset, 4u);
  Result past = s->read("t", 3, 9);
  EXPECT_EQ(past->status, FERRY_READ_OFFSET_OUT_OF_RANGE);
  EXPECT_EQ(past->next_offset, 4u);
  Result unknown = s->read("nope", 0, 0);
  EXPECT_EQ(unknown->status, FERRY_READ_NO_NEW_MESSAGE);
}

TEST_P(StorageBehaviour, MaxCountAndMaxBytesBoundAReadButOneRecordAlwaysComes) {
  s->append_ok(batch("t", 0, 20));
  ASSERT_TRUE(s->wait_dispatched("t", 0, 20));
  Result three = s->read("t", 0, 5, 3);
  EXPECT_EQ(three.bodies(), (std::vector<std::string>{"m5", "m6", "m7"}));
  EXPECT_EQ(three->next_offset, 8u);
  Result tiny = s->read("t", 0, 0, 32, 1);
  EXPECT_EQ(tiny->count, 1u);
  EXPECT_EQ(tiny->next_offset, 1u);
  uint32_t one = static_cast<uint32_t>(tiny->records[0].len);
  Result two = s->read("t", 0, 0, 32, one * 2 + 1);
  EXPECT_EQ(two->count, 2u);
}

struct TagFilter {
  int64_t want;
  std::atomic<int> record_calls{0};
  static int tag(void* ud, int64_t h) { return static_cast<TagFilter*>(ud)->want == h ? 1 : 0; }
  static int undecided(void*, int64_t) { return -1; }
  static int red(void* ud, const void* rec, size_t len) {
    static_cast<TagFilter*>(ud)->record_calls++;
    ferry_record_view v;
    if (ferry_record_decode(rec, len, &v) != FERRY_OK) return 0;
    ferry_slice c;
    return ferry_property_find(v.properties, "color", &c) && str(c) == "red";
  }
};

TEST_P(StorageBehaviour, FilterByTagHashSkipsAndMovesPastNonMatching) {
  std::vector<OwnedMessage> msgs;
  for (int i = 0; i < 12; ++i)
    msgs.emplace_back("t", 0, "m" + std::to_string(i),
                      std::vector<std::pair<std::string, std::string>>{{"TAGS", i % 3 == 0 ? "A" : "B"}});
  s->append_ok(msgs);
  ASSERT_TRUE(s->wait_dispatched("t", 0, 12));
  std::string a = "A";
  TagFilter tf{ferry_tag_hash(sl(a))};
  ferry_read_filter f = FERRY_STRUCT_INIT(ferry_read_filter);
  f.match_tag_hash = &TagFilter::tag;
  f.user_data = &tf;
  Result r = s->read("t", 0, 0, 32, 1u << 20, &f);
  EXPECT_EQ(r.bodies(), (std::vector<std::string>{"m0", "m3", "m6", "m9"}));
  EXPECT_EQ(r->next_offset, 12u);
  for (size_t i = 0; i < r->count; ++i) EXPECT_EQ(r->queue_offsets[i] % 3, 0u);
  // Nothing matches after m9: NO_MATCHED, and the offset moves on.
  Result none = s->read("t", 0, 10, 32, 1u << 20, &f);
  EXPECT_EQ(none->status, FERRY_READ_NO_MATCHED);
  EXPECT_EQ(none->count, 0u);
  EXPECT_EQ(none->next_offset, 12u);
}

TEST_P(StorageBehaviour, RecordFilterDecidesWhenTheTagCannot) {
  std::vector<OwnedMessage> msgs;
  for (int i = 0; i < 6; ++i)
    msgs.emplace_back("t", 0, "m" + std::to_string(i),
                      std::vector<std::pair<std::string, std::string>>{{"color", i % 2 ? "red" : "blue"}});
  s->append_ok(msgs);
  ASSERT_TRUE(s->wait_dispatched("t", 0, 6));
  TagFilter tf{0};
  ferry_read_filter f = FERRY_STRUCT_INIT(ferry_read_filter);
  f.match_tag_hash = &TagFilter::undecided;
  f.match_record = &TagFilter::red;
  f.user_data = &tf;
  Result r = s->read("t", 0, 0, 32, 1u << 20, &f);
  EXPECT_EQ(r.bodies(), (std::vector<std::string>{"m1", "m3", "m5"}));
  EXPECT_EQ(tf.record_calls.load(), 6);
}

TEST_P(StorageBehaviour, OffsetForTimeFindsTheFirstRecordAtOrAfter) {
  int64_t t0 = host.api()->now_ms(s->handle().host());
  s->append_ok(batch("t", 0, 3, "a"));
  host.advance_clock(std::chrono::milliseconds(5000));
  s->append_ok(batch("t", 0, 3, "b"));
  host.advance_clock(std::chrono::milliseconds(5000));
  s->append_ok(batch("t", 0, 2, "c"));
  ASSERT_TRUE(s->wait_dispatched("t", 0, 8));
  auto at = [&](int64_t ts) {
    uint64_t off = 99;
    ferry_error err;
    EXPECT_EQ(s->ops->offset_for_time(s->inst, sl(std::string("t")), 0, ts, &off, &err), FERRY_OK);
    return off;
  };
  EXPECT_EQ(at(t0 - 1), 0u);
  EXPECT_EQ(at(t0), 0u);
  EXPECT_EQ(at(t0 + 1), 3u);
  EXPECT_EQ(at(t0 + 5000), 3u);
  EXPECT_EQ(at(t0 + 7000), 6u);
  EXPECT_EQ(at(t0 + 10'001), 8u);  // none: max
}

TEST_P(StorageBehaviour, QueryKeyByKeysAndUniqKeyWithinTopicAndTimeRange) {
  int64_t t0 = host.api()->now_ms(s->handle().host());
  std::vector<OwnedMessage> msgs;
  msgs.emplace_back("t", 0, "one", std::vector<std::pair<std::string, std::string>>{{"KEYS", "k1 k2"}});
  msgs.emplace_back("t", 1, "two", std::vector<std::pair<std::string, std::string>>{{"KEYS", "k2"}, {"UNIQ_KEY", "U-2"}});
  msgs.emplace_back("other", 0, "three", std::vector<std::pair<std::string, std::string>>{{"KEYS", "k2"}});
  s->append_ok(msgs);
  host.advance_clock(std::chrono::milliseconds(60'000));
  std::vector<OwnedMessage> later;
  later.emplace_back("t", 0, "four", std::vector<std::pair<std::string, std::string>>{{"KEYS", "k2"}});
  s->append_ok(later);
  ASSERT_TRUE(s->wait_dispatched("t", 0, 2));
  auto q = [&](const std::string& topic, const std::string& key, int64_t b, int64_t e) {
    Result r;
    ferry_error err;
    EXPECT_EQ(s->ops->query_key(s->inst, sl(topic), sl(key), b, e, 32, &r.r, &err), FERRY_OK);
    auto bodies = r.bodies();
    std::sort(bodies.begin(), bodies.end());
    return bodies;
  };
  EXPECT_EQ(q("t", "k2", t0, t0 + 120'000), (std::vector<std::string>{"four", "one", "two"}));
  EXPECT_EQ(q("t", "k2", t0, t0 + 1000), (std::vector<std::string>{"one", "two"}));
  EXPECT_EQ(q("t", "k1", t0, t0 + 120'000), (std::vector<std::string>{"one"}));
  EXPECT_EQ(q("t", "U-2", 0, INT64_MAX / 2), (std::vector<std::string>{"two"}));
  EXPECT_EQ(q("other", "k2", 0, INT64_MAX / 2), (std::vector<std::string>{"three"}));
  EXPECT_TRUE(q("t", "k", 0, INT64_MAX / 2).empty());
  // An open range, as clients send it, must not overflow the index's widening.
  EXPECT_EQ(q("t", "U-2", INT64_MIN, INT64_MAX), (std::vector<std::string>{"two"}));
  EXPECT_EQ(q("t", "k1", INT64_MIN, INT64_MAX), (std::vector<std::string>{"one"}));
}

TEST_P(StorageBehaviour, ReadAtReturnsTheRecordAtACommitOffset) {
  auto res = s->append_ok(batch("t", 0, 3));
  ASSERT_TRUE(s->wait_dispatched("t", 0, 3));
  Result r;
  ferry_error err;
  ASSERT_EQ(s->ops->read_at(s->inst, res[1].commit_offset, &r.r, &err), FERRY_OK) << err.message;
  ASSERT_EQ(r->count, 1u);
  EXPECT_EQ(str(decode(r->records[0]).body), "m1");
  EXPECT_EQ(r->records[0].len, res[1].size);
  Result bad;
  EXPECT_EQ(s->ops->read_at(s->inst, res[1].commit_offset + 1, &bad.r, &err), FERRY_E_NOT_FOUND);
  EXPECT_FALSE(err.message.empty());
}

TEST_P(StorageBehaviour, BadMessageInABatchStoresThePrefixOnly) {
  auto msgs = batch("t", 0, 4);
  msgs[2].props = std::string("bad\x01value\x01x\x02");
  msgs[2].fix();
  std::vector<ferry_append_result> res;
  size_t appended = 9;
  std::string error;
  EXPECT_EQ(s->append(msgs, &res, &appended, &error), FERRY_E_INVALID_ARGUMENT);
  EXPECT_EQ(appended, 2u);
  EXPECT_NE(error.find("message 2"), std::string::npos) << error;
  EXPECT_EQ(s->ops->write_offset(s->inst), res[1].commit_offset + res[1].size);
  auto more = s->append_ok(batch("t", 0, 1, "after"));
  EXPECT_EQ(more[0].queue_offset, 2u);  // no gap where the refused ones were
  ASSERT_TRUE(s->wait_dispatched("t", 0, 3));
  EXPECT_EQ(s->read("t", 0, 0).bodies(), (std::vector<std::string>{"m0", "m1", "after0"}));
}

struct Collected {
  std::mutex mu;
  std::vector<std::pair<std::string, uint64_t>> entries;
  uint64_t last = 0;
  static void on(void* ud, const ferry_dispatch_entry* e, size_t n, uint64_t off) {
    auto* c = static_cast<Collected*>(ud);
    std::lock_guard lk(c->mu);
    for (size_t i = 0; i < n; ++i) c->entries.emplace_back(str(e[i].topic), e[i].queue_offset);
    c->last = off;
  }
  size_t size() {
    std::lock_guard lk(mu);
    return entries.size();
  }
};

TEST_P(StorageBehaviour, DispatchListenerSeesEveryRecordOnlyOnceVisible) {
  // A fresh instance: the listener must be set before start.
  s.reset();
  test::FakeHost h2;
  StorageInstance st(h2, GetParam());
  ASSERT_TRUE(st.ok()) << st.create_error;
  Collected c;
  h2.run_on_loop([&] { st.ops->set_dispatch_listener(st.inst, &Collected::on, &c); });
  st.start();
  auto msgs = batch("t", 0, 5);
  std::vector<const ferry_message*> ptrs;
  for (auto& m : msgs) ptrs.push_back(&m.msg);
  std::vector<ferry_append_result> res(5, FERRY_STRUCT_INIT(ferry_append_result));
  size_t n = 0;
  uint64_t wo = 0;
  ferry_error err;
  ASSERT_EQ(st.ops->append(st.inst, ptrs.data(), 5, res.data(), &n, &wo, &err), FERRY_OK);
  // WRITE not published yet: VISIBLE is behind, nothing may be dispatched.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(c.size(), 0u);
  EXPECT_EQ(st.max_offset("t", 0), 0u);
  h2.publish_write(res[2].commit_offset + res[2].size);  // only the first three visible
  ASSERT_TRUE(test::wait_until([&] { return c.size() >= 3; }, std::chrono::seconds(5)));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(c.size(), 3u);
  EXPECT_EQ(st.max_offset("t", 0), 3u);
  h2.publish_write(wo);
  ASSERT_TRUE(test::wait_until([&] { return c.size() >= 5; }, std::chrono::seconds(5)));
  std::lock_guard lk(c.mu);
  for (uint64_t i = 0; i < 5; ++i) EXPECT_EQ(c.entries[i].second, i);
  EXPECT_EQ(c.last, wo);
}

TEST_P(StorageBehaviour, ReadLogAndAppendRawCopyTheLogByteForByte) {
  auto msgs = batch("t", 0, 30);
  for (auto& m : batch("u", 2, 10, "u")) msgs.push_back(m);
  s->append_ok(msgs);
  test::FakeHost h2;
  StorageInstance slave(h2, GetParam());
  ASSERT_TRUE(slave.ok()) << slave.create_error;
  slave.start();
  if (!s->ops->append_raw) GTEST_SKIP() << "append_raw is optional";
  uint64_t off = 0;
  const uint64_t end = s->ops->write_offset(s->inst);
  int rounds = 0;
  while (off < end && rounds++ < 1000) {
    Result r;
    ferry_error err;
    ASSERT_EQ(s->ops->read_log(s->inst, off, 700, &r.r, &err), FERRY_OK) << err.message;
    ASSERT_EQ(r->status, FERRY_READ_FOUND);
    for (size_t i = 0; i < r->count; ++i) {
      uint64_t wo = 0;
      ASSERT_EQ(slave.ops->append_raw(slave.inst, off, r->records[i], &wo, &err), FERRY_OK)
          << err.message;
      off += r->records[i].len;
      EXPECT_EQ(wo, off);
    }
    EXPECT_EQ(r->next_offset, off);
  }
  ASSERT_EQ(off, end);
  h2.publish_write(off);
  ASSERT_TRUE(slave.wait_dispatched("u", 2, 10));
  ASSERT_TRUE(slave.wait_dispatched("t", 0, 30));
  // The master's own dispatcher may lag behind the copy on a loaded machine.
  ASSERT_TRUE(s->wait_dispatched("u", 2, 10));
  EXPECT_EQ(slave.read("u", 2, 0).bodies(), s->read("u", 2, 0).bodies());
  // The slave continues the queue offsets.
  auto more = slave.append_ok(batch("u", 2, 1, "next"));
  EXPECT_EQ(more[0].queue_offset, 10u);
  // A wrong offset and a garbled record are refused.
  Result r;
  ferry_error err;
  ASSERT_EQ(s->ops->read_log(s->inst, 0, 700, &r.r, &err), FERRY_OK);
  uint64_t wo = 0;
  EXPECT_EQ(slave.ops->append_raw(slave.inst, 0, r->records[0], &wo, &err), FERRY_E_INVALID_ARGUMENT);
  std::string copy = str(r->records[0]);
  copy[copy.size() / 2] ^= 1;
  EXPECT_NE(slave.ops->append_raw(slave.inst, slave.ops->write_offset(slave.inst), sl(copy), &wo, &err), FERRY_OK);
}

TEST_P(StorageBehaviour, DeleteTopicDropsItsQueues) {
  s->append_ok(batch("gone", 0, 3));
  s->append_ok(batch("kept", 0, 3));
  ASSERT_TRUE(s->wait_dispatched("gone", 0, 3));
  ASSERT_TRUE(s->wait_dispatched("kept", 0, 3));
  ferry_error err;
  host.run_on_loop([&] { EXPECT_EQ(s->ops->delete_topic(s->inst, sl(std::string("gone")), &err), FERRY_OK); });
  EXPECT_EQ(s->max_offset("gone", 0), 0u);
  EXPECT_EQ(s->read("kept", 0, 0)->count, 3u);
}

// ferry_message.storage_slot (ABI 0.3), as the core hands it: one slot per
// topic, empty at first. Messages with a slot, without one and of an older
// struct size (no slot field: whatever lies there is not read) share each
// queue's offsets; after delete_topic (the host dropped the slot first) the
// topic starts again at 0. A storage may ignore the slot (memory does).
TEST_P(StorageBehaviour, StorageSlotSharesEachQueuesOffsetsWithLookupsByName) {
  void* slot_a = nullptr;
  void* slot_b = nullptr;
  auto with = [](std::vector<OwnedMessage> v, void** slot) {
    for (auto& m : v) m.msg.storage_slot = slot;
    return v;
  };
  std::vector<OwnedMessage> msgs = with(batch("a", 0, 2), &slot_a);
  for (auto& m : with(batch("b", 0, 1), &slot_b)) msgs.push_back(m);
  for (auto& m : with(batch("a", 9, 2, "x"), &slot_a)) msgs.push_back(m);  // beyond the inline queues
  for (auto& m : batch("b", 0, 1, "n")) msgs.push_back(m);                  // no slot
  auto res = s->append_ok(msgs);
  ASSERT_EQ(res.size(), 6u);
  EXPECT_EQ(res[0].queue_offset, 0u);
  EXPECT_EQ(res[1].queue_offset, 1u);
  EXPECT_EQ(res[2].queue_offset, 0u);
  EXPECT_EQ(res[3].queue_offset, 0u);
  EXPECT_EQ(res[4].queue_offset, 1u);
  EXPECT_EQ(res[5].queue_offset, 1u);
  if (GetParam() == "mmaplog") {
    EXPECT_NE(slot_a, nullptr);
    EXPECT_NE(slot_b, nullptr);
    EXPECT_NE(slot_a, slot_b);
  }

  std::vector<OwnedMessage> more = with(batch("a", 0, 1, "s"), &slot_a);
  for (auto& m : batch("a", 0, 1, "n")) more.push_back(m);
  OwnedMessage old("a", 0, "old");
  old.msg.struct_size = FERRY_STRUCT_SIZE(ferry_message, prepared_transaction_offset);
  old.msg.storage_slot = reinterpret_cast<void**>(uintptr_t{8});  // not part of an older struct
  more.push_back(old);
  for (auto& m : with(batch("a", 9, 1, "y"), &slot_a)) more.push_back(m);
  res = s->append_ok(more);
  ASSERT_EQ(res.size(), 4u);
  EXPECT_EQ(res[0].queue_offset, 2u);
  EXPECT_EQ(res[1].queue_offset, 3u);
  EXPECT_EQ(res[2].queue_offset, 4u);
  EXPECT_EQ(res[3].queue_offset, 2u);
  ASSERT_TRUE(s->wait_dispatched("a", 0, 5));
  EXPECT_EQ(s->read("a", 0, 0, 100).bodies(),
            (std::vector<std::string>{"m0", "m1", "s0", "n0", "old"}));

  ferry_error err;
  slot_a = nullptr;  // the host drops the entry (and its slot) before delete_topic
  host.run_on_loop([&] { EXPECT_EQ(s->ops->delete_topic(s->inst, sl(std::string("a")), &err), FERRY_OK); });
  res = s->append_ok(with(batch("a", 0, 1, "r"), &slot_a));
  EXPECT_EQ(res[0].queue_offset, 0u);
  res = s->append_ok(with(batch("b", 0, 1, "b"), &slot_b));
  EXPECT_EQ(res[0].queue_offset, 2u);
}

TEST_P(StorageBehaviour, StatsReportOffsets) {
  auto res = s->append_ok(batch("t", 0, 3));
  ASSERT_TRUE(s->wait_dispatched("t", 0, 3));
  ferry_storage_stats st = FERRY_STRUCT_INIT(ferry_storage_stats);
  ASSERT_EQ(s->ops->stats(s->inst, &st), FERRY_OK);
  EXPECT_EQ(st.write_offset, res.back().commit_offset + res.back().size);
  EXPECT_TRUE(test::wait_until([&] {
    s->ops->stats(s->inst, &st);
    return st.dispatched_offset == st.write_offset;
  }, std::chrono::seconds(5)));
  EXPECT_EQ(st.min_commit_offset, 0u);
}

INSTANTIATE_TEST_SUITE_P(Plugins, StorageBehaviour, ::testing::Values("mmaplog", "memory"),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace ferry::storage_test
