// extern "C" entries of the push and the pull consumer (one engine, two faces).
#include <cstdlib>
#include <cstring>

#include "consumer.h"

using namespace ferry::sdk;

struct ferry_push_consumer : Consumer {
  ferry_push_consumer() : Consumer(ConsumerKind::kPushConcurrent) {}
};
struct ferry_pull_consumer : Consumer {
  ferry_pull_consumer() : Consumer(ConsumerKind::kPull) {}
};

namespace {

template <class T>
ferry_status make_consumer(const ferry_config* conf, T** out, char* errbuf, size_t errlen) {
  FERRY_REQUIRE_ARG(out, "out");
  *out = nullptr;
  FERRY_REQUIRE_ARG(conf, "conf");
  auto c = std::make_unique<T>();
  std::string why;
  ferry_status st = build_settings(*conf, true, &c->s, &why);
  if (st != FERRY_OK) return fail(errbuf, errlen, st, why);
  c->io = std::make_unique<Io>(c->s);
  *out = c.release();
  return FERRY_OK;
}

ferry_status subscribe(Consumer* c, const char* topic, const char* expr, char* errbuf, size_t errlen) {
  FERRY_REQUIRE_ARG(c, "consumer");
  FERRY_REQUIRE_ARG(topic, "topic");
  if (c->state != HandleState::kNew)
    return fail(errbuf, errlen, c->state == HandleState::kClosed ? FERRY_E_CLOSED : FERRY_E_STATE,
                "subscribe before start");
  size_t n = std::strlen(topic);
  if (ferry_status st = check_topic_length(n, errbuf, errlen); st != FERRY_OK) return st;
  std::string e = expr ? expr : "";
  if (e.find_first_of("\x01\x02") != std::string::npos)
    return fail(errbuf, errlen, FERRY_E_BAD_SUBSCRIPTION, "tag expression contains \\x01 or \\x02");
  c->subscriptions[topic] = e.empty() ? "*" : e;
  return FERRY_OK;
}

ferry_status sql92_unsupported(const void* c, char* errbuf, size_t errlen) {
  FERRY_REQUIRE_ARG(c, "consumer");
  return fail(errbuf, errlen, FERRY_E_NOT_SUPPORTED,
              "SQL92 subscriptions are not supported yet (no sql92 filter plugin behind the broker)");
}

bool to_key(const ferry_queue_ref* q, QueueKey* k) {
  if (!q || !q->topic || !q->broker_name) return false;
  *k = QueueKey{q->topic, q->broker_name, q->queue_id};
  return true;
}

}  // namespace

extern "C" {

// ---------------------------------------------------------------- push

FERRY_EXPORT ferry_status ferry_push_consumer_new(const ferry_config* conf, ferry_push_consumer** out, char* errbuf,
                                                  size_t errlen) {
  return guarded(errbuf, errlen, [&] { return make_consumer(conf, out, errbuf, errlen); });
}

FERRY_EXPORT ferry_status ferry_push_consumer_subscribe(ferry_push_consumer* c, const char* topic,
                                                        const char* tag_expression, char* errbuf, size_t errlen) {
  return guarded(errbuf, errlen, [&] { return subscribe(c, topic, tag_expression, errbuf, errlen); });
}

FERRY_EXPORT ferry_status ferry_push_consumer_subscribe_sql92(ferry_push_consumer* c, const char* topic,
                                                              const char* sql, char* errbuf, size_t errlen) {
  return guarded(errbuf, errlen, [&] {
    (void)topic;
    (void)sql;
    return sql92_unsupported(c, errbuf, errlen);
  });
}

FERRY_EXPORT ferry_status ferry_push_consumer_set_listener(ferry_push_consumer* c, ferry_concurrent_listener listener,
                                                           void* user_data, char* errbuf, size_t errlen) {
  return guarded(errbuf, errlen, [&] {
    FERRY_REQUIRE_ARG(c, "consumer");
    FERRY_REQUIRE_ARG(listener, "listener");
    if (c->state != HandleState::kNew) return fail(errbuf, errlen, FERRY_E_STATE, "set the listener before start");
    if (c->orderly_listener) return fail(errbuf, errlen, FERRY_E_STATE, "an orderly listener is already set");
    c->listener = listener;
    c->listener_user = user_data;
    return FERRY_OK;
  });
}

FERRY_EXPORT ferry_status ferry_push_consumer_set_orderly_listener(ferry_push_consumer* c,
                                                                   ferry_orderly_listener listener, void* user_data,
                                                                   char* errbuf, size_t errlen) {
  return guarded(errbuf, errlen, [&] {
    FERRY_REQUIRE_ARG(c, "consumer");
    FERRY_REQUIRE_ARG(listener, "listener");
    if (c->state != HandleState::kNew) return fail(errbuf, errlen, FERRY_E_STATE, "set the listener before start");
    if (c->listener) return fail(errbuf, errlen, FERRY_E_STATE, "a concurrent listener is already set");
    c->orderly_listener = listener;
    c->listener_user = user_data;
    return FERRY_OK;
  });
}

FERRY_EXPORT ferry_status ferry_push_consumer_start(ferry_push_consumer* c, char* errbuf, size_t errlen) {
  return guarded(errbuf, errlen, [&] {
    FERRY_REQUIRE_ARG(c, "consumer");
    return c->start(errbuf, errlen);
  });
}

FERRY_EXPORT ferry_status ferry_push_consumer_shutdown(ferry_push_consumer* c, char* errbuf, size_t errlen) {
  return guarded(errbuf, errlen, [&] {
    FERRY_REQUIRE_ARG(c, "consumer");
    return c->shutdown(errbuf, errlen);
  });
}

FERRY_EXPORT void ferry_push_consumer_destroy(ferry_push_consumer* c) {
  if (!c) return;
  ferry_push_consumer_shutdown(c, nullptr, 0);
  guarded_value<int>(0, [&] {
    delete c;
    return 0;
  });
}

FERRY_EXPORT size_t ferry_push_consumer_queue_count(ferry_push_consumer* c) {
  return guarded_value<size_t>(0, [&]() -> size_t { return c ? c->queue_count() : 0; });
}

FERRY_EXPORT uint64_t ferry_push_consumer_handover_uncommitted(ferry_push_consumer* c) {
  return c ? c->handover_uncommitted() : 0;
}

// ---------------------------------------------------------------- pull

FERRY_EXPORT ferry_status ferry_pull_consumer_new(const ferry_config* conf, ferry_pull_consumer** out, char* errbuf,
                                                  size_t errlen) {
  return guarded(errbuf, errlen, [&] { return make_consumer(conf, out, errbuf, errlen); });
}

FERRY_EXPORT ferry_status ferry_pull_consumer_subscribe(ferry_pull_consumer* c, const char* topic,
                                                        const char* tag_expression, char* errbuf, size_t errlen) {
  return guarded(errbuf, errlen, [&] { return subscribe(c, topic, tag_expression, errbuf, errlen); });
}

FERRY_EXPORT ferry_status ferry_pull_consumer_subscribe_sql92(ferry_pull_consumer* c, const char* topic,
                                                              const char* sql, char* errbuf, size_t errlen) {
  return guarded(errbuf, errlen, [&] {
    (void)topic;
    (void)sql;
    return sql92_unsupported(c, errbuf, errlen);
  });
}

FERRY_EXPORT ferry_status ferry_pull_consumer_assign(ferry_pull_consumer* c, const ferry_queue_ref* queues,
                                                     size_t count, char* errbuf, size_t errlen) {
  return guarded(errbuf, errlen, [&] {
    FERRY_REQUIRE_ARG(c, "consumer");
    if (count) FERRY_REQUIRE_ARG(queues, "queues");
    if (c->state == HandleState::kClosed) return fail(errbuf, errlen, FERRY_E_CLOSED, "consumer was shut down");
    std::vector<QueueKey> keys(count);
    for (size_t i = 0; i < count; ++i)
      if (!to_key(&queues[i], &keys[i]))
        return fail(errbuf, errlen, FERRY_E_INVALID_ARGUMENT, "queue " + std::to_string(i) + " lacks topic or broker_name");
    return c->assign(std::move(keys), errbuf, errlen);
  });
}

FERRY_EXPORT ferry_status ferry_pull_consumer_fetch_queues(ferry_pull_consumer* c, const char* topic,
                                                           ferry_queue_ref** out, size_t* count, char* errbuf,
                                                           size_t errlen) {
  return guarded(errbuf, errlen, [&] {
    FERRY_REQUIRE_ARG(c, "consumer");
    FERRY_REQUIRE_ARG(topic, "topic");
    FERRY_REQUIRE_ARG(out, "out");
    FERRY_REQUIRE_ARG(count, "count");
    *out = nullptr;
    *count = 0;
    ferry_status st = c->check_running(errbuf, errlen);
    if (st != FERRY_OK) return st;
    std::vector<QueueKey> qs;
    Error e = c->fetch_queues(topic, &qs);
    if (!e.ok()) return fail(errbuf, errlen, e.status, e.message);
    auto* refs = static_cast<ferry_queue_ref*>(std::calloc(qs.size() ? qs.size() : 1, sizeof(ferry_queue_ref)));
    if (!refs) return fail(errbuf, errlen, FERRY_E_NO_MEMORY, "out of memory");
    for (size_t i = 0; i < qs.size(); ++i) {
      refs[i].struct_size = sizeof(ferry_queue_ref);
      refs[i].topic = strdup(qs[i].topic.c_str());
      refs[i].broker_name = strdup(qs[i].broker.c_str());
      refs[i].queue_id = qs[i].queue_id;
    }
    *out = refs;
    *count = qs.size();
    return FERRY_OK;
  });
}

FERRY_EXPORT void ferry_queue_refs_free(ferry_queue_ref* refs, size_t count) {
  if (!refs) return;
  for (size_t i = 0; i < count; ++i) {
    std::free(const_cast<char*>(refs[i].topic));
    std::free(const_cast<char*>(refs[i].broker_name));
  }
  std::free(refs);
}

FERRY_EXPORT ferry_status ferry_pull_consumer_start(ferry_pull_consumer* c, char* errbuf, size_t errlen) {
  return guarded(errbuf, errlen, [&] {
    FERRY_REQUIRE_ARG(c, "consumer");
    return c->start(errbuf, errlen);
  });
}

FERRY_EXPORT ferry_status ferry_pull_consumer_poll(ferry_pull_consumer* c, int32_t timeout_ms,
                                                   ferry_client_message** msgs, size_t max, size_t* count,
                                                   char* errbuf, size_t errlen) {
  return guarded(errbuf, errlen, [&] {
    FERRY_REQUIRE_ARG(count, "count");
    *count = 0;
    FERRY_REQUIRE_ARG(c, "consumer");
    FERRY_REQUIRE_ARG(msgs, "msgs");
    ferry_status st = c->check_running(errbuf, errlen);
    if (st != FERRY_OK) return st;
    st = c->poll(timeout_ms, msgs, max, count);
    if (st != FERRY_OK) return fail(errbuf, errlen, st, "consumer was shut down");
    return FERRY_OK;
  });
}

FERRY_EXPORT ferry_status ferry_pull_consumer_commit_sync(ferry_pull_consumer* c, char* errbuf, size_t errlen) {
  return guarded(errbuf, errlen, [&] {
    FERRY_REQUIRE_ARG(c, "consumer");
    ferry_status st = c->check_running(errbuf, errlen);
    if (st != FERRY_OK) return st;
    Error e = c->commit_polled_sync();
    if (!e.ok()) return fail(errbuf, errlen, e.status, e.message);
    return FERRY_OK;
  });
}

FERRY_EXPORT ferry_status ferry_pull_consumer_commit_async(ferry_pull_consumer* c, ferry_commit_cb cb,
                                                           void* user_data, char* errbuf, size_t errlen) {
  return guarded(errbuf, errlen, [&] {
    FERRY_REQUIRE_ARG(c, "consumer");
    ferry_status st = c->check_running(errbuf, errlen);
    if (st != FERRY_OK) return st;
    c->commit_polled_async([cb, user_data](Error e) {
      if (cb) cb(user_data, e.status, e.message.c_str());
    });
    return FERRY_OK;
  });
}

FERRY_EXPORT ferry_status ferry_pull_consumer_seek(ferry_pull_consumer* c, const ferry_queue_ref* queue,
                                                   int64_t offset, char* errbuf, size_t errlen) {
  return guarded(errbuf, errlen, [&] {
    FERRY_REQUIRE_ARG(c, "consumer");
    QueueKey k;
    if (!to_key(queue, &k)) return fail(errbuf, errlen, FERRY_E_INVALID_ARGUMENT, "queue, its topic or broker_name is NULL");
    if (offset < 0) return fail(errbuf, errlen, FERRY_E_INVALID_ARGUMENT, "offset is negative");
    ferry_status st = c->check_running(errbuf, errlen);
    if (st != FERRY_OK) return st;
    return c->seek(k, offset, errbuf, errlen);
  });
}

FERRY_EXPORT ferry_status ferry_pull_consumer_seek_timestamp(ferry_pull_consumer* c, const ferry_queue_ref* queue,
                                                             int64_t epoch_ms, char* errbuf, size_t errlen) {
  return guarded(errbuf, errlen, [&] {
    FERRY_REQUIRE_ARG(c, "consumer");
    QueueKey k;
    if (!to_key(queue, &k)) return fail(errbuf, errlen, FERRY_E_INVALID_ARGUMENT, "queue, its topic or broker_name is NULL");
    ferry_status st = c->check_running(errbuf, errlen);
    if (st != FERRY_OK) return st;
    int64_t off = 0;
    Error e = c->offset_for_time(k, epoch_ms, &off);
    if (!e.ok()) return fail(errbuf, errlen, e.status, e.message);
    return c->seek(k, off, errbuf, errlen);
  });
}

FERRY_EXPORT ferry_status ferry_pull_consumer_shutdown(ferry_pull_consumer* c, char* errbuf, size_t errlen) {
  return guarded(errbuf, errlen, [&] {
    FERRY_REQUIRE_ARG(c, "consumer");
    return c->shutdown(errbuf, errlen);
  });
}

FERRY_EXPORT void ferry_pull_consumer_destroy(ferry_pull_consumer* c) {
  if (!c) return;
  ferry_pull_consumer_shutdown(c, nullptr, 0);
  guarded_value<int>(0, [&] {
    delete c;
    return 0;
  });
}

}  // extern "C"
