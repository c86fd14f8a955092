#include "fake_cluster.h"

#include <ferry/codes.h>
#include <ferry/namesrv_codes.h>
#include <ferry/record.h>
#include <ferry_sdk_wire/core_generated.h>
#include <ferry_sdk_wire/namesrv_generated.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>

namespace ferry::sdk::test {
namespace {

namespace fbc = ferry::wire::core;
namespace fbn = ferry::wire::namesrv;

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

template <class T>
const T* verified(std::span<const uint8_t> p, std::vector<uint64_t>& store, const char* id) {
  if (p.size() < 8) return nullptr;
  store.assign((p.size() + 7) / 8, 0);
  std::memcpy(store.data(), p.data(), p.size());
  auto* b = reinterpret_cast<const uint8_t*>(store.data());
  flatbuffers::Verifier v(b, p.size());
  if (!v.VerifyBuffer<T>(id)) return nullptr;
  return flatbuffers::GetRoot<T>(b);
}

std::vector<uint8_t> done(flatbuffers::FlatBufferBuilder& fbb, const char* id, auto root) {
  fbb.Finish(root, id);
  return {fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize()};
}

// The transport's own account of a connection it closes (bad frame, read or
// write failure, ...) goes to stderr: without it a test that sees a client's
// connection drop cannot tell why. INFO and up (a peer closing is DEBUG).
net::LogFn stderr_log(std::string who) {
  return [who = std::move(who)](ferry_log_level level, std::string_view line) {
    if (level < FERRY_LOG_INFO || level == FERRY_LOG_OFF) return;
    static const char* names[] = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR"};
    std::fprintf(stderr, "fake %s [%s] %.*s\n", who.c_str(), names[level], static_cast<int>(line.size()),
                 line.data());
  };
}

void put32(std::vector<uint8_t>& b, uint32_t v) {
  for (int i = 3; i >= 0; --i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void put64(std::vector<uint8_t>& b, uint64_t v) {
  for (int i = 7; i >= 0; --i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

}  // namespace

struct StoredMessage {
  std::vector<uint8_t> record;
  int64_t store_ms;
  std::string keys;
};

struct FakeCluster::Broker {
  int index;
  std::string name;
  uint16_t port = 0;
  std::unique_ptr<net::Server> server;
  bool alive = true;
  uint32_t default_queues;
  bool auto_create;
  uint64_t lease_ms;
  std::map<std::string, std::vector<std::vector<StoredMessage>>> topics;
  std::map<std::string, uint32_t> rr;
  uint64_t commit_offset = 0;
  std::map<std::tuple<std::string, std::string, int32_t>, int64_t> offsets;  // group, topic, qid
  std::map<std::string, std::map<std::string, uint64_t>> groups;              // group -> client -> conn
  std::map<std::string, uint64_t> subs_fingerprint;  // group -> fingerprint of the subscriptions it holds
  size_t heartbeats_full = 0, heartbeats_light = 0;
  std::map<std::tuple<std::string, std::string, int32_t>, std::pair<std::string, int64_t>> locks;
  struct Held {
    net::Request req;
    std::string topic;
    int32_t qid;
    uint64_t offset;
    uint32_t max;
    int64_t deadline;
  };
  std::deque<Held> held;
  int fail_n = 0;
  int32_t fail_status = 0;
  int drop_n = 0;
  int stall_n = 0;
  std::vector<net::Request> stalled;  // sends never answered (stall_sends)
  size_t sends = 0;
  size_t messages = 0;  // in every send request received (a batch: all of its)
  std::unique_ptr<net::LoopThread>* loop = nullptr;
  uv_timer_t timer{};

  std::string address() const { return "127.0.0.1:" + std::to_string(port); }

  void handle(net::Request r);
  void on_send(net::Request& r);
  void on_pull(net::Request r);
  bool answer_pull(net::Request& r, const std::string& topic, int32_t qid, uint64_t offset, uint32_t max, bool final);
  void wake(const std::string& topic, int32_t qid);
  void sweep();
  void heartbeat(net::Request& r);
  void notify(const std::string& group);
  void conn_closed(uint64_t conn);
};

struct FakeCluster::NameServer {
  std::unique_ptr<net::Server> server;
  uint16_t port = 0;
  bool alive = true;
};

void FakeCluster::Broker::handle(net::Request r) {
  std::vector<uint64_t> st;
  flatbuffers::FlatBufferBuilder fbb(256);
  auto ok = [&](auto root) {
    auto p = done(fbb, "FRCO", root);
    r.respond(FERRY_OK, {}, p);
  };
  switch (r.code()) {
    case FERRY_CODE_SEND_MESSAGE:
    case FERRY_CODE_SEND_BATCH:
      return on_send(r);
    case FERRY_CODE_PULL_MESSAGE:
      return on_pull(std::move(r));
    case FERRY_CODE_HEARTBEAT:
      return heartbeat(r);
    case FERRY_CODE_UNREGISTER_CLIENT: {
      auto* p = verified<fbc::UnregisterClientRequest>(r.payload(), st, "FRCO");
      if (!p) return r.respond(FERRY_E_INVALID_ARGUMENT, "bad payload");
      std::vector<std::string> changed;
      for (auto& [g, m] : groups)
        if (m.erase(p->client_id()->str())) changed.push_back(g);
      r.respond(FERRY_OK);
      for (auto& g : changed) notify(g);
      return;
    }
    case FERRY_CODE_GROUP_MEMBERS: {
      auto* p = verified<fbc::GroupMembersRequest>(r.payload(), st, "FRCO");
      if (!p) return r.respond(FERRY_E_INVALID_ARGUMENT, "bad payload");
      std::vector<flatbuffers::Offset<flatbuffers::String>> ids;
      for (auto& [id, c] : groups[p->group()->str()]) ids.push_back(fbb.CreateString(id));
      auto v = fbb.CreateVector(ids);
      return ok(fbc::CreateGroupMembersResponse(fbb, fbb.CreateString(p->group()->str()), v));
    }
    case FERRY_CODE_COMMIT_OFFSETS: {
      auto* p = verified<fbc::CommitOffsetsRequest>(r.payload(), st, "FRCO");
      if (!p) return r.respond(FERRY_E_INVALID_ARGUMENT, "bad payload");
      for (const auto* o : *p->offsets())
        offsets[{p->group()->str(), o->topic()->str(), o->queue_id()}] = static_cast<int64_t>(o->offset());
      return r.respond(FERRY_OK);
    }
    case FERRY_CODE_QUERY_OFFSET: {
      auto* p = verified<fbc::QueryOffsetRequest>(r.payload(), st, "FRCO");
      if (!p) return r.respond(FERRY_E_INVALID_ARGUMENT, "bad payload");
      auto it = offsets.find({p->group()->str(), p->topic()->str(), p->queue_id()});
      if (it == offsets.end()) return r.respond(FERRY_E_NOT_FOUND, "no offset");
      return ok(fbc::CreateQueryOffsetResponse(fbb, static_cast<uint64_t>(it->second)));
    }
    case FERRY_CODE_QUEUE_RANGE: {
      auto* p = verified<fbc::QueueRequest>(r.payload(), st, "FRCO");
      if (!p) return r.respond(FERRY_E_INVALID_ARGUMENT, "bad payload");
      auto t = topics.find(p->topic()->str());
      if (t == topics.end()) return r.respond(FERRY_E_TOPIC_NOT_FOUND, "no topic");
      return ok(fbc::CreateQueueRangeResponse(fbb, 0, t->second.at(static_cast<size_t>(p->queue_id())).size()));
    }
    case FERRY_CODE_OFFSET_BY_TIME: {
      auto* p = verified<fbc::OffsetByTimeRequest>(r.payload(), st, "FRCO");
      if (!p) return r.respond(FERRY_E_INVALID_ARGUMENT, "bad payload");
      auto t = topics.find(p->topic()->str());
      if (t == topics.end()) return r.respond(FERRY_E_TOPIC_NOT_FOUND, "no topic");
      const auto& q = t->second.at(static_cast<size_t>(p->queue_id()));
      uint64_t off = q.size();
      for (size_t i = 0; i < q.size(); ++i)
        if (q[i].store_ms >= p->timestamp_ms()) {
          off = i;
          break;
        }
      return ok(fbc::CreateOffsetByTimeResponse(fbb, off));
    }
    case FERRY_CODE_LOCK_QUEUES: {
      auto* p = verified<fbc::LockQueuesRequest>(r.payload(), st, "FRCO");
      if (!p) return r.respond(FERRY_E_INVALID_ARGUMENT, "bad payload");
      std::vector<flatbuffers::Offset<fbc::QueueRef>> held_refs;
      int64_t now = now_ms();
      for (const auto* q : *p->queues()) {
        auto key = std::make_tuple(p->group()->str(), q->topic()->str(), q->queue_id());
        auto it = locks.find(key);
        if (it == locks.end() || it->second.first == p->client_id()->str() || it->second.second < now) {
          locks[key] = {p->client_id()->str(), now + static_cast<int64_t>(lease_ms)};
          held_refs.push_back(fbc::CreateQueueRef(fbb, fbb.CreateString(q->topic()->str()), q->queue_id()));
        }
      }
      auto v = fbb.CreateVector(held_refs);
      return ok(fbc::CreateLockQueuesResponse(fbb, v, lease_ms));
    }
    case FERRY_CODE_UNLOCK_QUEUES: {
      auto* p = verified<fbc::UnlockQueuesRequest>(r.payload(), st, "FRCO");
      if (!p) return r.respond(FERRY_E_INVALID_ARGUMENT, "bad payload");
      for (const auto* q : *p->queues()) {
        auto key = std::make_tuple(p->group()->str(), q->topic()->str(), q->queue_id());
        auto it = locks.find(key);
        if (it != locks.end() && it->second.first == p->client_id()->str()) locks.erase(it);
      }
      return r.respond(FERRY_OK);
    }
    case FERRY_CODE_TOPIC_CREATE:
    case FERRY_CODE_TOPIC_UPDATE: {
      auto* p = verified<fbc::TopicCreateRequest>(r.payload(), st, "FRCO");
      if (!p) return r.respond(FERRY_E_INVALID_ARGUMENT, "bad payload");
      std::string name = p->topic()->name()->str();
      bool exists = topics.count(name) > 0;
      if (r.code() == FERRY_CODE_TOPIC_CREATE && exists) return r.respond(FERRY_E_ALREADY_EXISTS, "topic exists");
      if (r.code() == FERRY_CODE_TOPIC_UPDATE && !exists) return r.respond(FERRY_E_TOPIC_NOT_FOUND, "no topic");
      topics[name].resize(std::max<uint32_t>(p->topic()->write_queues(), 1));
      auto cfg = fbc::CreateTopicConfig(fbb, fbb.CreateString(name), p->topic()->read_queues(), p->topic()->write_queues(), 6, 0);
      return ok(fbc::CreateTopicResponse(fbb, cfg));
    }
    case FERRY_CODE_TOPIC_DELETE: {
      auto* p = verified<fbc::TopicNameRequest>(r.payload(), st, "FRCO");
      if (!p) return r.respond(FERRY_E_INVALID_ARGUMENT, "bad payload");
      if (!topics.erase(p->name()->str())) return r.respond(FERRY_E_TOPIC_NOT_FOUND, "no topic");
      return r.respond(FERRY_OK);
    }
    case FERRY_CODE_GROUP_PROGRESS: {
      auto* p = verified<fbc::GroupProgressRequest>(r.payload(), st, "FRCO");
      if (!p) return r.respond(FERRY_E_INVALID_ARGUMENT, "bad payload");
      std::vector<flatbuffers::Offset<fbc::QueueProgress>> qs;
      uint64_t total = 0;
      for (auto& [key, off] : offsets) {
        auto& [g, t, q] = key;
        if (g != p->group()->str() || (p->topic() && t != p->topic()->str())) continue;
        uint64_t max = topics.count(t) ? topics[t].at(static_cast<size_t>(q)).size() : 0;
        uint64_t lag = max > static_cast<uint64_t>(off) ? max - static_cast<uint64_t>(off) : 0;
        total += lag;
        qs.push_back(fbc::CreateQueueProgress(fbb, fbb.CreateString(t), q, static_cast<uint64_t>(off), max, lag));
      }
      if (qs.empty()) return r.respond(FERRY_E_GROUP_NOT_FOUND, "no offsets");
      auto v = fbb.CreateVector(qs);
      return ok(fbc::CreateGroupProgressResponse(fbb, fbb.CreateString(p->group()->str()), v, total));
    }
    case FERRY_CODE_QUERY_BY_KEY: {
      auto* p = verified<fbc::QueryByKeyRequest>(r.payload(), st, "FRCO");
      if (!p) return r.respond(FERRY_E_INVALID_ARGUMENT, "bad payload");
      std::vector<uint8_t> att;
      uint32_t n = 0;
      for (auto& q : topics[p->topic()->str()])
        for (auto& m : q)
          if (m.keys == p->key()->str() && n < p->max_count()) {
            att.insert(att.end(), m.record.begin(), m.record.end());
            ++n;
          }
      if (!n) return r.respond(FERRY_E_NOT_FOUND, "no match");
      fbb.Finish(fbc::CreateQueryResponse(fbb, n), "FRCO");
      return r.respond(FERRY_OK, {}, {fbb.GetBufferPointer(), fbb.GetSize()}, net::Attachment::owned(std::move(att)));
    }
    case FERRY_CODE_QUERY_BY_OFFSET_ID: {
      auto* p = verified<fbc::QueryByOffsetIdRequest>(r.payload(), st, "FRCO");
      if (!p || p->offset_msg_id()->size() != 32) return r.respond(FERRY_E_INVALID_ARGUMENT, "bad id");
      uint64_t off = std::stoull(p->offset_msg_id()->str().substr(16), nullptr, 16);
      for (auto& [t, qs] : topics)
        for (auto& q : qs)
          for (auto& m : q)
            if (ferry_be64(m.record.data() + 28) == off) {
              fbb.Finish(fbc::CreateQueryResponse(fbb, 1), "FRCO");
              return r.respond(FERRY_OK, {}, {fbb.GetBufferPointer(), fbb.GetSize()}, net::Attachment::copy(m.record));
            }
      return r.respond(FERRY_E_NOT_FOUND, "no message at that offset");
    }
    case FERRY_CODE_RUNTIME_STATS: {
      std::vector<flatbuffers::Offset<fbc::Stat>> stats{
          fbc::CreateStat(fbb, fbb.CreateString("topics"), static_cast<int64_t>(topics.size())),
          fbc::CreateStat(fbb, fbb.CreateString("sends"), static_cast<int64_t>(sends))};
      auto v = fbb.CreateVector(stats);
      return ok(fbc::CreateRuntimeStatsResponse(fbb, v));
    }
    default:
      return r.respond(FERRY_E_UNKNOWN_REQUEST, "fake broker: unknown code " + std::to_string(r.code()));
  }
}

void FakeCluster::Broker::on_send(net::Request& r) {
  ++sends;
  std::vector<uint64_t> st;
  auto* p = verified<fbc::SendRequest>(r.payload(), st, "FRCO");
  if (p && p->messages()) messages += p->messages()->size();
  if (drop_n > 0) {
    --drop_n;
    return server->close_connection(r.conn_id());
  }
  if (stall_n > 0) {
    --stall_n;
    stalled.push_back(std::move(r));
    return;
  }
  if (fail_n > 0) {
    --fail_n;
    return r.respond(static_cast<ferry_status>(fail_status), "injected failure");
  }
  if (!p) return r.respond(FERRY_E_INVALID_ARGUMENT, "bad SendRequest");
  std::string topic = p->topic()->str();
  auto t = topics.find(topic);
  if (t == topics.end()) {
    if (!auto_create) return r.respond(FERRY_E_TOPIC_NOT_FOUND, "topic '" + topic + "' does not exist");
    t = topics.emplace(topic, std::vector<std::vector<StoredMessage>>(default_queues)).first;
  }
  auto& queues = t->second;
  int32_t picked = static_cast<int32_t>(rr[topic]++ % queues.size());
  const uint8_t* body = r.attachment().data();
  flatbuffers::FlatBufferBuilder fbb(256);
  std::vector<flatbuffers::Offset<fbc::SendResult>> results;
  std::set<int32_t> touched;
  int64_t now = now_ms();
  for (const auto* m : *p->messages()) {
    int32_t qid = m->queue_id() < 0 ? picked : m->queue_id();
    if (qid >= static_cast<int32_t>(queues.size())) return r.respond(FERRY_E_INVALID_ARGUMENT, "no such queue");
    auto& q = queues[static_cast<size_t>(qid)];
    std::string props = m->properties() ? std::string(reinterpret_cast<const char*>(m->properties()->data()), m->properties()->size()) : "";
    std::vector<uint8_t> rec;
    uint32_t total = 84 + 4 + m->body_length() + 1 + static_cast<uint32_t>(topic.size()) + 2 + static_cast<uint32_t>(props.size());
    put32(rec, total);
    put32(rec, FERRY_RECORD_MAGIC);
    put32(rec, static_cast<uint32_t>(crc32(0, body, m->body_length())) & 0x7fffffff);
    put32(rec, static_cast<uint32_t>(qid));
    put32(rec, static_cast<uint32_t>(m->flag()));
    put64(rec, q.size());
    put64(rec, commit_offset);
    put32(rec, 0);
    put64(rec, static_cast<uint64_t>(m->born_timestamp_ms()));
    put32(rec, 0x7F000001);
    put32(rec, 0);
    put64(rec, static_cast<uint64_t>(now));
    put32(rec, 0x7F000001);
    put32(rec, port);
    put32(rec, static_cast<uint32_t>(m->reconsume_times()));
    put64(rec, 0);
    put32(rec, m->body_length());
    rec.insert(rec.end(), body, body + m->body_length());
    body += m->body_length();
    rec.push_back(static_cast<uint8_t>(topic.size()));
    rec.insert(rec.end(), topic.begin(), topic.end());
    rec.push_back(static_cast<uint8_t>(props.size() >> 8));
    rec.push_back(static_cast<uint8_t>(props.size()));
    rec.insert(rec.end(), props.begin(), props.end());
    ferry_slice ps{props.data(), props.size()}, keys{}, uniq{};
    std::string k = ferry_property_find(ps, FERRY_PROP_KEYS, &keys) ? std::string(static_cast<const char*>(keys.data), keys.len) : "";
    std::string u = ferry_property_find(ps, FERRY_PROP_UNIQ_KEY, &uniq) ? std::string(static_cast<const char*>(uniq.data), uniq.len) : "";
    char id[40];
    snprintf(id, sizeof id, "7F000001%08X%016llX", port, static_cast<unsigned long long>(commit_offset));
    results.push_back(fbc::CreateSendResult(fbb, fbb.CreateString(id), fbb.CreateString(u), qid, q.size(), commit_offset));
    commit_offset += total;
    q.push_back(StoredMessage{std::move(rec), now, k});
    touched.insert(qid);
  }
  auto v = fbb.CreateVector(results);
  fbb.Finish(fbc::CreateSendResponse(fbb, fbb.CreateString(topic), v), "FRCO");
  r.respond(FERRY_OK, {}, {fbb.GetBufferPointer(), fbb.GetSize()});
  for (int32_t q : touched) wake(topic, q);
}

bool FakeCluster::Broker::answer_pull(net::Request& r, const std::string& topic, int32_t qid, uint64_t offset,
                                      uint32_t max, bool final) {
  auto& q = topics[topic][static_cast<size_t>(qid)];
  flatbuffers::FlatBufferBuilder fbb(128);
  if (offset > q.size()) {
    fbb.Finish(fbc::CreatePullResponse(fbb, fbc::PullStatus::OffsetOutOfRange, q.size(), 0, q.size()), "FRCO");
    r.respond(FERRY_E_OFFSET_OUT_OF_RANGE, "above max", {fbb.GetBufferPointer(), fbb.GetSize()});
    return true;
  }
  if (offset == q.size()) {
    if (!final) return false;
    fbb.Finish(fbc::CreatePullResponse(fbb, fbc::PullStatus::NoNewMessage, offset, 0, q.size()), "FRCO");
    r.respond(FERRY_E_NO_NEW_MESSAGE, {}, {fbb.GetBufferPointer(), fbb.GetSize()});
    return true;
  }
  std::vector<uint8_t> att;
  std::vector<uint64_t> offs;
  for (uint64_t i = offset; i < q.size() && offs.size() < max; ++i) {
    att.insert(att.end(), q[i].record.begin(), q[i].record.end());
    offs.push_back(i);
  }
  auto ov = fbb.CreateVector(offs);
  fbb.Finish(fbc::CreatePullResponse(fbb, fbc::PullStatus::Found, offset + offs.size(), 0, q.size(),
                                     static_cast<uint32_t>(offs.size()), ov), "FRCO");
  r.respond(FERRY_OK, {}, {fbb.GetBufferPointer(), fbb.GetSize()}, net::Attachment::owned(std::move(att)));
  return true;
}

void FakeCluster::Broker::on_pull(net::Request r) {
  std::vector<uint64_t> st;
  auto* p = verified<fbc::PullRequest>(r.payload(), st, "FRCO");
  if (!p) return r.respond(FERRY_E_INVALID_ARGUMENT, "bad PullRequest");
  std::string topic = p->topic()->str();
  auto t = topics.find(topic);
  if (t == topics.end()) return r.respond(FERRY_E_TOPIC_NOT_FOUND, "no topic");
  if (p->queue_id() < 0 || p->queue_id() >= static_cast<int32_t>(t->second.size()))
    return r.respond(FERRY_E_INVALID_ARGUMENT, "no queue");
  uint32_t max = std::max<uint32_t>(1, p->max_count());
  if (answer_pull(r, topic, p->queue_id(), p->queue_offset(), max, p->hold_ms() == 0)) return;
  held.push_back(Held{std::move(r), topic, p->queue_id(), p->queue_offset(), max,
                      now_ms() + std::min<int64_t>(p->hold_ms(), 1000)});
}

void FakeCluster::Broker::wake(const std::string& topic, int32_t qid) {
  for (auto it = held.begin(); it != held.end();) {
    if (it->topic == topic && it->qid == qid && answer_pull(it->req, topic, qid, it->offset, it->max, false)) {
      it = held.erase(it);
    } else {
      ++it;
    }
  }
}

void FakeCluster::Broker::sweep() {
  int64_t now = now_ms();
  for (auto it = held.begin(); it != held.end();) {
    if (it->deadline <= now) {
      answer_pull(it->req, it->topic, it->qid, it->offset, it->max, true);
      it = held.erase(it);
    } else {
      ++it;
    }
  }
}

void FakeCluster::Broker::heartbeat(net::Request& r) {
  std::vector<uint64_t> st;
  auto* p = verified<fbc::HeartbeatRequest>(r.payload(), st, "FRCO");
  if (!p) return r.respond(FERRY_E_INVALID_ARGUMENT, "bad HeartbeatRequest");
  std::vector<std::string> changed, resend;
  if (p->consumer_groups())
    for (const auto* g : *p->consumer_groups()) {
      auto& m = groups[g->group()->str()];
      if (!m.count(p->client_id()->str())) changed.push_back(g->group()->str());
      m[p->client_id()->str()] = r.conn_id();
      // Like kernel/core's ClientTable: subscriptions, or a fingerprint it knows.
      auto known = subs_fingerprint.find(g->group()->str());
      if (g->subscriptions()) {
        ++heartbeats_full;
        subs_fingerprint[g->group()->str()] = g->fingerprint();
      } else {
        ++heartbeats_light;
        if (known == subs_fingerprint.end() || known->second != g->fingerprint()) resend.push_back(g->group()->str());
      }
    }
  flatbuffers::FlatBufferBuilder fbb(64);
  std::vector<flatbuffers::Offset<flatbuffers::String>> rs;
  for (auto& g : resend) rs.push_back(fbb.CreateString(g));
  fbb.Finish(fbc::CreateHeartbeatResponse(fbb, fbb.CreateVector(rs), 120000), "FRCO");
  r.respond(FERRY_OK, {}, {fbb.GetBufferPointer(), fbb.GetSize()});
  for (auto& g : changed) notify(g);
}

void FakeCluster::Broker::notify(const std::string& group) {
  flatbuffers::FlatBufferBuilder fbb(128);
  std::vector<flatbuffers::Offset<flatbuffers::String>> ids;
  for (auto& [id, c] : groups[group]) ids.push_back(fbb.CreateString(id));
  auto v = fbb.CreateVector(ids);
  fbb.Finish(fbc::CreateMembershipChanged(fbb, fbb.CreateString(group), v), "FRCO");
  std::span<const uint8_t> payload(fbb.GetBufferPointer(), fbb.GetSize());
  for (auto& [id, conn] : groups[group])
    server->request(conn, FERRY_CODE_NOTIFY_MEMBERSHIP_CHANGED, payload, {}, 1000, true, {});
}

void FakeCluster::Broker::conn_closed(uint64_t conn) {
  for (auto& [g, m] : groups) {
    bool changed = false;
    for (auto it = m.begin(); it != m.end();) {
      if (it->second == conn) {
        it = m.erase(it);
        changed = true;
      } else {
        ++it;
      }
    }
    if (changed) notify(g);
  }
}

// ---------------------------------------------------------------- cluster

FakeCluster::FakeCluster(Options o) : o_(o), loop_(std::make_unique<net::LoopThread>()) {
  loop_->run_sync([this] {
    for (int i = 0; i < o_.brokers; ++i) {
      auto b = std::make_unique<Broker>();
      b->index = i;
      b->name = broker_name(i);
      b->default_queues = o_.queues;
      b->auto_create = o_.auto_create;
      b->lease_ms = o_.lock_lease_ms;
      Broker* raw = b.get();
      net::ServerOptions so;
      so.on_request = [raw](net::Request r) { raw->handle(std::move(r)); };
      so.log = stderr_log(b->name);
      so.on_event = [raw](uint64_t id, net::ConnEvent ev, std::string_view) {
        if (ev == net::ConnEvent::kClosed) raw->conn_closed(id);
      };
      b->server = std::make_unique<net::Server>(loop_->loop(), so);
      std::string why;
      if (b->server->listen(&why) != FERRY_OK) throw std::runtime_error(why);
      b->port = b->server->bound_port();
      uv_timer_init(loop_->loop(), &b->timer);
      b->timer.data = raw;
      uv_timer_start(&b->timer, [](uv_timer_t* t) { static_cast<Broker*>(t->data)->sweep(); }, 20, 20);
      brokers_.push_back(std::move(b));
    }
    for (int i = 0; i < o_.name_servers; ++i) {
      auto n = std::make_unique<NameServer>();
      net::ServerOptions so;
      so.on_request = [this](net::Request r) {
        std::vector<uint64_t> st;
        flatbuffers::FlatBufferBuilder fbb(512);
        auto brokers_json = [&](const std::string& topic) {
          std::vector<flatbuffers::Offset<fbn::QueueData>> qs;
          std::vector<flatbuffers::Offset<fbn::BrokerData>> bs;
          for (auto& b : brokers_) {
            if (!b->alive) continue;
            if (!topic.empty()) {
              auto t = b->topics.find(topic);
              if (t == b->topics.end()) continue;
              uint32_t n2 = static_cast<uint32_t>(t->second.size());
              qs.push_back(fbn::CreateQueueData(fbb, fbb.CreateString(b->name), n2, n2, 6, 0));
            }
            std::vector<flatbuffers::Offset<fbn::BrokerAddress>> addrs{
                fbn::CreateBrokerAddress(fbb, 0, fbb.CreateString(b->address()))};
            auto av = fbb.CreateVector(addrs);
            bs.push_back(fbn::CreateBrokerData(fbb, fbb.CreateString("fake"), fbb.CreateString(b->name), av));
          }
          return std::make_pair(qs, bs);
        };
        switch (r.code()) {
          case FERRY_NAMESRV_GET_ROUTE: {
            auto* p = verified<fbn::GetRoute>(r.payload(), st, "FNSV");
            if (!p) return r.respond(FERRY_E_INVALID_ARGUMENT, "bad GetRoute");
            auto [qs, bs] = brokers_json(p->topic()->str());
            if (qs.empty()) return r.respond(FERRY_E_TOPIC_NOT_FOUND, "no route");
            auto qv = fbb.CreateVector(qs);
            auto bv = fbb.CreateVector(bs);
            auto root = fbn::CreateTopicRoute(fbb, fbb.CreateString(p->topic()->str()), qv, bv);
            auto out = done(fbb, "FNSV", root);
            return r.respond(FERRY_OK, {}, out);
          }
          case FERRY_NAMESRV_GET_CLUSTER_INFO: {
            auto [qs, bs] = brokers_json("");
            auto bv = fbb.CreateVector(bs);
            std::vector<flatbuffers::Offset<fbn::Cluster>> cs{fbn::CreateCluster(fbb, fbb.CreateString("fake"), bv)};
            auto cv = fbb.CreateVector(cs);
            auto out = done(fbb, "FNSV", fbn::CreateClusterInfo(fbb, cv));
            return r.respond(FERRY_OK, {}, out);
          }
          case FERRY_NAMESRV_LIST_TOPICS: {
            std::set<std::string> names;
            for (auto& b : brokers_)
              if (b->alive)
                for (auto& [t, q] : b->topics) names.insert(t);
            std::vector<flatbuffers::Offset<flatbuffers::String>> v;
            for (auto& t : names) v.push_back(fbb.CreateString(t));
            auto tv = fbb.CreateVector(v);
            auto out = done(fbb, "FNSV", fbn::CreateTopicList(fbb, tv, false));
            return r.respond(FERRY_OK, {}, out);
          }
          default:
            return r.respond(FERRY_E_UNKNOWN_REQUEST, "fake name server: unknown code");
        }
      };
      so.log = stderr_log("name server " + std::to_string(i));
      n->server = std::make_unique<net::Server>(loop_->loop(), so);
      std::string why;
      if (n->server->listen(&why) != FERRY_OK) throw std::runtime_error(why);
      n->port = n->server->bound_port();
      ns_.push_back(std::move(n));
    }
  });
}

FakeCluster::~FakeCluster() {
  loop_->run_sync([this] {
    for (auto& b : brokers_) {
      b->held.clear();
      b->stalled.clear();
      uv_close(reinterpret_cast<uv_handle_t*>(&b->timer), nullptr);
      if (b->server) b->server->shutdown({});
    }
    for (auto& n : ns_)
      if (n->server) n->server->shutdown({});
  });
  loop_->run_sync([this] {
    for (auto& b : brokers_) b->server.reset();
    for (auto& n : ns_) n->server.reset();
  });
  loop_->stop();
}

std::string FakeCluster::name_servers() const {
  std::string s;
  for (auto& n : ns_) s += (s.empty() ? "" : ";") + std::string("127.0.0.1:") + std::to_string(n->port);
  return s;
}

std::string FakeCluster::broker_address(int i) const { return brokers_.at(static_cast<size_t>(i))->address(); }

void FakeCluster::create_topic(const std::string& topic, uint32_t queues) {
  loop_->run_sync([&] {
    for (auto& b : brokers_)
      if (b->alive) b->topics[topic].resize(queues ? queues : o_.queues);
  });
}

void FakeCluster::delete_topic(const std::string& topic) {
  loop_->run_sync([&] {
    for (auto& b : brokers_) b->topics.erase(topic);
  });
}

void FakeCluster::kill_broker(int i) {
  loop_->run_sync([&] {
    auto& b = brokers_.at(static_cast<size_t>(i));
    b->alive = false;
    b->held.clear();
    b->stalled.clear();
    b->server->shutdown({});
  });
}

void FakeCluster::kill_name_server(int i) {
  loop_->run_sync([&] {
    auto& n = ns_.at(static_cast<size_t>(i));
    n->alive = false;
    n->server->shutdown({});
  });
}

void FakeCluster::fail_sends(int i, int n, int32_t status) {
  loop_->run_sync([&] {
    brokers_.at(static_cast<size_t>(i))->fail_n = n;
    brokers_.at(static_cast<size_t>(i))->fail_status = status;
  });
}

void FakeCluster::drop_sends(int i, int n) {
  loop_->run_sync([&] { brokers_.at(static_cast<size_t>(i))->drop_n = n; });
}

void FakeCluster::stall_sends(int i, int n) {
  loop_->run_sync([&] { brokers_.at(static_cast<size_t>(i))->stall_n = n; });
}

size_t FakeCluster::stored(int i) const {
  return loop_->run_sync([&] {
    size_t n = 0;
    for (auto& [t, qs] : brokers_.at(static_cast<size_t>(i))->topics)
      for (auto& q : qs) n += q.size();
    return n;
  });
}

size_t FakeCluster::stored(int i, const std::string& topic, int32_t qid) const {
  return loop_->run_sync([&]() -> size_t {
    auto& t = brokers_.at(static_cast<size_t>(i))->topics;
    auto it = t.find(topic);
    return it == t.end() ? 0 : it->second.at(static_cast<size_t>(qid)).size();
  });
}

int64_t FakeCluster::committed(int i, const std::string& group, const std::string& topic, int32_t qid) const {
  return loop_->run_sync([&]() -> int64_t {
    auto& o = brokers_.at(static_cast<size_t>(i))->offsets;
    auto it = o.find({group, topic, qid});
    return it == o.end() ? -1 : it->second;
  });
}

size_t FakeCluster::sends_received(int i) const {
  return loop_->run_sync([&] { return brokers_.at(static_cast<size_t>(i))->sends; });
}

size_t FakeCluster::messages_received(int i) const {
  return loop_->run_sync([&] { return brokers_.at(static_cast<size_t>(i))->messages; });
}

std::pair<size_t, size_t> FakeCluster::consumer_heartbeats(int i) const {
  return loop_->run_sync([&] {
    auto& b = *brokers_.at(static_cast<size_t>(i));
    return std::make_pair(b.heartbeats_full, b.heartbeats_light);
  });
}

void FakeCluster::forget_subscriptions(int i) {
  loop_->run_sync([&] { brokers_.at(static_cast<size_t>(i))->subs_fingerprint.clear(); });
}

size_t FakeCluster::members(int i, const std::string& group) const {
  return loop_->run_sync([&] { return brokers_.at(static_cast<size_t>(i))->groups[group].size(); });
}

}  // namespace ferry::sdk::test
