#include "log_verifier.h"

#include <ferry/record.h>
#include <ferry/storage.h>
#include <zlib.h>

#include <chrono>
#include <cstring>
#include <map>
#include <sstream>

#include "append_path.h"
#include "crash_config.h"
#include "ferry_test/child_process.h"

namespace ferry::test::crash {
namespace {

// The whole-record checksum (ferry/record.h): crc32 of every byte before the
// trailing "__CRC32#\x01DDDDDDDDDD\x02".
bool record_crc_ok(const unsigned char* rec, size_t len) {
  if (len < FERRY_RECORD_CRC_RESERVED) return false;
  const char* tail = reinterpret_cast<const char*>(rec + len - FERRY_RECORD_CRC_RESERVED);
  if (std::memcmp(tail, FERRY_PROP_CRC32 "\x01", 9) != 0 || tail[19] != FERRY_PROP_SEP) return false;
  uint64_t want = 0;
  for (int i = 9; i < 19; ++i) {
    if (tail[i] < '0' || tail[i] > '9') return false;
    want = want * 10 + static_cast<uint64_t>(tail[i] - '0');
  }
  uLong crc = crc32(0L, Z_NULL, 0);
  crc = crc32(crc, rec, static_cast<uInt>(len - FERRY_RECORD_CRC_RESERVED));
  return static_cast<uint64_t>(crc) == want;
}

struct ReleaseResult {
  ferry_read_result* r;
  ~ReleaseResult() {
    if (r && r->release) r->release(r);
  }
};

// Checks one record read back against what seq `seq` was sent as.
std::string check_record(const ferry_slice& rec, uint64_t seq, int32_t queue_id, uint64_t queue_offset,
                         std::optional<uint64_t> commit_offset) {
  ferry_record_view v;
  if (ferry_record_decode(rec.data, rec.len, &v) != FERRY_OK) return "does not decode";
  if (!record_crc_ok(static_cast<const unsigned char*>(rec.data), rec.len)) return "whole-record checksum fails";
  auto body = TestMessage::expected_body(seq, kBodyBytes);
  if (v.body.len != body.size() || std::memcmp(v.body.data, body.data(), body.size()) != 0) {
    return "body differs from what seq " + std::to_string(seq) + " sent";
  }
  if (std::string(static_cast<const char*>(v.topic.data), v.topic.len) != TestMessage::kTopic) return "topic differs";
  if (v.queue_id != queue_id) return "queue id " + std::to_string(v.queue_id) + " != " + std::to_string(queue_id);
  if (static_cast<uint64_t>(v.queue_offset) != queue_offset) {
    return "QUEUEOFFSET " + std::to_string(v.queue_offset) + " != " + std::to_string(queue_offset);
  }
  if (commit_offset && static_cast<uint64_t>(v.physical_offset) != *commit_offset) {
    return "PHYSICALOFFSET " + std::to_string(v.physical_offset) + " != " + std::to_string(*commit_offset);
  }
  return {};
}

}  // namespace

size_t parse_acks(std::string* buffer, std::vector<Acked>* out) {
  size_t n = 0, start = 0;
  for (;;) {
    size_t nl = buffer->find('\n', start);
    if (nl == std::string::npos) break;
    std::istringstream line(buffer->substr(start, nl - start));
    std::string tag;
    Acked a;
    if (line >> tag >> a.seq >> a.commit_offset >> a.size >> a.queue_id >> a.queue_offset && tag == "A") {
      out->push_back(a);
      ++n;
    }
    start = nl + 1;
  }
  buffer->erase(0, start);
  return n;
}

std::string VerifyReport::text() const {
  std::string s = "records read " + std::to_string(records_read) + ", write offset " +
                  std::to_string(write_offset) + "\n";
  for (const auto& p : problems) s += "  " + p + "\n";
  return s;
}

VerifyReport verify_log(const std::string& data_dir, const std::vector<Acked>& acked) {
  VerifyReport rep;
  auto problem = [&](const std::string& p) {
    if (rep.problems.size() < 20) rep.problems.push_back(p);
  };
  FakeHost::Options o;
  o.data_dir = data_dir;
  FakeHost host(o);
  PluginHandle storage(host, "storage", "mmaplog");
  storage.create_and_start("store", storage_config());
  const auto* ops = storage.ops<ferry_storage_ops>();
  void* inst = storage.instance();
  rep.write_offset = ops->write_offset(inst);
  host.publish_write(rep.write_offset);  // nothing here waits: VISIBLE = WRITE

  // 1. Every acknowledged record, by its commit offset.
  std::map<std::pair<int32_t, uint64_t>, uint64_t> by_queue;  // (queue, qoff) -> seq
  std::map<int32_t, uint64_t> need;                            // queue -> max acked qoff + 1
  for (const auto& a : acked) {
    by_queue[{a.queue_id, a.queue_offset}] = a.seq;
    need[a.queue_id] = std::max(need[a.queue_id], a.queue_offset + 1);
    std::string where = "acked seq " + std::to_string(a.seq) + " at " + std::to_string(a.commit_offset);
    if (a.commit_offset + a.size > rep.write_offset) {
      problem(where + ": beyond the recovered write offset " + std::to_string(rep.write_offset));
      continue;
    }
    ferry_read_result* r = nullptr;
    ferry_error err;
    ferry_status st = ops->read_at(inst, a.commit_offset, &r, &err);
    ReleaseResult guard{r};
    if (st != FERRY_OK || !r || r->count != 1) {
      problem(where + ": read_at " + ferry_status_name(st) + " " + err.message);
      continue;
    }
    if (r->records[0].len != a.size) problem(where + ": size " + std::to_string(r->records[0].len));
    std::string bad = check_record(r->records[0], a.seq, a.queue_id, a.queue_offset, a.commit_offset);
    if (!bad.empty()) problem(where + ": " + bad);
  }

  // 2. Each queue, from its minimum to its maximum, once dispatch caught up.
  ferry_slice topic{TestMessage::kTopic, std::strlen(TestMessage::kTopic)};
  for (int32_t q = 0; q < kQueues; ++q) {
    uint64_t min = 0, max = 0;
    bool ready = wait_until(
        [&] {
          ferry_error err;
          ferry_status st = ops->queue_range(inst, topic, q, &min, &max, &err);
          return st == FERRY_OK && max >= need[q];
        },
        std::chrono::seconds(20));
    if (!ready) {
      problem("queue " + std::to_string(q) + ": max offset " + std::to_string(max) + " never reached " +
              std::to_string(need[q]));
      continue;
    }
    uint64_t next = min;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (next < max && std::chrono::steady_clock::now() < deadline) {
      ferry_read_request req = FERRY_STRUCT_INIT(ferry_read_request);
      req.topic = topic;
      req.queue_id = q;
      req.queue_offset = next;
      req.max_count = 256;
      req.max_bytes = 1u << 20;
      req.flags = FERRY_READ_MAY_BLOCK;
      ferry_read_result* r = nullptr;
      ferry_error err;
      ferry_status st = ops->read_queue(inst, &req, &r, &err);
      ReleaseResult guard{r};
      if (st != FERRY_OK || !r || r->status != FERRY_READ_FOUND || r->count == 0) {
        problem("queue " + std::to_string(q) + " offset " + std::to_string(next) + ": read " +
                ferry_status_name(st) + " status " + std::to_string(r ? r->status : -1) + " " + err.message);
        break;
      }
      for (size_t i = 0; i < r->count; ++i, ++next) {
        uint64_t qoff = r->queue_offsets ? r->queue_offsets[i] : next;
        if (qoff != next) {
          problem("queue " + std::to_string(q) + ": offset " + std::to_string(qoff) + " where " +
                  std::to_string(next) + " was due (gap or reorder)");
          next = qoff;
        }
        ferry_record_view v;
        if (ferry_record_decode(r->records[i].data, r->records[i].len, &v) != FERRY_OK) {
          problem("queue " + std::to_string(q) + " offset " + std::to_string(qoff) + ": does not decode");
          continue;
        }
        auto seq = TestMessage::seq_of(v.body.data, v.body.len);
        if (!seq) {
          problem("queue " + std::to_string(q) + " offset " + std::to_string(qoff) + ": not one of our bodies");
          continue;
        }
        auto it = by_queue.find({q, qoff});
        if (it != by_queue.end() && it->second != *seq) {
          problem("queue " + std::to_string(q) + " offset " + std::to_string(qoff) + ": holds seq " +
                  std::to_string(*seq) + ", acked seq " + std::to_string(it->second));
        }
        std::string bad = check_record(r->records[i], *seq, q, qoff, std::nullopt);
        if (!bad.empty()) problem("queue " + std::to_string(q) + " offset " + std::to_string(qoff) + ": " + bad);
        rep.records_read++;
      }
    }
  }
  return rep;
}

}  // namespace ferry::test::crash
