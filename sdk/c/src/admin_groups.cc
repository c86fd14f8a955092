// Admin calls on consumer groups and broker settings (ferryctl group list,
// consumer connections, offset reset by time, broker config): one request
// per broker (every master the name servers know, or those serving a
// topic), answers merged into one JSON document.
#include <algorithm>
#include <climits>

#include "admin_common.h"

using namespace ferry::sdk;
using namespace ferry::sdk::admin;

namespace {

// Brokers to ask: one named "host:port", else every master known.
Error brokers_to_ask(ferry_admin* a, const char* broker, std::map<std::string, std::string>* out) {
  if (broker && *broker) {
    (*out)[broker] = broker;
    return {};
  }
  Error e = all_masters(a, out);
  if (e.ok() && out->empty()) return {FERRY_E_NO_ROUTE, "the name servers know no live master broker"};
  return e;
}

// Runs `each(name, addr)` for the brokers to ask, one by one; the first
// failure (picking them or asking one) stops and is returned.
template <class Each>
Error ask_brokers(ferry_admin* a, const char* broker, Each&& each) {
  std::map<std::string, std::string> brokers;
  Error e = brokers_to_ask(a, broker, &brokers);
  if (!e.ok()) return e;
  return each_broker(brokers, each);
}

void subscriptions_json(Json& j, const flatbuffers::Vector<flatbuffers::Offset<fbc::Subscription>>* subs) {
  j.key("subscriptions").begin_array();
  if (subs)
    for (const auto* s : *subs)
      j.begin_object().key("topic").value(str(s->topic())).key("type").value(str(s->expression_type()))
          .key("expression").value(str(s->expression())).end_object();
  j.end_array();
}

const char* model_name(fbc::ConsumeModel m) {
  return m == fbc::ConsumeModel::Broadcasting ? "broadcasting" : "clustering";
}

}  // namespace

extern "C" {

FERRY_EXPORT ferry_status ferry_admin_group_list(ferry_admin* a, const char* broker, char** json, char* errbuf,
                                                 size_t errlen) {
  auto args = [&]() -> ferry_status {
    FERRY_REQUIRE_ARG(json, "json_out");
    *json = nullptr;
    return FERRY_OK;
  };
  return entry(a, errbuf, errlen, args, [&]() -> ferry_status {
    Json j;
    j.begin_object().key("groups").begin_array();
    Error e = ask_brokers(a, broker, [&](const std::string& name, const std::string& addr) -> Error {
      flatbuffers::FlatBufferBuilder fbb(32);
      Answer ans;
      Error r = ask(a, addr, FERRY_CODE_GROUP_LIST, finish_core(fbb, fbc::CreateGroupListRequest(fbb)), &ans);
      if (!r.ok()) return r;
      auto d = read_core<fbc::GroupListResponse>(ans.payload);
      if (!d) return {FERRY_E_BAD_FRAME, addr + ": unreadable GroupListResponse"};
      if (!d->groups()) return {};
      for (const auto* g : *d->groups()) {
        j.begin_object().key("group").value(str(g->group())).key("broker").value(name).key("members")
            .value(static_cast<uint64_t>(g->members())).key("model").value(model_name(g->consume_model()))
            .key("has_offsets").value(g->has_offsets()).key("topics").begin_array();
        if (g->topics())
          for (const auto* t : *g->topics()) j.value(str(t));
        j.end_array().end_object();
      }
      return {};
    });
    if (!e.ok()) return fail(errbuf, errlen, e.status, e.message);
    j.end_array().end_object();
    return json_out(j, json, errbuf, errlen);
  });
}

FERRY_EXPORT ferry_status ferry_admin_consumer_connections(ferry_admin* a, const char* group, char** json,
                                                           char* errbuf, size_t errlen) {
  auto args = [&] { return group_json_args(group, json, errbuf, errlen); };
  return entry(a, errbuf, errlen, args, [&]() -> ferry_status {
    Json j;
    bool any = false;
    j.begin_object().key("group").value(group).key("connections").begin_array();
    Error e = ask_brokers(a, nullptr, [&](const std::string& name, const std::string& addr) -> Error {
      flatbuffers::FlatBufferBuilder fbb(64);
      Answer ans;
      Error r = ask(a, addr, FERRY_CODE_CONSUMER_CONNECTIONS,
                    finish_core(fbb, fbc::CreateConsumerConnectionsRequest(fbb, fbb.CreateString(group))), &ans);
      if (r.status == FERRY_E_GROUP_NOT_FOUND) return {};
      if (!r.ok()) return r;
      auto d = read_core<fbc::ConsumerConnectionsResponse>(ans.payload);
      if (!d) return {FERRY_E_BAD_FRAME, addr + ": unreadable ConsumerConnectionsResponse"};
      if (!d->connections()) return {};
      for (const auto* c : *d->connections()) {
        any = true;
        j.begin_object().key("broker").value(name).key("client_id").value(str(c->client_id()))
            .key("address").value(str(c->address())).key("language").value(str(c->language()))
            .key("version").value(str(c->version())).key("model").value(model_name(c->consume_model()))
            .key("last_heartbeat_ms_ago").value(c->last_heartbeat_ms_ago());
        subscriptions_json(j, c->subscriptions());
        j.end_object();
      }
      return {};
    });
    if (!e.ok()) return fail(errbuf, errlen, e.status, e.message);
    j.end_array().end_object();
    if (!any)
      return fail(errbuf, errlen, FERRY_E_GROUP_NOT_FOUND,
                  std::string("consumer group ") + group + " has no live member on any broker");
    return json_out(j, json, errbuf, errlen);
  });
}

FERRY_EXPORT ferry_status ferry_admin_reset_offset_by_time(ferry_admin* a, const char* group, const char* topic,
                                                           int64_t timestamp_ms, char** json, char* errbuf,
                                                           size_t errlen) {
  auto args = [&] { return group_json_args(group, json, errbuf, errlen, &topic); };
  return entry(a, errbuf, errlen, args, [&]() -> ferry_status {
    std::shared_ptr<const Route> r;
    Error e = route_of(a, topic, &r);
    if (!e.ok()) return fail(errbuf, errlen, e.status, e.message);
    Json j;
    j.begin_object().key("group").value(group).key("topic").value(topic).key("timestamp_ms").value(timestamp_ms)
        .key("queues").begin_array();
    uint64_t notified = 0;
    // Broker by broker; the first failure stops (brokers before it keep
    // their reset, and the message says which failed).
    e = each_broker(r->masters, [&](const std::string& name, const std::string& addr) -> Error {
      flatbuffers::FlatBufferBuilder fbb(96);
      auto g = fbb.CreateString(group);
      auto t = fbb.CreateString(topic);
      Answer ans;
      Error x = ask(a, addr, FERRY_CODE_RESET_OFFSET_BY_TIME,
                    finish_core(fbb, fbc::CreateResetOffsetRequest(fbb, g, t, timestamp_ms)), &ans);
      if (!x.ok()) return {x.status, "broker " + name + ": " + x.message};
      auto d = read_core<fbc::ResetOffsetResponse>(ans.payload);
      if (!d) return {FERRY_E_BAD_FRAME, addr + ": unreadable ResetOffsetResponse"};
      notified += d->notified();
      if (d->offsets())
        for (const auto* o : *d->offsets())
          j.begin_object().key("broker").value(name).key("queue").value(o->queue_id()).key("offset")
              .value(o->offset()).end_object();
      return {};
    });
    if (!e.ok()) return fail(errbuf, errlen, e.status, e.message);
    j.end_array().key("members_notified").value(notified).end_object();
    return json_out(j, json, errbuf, errlen);
  });
}

FERRY_EXPORT ferry_status ferry_admin_broker_config(ferry_admin* a, const char* broker_address, char** json,
                                                    char* errbuf, size_t errlen) {
  auto args = [&]() -> ferry_status {
    FERRY_REQUIRE_ARG(broker_address, "broker_address");
    FERRY_REQUIRE_ARG(json, "json_out");
    *json = nullptr;
    return FERRY_OK;
  };
  return entry(a, errbuf, errlen, args, [&]() -> ferry_status {
    flatbuffers::FlatBufferBuilder fbb(32);
    Answer ans;
    Error e = ask(a, broker_address, FERRY_CODE_BROKER_CONFIG, finish_core(fbb, fbc::CreateBrokerConfigRequest(fbb)),
                  &ans);
    if (!e.ok()) return fail(errbuf, errlen, e.status, e.message);
    auto d = read_core<fbc::BrokerConfigResponse>(ans.payload);
    if (!d) return fail(errbuf, errlen, FERRY_E_BAD_FRAME, "unreadable BrokerConfigResponse");
    // {"broker":..,"sections":{"kernel":{"listen":"\"127.0.0.1:1\""...}}}:
    // entries arrive grouped by section.
    Json j;
    j.begin_object().key("broker").value(broker_address).key("sections").begin_object();
    std::string open;
    if (d->entries())
      for (const auto* c : *d->entries()) {
        if (str(c->section()) != open) {
          if (!open.empty()) j.end_object();
          open = str(c->section());
          j.key(open).begin_object();
        }
        j.key(str(c->key())).value(str(c->value()));
      }
    if (!open.empty()) j.end_object();
    j.end_object().end_object();
    return json_out(j, json, errbuf, errlen);
  });
}

}  // extern "C"
