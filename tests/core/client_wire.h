#pragma once
// Client-side encoders for core.fbs requests, as an SDK would build them.
#include <ferry/codes.h>
#include <ferry/record.h>

#include <string>
#include <utility>
#include <vector>

#include "core/wire.h"

namespace ferry::core::test {

struct Msg {
  std::string body;
  std::string tags;
  std::string keys;
  std::string uniq;
  int32_t queue = -1;
};

inline std::string props_of(const Msg& m) {
  std::string p;
  auto add = [&](const char* n, const std::string& v) {
    if (v.empty()) return;
    p += n;
    p += FERRY_PROP_NAME_VALUE_SEP;
    p += v;
    p += FERRY_PROP_SEP;
  };
  add(FERRY_PROP_TAGS, m.tags);
  add(FERRY_PROP_KEYS, m.keys);
  add(FERRY_PROP_UNIQ_KEY, m.uniq);
  return p;
}

template <class T>
std::string finish(flatbuffers::FlatBufferBuilder& fbb, flatbuffers::Offset<T> root) {
  fbb.Finish(root, FERRY_CORE_FILE_IDENTIFIER);
  return std::string(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
}

// payload, attachment
inline std::pair<std::string, std::string> send_request(const std::string& topic,
                                                        const std::vector<Msg>& msgs,
                                                        int64_t declared_extra = 0) {
  flatbuffers::FlatBufferBuilder fbb;
  std::vector<flatbuffers::Offset<fb::MessageMeta>> metas;
  std::string att;
  for (const auto& m : msgs) {
    std::string p = props_of(m);
    auto pv = fbb.CreateVector(reinterpret_cast<const uint8_t*>(p.data()), p.size());
    metas.push_back(fb::CreateMessageMeta(fbb, m.queue, 0, 0, pv, 1'700'000'000'000,
                                          static_cast<uint32_t>(m.body.size() + declared_extra), 0));
    att += m.body;
  }
  const uint8_t host[4] = {127, 0, 0, 1};
  auto root = fb::CreateSendRequest(fbb, fbb.CreateString("pg"), fbb.CreateString(topic),
                                    fbb.CreateVector(host, 4), 4242, fbb.CreateVector(metas));
  return {finish(fbb, root), att};
}

inline std::string pull_request(const std::string& topic, int32_t queue, uint64_t offset,
                                uint32_t hold_ms = 0, const std::string& expr = "",
                                const std::string& group = "cg", int64_t commit = -1,
                                uint32_t max_count = 32) {
  flatbuffers::FlatBufferBuilder fbb;
  auto root = fb::CreatePullRequest(fbb, fbb.CreateString(group), fbb.CreateString(topic), queue, offset,
                                    max_count, 4u << 20, fbb.CreateString("TAG"),
                                    fbb.CreateString(expr), hold_ms, commit);
  return finish(fbb, root);
}

struct GroupHb {
  std::string group;
  uint64_t fingerprint = 0;
  bool with_subs = true;
  std::vector<std::pair<std::string, std::string>> subs;  // topic, tag expression
};

inline std::string heartbeat(const std::string& client, const std::vector<GroupHb>& groups,
                             const std::vector<std::string>& producers = {}) {
  flatbuffers::FlatBufferBuilder fbb;
  std::vector<flatbuffers::Offset<fb::ConsumerGroupHeartbeat>> cgs;
  for (const auto& g : groups) {
    flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<fb::Subscription>>> subs;
    if (g.with_subs) {
      std::vector<flatbuffers::Offset<fb::Subscription>> v;
      for (const auto& [t, e] : g.subs)
        v.push_back(fb::CreateSubscription(fbb, fbb.CreateString(t), fbb.CreateString("TAG"), fbb.CreateString(e)));
      subs = fbb.CreateVector(v);
    }
    cgs.push_back(fb::CreateConsumerGroupHeartbeat(fbb, fbb.CreateString(g.group), fb::ConsumeModel::Clustering,
                                                   g.fingerprint, subs));
  }
  std::vector<flatbuffers::Offset<flatbuffers::String>> ps;
  for (const auto& p : producers) ps.push_back(fbb.CreateString(p));
  auto root = fb::CreateHeartbeatRequest(fbb, fbb.CreateString(client), fbb.CreateVector(ps), fbb.CreateVector(cgs));
  return finish(fbb, root);
}

inline std::string topic_create(const std::string& name, uint32_t rq = 4, uint32_t wq = 4,
                                uint32_t perm = 6) {
  flatbuffers::FlatBufferBuilder fbb;
  auto t = fb::CreateTopicConfig(fbb, fbb.CreateString(name), rq, wq, perm, 0);
  return finish(fbb, fb::CreateTopicCreateRequest(fbb, t));
}

inline std::string lock_request(const std::string& group, const std::string& client,
                                const std::vector<std::pair<std::string, int32_t>>& qs, bool lock = true) {
  flatbuffers::FlatBufferBuilder fbb;
  std::vector<flatbuffers::Offset<fb::QueueRef>> refs;
  for (const auto& [t, q] : qs) refs.push_back(fb::CreateQueueRef(fbb, fbb.CreateString(t), q));
  auto v = fbb.CreateVector(refs);
  if (lock)
    return finish(fbb, fb::CreateLockQueuesRequest(fbb, fbb.CreateString(group), fbb.CreateString(client), v));
  return finish(fbb, fb::CreateUnlockQueuesRequest(fbb, fbb.CreateString(group), fbb.CreateString(client), v));
}

// CONSUMER_SEND_BACK of the record at commit_offset (or offset id `id`).
inline std::string send_back(uint64_t commit_offset, const std::string& group = "cg", const std::string& topic = "T",
                      int32_t delay = 0, int32_t max = 16, const std::string& id = "") {
  flatbuffers::FlatBufferBuilder fbb;
  auto g = fbb.CreateString(group);
  auto i = id.empty() ? flatbuffers::Offset<flatbuffers::String>() : fbb.CreateString(id);
  auto t = topic.empty() ? flatbuffers::Offset<flatbuffers::String>() : fbb.CreateString(topic);
  return finish(fbb, fb::CreateSendBackRequest(fbb, g, commit_offset, i, t, delay, max));
}

}  // namespace ferry::core::test
