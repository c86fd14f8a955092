// Queries: queue ranges, offset by time, messages by offset id / unique key
// / key and time range (on a worker: index lookups may touch cold pages),
// group progress and runtime stats.
#include <ferry/codes.h>

#include <limits>

#include "core_internal.h"

namespace ferry::core {
namespace {

void release_result(void* p) {
  auto* r = static_cast<ferry_read_result*>(p);
  r->release(r);
}

}  // namespace

void Core::handle_queue_range(RequestPtr req) {
  auto p = read_payload<fb::QueueRequest>(req->payload());
  if (!p) return respond_error(*req, FERRY_E_INVALID_ARGUMENT, bad_payload("QueueRequest"));
  const TopicConfig* t = topics_.find(sv(p->topic()));
  if (!t) return respond_error(*req, FERRY_E_TOPIC_NOT_FOUND, "topic '" + std::string(sv(p->topic())) + "' does not exist");
  uint64_t min = 0, max = 0;
  err_->reset();
  ferry_status s = plugins_.storage->queue_range(plugins_.storage_inst, slice(t->name), p->queue_id(),
                                                 &min, &max, err_->get());
  if (s != FERRY_OK) return respond_error(*req, s, err_->message());
  flatbuffers::FlatBufferBuilder fbb(64);
  Response r;
  finish_into(fbb, fb::CreateQueueRangeResponse(fbb, min, max), &r);
  req->respond(std::move(r));
}

void Core::handle_offset_by_time(RequestPtr req) {
  auto p = read_payload<fb::OffsetByTimeRequest>(req->payload());
  if (!p) return respond_error(*req, FERRY_E_INVALID_ARGUMENT, bad_payload("OffsetByTimeRequest"));
  const TopicConfig* t = topics_.find(sv(p->topic()));
  if (!t) return respond_error(*req, FERRY_E_TOPIC_NOT_FOUND, "topic '" + std::string(sv(p->topic())) + "' does not exist");
  uint64_t off = 0;
  err_->reset();
  ferry_status s = plugins_.storage->offset_for_time(plugins_.storage_inst, slice(t->name), p->queue_id(),
                                                     p->timestamp_ms(), &off, err_->get());
  if (s != FERRY_OK) return respond_error(*req, s, err_->message());
  flatbuffers::FlatBufferBuilder fbb(64);
  Response r;
  finish_into(fbb, fb::CreateOffsetByTimeResponse(fbb, off), &r);
  req->respond(std::move(r));
}

void Core::handle_query(RequestPtr req) {
  // Decode on the loop; the storage call runs on a worker.
  struct Work {
    RequestPtr req;
    uint32_t code = 0;
    uint64_t commit_offset = 0;
    std::string topic, key;
    int64_t begin = 0, end = std::numeric_limits<int64_t>::max();
    uint32_t max_count = 32;
    ferry_status status = FERRY_OK;
    ferry_read_result* res = nullptr;
    std::unique_ptr<ErrorSlot> err;
    std::string why;
  };
  auto w = std::make_shared<Work>();
  w->code = req->code();
  if (w->code == FERRY_CODE_QUERY_BY_OFFSET_ID) {
    auto p = read_payload<fb::QueryByOffsetIdRequest>(req->payload());
    if (!p) return respond_error(*req, FERRY_E_INVALID_ARGUMENT, bad_payload("QueryByOffsetIdRequest"));
    auto id = decode_message_id(sv(p->offset_msg_id()));
    if (!id)
      return respond_error(*req, FERRY_E_INVALID_ARGUMENT,
                           "'" + std::string(sv(p->offset_msg_id())) + "' is not an offset message id (32 or 56 hex digits)");
    w->commit_offset = id->commit_offset;
  } else if (w->code == FERRY_CODE_QUERY_BY_UNIQ_KEY) {
    auto p = read_payload<fb::QueryByUniqKeyRequest>(req->payload());
    if (!p) return respond_error(*req, FERRY_E_INVALID_ARGUMENT, bad_payload("QueryByUniqKeyRequest"));
    w->topic = std::string(sv(p->topic()));
    w->key = std::string(sv(p->uniq_key()));
    w->max_count = 1;
  } else {
    auto p = read_payload<fb::QueryByKeyRequest>(req->payload());
    if (!p) return respond_error(*req, FERRY_E_INVALID_ARGUMENT, bad_payload("QueryByKeyRequest"));
    w->topic = std::string(sv(p->topic()));
    w->key = std::string(sv(p->key()));
    w->begin = p->begin_ms();
    w->end = p->end_ms();
    w->max_count = std::clamp<uint32_t>(p->max_count(), 1, 64);
  }
  if (w->code != FERRY_CODE_QUERY_BY_OFFSET_ID && !topics_.find(w->topic))
    return respond_error(*req, FERRY_E_TOPIC_NOT_FOUND, "topic '" + w->topic + "' does not exist");
  if (w->code != FERRY_CODE_QUERY_BY_OFFSET_ID && !plugins_.storage->query_key)
    return respond_error(*req, FERRY_E_NOT_SUPPORTED, "storage has no key index");
  w->req = std::move(req);
  w->err = env_.new_error();
  const ferry_storage_ops* ops = plugins_.storage;
  void* inst = plugins_.storage_inst;
  bool queued = env_.queue_work(
      [w, ops, inst] {
        if (w->code == FERRY_CODE_QUERY_BY_OFFSET_ID)
          w->status = ops->read_at(inst, w->commit_offset, &w->res, w->err->get());
        else
          w->status = ops->query_key(inst, slice(w->topic), slice(w->key), w->begin, w->end,
                                     w->max_count, &w->res, w->err->get());
        if (w->status != FERRY_OK) w->why = w->err->message();
      },
      [w] {
        Keep hold(w->res ? &release_result : nullptr, w->res);
        if (w->status != FERRY_OK) {
          return respond_error(*w->req, w->status, w->why.empty() ? ferry_status_str(w->status) : w->why);
        }
        size_t count = w->res ? w->res->count : 0;
        if (count == 0) return respond_error(*w->req, FERRY_E_NOT_FOUND, "no message matches");
        Response r;
        flatbuffers::FlatBufferBuilder fbb(32);
        finish_into(fbb, fb::CreateQueryResponse(fbb, static_cast<uint32_t>(count)), &r);
        r.attachment.assign(w->res->records, w->res->records + count);
        r.keep.push_back(std::move(hold));
        w->req->respond(std::move(r));
      });
  if (!queued) respond_error(*w->req, FERRY_E_SHUTTING_DOWN, "broker shutting down");
}

void Core::handle_group_progress(RequestPtr req) {
  auto p = read_payload<fb::GroupProgressRequest>(req->payload());
  if (!p) return respond_error(*req, FERRY_E_INVALID_ARGUMENT, bad_payload("GroupProgressRequest"));
  std::string_view group = sv(p->group());
  flatbuffers::FlatBufferBuilder fbb(256);
  std::vector<flatbuffers::Offset<fb::QueueProgress>> queues;
  uint64_t total = 0;
  bool any = false;
  offsets_.for_group(group, sv(p->topic()), [&](const std::string& topic, int32_t qid, uint64_t committed) {
    any = true;
    uint64_t min = 0, max = 0;
    err_->reset();
    if (plugins_.storage->queue_range(plugins_.storage_inst, slice(topic), qid, &min, &max, err_->get()) != FERRY_OK)
      max = committed;
    uint64_t lag = max > committed ? max - committed : 0;
    total += lag;
    queues.push_back(fb::CreateQueueProgress(fbb, fbb.CreateString(topic), qid, committed, max, lag));
  });
  if (!any)
    return respond_error(*req, FERRY_E_GROUP_NOT_FOUND,
                         "group " + std::string(group) + " has committed no offset" +
                             (p->topic() ? " on " + std::string(sv(p->topic())) : std::string()));
  Response r;
  finish_into(fbb, fb::CreateGroupProgressResponse(fbb, fbb.CreateString(group), fbb.CreateVector(queues), total), &r);
  req->respond(std::move(r));
}

void Core::collect_metrics() {
  topics_.flush_counts();  // per-topic send counts, kept in the table between scrapes
  metrics_.begin_lag_round();
  for (const std::string& group : offsets_.groups()) {
    std::string topic;
    uint64_t lag = 0;
    offsets_.for_group(group, "", [&](const std::string& t, int32_t qid, uint64_t committed) {
      if (t != topic) {
        if (!topic.empty()) metrics_.set_lag(group, topic, lag);
        topic = t;
        lag = 0;
      }
      uint64_t min = 0, max = 0;
      err_->reset();
      if (plugins_.storage->queue_range(plugins_.storage_inst, slice(t), qid, &min, &max, err_->get()) == FERRY_OK &&
          max > committed)
        lag += max - committed;
    });
    if (!topic.empty()) metrics_.set_lag(group, topic, lag);
  }
  metrics_.end_lag_round();
}

void Core::handle_runtime_stats(RequestPtr req) {
  flatbuffers::FlatBufferBuilder fbb(1024);
  std::vector<flatbuffers::Offset<fb::Stat>> stats;
  auto add = [&](const char* name, uint64_t v) {
    stats.push_back(fb::CreateStat(fbb, fbb.CreateString(name), static_cast<int64_t>(v)));
  };
  add("topics", topics_.size());
  add("clients", clients_.client_count());
  add("consumer_groups", clients_.group_count());
  add("pending_acks", pending_.size());
  add("held_pulls", held_.size());
  add("watermark_write", env_.watermark(FERRY_WATERMARK_WRITE));
  add("watermark_durable", env_.watermark(FERRY_WATERMARK_DURABLE));
  add("watermark_replicated", env_.watermark(FERRY_WATERMARK_REPLICATED));
  add("watermark_visible", env_.watermark(FERRY_WATERMARK_VISIBLE));
  add("messages_stored", counters_.messages_stored);
  add("sends_acked", counters_.sends_acked);
  add("sends_busy", counters_.sends_busy);
  add("sends_timed_out", counters_.sends_timed_out);
  add("pulls", counters_.pulls);
  add("pulls_found", counters_.pulls_found);
  add("pulls_held", counters_.pulls_held);
  add("pulls_woken", counters_.pulls_woken);
  add("messages_sent_back", counters_.sent_back);
  add("messages_dead_lettered", counters_.dead_lettered);
  add("dead_letters_resent", counters_.dlq_resent);
  add("topic_table_writes", topics_.writes());
  add("offset_writes", offsets_.writes());
  if (plugins_.storage->stats) {
    auto st = FERRY_STRUCT_INIT(ferry_storage_stats);
    if (plugins_.storage->stats(plugins_.storage_inst, &st) == FERRY_OK) {
      add("storage_min_commit_offset", st.min_commit_offset);
      add("storage_write_offset", st.write_offset);
      add("storage_dispatched_offset", st.dispatched_offset);
      add("storage_disk_bytes_used", st.disk_bytes_used);
      add("storage_disk_used_permille", static_cast<uint64_t>(st.disk_used_ratio * 1000));
      add("storage_segments", st.segment_count);
      add("storage_mapped_files", st.mapped_files);
      add("storage_read_only", st.read_only ? 1 : 0);
    }
  }
  Response r;
  finish_into(fbb, fb::CreateRuntimeStatsResponse(fbb, fbb.CreateVector(stats)), &r);
  req->respond(std::move(r));
}

}  // namespace ferry::core
