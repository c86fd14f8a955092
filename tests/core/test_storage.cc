#include "test_storage.h"

#include <ferry/record.h>
#include <ferry_common/record_encoder.h>
#include <ferry_test/fake_host.h>

#include <memory>

namespace ferry::core::test {

struct Result {
  ferry_read_result r;
  std::vector<ferry_slice> slices;
  std::vector<uint64_t> offsets;
  TestStorage* owner;
};

struct TestStorageOps {
  static TestStorage* self(void* i) { return static_cast<TestStorage*>(i); }

  static void release(ferry_read_result* r) {
    std::unique_ptr<Result> res(static_cast<Result*>(r->private_data));
    --res->owner->live_results;
  }

  static std::unique_ptr<Result> make(TestStorage* s) {
    auto res = std::make_unique<Result>();
    res->r = FERRY_STRUCT_INIT(ferry_read_result);
    res->r.release = &release;
    res->r.private_data = res.get();
    res->owner = s;
    return res;
  }

  static ferry_read_result* finish(std::unique_ptr<Result> res) {
    res->r.count = res->slices.size();
    res->r.records = res->slices.data();
    res->r.queue_offsets = res->offsets.empty() ? nullptr : res->offsets.data();
    ++res->owner->live_results;
    return &res.release()->r;
  }

  static ferry_status append(void* inst, const ferry_message* const* msgs, size_t n,
                             ferry_append_result* results, size_t* appended, uint64_t* write_offset,
                             ferry_error* err) {
    auto* s = self(inst);
    *appended = 0;
    ++s->append_calls;
    if (s->fail_append != FERRY_OK && s->fail_after < 0) {
      if (err) err->message = "injected append failure";
      return s->fail_append;
    }
    for (size_t i = 0; i < n; ++i) {
      if (s->fail_after >= 0 && i == static_cast<size_t>(s->fail_after)) {
        s->fail_after = -1;  // like a full disk: every later append fails too
        if (err) err->message = "injected append failure";
        *write_offset = s->write_offset;
        return s->fail_append;
      }
      const ferry_message& m = *msgs[i];
      ferry::common::RecordPlan plan;
      const char* why = nullptr;
      ferry_status st = ferry::common::plan_record(m, 4, 64u << 20, &plan, &why);
      if (st != FERRY_OK) {
        if (err) err->message = why;
        *write_offset = s->write_offset;
        return st;
      }
      std::string topic(static_cast<const char*>(m.topic.data), m.topic.len);
      void** slot = FERRY_HAS_FIELD(ferry_message, m.struct_size, storage_slot) ? m.storage_slot : nullptr;
      s->slots.push_back({topic, slot, slot ? *slot : nullptr});
      if (slot && !*slot) *slot = s;
      auto key = std::make_pair(topic, m.queue_id);
      TestStorage::Queue& q = s->queues[key];
      static const unsigned char host[4] = {127, 0, 0, 1};
      ferry::common::RecordStamp stamp;
      stamp.queue_offset = q.entries.size();
      stamp.physical_offset = s->write_offset;
      stamp.store_timestamp_ms = 1'700'000'000'000 + static_cast<int64_t>(s->write_offset);
      stamp.store_host = {host, 4};
      stamp.store_port = 10911;
      std::string rec(plan.size, '\0');
      ferry::common::encode_record(m, plan, stamp, rec.data());
      ferry_slice tags{};
      int64_t hash = 0;
      if (ferry_property_find(m.properties, FERRY_PROP_TAGS, &tags)) hash = ferry_tag_hash(tags);
      q.entries.push_back({s->write_offset, plan.size, hash, stamp.store_timestamp_ms});
      s->undispatched_.emplace_back(key, q.entries.size() - 1);
      results[i] = FERRY_STRUCT_INIT(ferry_append_result);
      results[i].commit_offset = s->write_offset;
      results[i].size = plan.size;
      results[i].queue_id = m.queue_id;
      results[i].queue_offset = stamp.queue_offset;
      results[i].store_timestamp_ms = stamp.store_timestamp_ms;
      s->records[s->write_offset] = std::move(rec);
      s->write_offset += plan.size;
      ++*appended;
    }
    *write_offset = s->write_offset;
    return FERRY_OK;
  }

  static uint64_t write_offset(void* inst) { return self(inst)->write_offset; }

  static ferry_status read_queue(void* inst, const ferry_read_request* req, ferry_read_result** out,
                                 ferry_error*) {
    auto* s = self(inst);
    if (s->would_block && !(req->flags & FERRY_READ_MAY_BLOCK)) return FERRY_E_WOULD_BLOCK;
    if (req->flags & FERRY_READ_MAY_BLOCK) ++s->blocking_reads;
    std::string topic(static_cast<const char*>(req->topic.data), req->topic.len);
    TestStorage::Queue empty;
    auto it = s->queues.find({topic, req->queue_id});
    const TestStorage::Queue& q = it == s->queues.end() ? empty : it->second;
    auto res = make(s);
    uint64_t max = q.dispatched;
    res->r.min_offset = q.min;
    res->r.max_offset = max;
    uint64_t off = req->queue_offset;
    if (off < q.min) {
      res->r.status = FERRY_READ_OFFSET_MOVED;
      res->r.next_offset = q.min;
    } else if (off > max) {
      res->r.status = FERRY_READ_OFFSET_OUT_OF_RANGE;
      res->r.next_offset = max;
    } else if (off == max) {
      res->r.status = FERRY_READ_NO_NEW_MESSAGE;
      res->r.next_offset = max;
    } else {
      size_t bytes = 0;
      uint64_t o = off;
      for (; o < max && res->slices.size() < req->max_count; ++o) {
        const auto& e = q.entries[o];
        const std::string& rec = s->records[e.commit_offset];
        int keep = 1;
        if (req->filter) {
          keep = req->filter->match_tag_hash(req->filter->user_data, e.tag_hash);
          if (keep < 0)
            keep = req->filter->match_record ? req->filter->match_record(req->filter->user_data, rec.data(), rec.size()) : 1;
        }
        if (!keep) continue;
        if (!res->slices.empty() && bytes + rec.size() > req->max_bytes) break;
        bytes += rec.size();
        res->slices.push_back({rec.data(), rec.size()});
        res->offsets.push_back(o);
      }
      res->r.next_offset = o;
      res->r.status = res->slices.empty() ? FERRY_READ_NO_MATCHED : FERRY_READ_FOUND;
    }
    *out = finish(std::move(res));
    return FERRY_OK;
  }

  static ferry_status read_at(void* inst, uint64_t off, ferry_read_result** out, ferry_error* err) {
    auto* s = self(inst);
    auto it = s->records.find(off);
    if (it == s->records.end()) {
      if (err) err->message = "no record at " + std::to_string(off);
      return FERRY_E_NOT_FOUND;
    }
    auto res = make(s);
    res->slices.push_back({it->second.data(), it->second.size()});
    *out = finish(std::move(res));
    return FERRY_OK;
  }

  static ferry_status queue_range(void* inst, ferry_slice topic, int32_t qid, uint64_t* min,
                                  uint64_t* max, ferry_error*) {
    auto* s = self(inst);
    auto it = s->queues.find({std::string(static_cast<const char*>(topic.data), topic.len), qid});
    *min = it == s->queues.end() ? 0 : it->second.min;
    *max = it == s->queues.end() ? 0 : it->second.dispatched;
    return FERRY_OK;
  }

  static ferry_status offset_for_time(void* inst, ferry_slice topic, int32_t qid, int64_t ts,
                                      uint64_t* out, ferry_error*) {
    auto* s = self(inst);
    auto it = s->queues.find({std::string(static_cast<const char*>(topic.data), topic.len), qid});
    *out = 0;
    if (it == s->queues.end()) return FERRY_OK;
    uint64_t o = 0;
    for (; o < it->second.dispatched; ++o)
      if (it->second.entries[o].store_ms >= ts) break;
    *out = o;
    return FERRY_OK;
  }

  static ferry_status query_key(void* inst, ferry_slice topic, ferry_slice key, int64_t begin,
                                int64_t end, uint32_t max_count, ferry_read_result** out, ferry_error*) {
    auto* s = self(inst);
    std::string_view want(static_cast<const char*>(key.data), key.len);
    std::string_view t(static_cast<const char*>(topic.data), topic.len);
    auto res = make(s);
    for (auto it = s->records.rbegin(); it != s->records.rend() && res->slices.size() < max_count; ++it) {
      ferry_record_view v;
      if (ferry_record_decode(it->second.data(), it->second.size(), &v) != FERRY_OK) continue;
      if (std::string_view(static_cast<const char*>(v.topic.data), v.topic.len) != t) continue;
      if (v.store_timestamp_ms < begin || v.store_timestamp_ms > end) continue;
      ferry_slice val{};
      bool hit = false;
      if (ferry_property_find(v.properties, FERRY_PROP_UNIQ_KEY, &val) &&
          std::string_view(static_cast<const char*>(val.data), val.len) == want)
        hit = true;
      if (!hit && ferry_property_find(v.properties, FERRY_PROP_KEYS, &val)) {
        std::string_view keys(static_cast<const char*>(val.data), val.len);
        while (!keys.empty()) {
          size_t sp = keys.find(' ');
          if (keys.substr(0, sp) == want) hit = true;
          keys.remove_prefix(sp == std::string_view::npos ? keys.size() : sp + 1);
        }
      }
      if (hit) res->slices.push_back({it->second.data(), it->second.size()});
    }
    *out = finish(std::move(res));
    return FERRY_OK;
  }

  static ferry_status delete_topic(void* inst, ferry_slice topic, ferry_error*) {
    auto* s = self(inst);
    std::string t(static_cast<const char*>(topic.data), topic.len);
    std::erase_if(s->queues, [&](const auto& kv) { return kv.first.first == t; });
    return FERRY_OK;
  }

  static ferry_status stats(void* inst, ferry_storage_stats* out) {
    out->write_offset = self(inst)->write_offset;
    return FERRY_OK;
  }

  static void set_listener(void* inst, ferry_dispatch_fn fn, void* ud) {
    self(inst)->listener_ = fn;
    self(inst)->listener_data_ = ud;
  }
};

TestStorage::TestStorage() {
  ops_ = FERRY_STRUCT_INIT(ferry_storage_ops);
  ops_.append = &TestStorageOps::append;
  ops_.write_offset = &TestStorageOps::write_offset;
  ops_.read_queue = &TestStorageOps::read_queue;
  ops_.read_at = &TestStorageOps::read_at;
  ops_.queue_range = &TestStorageOps::queue_range;
  ops_.offset_for_time = &TestStorageOps::offset_for_time;
  ops_.query_key = &TestStorageOps::query_key;
  ops_.delete_topic = &TestStorageOps::delete_topic;
  ops_.stats = &TestStorageOps::stats;
  ops_.set_dispatch_listener = &TestStorageOps::set_listener;
}

size_t TestStorage::dispatch() {
  std::vector<ferry_dispatch_entry> entries;
  for (const auto& [key, index] : undispatched_) {
    Queue& q = queues[key];
    q.dispatched = std::max(q.dispatched, index + 1);
    auto e = FERRY_STRUCT_INIT(ferry_dispatch_entry);
    e.topic = {key.first.data(), key.first.size()};
    e.queue_id = key.second;
    e.queue_offset = index;
    e.tag_hash = q.entries[index].tag_hash;
    entries.push_back(e);
  }
  if (listener_ && !entries.empty()) listener_(listener_data_, entries.data(), entries.size(), write_offset);
  size_t n = entries.size();
  undispatched_.clear();
  return n;
}

void TestStorage::set_min(const std::string& topic, int32_t queue, uint64_t min) {
  queues[{topic, queue}].min = min;
}

}  // namespace ferry::core::test
