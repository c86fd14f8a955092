// Admin calls (what ferryctl builds on): topic create/update/delete on a
// broker or every master of a cluster, topic list/route and cluster info
// from the name servers, queue ranges, group progress, queries, stats.
#include <ferry/codes.h>
#include <ferry/namesrv_codes.h>

#include <cstdlib>
#include <cstring>

#include "admin_common.h"

using namespace ferry::sdk;
namespace net = ferry::net;

using namespace ferry::sdk::admin;

namespace {

void broker_json(Json& j, const fbn::BrokerData* b) {
  j.begin_object().key("cluster").value(str(b->cluster())).key("broker").value(str(b->broker_name()));
  j.key("addresses").begin_object();
  if (b->addresses())
    for (const auto* ad : *b->addresses()) j.key(std::to_string(ad->broker_id())).value(str(ad->address()));
  j.end_object().end_object();
}

ferry_status topic_write(ferry_admin* a, const char* target, const ferry_topic_settings* t, bool create,
                         char* errbuf, size_t errlen) {
  auto args = [&]() -> ferry_status {
    FERRY_REQUIRE_ARG(target, "target");
    FERRY_REQUIRE_ARG(t, "topic");
    if (t->struct_size < FERRY_STRUCT_SIZE(ferry_topic_settings, flags) || !t->name)
      return fail(errbuf, errlen, FERRY_E_INVALID_ARGUMENT, "topic settings lack struct_size (FERRY_STRUCT_INIT) or name");
    return FERRY_OK;
  };
  return entry(a, errbuf, errlen, args, [&]() -> ferry_status {
    std::vector<std::string> addrs;
    Error e = targets(a, target, &addrs);
    if (!e.ok()) return fail(errbuf, errlen, e.status, e.message);
    std::string report;
    Error first;
    for (const auto& addr : addrs) {
      flatbuffers::FlatBufferBuilder fbb(128);
      auto cfg = fbc::CreateTopicConfig(fbb, fbb.CreateString(t->name), t->read_queues, t->write_queues, t->perm, t->flags);
      Answer ans;
      Error r = ask(a, addr, create ? FERRY_CODE_TOPIC_CREATE : FERRY_CODE_TOPIC_UPDATE,
                    finish_core(fbb, fbc::CreateTopicCreateRequest(fbb, cfg)), &ans);
      report += " " + addr + ": " + (r.ok() ? std::string("ok") : r.message) + ";";
      if (!r.ok() && first.ok()) first = r;
    }
    if (!first.ok()) return fail(errbuf, errlen, first.status, (create ? "create" : "update") + std::string(" topic:") + report);
    return FERRY_OK;
  });
}

}  // namespace

extern "C" {

FERRY_EXPORT ferry_status ferry_admin_new(const ferry_config* conf, ferry_admin** out, char* errbuf, size_t errlen) {
  return guarded(errbuf, errlen, [&] {
    FERRY_REQUIRE_ARG(out, "out");
    *out = nullptr;
    FERRY_REQUIRE_ARG(conf, "conf");
    auto a = std::make_unique<ferry_admin>();
    std::string why;
    ferry_status st = build_settings(*conf, false, &a->s, &why);
    if (st != FERRY_OK) return fail(errbuf, errlen, st, why);
    a->io = std::make_unique<Io>(a->s);
    *out = a.release();
    return FERRY_OK;
  });
}

FERRY_EXPORT ferry_status ferry_admin_start(ferry_admin* a, char* errbuf, size_t errlen) {
  return guarded(errbuf, errlen, [&] {
    FERRY_REQUIRE_ARG(a, "admin");
    std::lock_guard lock(a->life_mu);
    if (a->state != HandleState::kNew) return fail(errbuf, errlen, FERRY_E_STATE, "admin already started or shut down");
    ferry_status st = a->start_threads(errbuf, errlen);
    if (st != FERRY_OK) return st;
    a->state = HandleState::kStarted;
    return FERRY_OK;
  });
}

FERRY_EXPORT ferry_status ferry_admin_shutdown(ferry_admin* a, char* errbuf, size_t errlen) {
  return guarded(errbuf, errlen, [&] {
    FERRY_REQUIRE_ARG(a, "admin");
    std::lock_guard lock(a->life_mu);
    if (a->state.exchange(HandleState::kClosed) != HandleState::kStarted) return FERRY_OK;
    a->io->stop();
    a->callbacks->stop();
    return FERRY_OK;
  });
}

FERRY_EXPORT void ferry_admin_destroy(ferry_admin* a) {
  if (!a) return;
  ferry_admin_shutdown(a, nullptr, 0);
  delete a;
}

FERRY_EXPORT ferry_status ferry_admin_create_topic(ferry_admin* a, const char* target, const ferry_topic_settings* t,
                                                   char* errbuf, size_t errlen) {
  return topic_write(a, target, t, true, errbuf, errlen);
}

FERRY_EXPORT ferry_status ferry_admin_update_topic(ferry_admin* a, const char* target, const ferry_topic_settings* t,
                                                   char* errbuf, size_t errlen) {
  return topic_write(a, target, t, false, errbuf, errlen);
}

FERRY_EXPORT ferry_status ferry_admin_delete_topic(ferry_admin* a, const char* target, const char* topic, char* errbuf,
                                                   size_t errlen) {
  auto args = [&]() -> ferry_status {
    FERRY_REQUIRE_ARG(target, "target");
    FERRY_REQUIRE_ARG(topic, "topic");
    return FERRY_OK;
  };
  return entry(a, errbuf, errlen, args, [&]() -> ferry_status {
    std::vector<std::string> addrs;
    Error e = targets(a, target, &addrs);
    if (!e.ok()) return fail(errbuf, errlen, e.status, e.message);
    for (const auto& addr : addrs) {
      flatbuffers::FlatBufferBuilder fbb(64);
      Answer ans;
      Error r = ask(a, addr, FERRY_CODE_TOPIC_DELETE, finish_core(fbb, fbc::CreateTopicNameRequest(fbb, fbb.CreateString(topic))), &ans);
      if (!r.ok()) return fail(errbuf, errlen, r.status, "delete topic: " + r.message);
    }
    return FERRY_OK;
  });
}

FERRY_EXPORT ferry_status ferry_admin_topic_list(ferry_admin* a, char** json, char* errbuf, size_t errlen) {
  auto args = [&]() -> ferry_status {
    FERRY_REQUIRE_ARG(json, "json_out");
    *json = nullptr;
    return FERRY_OK;
  };
  return entry(a, errbuf, errlen, args, [&]() -> ferry_status {
    Json j;
    j.begin_object().key("topics").begin_array();
    std::string after;
    for (int page = 0; page < 100000; ++page) {
      flatbuffers::FlatBufferBuilder fbb(64);
      Answer ans;
      Error e = ask(a, "", FERRY_NAMESRV_LIST_TOPICS, finish_ns(fbb, fbn::CreateListTopics(fbb, fbb.CreateString(after), 0)), &ans);
      if (!e.ok()) return fail(errbuf, errlen, e.status, e.message);
      auto d = read_ns<fbn::TopicList>(ans.payload);
      if (!d) return fail(errbuf, errlen, FERRY_E_BAD_FRAME, "unreadable TopicList");
      if (d->topics())
        for (const auto* t : *d->topics()) {
          j.value(t->str());
          after = t->str();
        }
      if (!d->more() || !d->topics() || d->topics()->size() == 0) break;
    }
    j.end_array().end_object();
    return json_out(j, json, errbuf, errlen);
  });
}

FERRY_EXPORT ferry_status ferry_admin_topic_route(ferry_admin* a, const char* topic, char** json, char* errbuf,
                                                  size_t errlen) {
  auto args = [&]() -> ferry_status {
    FERRY_REQUIRE_ARG(topic, "topic");
    FERRY_REQUIRE_ARG(json, "json_out");
    *json = nullptr;
    return FERRY_OK;
  };
  return entry(a, errbuf, errlen, args, [&]() -> ferry_status {
    Answer ans;
    Error e = ask(a, "", FERRY_NAMESRV_GET_ROUTE, encode_get_route(topic), &ans);
    if (!e.ok()) return fail(errbuf, errlen, e.status == FERRY_E_TOPIC_NOT_FOUND ? FERRY_E_NO_ROUTE : e.status, e.message);
    auto d = read_ns<fbn::TopicRoute>(ans.payload);
    if (!d) return fail(errbuf, errlen, FERRY_E_BAD_FRAME, "unreadable TopicRoute");
    Json j;
    j.begin_object().key("topic").value(str(d->topic())).key("queues").begin_array();
    if (d->queues())
      for (const auto* q : *d->queues())
        j.begin_object().key("broker").value(str(q->broker_name())).key("read").value(q->read_queues())
            .key("write").value(q->write_queues()).key("perm").value(q->perm()).end_object();
    j.end_array().key("brokers").begin_array();
    if (d->brokers())
      for (const auto* b : *d->brokers()) broker_json(j, b);
    j.end_array().end_object();
    return json_out(j, json, errbuf, errlen);
  });
}

FERRY_EXPORT ferry_status ferry_admin_cluster_info(ferry_admin* a, char** json, char* errbuf, size_t errlen) {
  auto args = [&]() -> ferry_status {
    FERRY_REQUIRE_ARG(json, "json_out");
    *json = nullptr;
    return FERRY_OK;
  };
  return entry(a, errbuf, errlen, args, [&]() -> ferry_status {
    flatbuffers::FlatBufferBuilder fbb(64);
    Answer ans;
    Error e = ask(a, "", FERRY_NAMESRV_GET_CLUSTER_INFO, finish_ns(fbb, fbn::CreateGetClusterInfo(fbb)), &ans);
    if (!e.ok()) return fail(errbuf, errlen, e.status, e.message);
    auto d = read_ns<fbn::ClusterInfo>(ans.payload);
    if (!d) return fail(errbuf, errlen, FERRY_E_BAD_FRAME, "unreadable ClusterInfo");
    Json j;
    j.begin_object().key("clusters").begin_array();
    if (d->clusters())
      for (const auto* c : *d->clusters()) {
        j.begin_object().key("name").value(str(c->name())).key("brokers").begin_array();
        if (c->brokers())
          for (const auto* b : *c->brokers()) broker_json(j, b);
        j.end_array().end_object();
      }
    j.end_array().end_object();
    return json_out(j, json, errbuf, errlen);
  });
}

FERRY_EXPORT ferry_status ferry_admin_queue_range(ferry_admin* a, const ferry_queue_ref* q, int64_t* min_offset,
                                                  int64_t* max_offset, char* errbuf, size_t errlen) {
  auto args = [&]() -> ferry_status {
    FERRY_REQUIRE_ARG(q, "queue");
    FERRY_REQUIRE_ARG(q->topic, "queue->topic");
    FERRY_REQUIRE_ARG(q->broker_name, "queue->broker_name");
    return FERRY_OK;
  };
  return entry(a, errbuf, errlen, args, [&]() -> ferry_status {
    std::shared_ptr<const Route> r;
    Error e = route_of(a, q->topic, &r);
    if (!e.ok()) return fail(errbuf, errlen, e.status, e.message);
    auto m = r->masters.find(q->broker_name);
    if (m == r->masters.end()) return fail(errbuf, errlen, FERRY_E_NO_ROUTE, std::string("broker ") + q->broker_name + " has no live master");
    Answer ans;
    e = ask(a, m->second, FERRY_CODE_QUEUE_RANGE, encode_queue_request(q->topic, q->queue_id), &ans);
    if (!e.ok()) return fail(errbuf, errlen, e.status, e.message);
    auto d = read_core<fbc::QueueRangeResponse>(ans.payload);
    if (!d) return fail(errbuf, errlen, FERRY_E_BAD_FRAME, "unreadable QueueRangeResponse");
    if (min_offset) *min_offset = static_cast<int64_t>(d->min_offset());
    if (max_offset) *max_offset = static_cast<int64_t>(d->max_offset());
    return FERRY_OK;
  });
}

FERRY_EXPORT ferry_status ferry_admin_consumer_progress(ferry_admin* a, const char* group, const char* topic,
                                                        char** json, char* errbuf, size_t errlen) {
  auto args = [&] { return group_json_args(group, json, errbuf, errlen); };
  return entry(a, errbuf, errlen, args, [&]() -> ferry_status {
    // Which brokers: the topic's, or every master the name servers know.
    std::map<std::string, std::string> brokers;  // name -> addr
    if (topic) {
      std::shared_ptr<const Route> r;
      Error e = route_of(a, topic, &r);
      if (!e.ok()) return fail(errbuf, errlen, e.status, e.message);
      brokers = r->masters;
    } else {
      Error e = all_masters(a, &brokers);
      if (!e.ok()) return fail(errbuf, errlen, e.status, e.message);
    }
    Json j;
    uint64_t total = 0;
    bool any = false;
    j.begin_object().key("group").value(group).key("queues").begin_array();
    Error e = each_broker(brokers, [&](const std::string& name, const std::string& addr) -> Error {
      flatbuffers::FlatBufferBuilder fbb(64);
      auto g = fbb.CreateString(group);
      auto t = topic ? fbb.CreateString(topic) : flatbuffers::Offset<flatbuffers::String>();
      Answer ans;
      Error r = ask(a, addr, FERRY_CODE_GROUP_PROGRESS, finish_core(fbb, fbc::CreateGroupProgressRequest(fbb, g, t)), &ans);
      if (r.status == FERRY_E_GROUP_NOT_FOUND) return {};
      if (!r.ok()) return r;
      auto d = read_core<fbc::GroupProgressResponse>(ans.payload);
      if (!d || !d->queues()) return {};
      any = true;
      for (const auto* q : *d->queues()) {
        j.begin_object().key("topic").value(str(q->topic())).key("broker").value(name).key("queue").value(q->queue_id())
            .key("committed").value(q->committed()).key("max").value(q->max_offset()).key("lag").value(q->lag()).end_object();
        total += q->lag();
      }
      return {};
    });
    if (!e.ok()) return fail(errbuf, errlen, e.status, e.message);
    j.end_array().key("total_lag").value(total).end_object();
    if (!any) return fail(errbuf, errlen, FERRY_E_GROUP_NOT_FOUND, std::string("group ") + group + " has committed no offset");
    return json_out(j, json, errbuf, errlen);
  });
}

FERRY_EXPORT ferry_status ferry_admin_query_by_offset_id(ferry_admin* a, const char* id, ferry_client_message** out,
                                                         char* errbuf, size_t errlen) {
  auto args = [&]() -> ferry_status {
    FERRY_REQUIRE_ARG(id, "offset_msg_id");
    FERRY_REQUIRE_ARG(out, "out");
    *out = nullptr;
    return FERRY_OK;
  };
  return entry(a, errbuf, errlen, args, [&]() -> ferry_status {
    // The id carries the store address: 8 hex IPv4 + 8 hex port (+16 offset).
    std::string sid(id), addr;
    uint64_t commit_offset = 0;
    Error pe = parse_offset_id(sid, &addr, &commit_offset);
    if (!pe.ok()) return fail(errbuf, errlen, pe.status, pe.message);
    flatbuffers::FlatBufferBuilder fbb(64);
    Answer ans;
    Error e = ask(a, addr, FERRY_CODE_QUERY_BY_OFFSET_ID, finish_core(fbb, fbc::CreateQueryByOffsetIdRequest(fbb, fbb.CreateString(sid))), &ans);
    if (!e.ok()) return fail(errbuf, errlen, e.status, e.message);
    std::string why;
    auto msgs = decode_records(ans.buffer, ans.attachment.data(), ans.attachment.size(), "", &why);
    if (msgs.empty()) return fail(errbuf, errlen, FERRY_E_NOT_FOUND, "no message with id " + sid + (why.empty() ? "" : ": " + why));
    *out = msgs[0].release();
    return FERRY_OK;
  });
}

FERRY_EXPORT ferry_status ferry_admin_query_by_key(ferry_admin* a, const char* topic, const char* key,
                                                   ferry_client_message** msgs, size_t max, size_t* count, char* errbuf,
                                                   size_t errlen) {
  if (count) *count = 0;
  auto args = [&]() -> ferry_status {
    FERRY_REQUIRE_ARG(count, "count");
    FERRY_REQUIRE_ARG(topic, "topic");
    FERRY_REQUIRE_ARG(key, "key");
    FERRY_REQUIRE_ARG(msgs, "msgs");
    return FERRY_OK;
  };
  return entry(a, errbuf, errlen, args, [&]() -> ferry_status {
    std::shared_ptr<const Route> r;
    Error e = route_of(a, topic, &r);
    if (!e.ok()) return fail(errbuf, errlen, e.status, e.message);
    for (const auto& [name, addr] : r->masters) {
      if (*count >= max) break;
      flatbuffers::FlatBufferBuilder fbb(64);
      auto t = fbb.CreateString(topic);
      auto k = fbb.CreateString(key);
      Answer ans;
      Error qe = ask(a, addr, FERRY_CODE_QUERY_BY_KEY,
                     finish_core(fbb, fbc::CreateQueryByKeyRequest(fbb, t, k, 0, INT64_MAX, static_cast<uint32_t>(std::min<size_t>(max, 64)))), &ans);
      if (qe.status == FERRY_E_NOT_FOUND) continue;
      if (!qe.ok()) return fail(errbuf, errlen, qe.status, qe.message);
      std::string why;
      for (auto& m : decode_records(ans.buffer, ans.attachment.data(), ans.attachment.size(), name, &why)) {
        if (*count >= max) break;
        msgs[(*count)++] = m.release();
      }
    }
    if (*count == 0) return fail(errbuf, errlen, FERRY_E_NOT_FOUND, std::string("no message of ") + topic + " has key " + key);
    return FERRY_OK;
  });
}

FERRY_EXPORT ferry_status ferry_admin_runtime_stats(ferry_admin* a, const char* broker, char** json, char* errbuf,
                                                    size_t errlen) {
  auto args = [&]() -> ferry_status {
    FERRY_REQUIRE_ARG(broker, "broker_address");
    FERRY_REQUIRE_ARG(json, "json_out");
    *json = nullptr;
    return FERRY_OK;
  };
  return entry(a, errbuf, errlen, args, [&]() -> ferry_status {
    flatbuffers::FlatBufferBuilder fbb(32);
    Answer ans;
    Error e = ask(a, broker, FERRY_CODE_RUNTIME_STATS, finish_core(fbb, fbc::CreateRuntimeStatsRequest(fbb)), &ans);
    if (!e.ok()) return fail(errbuf, errlen, e.status, e.message);
    auto d = read_core<fbc::RuntimeStatsResponse>(ans.payload);
    if (!d) return fail(errbuf, errlen, FERRY_E_BAD_FRAME, "unreadable RuntimeStatsResponse");
    Json j;
    j.begin_object().key("broker").value(broker).key("stats").begin_object();
    if (d->stats())
      for (const auto* s : *d->stats()) j.key(str(s->name())).value(static_cast<int64_t>(s->value()));
    j.end_object().end_object();
    return json_out(j, json, errbuf, errlen);
  });
}

}  // extern "C"
