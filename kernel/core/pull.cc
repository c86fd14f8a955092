// Pull path: read by queue without blocking the loop (a read that would
// fault cold pages moves to a worker), answer with raw record slices as the
// attachment (no copy; the storage keeps them until the write is done), or
// hold the pull until the storage dispatcher reports new entries for its
// queue or its hold ends.
#include <algorithm>
#include <vector>

#include "core_internal.h"
#include "names.h"

namespace ferry::core {
namespace {

fb::PullStatus wire_status(ferry_read_status s) {
  switch (s) {
    case FERRY_READ_FOUND: return fb::PullStatus::Found;
    case FERRY_READ_NO_NEW_MESSAGE: return fb::PullStatus::NoNewMessage;
    case FERRY_READ_NO_MATCHED: return fb::PullStatus::NoMatched;
    case FERRY_READ_OFFSET_MOVED: return fb::PullStatus::OffsetMoved;
    case FERRY_READ_OFFSET_OUT_OF_RANGE: return fb::PullStatus::OffsetOutOfRange;
  }
  return fb::PullStatus::NoNewMessage;
}

ferry_status frame_status(ferry_read_status s) {
  switch (s) {
    case FERRY_READ_FOUND: return FERRY_OK;
    case FERRY_READ_NO_NEW_MESSAGE:
    case FERRY_READ_NO_MATCHED: return FERRY_E_NO_NEW_MESSAGE;
    case FERRY_READ_OFFSET_MOVED: return FERRY_E_OFFSET_MOVED;
    case FERRY_READ_OFFSET_OUT_OF_RANGE: return FERRY_E_OFFSET_OUT_OF_RANGE;
  }
  return FERRY_E_INTERNAL;
}

void release_result(void* p) {
  auto* r = static_cast<ferry_read_result*>(p);
  r->release(r);
}

}  // namespace

void Core::handle_pull(RequestPtr req) {
  ++counters_.pulls;
  auto job = std::make_unique<PullJob>();
  job->payload = read_payload<fb::PullRequest>(req->payload());
  job->req = std::move(req);
  const auto& p = job->payload;
  if (!p) return respond_error(*job->req, FERRY_E_INVALID_ARGUMENT, bad_payload("PullRequest"));
  job->topic = sv(p->topic());
  std::string why;
  ferry_status s = check_name("topic", job->topic, &why);
  if (s != FERRY_OK) return respond_error(*job->req, s, why);
  const TopicConfig* t = topics_.find(job->topic);
  if (!t)
    return respond_error(*job->req, FERRY_E_TOPIC_NOT_FOUND,
                         "topic '" + std::string(job->topic) + "' does not exist");
  // QUERY_QUEUE: an admin read (a write-only dead-letter topic included),
  // answered at once, committing nothing.
  const bool admin = job->req->code() == FERRY_CODE_QUERY_QUEUE;
  if (!admin && !(t->perm & FERRY_PERM_READ))
    return respond_error(*job->req, FERRY_E_NO_PERMISSION, "topic '" + t->name + "' is not readable");
  if (p->queue_id() < 0 || static_cast<uint32_t>(p->queue_id()) >= t->read_queues)
    return respond_error(*job->req, FERRY_E_INVALID_ARGUMENT,
                         "queue " + std::to_string(p->queue_id()) + " of topic '" + t->name +
                             "' does not exist (" + std::to_string(t->read_queues) + " read queues)");
  s = filters_.get(sv(p->expression_type()), sv(p->expression()), &job->filter, &why);
  if (s != FERRY_OK) return respond_error(*job->req, s, why);
  std::string_view group = sv(p->consumer_group());
  // A chained pull (not the admin read) waits behind the one before it.
  const int chain = admin ? 0 : static_cast<int>(p->chain());
  const bool follows = chain == static_cast<int>(fb::PullChain::Follows);
  if (!admin && !follows && p->commit_offset() >= 0 && !group.empty()) {
    s = check_name("group", group, &why);
    if (s != FERRY_OK) return respond_error(*job->req, s, why);
    offsets_.commit(group, job->topic, p->queue_id(), static_cast<uint64_t>(p->commit_offset()));
  }
  job->queue_id = p->queue_id();
  job->offset = p->queue_offset();
  job->max_count = std::clamp<uint32_t>(p->max_count(), 1, config_.max_pull_count);
  job->max_bytes = static_cast<uint32_t>(
      std::clamp<uint64_t>(p->max_bytes(), 1, std::min<uint64_t>(config_.max_pull_bytes, UINT32_MAX)));
  uint64_t hold = admin ? 0 : std::min<uint64_t>(p->hold_ms(), config_.long_poll_max_hold_ms);
  job->deadline_ms = hold ? env_.monotonic_ms() + hold : 0;
  job->hold_ms = hold;
  job->key = queue_key(job->topic, job->queue_id);
  if (!admin && p->supersede()) {
    // The client moved this queue (seek, offsets reset): the pulls its
    // connection holds here for the group are answered now, empty, rather
    // than when their hold ends (docs/protocol.md, Pull).
    // Its chain first: answers of the pulls it had being read or held
    // no longer move it, and the Follows pulls waiting behind them are
    // answered too (after the held ones).
    std::deque<std::unique_ptr<PullJob>> behind;
    if (PullChain* c = find_chain(job->req->conn_id(), group, job->topic, job->queue_id, false))
      behind = restart_chain(*c);
    std::vector<std::unique_ptr<PullJob>> old;
    auto [from, to] = held_.equal_range(job->key);
    for (auto it = from; it != to;) {
      const PullJob& h = *it->second;
      if (h.req->conn_id() == job->req->conn_id() && h.topic == job->topic && h.queue_id == job->queue_id &&
          sv(h.payload->consumer_group()) == group) {
        old.push_back(std::move(it->second));
        it = held_.erase(it);
      } else {
        ++it;
      }
    }
    for (auto& h : old) finish_pull(std::move(h), FERRY_OK, nullptr, {});  // NO_NEW_MESSAGE at its offset
    for (auto& h : behind) finish_pull(std::move(h), FERRY_OK, nullptr, {});
  }
  if (chain && !chain_pull(job, chain)) return;
  try_pull(std::move(job));
}

void Core::try_pull(std::unique_ptr<PullJob> job) {
  auto rq = FERRY_STRUCT_INIT(ferry_read_request);
  rq.topic = slice(job->topic);
  rq.queue_id = job->queue_id;
  rq.queue_offset = job->offset;
  rq.max_count = job->max_count;
  rq.max_bytes = job->max_bytes;
  rq.filter = job->filter ? job->filter->read_filter() : nullptr;
  rq.flags = 0;
  ferry_read_result* res = nullptr;
  err_->reset();
  ferry_status s = plugins_.storage->read_queue(plugins_.storage_inst, &rq, &res, err_->get());
  if (s != FERRY_E_WOULD_BLOCK) return finish_pull(std::move(job), s, res, err_->message());

  // Cold data: read on a worker so a major fault never stalls the loop.
  ++counters_.pulls_blocking_reads;
  struct Work {
    std::unique_ptr<PullJob> job;
    ferry_read_result* res = nullptr;
    ferry_status status = FERRY_OK;
    std::string why;
  };
  auto work = std::make_shared<Work>();
  work->job = std::move(job);
  work->job->err = env_.new_error();
  const ferry_storage_ops* ops = plugins_.storage;
  void* inst = plugins_.storage_inst;
  std::weak_ptr<Core*> alive = alive_;
  bool queued = env_.queue_work(
      [work, ops, inst] {
        auto r = FERRY_STRUCT_INIT(ferry_read_request);
        r.topic = slice(work->job->topic);
        r.queue_id = work->job->queue_id;
        r.queue_offset = work->job->offset;
        r.max_count = work->job->max_count;
        r.max_bytes = work->job->max_bytes;
        r.filter = work->job->filter ? work->job->filter->read_filter() : nullptr;
        r.flags = FERRY_READ_MAY_BLOCK;
        work->status = ops->read_queue(inst, &r, &work->res, work->job->err->get());
        if (work->status != FERRY_OK) work->why = work->job->err->message();
      },
      [work, alive] {
        auto self = alive.lock();
        if (!self) {
          if (work->res) work->res->release(work->res);
          return;
        }
        (*self)->finish_pull(std::move(work->job), work->status, work->res, work->why);
      });
  if (!queued) finish_pull(std::move(work->job), FERRY_E_SHUTTING_DOWN, nullptr, "broker shutting down");
}

void Core::finish_pull(std::unique_ptr<PullJob> job, ferry_status s, ferry_read_result* res,
                       const std::string& why) {
  if (s != FERRY_OK) {
    respond_error(*job->req, s,
                  "read of " + std::string(job->topic) + "/" + std::to_string(job->queue_id) +
                      " failed: " + (why.empty() ? ferry_status_str(s) : why));
    return pull_answered(*job, false, 0);
  }
  Keep hold_result;
  ferry_read_status rs = FERRY_READ_NO_NEW_MESSAGE;
  uint64_t next = job->offset, min = 0, max = 0;
  if (res) {
    hold_result = Keep(&release_result, res);
    rs = res->status;
    next = res->next_offset;
    min = res->min_offset;
    max = res->max_offset;
  }
  bool nothing = !res || rs == FERRY_READ_NO_NEW_MESSAGE ||
                 (rs == FERRY_READ_NO_MATCHED) || (rs == FERRY_READ_FOUND && res->count == 0);
  if (nothing && res && !stopped_ && job->deadline_ms > env_.monotonic_ms()) {
    // Hold it: the next dispatch of this queue (or the deadline) retries.
    job->offset = std::max(job->offset, next);
    hold_result.reset();
    return park(std::move(job));
  }
  if (rs == FERRY_READ_FOUND && res->count == 0) rs = FERRY_READ_NO_NEW_MESSAGE;

  Response r;
  r.status = frame_status(rs);
  if (rs == FERRY_READ_OFFSET_MOVED)
    r.message = "offset " + std::to_string(job->offset) + " is below the queue's min " + std::to_string(min);
  else if (rs == FERRY_READ_OFFSET_OUT_OF_RANGE)
    r.message = "offset " + std::to_string(job->offset) + " is above the queue's max " + std::to_string(max);
  size_t count = rs == FERRY_READ_FOUND ? res->count : 0;
  flatbuffers::FlatBufferBuilder fbb(96 + count * 8);
  flatbuffers::Offset<flatbuffers::Vector<uint64_t>> qoffs;
  if (count && res->queue_offsets) qoffs = fbb.CreateVector(res->queue_offsets, count);
  auto root = fb::CreatePullResponse(fbb, wire_status(rs), next, min, max,
                                     static_cast<uint32_t>(count), qoffs);
  finish_into(fbb, root, &r);
  if (count) {
    ++counters_.pulls_found;
    const TopicMetrics& tm = metrics_.topic(job->topic);
    size_t bytes = 0;
    for (size_t i = 0; i < count; ++i) bytes += res->records[i].len;
    CoreMetrics::add(tm.messages_out, static_cast<double>(count));
    CoreMetrics::add(tm.bytes_out, static_cast<double>(bytes));
    r.attachment.assign(res->records, res->records + count);
    r.keep.push_back(std::move(hold_result));  // released after the write
  }
  job->req->respond(std::move(r));
  pull_answered(*job, true, next);  // a chained pull behind it starts at `next`
}

void Core::park(std::unique_ptr<PullJob> job) {
  if (held_.size() >= config_.max_held_pulls) {
    respond_error(*job->req, FERRY_E_BUSY,
                  "system busy: " + std::to_string(held_.size()) + " pulls held (max_held_pulls); try again");
    return pull_answered(*job, false, 0);
  }
  ++counters_.pulls_held;
  uint64_t key = job->key;
  held_.emplace(key, std::move(job));
}

void Core::expire_held() {
  if (held_.empty()) return;
  uint64_t now = env_.monotonic_ms();
  std::vector<std::unique_ptr<PullJob>> due;
  for (auto it = held_.begin(); it != held_.end();) {
    if (it->second->deadline_ms <= now) {
      due.push_back(std::move(it->second));
      it = held_.erase(it);
    } else {
      ++it;
    }
  }
  // One last read: a message may have become visible without a dispatch.
  for (auto& job : due) {
    job->deadline_ms = 0;
    try_pull(std::move(job));
  }
}

// A deleted topic gets no more dispatches: its held pulls are answered now,
// not left to time out. Deleting is rare, so the whole table is scanned.
void Core::fail_held_pulls(std::string_view topic) {
  std::vector<std::unique_ptr<PullJob>> gone;
  for (auto it = held_.begin(); it != held_.end();) {
    if (it->second->topic == topic) {
      gone.push_back(std::move(it->second));
      it = held_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto& job : gone) {
    respond_error(*job->req, FERRY_E_TOPIC_NOT_FOUND,
                  "topic '" + std::string(topic) + "' was deleted while this pull was held");
    pull_answered(*job, false, 0);
  }
}

// [storage's dispatcher thread] Record which queues got entries; one wake-up.
void Core::on_dispatch(void* self_ptr, const ferry_dispatch_entry* entries, size_t count,
                       uint64_t /*dispatched_offset*/) {
  auto* self = static_cast<Core*>(self_ptr);
  bool post = false;
  {
    std::lock_guard<std::mutex> lock(self->dispatch_mu_);
    for (size_t i = 0; i < count; ++i) {
      std::string_view topic(static_cast<const char*>(entries[i].topic.data), entries[i].topic.len);
      self->dispatched_keys_.push_back(queue_key(topic, entries[i].queue_id));
    }
    // On the loop inside dispatch_inline: it drains when the storage returns.
    if (count && !self->dispatch_posted_ && !self->dispatch_on_loop_)
      post = self->dispatch_posted_ = true;
  }
  if (post) {
    auto weak = std::make_unique<std::weak_ptr<Core*>>(self->alive_);
    if (self->env_.post(&Core::drain_dispatch, weak.get())) weak.release();
  }
}

// [loop] The storage's dispatch on the loop (storage.h, dispatch_inline):
// its report lands in dispatched_keys_ without a post, and the pulls it
// wakes are answered now — no dispatcher wake-up, no wake-up of the loop.
bool Core::dispatch_inline(uint64_t visible) {
  const ferry_storage_ops* ops = plugins_.storage;
  if (stopped_ || !FERRY_HAS_FIELD(ferry_storage_ops, ops->struct_size, dispatch_inline) ||
      !ops->dispatch_inline)
    return false;
  {
    std::lock_guard<std::mutex> lock(dispatch_mu_);
    dispatch_on_loop_ = true;
  }
  ops->dispatch_inline(plugins_.storage_inst, visible);  // 0: it woke its dispatcher
  {
    std::lock_guard<std::mutex> lock(dispatch_mu_);
    dispatch_on_loop_ = false;
  }
  // Keys the dispatcher thread reported meanwhile (not posted) go too.
  drain_dispatched();
  return true;
}

// [loop] Retry the pulls held on the queues the dispatcher reported.
void Core::drain_dispatch(void* weak_ptr) {
  std::unique_ptr<std::weak_ptr<Core*>> weak(static_cast<std::weak_ptr<Core*>*>(weak_ptr));
  auto alive = weak->lock();
  if (!alive) return;
  (*alive)->drain_dispatched();
}

void Core::drain_dispatched() {
  Core* self = this;
  {
    std::lock_guard<std::mutex> lock(self->dispatch_mu_);
    self->drain_scratch_.swap(self->dispatched_keys_);
    self->dispatched_keys_.clear();
    self->dispatch_posted_ = false;
  }
  auto& keys = self->drain_scratch_;
  // No sort and unique first: a key seen again finds its pulls already
  // taken. With 10,000 topics a batch holds up to ~1,000 distinct keys, and
  // sorting them cost the loop more than the lookups; with no pull held
  // (producers only) there is nothing to look up.
  if (self->held_.empty()) {
    keys.clear();
    return;
  }
  std::vector<std::unique_ptr<PullJob>> woken;
  for (uint64_t key : keys) {
    auto [b, e] = self->held_.equal_range(key);
    for (auto it = b; it != e; ++it) woken.push_back(std::move(it->second));
    self->held_.erase(b, e);
  }
  keys.clear();
  for (auto& job : woken) {
    ++self->counters_.pulls_woken;
    self->try_pull(std::move(job));
  }
}

}  // namespace ferry::core
