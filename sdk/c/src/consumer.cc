#include "consumer.h"

#include <ferry/codes.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "rebalance.h"
#include "wire.h"

namespace ferry::sdk {
namespace {

constexpr uint64_t kRetryMs = 1000;       // after a failed pull / offset lookup
constexpr uint64_t kFlowControlMs = 50;   // re-check of a paused queue

uint64_t subscription_fingerprint(const std::map<std::string, std::string>& subs) {
  uint64_t h = 1469598103934665603ull;
  for (const auto& [t, e] : subs)
    for (unsigned char c : t + '\x01' + e + '\x02') h = (h ^ c) * 1099511628211ull;
  return h;
}

// A LockQueuesRequest or UnlockQueuesRequest (`create`) for the queues of
// `list`: both carry the group, the client id and the queue refs.
template <class Create>
std::vector<uint8_t> queue_lock_payload(const std::string& group, const std::string& client_id,
                                        const std::vector<PqPtr>& list, Create create) {
  flatbuffers::FlatBufferBuilder fbb(256);
  std::vector<flatbuffers::Offset<fbc::QueueRef>> refs;
  for (auto& pq : list) refs.push_back(fbc::CreateQueueRef(fbb, fbb.CreateString(pq->key.topic), pq->key.queue_id));
  auto g = fbb.CreateString(group);
  auto c = fbb.CreateString(client_id);
  auto v = fbb.CreateVector(refs);
  return finish_core(fbb, create(fbb, g, c, v));
}

}  // namespace

Consumer::~Consumer() {
  char buf[8];
  shutdown(buf, sizeof buf);
}

std::vector<uint8_t> Consumer::heartbeat_payload(bool with_subscriptions) const {
  flatbuffers::FlatBufferBuilder fbb(256);
  flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<fbc::Subscription>>> sv;  // absent: fingerprint only
  if (with_subscriptions) {
    std::vector<flatbuffers::Offset<fbc::Subscription>> subs;
    for (const auto& [topic, expr] : subscriptions)
      subs.push_back(fbc::CreateSubscription(fbb, fbb.CreateString(topic), fbb.CreateString("TAG"),
                                             fbb.CreateString(expr == "*" ? "" : expr)));
    sv = fbb.CreateVector(subs);
  }
  auto g = fbb.CreateString(s.group);
  auto model = s.message_model == MessageModel::kBroadcasting ? fbc::ConsumeModel::Broadcasting
                                                             : fbc::ConsumeModel::Clustering;
  std::vector<flatbuffers::Offset<fbc::ConsumerGroupHeartbeat>> groups{
      fbc::CreateConsumerGroupHeartbeat(fbb, g, model, subscription_fingerprint(subscriptions), sv)};
  auto gv = fbb.CreateVector(groups);
  auto id = fbb.CreateString(s.client_id);
  return finish_core(fbb, fbc::CreateHeartbeatRequest(fbb, id, 0, gv, fbb.CreateString("C"),
                                                     fbb.CreateString(ferry_client_version())));
}

void Consumer::on_server_request(net::Request r) {
  if (r.code() == FERRY_CODE_NOTIFY_MEMBERSHIP_CHANGED) {
    io->log(FERRY_LOG_INFO, "membership changed: rebalancing now");
    r.respond(FERRY_OK);
    rebalance();
    return;
  }
  if (r.code() == FERRY_CODE_NOTIFY_OFFSETS_RESET) {
    on_offsets_reset(r.peer(), r.payload());
    r.respond(FERRY_OK);
    return;
  }
  r.respond(FERRY_E_UNKNOWN_REQUEST, "client does not handle this request");
}

// An admin reset the group's offsets on the broker at `peer` (ferryctl
// consumer reset-offset). A queue we own is read again from the new offset:
// what was buffered is dropped, answers of pulls in flight are ignored, and
// nothing committed from the old position may land over the reset.
void Consumer::on_offsets_reset(std::string_view peer, std::span<const uint8_t> payload) {
  auto d = read_core<fbc::OffsetsReset>(payload);
  if (!d || !d->group() || !d->offsets()) return io->log(FERRY_LOG_WARN, "offsets reset: malformed notification");
  if (d->group()->string_view() != s.group) return;
  if (s.message_model == MessageModel::kBroadcasting) {
    io->log(FERRY_LOG_INFO, "offsets reset ignored: a broadcasting consumer keeps its offsets locally");
    return;
  }
  std::vector<std::pair<PqPtr, int64_t>> hits;
  for (const auto* q : *d->offsets()) {
    for (const auto& [k, pq] : pqs_) {
      if (k.queue_id != q->queue_id() || k.topic != q->topic()->string_view()) continue;
      // The notifying broker's queue, not a same-numbered one elsewhere.
      auto route = io->cached_route(k.topic);
      bool only_broker = route && route->masters.size() == 1;
      if (master_of(k) != peer && !only_broker) continue;
      hits.emplace_back(pq, static_cast<int64_t>(q->offset()));
    }
  }
  for (auto& [pq, off] : hits) {
    io->log(FERRY_LOG_INFO, "offsets reset: " + pq->key.text() + " from " + std::to_string(pq->next_offset) +
                                " to " + std::to_string(off));
    if (kind_ == ConsumerKind::kPull) {
      restart_at(pq, off);
      pq->last_committed = off;
      continue;
    }
    // Push: a fresh queue state replaces the old one; the old one's consume
    // threads finish on their own copies and are never acknowledged into
    // the new cache, nor committed.
    auto fresh = std::make_shared<ProcessQueue>();
    fresh->key = pq->key;
    fresh->expression = pq->expression;
    fresh->next_offset = fresh->last_committed = fresh->start_offset = off;
    fresh->locked = pq->locked;
    fresh->lock_until = pq->lock_until;
    fresh->predecessor = pq;
    fresh->supersede = true;  // the old state's held pull is answered now
    pq->superseded = true;
    pq->dropped = true;
    pqs_[pq->key] = fresh;
    pull(fresh);
  }
}

ferry_status Consumer::start(char* errbuf, size_t errlen) {
  std::lock_guard lock(life_mu);
  if (state != HandleState::kNew)
    return fail(errbuf, errlen, state == HandleState::kClosed ? FERRY_E_CLOSED : FERRY_E_STATE,
                "consumer already started or shut down");
  if (kind_ == ConsumerKind::kPushConcurrent && !listener && !orderly_listener)
    return fail(errbuf, errlen, FERRY_E_STATE, "no listener set (ferry_push_consumer_set_listener)");
  if (kind_ != ConsumerKind::kPull && subscriptions.empty())
    return fail(errbuf, errlen, FERRY_E_STATE, "no subscription (ferry_push_consumer_subscribe)");
  if (orderly_listener) kind_ = ConsumerKind::kPushOrderly;
  // A clustering concurrent consumer reads its group's retry topic too (as
  // RocketMQ's); the broker creates it when the heartbeat names it.
  if (kind_ == ConsumerKind::kPushConcurrent && s.message_model == MessageModel::kClustering)
    subscriptions.emplace(std::string(kRetryTopicPrefix) + s.group, "*");
  if (s.message_model == MessageModel::kBroadcasting) load_local_offsets();
  io->set_server_request_handler([this](net::Request r) { on_server_request(std::move(r)); });
  io->set_heartbeat_source([this](bool with_subs) { return heartbeat_payload(with_subs); },
                           [this] { return subscription_fingerprint(subscriptions); });
  ferry_status st = start_threads(errbuf, errlen);
  if (st != FERRY_OK) return st;
  if (kind_ != ConsumerKind::kPull) {
    Io* i = io.get();
    pool_ = std::make_unique<Workers>(s.consume_threads, s.thread_policy,
                                      [i](int err) { i->log_policy_refused("ferry-callback", err); });
  }
  state = HandleState::kStarted;
  // First routes + heartbeat, so the brokers know this member before it
  // asks who the members are.
  int unused = 0;
  Error e = call<int>(s.request_timeout_ms * (s.name_servers.size() + 2) + 1000,
                      [this](std::shared_ptr<Promise<int>> p) {
                        auto left = std::make_shared<size_t>(subscriptions.size() + 1);
                        auto errors = std::make_shared<std::string>();
                        auto one_done = [this, p, left, errors] {
                          if (--*left) return;
                          io->heartbeat_all([p, errors] { p->set({}); });
                        };
                        for (const auto& [topic, expr] : subscriptions)
                          io->route(topic, false, [this, one_done, topic = topic](const Error& err, std::shared_ptr<const Route>) {
                            // The retry topic is created by this heartbeat: no route yet is normal.
                            if (!err.ok())
                              io->log(topic.starts_with(kRetryTopicPrefix) ? FERRY_LOG_INFO : FERRY_LOG_WARN,
                                      "subscribe " + topic + ": " + err.message);
                            one_done();
                          });
                        one_done();
                      },
                      &unused);
  if (!e.ok()) io->log(FERRY_LOG_WARN, "start: " + e.message);
  io->post([this] {
    rebalance();
    rebalance_timer_ = std::make_unique<LoopTimer>(io->loop(), [this] {
      io->heartbeat_all({});
      rebalance();
    });
    rebalance_timer_->start(s.rebalance_interval_ms, s.rebalance_interval_ms);
    commit_timer_ = std::make_unique<LoopTimer>(io->loop(), [this] {
      if (kind_ == ConsumerKind::kPull && !s.enable_auto_commit) return;
      commit({}, false, {});
    });
    commit_timer_->start(s.commit_interval_ms, s.commit_interval_ms);
    if (kind_ == ConsumerKind::kPushOrderly) {
      lock_timer_ = std::make_unique<LoopTimer>(io->loop(), [this] { renew_locks(); });
      lock_timer_->start(s.lock_renew_ms, s.lock_renew_ms);
    }
  });
  return FERRY_OK;
}

ferry_status Consumer::shutdown(char* errbuf, size_t errlen) {
  if (on_own_thread() || (pool_ && pool_->on_worker()))
    return fail(errbuf, errlen, FERRY_E_STATE, "shutdown called from the consumer's own callback");
  std::lock_guard lock(life_mu);
  HandleState was = state.exchange(HandleState::kClosed);
  if (was != HandleState::kStarted) return FERRY_OK;
  stopping_ = true;
  int unused = 0;
  // 1. No more pulls or timers.
  call<int>(s.request_timeout_ms, [this](std::shared_ptr<Promise<int>> p) {
    rebalance_timer_.reset();
    commit_timer_.reset();
    lock_timer_.reset();
    for (auto& [k, pq] : pqs_) pq->dropped = true;
    p->set({});
  }, &unused);
  // 2. Running listeners finish; queued batches are skipped (not acked).
  if (pool_) pool_->stop();
  {
    std::lock_guard rl(ready_mu_);
    ready_cv_.notify_all();
  }
  // 3. Acks are in (posted before this); commit everything synchronously.
  Error committed;
  Error e = call<int>(s.request_timeout_ms + 1000, [this](std::shared_ptr<Promise<int>> p) {
    std::vector<PqPtr> all;
    for (auto& [k, pq] : pqs_) all.push_back(pq);
    bool honor = !(kind_ == ConsumerKind::kPull && !s.enable_auto_commit);
    auto finish_commit = [this, p, all](Error ce) {
      if (kind_ != ConsumerKind::kPull)
        for (const auto& pq : all) handover_uncommitted_ += pq->uncommitted();
      if (kind_ == ConsumerKind::kPushOrderly) unlock(all);
      p->set(std::move(ce));
    };
    if (!honor) return finish_commit({});
    commit(all, true, finish_commit);
  }, &unused);
  if (!e.ok()) io->log(FERRY_LOG_WARN, "offsets at shutdown: " + e.message);
  unregister_everywhere(*this);
  io->stop();
  callbacks->stop();
  {
    std::lock_guard rl(ready_mu_);
    ready_.clear();
  }
  if (!e.ok()) return fail(errbuf, errlen, e.status, "shut down, but offsets were not all committed: " + e.message);
  return FERRY_OK;
}

// ---------------------------------------------------------------- assignment

void Consumer::rebalance() {
  if (stopping_) return;
  if (assigned_mode_) return apply_assignment("", assigned_, false);
  if (rebalance_running_) {
    rebalance_again_ = true;
    return;
  }
  rebalance_running_ = true;
  auto left = std::make_shared<size_t>(subscriptions.size());
  auto done_one = [this, left] {
    if (--*left) return;
    rebalance_running_ = false;
    if (std::exchange(rebalance_again_, false)) rebalance();
  };
  for (const auto& [topic_, expr_] : subscriptions) {
    std::string topic = topic_;
    io->route(topic, false, [this, topic, done_one](const Error& e, std::shared_ptr<const Route> r) {
      if (!e.ok() || !r || r->read_queues.empty()) {
        if (!e.ok()) io->log(FERRY_LOG_INFO, "rebalance " + topic + ": " + e.message);
        return done_one();
      }
      if (s.message_model == MessageModel::kBroadcasting) {
        rebalance_topic(topic, r, {s.client_id});
        return done_one();
      }
      // Members from one broker of the topic (every member heartbeats all).
      std::string addr = r->masters.begin()->second;
      flatbuffers::FlatBufferBuilder fbb(64);
      auto payload = finish_core(fbb, fbc::CreateGroupMembersRequest(fbb, fbb.CreateString(s.group)));
      io->request(addr, FERRY_CODE_GROUP_MEMBERS, std::move(payload), {}, s.request_timeout_ms, false,
                  [this, topic, r, done_one](const net::Response& resp) {
                    if (resp.status != FERRY_OK) {
                      io->log(FERRY_LOG_INFO, "group members: " + std::string(resp.message));
                      return done_one();
                    }
                    auto d = read_core<fbc::GroupMembersResponse>(resp.payload);
                    std::vector<std::string> members;
                    if (d && d->client_ids())
                      for (const auto* id : *d->client_ids()) members.push_back(id->str());
                    if (std::find(members.begin(), members.end(), s.client_id) == members.end()) {
                      // The broker has not seen our heartbeat yet: send one, try later.
                      io->heartbeat_all({});
                      io->after(200, [this] { rebalance(); });
                      return done_one();
                    }
                    rebalance_topic(topic, r, members);
                    done_one();
                  });
    });
  }
}

void Consumer::rebalance_topic(const std::string& topic, std::shared_ptr<const Route> route,
                               const std::vector<std::string>& members) {
  if (stopping_) return;
  std::vector<QueueKey> mine = s.message_model == MessageModel::kBroadcasting
                                   ? route->read_queues
                                   : allocate_queues(s.rebalance_strategy, route->read_queues, members, s.client_id);
  apply_assignment(topic, mine, true);
}

void Consumer::apply_assignment(const std::string& topic, const std::vector<QueueKey>& mine, bool only_topic) {
  std::set<QueueKey> want(mine.begin(), mine.end());
  std::vector<PqPtr> gone;
  for (auto it = pqs_.begin(); it != pqs_.end();) {
    if ((!only_topic || it->first.topic == topic) && !want.count(it->first)) {
      gone.push_back(it->second);
      it = pqs_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto& pq : gone) drop_queue(pq);
  std::vector<PqPtr> added;
  for (const auto& k : mine) {
    if (pqs_.count(k)) continue;
    auto sub = subscriptions.find(k.topic);
    add_queue(k, sub == subscriptions.end() ? std::string() : sub->second);
    added.push_back(pqs_[k]);
  }
  if (!gone.empty() || !added.empty())
    io->log(FERRY_LOG_INFO, "rebalance: +" + std::to_string(added.size()) + " -" + std::to_string(gone.size()) +
                                " queues, now " + std::to_string(pqs_.size()));
  if (kind_ == ConsumerKind::kPushOrderly) {
    if (!added.empty()) lock_queues(added);
  } else {
    for (auto& pq : added) resolve_offset(pq);
  }
}

void Consumer::add_queue(const QueueKey& k, const std::string& expr) {
  auto pq = std::make_shared<ProcessQueue>();
  pq->key = k;
  pq->expression = expr;
  pqs_[k] = pq;
}

void Consumer::drop_queue(const PqPtr& pq) {
  drain_acks();  // its SUCCESSes count in the hand-over
  pq->dropped = true;
  if (kind_ != ConsumerKind::kPull) handover_uncommitted_ += pq->uncommitted();
  // Hand the queue over with its offset committed (the next owner starts there).
  commit({pq}, true, [this, pq](Error) {
    if (kind_ == ConsumerKind::kPushOrderly && !pq->consuming) unlock({pq});
  });
  if (kind_ == ConsumerKind::kPull) {
    std::lock_guard rl(ready_mu_);
    std::erase_if(ready_, [&](const ReadyBatch& b) { return b.pq == pq; });
  }
}

std::string Consumer::master_of(const QueueKey& k) const {
  auto r = io->cached_route(k.topic);
  if (!r) return {};
  auto it = r->masters.find(k.broker);
  return it == r->masters.end() ? std::string() : it->second;
}

void Consumer::resolve_offset(PqPtr pq) {
  if (pq->dropped) return;
  if (s.message_model == MessageModel::kBroadcasting) {
    auto it = local_offsets_.find(pq->key);
    if (it != local_offsets_.end()) {
      pq->next_offset = pq->last_committed = pq->start_offset = it->second;
      return pull(pq);
    }
    return start_from_policy(pq);
  }
  std::string addr = master_of(pq->key);
  if (addr.empty()) {
    // Route not cached yet (assigned queues): fetch it, then try again.
    io->route(pq->key.topic, false, [this, pq](const Error& e, std::shared_ptr<const Route>) {
      if (!e.ok() || master_of(pq->key).empty()) return io->after(kRetryMs, [this, pq] { resolve_offset(pq); });
      resolve_offset(pq);
    });
    return;
  }
  io->request(addr, FERRY_CODE_QUERY_OFFSET, encode_query_offset(s.group, pq->key.topic, pq->key.queue_id), {},
              s.request_timeout_ms, false, [this, pq](const net::Response& r) {
                if (r.status == FERRY_OK) {
                  auto d = read_core<fbc::QueryOffsetResponse>(r.payload);
                  if (d) {
                    pq->next_offset = pq->last_committed = pq->start_offset = static_cast<int64_t>(d->offset());
                    return pull(pq);
                  }
                }
                if (r.status == FERRY_E_NOT_FOUND) return start_from_policy(pq);
                io->log(FERRY_LOG_INFO, "offset of " + pq->key.text() + ": " + std::string(r.message));
                io->after(kRetryMs, [this, pq] { resolve_offset(pq); });
              });
}

void Consumer::start_from_policy(PqPtr pq) {
  std::string addr = master_of(pq->key);
  // A group's retry queue is read from its start whatever consume_from says
  // (as RocketMQ): copies sent back before this member first owned it are
  // this group's own failures, never a backlog to skip.
  const bool retry = pq->key.topic.starts_with(kRetryTopicPrefix);
  if (s.consume_from == ConsumeFrom::kTimestamp && !retry) {
    io->request(addr, FERRY_CODE_OFFSET_BY_TIME,
                encode_offset_by_time(pq->key.topic, pq->key.queue_id, s.consume_timestamp_ms), {}, s.request_timeout_ms,
                false, [this, pq](const net::Response& r) {
                  auto d = read_core<fbc::OffsetByTimeResponse>(r.payload);
                  if (r.status != FERRY_OK || !d) return io->after(kRetryMs, [this, pq] { resolve_offset(pq); });
                  pq->next_offset = pq->start_offset = static_cast<int64_t>(d->offset());
                  pull(pq);
                });
    return;
  }
  io->request(addr, FERRY_CODE_QUEUE_RANGE, encode_queue_request(pq->key.topic, pq->key.queue_id), {},
              s.request_timeout_ms, false, [this, pq, retry](const net::Response& r) {
                auto d = read_core<fbc::QueueRangeResponse>(r.payload);
                if (r.status != FERRY_OK || !d) {
                  io->log(FERRY_LOG_INFO, "queue range of " + pq->key.text() + ": " + std::string(r.message));
                  return io->after(kRetryMs, [this, pq] { resolve_offset(pq); });
                }
                pq->next_offset = pq->start_offset = static_cast<int64_t>(
                    s.consume_from == ConsumeFrom::kFirst || retry ? d->min_offset() : d->max_offset());
                pull(pq);
              });
}

// ---------------------------------------------------------------- pulling

void Consumer::pull_later(PqPtr pq, uint64_t ms) {
  pq->pulling = true;
  uint64_t seq = ++pq->later_seq;
  io->after(ms, [this, pq, seq] {
    if (seq != pq->later_seq) return;  // resumed early (resume_if_paused)
    pq->pulling = false;
    pq->paused = false;
    pull(pq);
  });
}

// A paused queue restarts once drained to half its limits, so it then pulls
// several answers in a row rather than one each time a message is taken.
bool Consumer::drained(const PqPtr& pq) const {
  size_t cached = kind_ == ConsumerKind::kPull ? pq->ready_count.load() : pq->cache.size();
  return cached <= s.queue_max_cached_messages / 2 && pq->cache.bytes() <= s.queue_max_cached_bytes / 2;
}

// [loop] The consumer drained a paused queue: pull now, not at the timer.
void Consumer::resume_if_paused(const PqPtr& pq) {
  if (!pq->paused.load() || !drained(pq) || !pq->paused.exchange(false)) return;
  ++pq->later_seq;  // the flow-control timer, when it fires, does nothing
  pq->pulling = false;
  pull(pq);
}

uint32_t Consumer::pipeline_depth() const {
  return kind_ == ConsumerKind::kPushConcurrent ? std::max<uint32_t>(1, s.pull_pipeline) : 1;
}

void Consumer::disown_pulls(const PqPtr& pq) {
  ++pq->epoch;
  pq->in_flight = 0;
  pq->answered_seq = pq->sent_seq;
  pq->supersede = true;
}

void Consumer::abandon_pulls(const PqPtr& pq) {
  if (pq->in_flight) disown_pulls(pq);
}

void Consumer::pull(PqPtr pq) {
  if (pq->dropped || stopping_ || pq->pulling) return;
  const uint32_t depth = pipeline_depth();
  if (pq->in_flight >= depth) return;
  if (kind_ == ConsumerKind::kPushOrderly && !(pq->locked && pq->lock_until > mono_ms())) return;
  // Flow control: a queue whose consumer lags stops pulling. An answer still
  // travelling counts as a full batch; with one in flight, its answer pulls
  // again.
  size_t cached = kind_ == ConsumerKind::kPull ? pq->ready_count.load() : pq->cache.size();
  cached += static_cast<size_t>(pq->in_flight) * s.pull_batch_size;
  if (cached >= s.queue_max_cached_messages || pq->cache.bytes() >= s.queue_max_cached_bytes) {
    if (pq->in_flight) return;
    pq->paused = true;
    pull_later(pq, kFlowControlMs);
    // Acks that came before `paused` was set did not wake the loop (post_ack):
    // they may have drained the queue already, and resume it now.
    drain_acks();
    return;
  }
  std::string addr = master_of(pq->key);
  if (addr.empty()) {
    if (pq->in_flight) return;
    io->route(pq->key.topic, true, [](const Error&, std::shared_ptr<const Route>) {});
    return pull_later(pq, kRetryMs);
  }
  // depth 2: the first pull is a chain's head, the second follows it at the
  // broker (it starts where the first one ends: its queue_offset is only a
  // hint, what a broker without chains reads from).
  const fbc::PullChain chain =
      depth == 1 ? fbc::PullChain::None : pq->in_flight == 0 ? fbc::PullChain::Head : fbc::PullChain::Follows;
  flatbuffers::FlatBufferBuilder fbb(128);
  std::string expr = pq->expression == "*" ? std::string() : pq->expression;
  auto g = fbb.CreateString(s.group);
  auto t = fbb.CreateString(pq->key.topic);
  auto et = fbb.CreateString("TAG");
  auto ex = fbb.CreateString(expr);
  auto payload = finish_core(fbb, fbc::CreatePullRequest(fbb, g, t, pq->key.queue_id,
                                                         static_cast<uint64_t>(pq->next_offset), s.pull_batch_size,
                                                         4u << 20, et, ex, s.long_poll_ms, -1,
                                                         pq->supersede && chain != fbc::PullChain::Follows, chain));
  if (chain != fbc::PullChain::Follows) pq->supersede = false;
  ++pq->in_flight;
  uint64_t epoch = pq->epoch, seq = ++pq->sent_seq;
  // A Follows pull waits behind its head for up to one hold, then holds for
  // its own: on an empty queue it is answered after two.
  const uint64_t holds = chain == fbc::PullChain::Follows ? 2 : 1;
  io->request(addr, FERRY_CODE_PULL_MESSAGE, std::move(payload), {}, holds * s.long_poll_ms + s.request_timeout_ms, false,
              [this, pq, epoch, seq](const net::Response& r) {
                // A seek (or reset) moved on and pulled again: this answer,
                // perhaps a long poll held until now, is ignored.
                if (epoch != pq->epoch) return;
                if (seq != pq->answered_seq + 1) {
                  // Out of order (a timeout overtook an answer): start over
                  // from what was taken, superseding what the broker holds.
                  abandon_pulls(pq);
                  return pull(pq);
                }
                pq->answered_seq = seq;
                --pq->in_flight;
                on_pulled(pq, r);
              });
  if (pq->in_flight < depth) pull(pq);  // the chained one, waiting behind this one
}

// [loop] Read `pq` from `offset` next: buffered messages and any pull in
// flight (a held long poll) are disowned, and a new pull starts now rather
// than when the old one is answered.
void Consumer::restart_at(const PqPtr& pq, int64_t offset) {
  {
    std::lock_guard rl(ready_mu_);
    std::erase_if(ready_, [&](const ReadyBatch& b) {
      if (b.pq != pq) return false;
      pq->ready_count -= b.msgs.size() - b.next;
      return true;
    });
    polled_[pq->key] = offset;
  }
  pq->next_offset = offset;
  disown_pulls(pq);
  ++pq->later_seq;
  pq->pulling = false;
  pq->paused = false;
  pull(pq);
}

void Consumer::on_pulled(PqPtr pq, const net::Response& r) {
  drain_acks();  // post_ack: they wait for this turn
  if (pq->dropped || stopping_) return;
  auto d = read_core<fbc::PullResponse>(r.payload);
  switch (r.status) {
    case FERRY_OK: {
      if (!d) {
        abandon_pulls(pq);
        return pull_later(pq, kRetryMs);
      }
      std::string why;
      auto msgs = decode_records(r.retain_buffer(), r.attachment.data(), r.attachment.size(), pq->key.broker, &why,
                                 blocks_.get());
      if (!why.empty()) io->log(FERRY_LOG_WARN, pq->key.text() + ": " + why);
      // Records before where the last answer ended were delivered already
      // (a broker without chained pulls reads a Follows pull from its hint).
      if (!msgs.empty() && msgs.front()->rec.queue_offset < pq->next_offset)
        std::erase_if(msgs, [&](const MessagePtr& m) { return m->rec.queue_offset < pq->next_offset; });
      pq->next_offset = static_cast<int64_t>(d->next_offset());
      deliver(pq, std::move(msgs));
      return pull(pq);
    }
    case FERRY_E_NO_NEW_MESSAGE:
      if (d) pq->next_offset = static_cast<int64_t>(d->next_offset());
      return pull(pq);
    case FERRY_E_OFFSET_MOVED:
    case FERRY_E_OFFSET_OUT_OF_RANGE:
      io->log(FERRY_LOG_WARN, pq->key.text() + ": " + std::string(r.message) + "; moving to " +
                                  (d ? std::to_string(d->next_offset()) : std::string("?")));
      if (d) pq->next_offset = static_cast<int64_t>(d->next_offset());
      return pull(pq);
    case FERRY_E_STATE:
      // The broker lost the chain this pull followed (its head failed, a
      // broker restart): start a new one now.
      io->log(FERRY_LOG_INFO, "pull " + pq->key.text() + ": " + std::string(r.message));
      abandon_pulls(pq);
      return pull(pq);
    default:
      io->log(FERRY_LOG_INFO, "pull " + pq->key.text() + ": " + ferry_status_name(r.status) + " " + std::string(r.message));
      io->route(pq->key.topic, true, [](const Error&, std::shared_ptr<const Route>) {});
      abandon_pulls(pq);
      return pull_later(pq, kRetryMs);
  }
}

// ---------------------------------------------------------------- delivery

void Consumer::deliver(PqPtr pq, std::vector<MessagePtr> msgs) {
  // The broker filters by tag hash; a collision is caught here.
  std::erase_if(msgs, [&](const MessagePtr& m) { return !tag_matches(pq->expression, m->property(FERRY_PROP_TAGS)); });
  if (msgs.empty()) return;
  if (pq->key.topic.starts_with(kRetryTopicPrefix)) restore_retry_topics(msgs);
  if (kind_ == ConsumerKind::kPull) {
    {
      std::lock_guard rl(ready_mu_);
      pq->ready_count += msgs.size();
      ready_.push_back(ReadyBatch{pq, std::move(msgs), 0});
    }
    ready_cv_.notify_all();
    return;
  }
  std::vector<ferry_client_message*> fresh;
  fresh.reserve(msgs.size());
  for (auto& m : msgs) {
    ferry_client_message* raw = m.get();
    size_t before = pq->cache.size();
    pq->cache.add(std::move(m));
    if (pq->cache.size() != before) fresh.push_back(raw);
  }
  if (kind_ == ConsumerKind::kPushOrderly) return consume_orderly(pq);
  for (size_t i = 0; i < fresh.size(); i += s.consume_batch_size) {
    size_t end = std::min(fresh.size(), i + s.consume_batch_size);
    submit_batch(pq, std::vector<ferry_client_message*>(fresh.begin() + static_cast<long>(i),
                                                        fresh.begin() + static_cast<long>(end)));
  }
}

// [loop] A listener answered SUCCESS for `batch`: its slots are done.
void Consumer::acknowledged(const PqPtr& pq, const std::vector<ferry_client_message*>& batch) {
  for (const ferry_client_message* m : batch) pq->cache.ack(m->rec.queue_offset);
  resume_if_paused(pq);
}

// [consume thread] Acknowledgements wait for the I/O thread's next natural
// turn: it takes them before each pull answer (on_pulled), each commit and
// each queue hand-over, so a SUCCESS costs no wake-up of the I/O thread (an
// eventfd write and a loop turn per batch otherwise). Only a queue paused by flow control needs them to
// pull again: then the loop is woken, once for every batch finished since.
// (The loop sets `paused` before it drains; this reads it after pushing
// under the same mutex, so one of the two sees the other.)
void Consumer::post_ack(PqPtr pq, std::vector<ferry_client_message*> batch) {
  bool wake = false;
  {
    std::lock_guard l(acks_mu_);
    const bool paused = pq->paused.load();
    acks_.emplace_back(std::move(pq), std::move(batch));
    if (paused && !acks_posted_) wake = acks_posted_ = true;
  }
  if (wake) io->post([this] { drain_acks(); });
}

// [loop] A call from inside (acknowledged -> pull -> flow control) returns:
// the outer one takes what came meanwhile before it returns. Only a
// concurrent push consumer whose listener runs on consume threads posts
// acks; for every other consumer this is a no-op, without the mutex.
void Consumer::drain_acks() {
  if (kind_ != ConsumerKind::kPushConcurrent || s.consume_on_io_thread || draining_acks_) return;
  draining_acks_ = true;
  for (;;) {
    {
      std::lock_guard l(acks_mu_);
      acks_posted_ = false;
      if (acks_.empty()) break;
      acks_scratch_.swap(acks_);
    }
    for (auto& [pq, batch] : acks_scratch_) acknowledged(pq, batch);
    acks_scratch_.clear();
  }
  draining_acks_ = false;
}

// [consume thread or loop] The concurrent listener's answer; one that
// throws asks for the batch again.
ferry_consume_status Consumer::call_listener(const std::vector<ferry_client_message*>& batch) {
  try {
    return listener(listener_user, batch.data(), batch.size());
  } catch (...) {
    return FERRY_CONSUME_RECONSUME_LATER;
  }
}

// The batch's messages stay in pq->cache (kept alive by the captured pq)
// until their SUCCESS is applied on the loop, so raw pointers are safe here.
void Consumer::submit_batch(PqPtr pq, std::vector<ferry_client_message*> batch) {
  if (pq->dropped || stopping_) return;
  if (s.consume_on_io_thread) return consume_here(pq, batch);
  pool_->post([this, pq, batch = std::move(batch)]() mutable {
    if (pq->dropped || stopping_) return;  // not acked: re-delivered after restart/rebalance
    if (call_listener(batch) == FERRY_CONSUME_SUCCESS) return post_ack(std::move(pq), std::move(batch));
    // Shutting down, or the queue moved: nothing is sent back and nothing
    // acknowledged; a restart (or the next owner) delivers it again.
    if (pq->dropped || stopping_) return;
    io->post([this, pq, batch = std::move(batch)] { reconsume_later(pq, batch); });
  });
}

// [loop] consume_on_io_thread: the listener runs here, on the I/O thread;
// its answer is applied at once (no post_ack, no hand-off back).
void Consumer::consume_here(const PqPtr& pq, const std::vector<ferry_client_message*>& batch) {
  if (call_listener(batch) == FERRY_CONSUME_SUCCESS) return acknowledged(pq, batch);
  if (pq->dropped || stopping_) return;
  reconsume_later(pq, batch);
}

void Consumer::consume_orderly(PqPtr pq) {
  if (pq->consuming || pq->dropped || stopping_ || pq->cache.empty()) return;
  if (!(pq->locked && pq->lock_until > mono_ms())) return;
  // One thread per queue in order: wait for a replaced state's listener.
  if (auto prev = pq->predecessor.lock(); prev && prev->consuming) return;
  std::vector<ferry_client_message*> batch;
  pq->cache.front(s.consume_batch_size, &batch);
  pq->consuming = true;
  pool_->post([this, pq, batch] {
    ferry_orderly_status st = FERRY_ORDERLY_SUSPEND;
    bool ran = false;
    if (!pq->dropped && !stopping_) {
      try {
        st = orderly_listener(listener_user, batch.data(), batch.size());
      } catch (...) {
        st = FERRY_ORDERLY_SUSPEND;
      }
      ran = true;
    }
    io->post([this, pq, batch, st, ran] {
      if (pq->superseded) {  // offsets were reset meanwhile: the new state goes on
        pq->consuming = false;
        auto it = pqs_.find(pq->key);
        if (it != pqs_.end()) consume_orderly(it->second);
        return;
      }
      if (ran && st == FERRY_ORDERLY_SUCCESS) {
        for (const ferry_client_message* m : batch) pq->cache.ack(m->rec.queue_offset);
        pq->consuming = false;
        if (pq->dropped) {
          commit({pq}, true, [this, pq](Error) { unlock({pq}); });
          return;
        }
        consume_orderly(pq);
        resume_if_paused(pq);
        return pull(pq);
      }
      if (pq->dropped || stopping_) {
        pq->consuming = false;
        return;
      }
      // SUSPEND: the same messages again after a pause, nothing after them.
      io->after(s.reconsume_delay_ms, [this, pq] {
        pq->consuming = false;
        consume_orderly(pq);
      });
    });
  });
}

// ---------------------------------------------------------------- locks

void Consumer::lock_queues(std::vector<PqPtr> pqs) {
  std::map<std::string, std::vector<PqPtr>> by_addr;
  for (auto& pq : pqs)
    if (!pq->dropped) by_addr[master_of(pq->key)].push_back(pq);
  for (auto& [addr, list] : by_addr) {
    auto payload = queue_lock_payload(s.group, s.client_id, list, [](auto& fbb, auto g, auto c, auto v) {
      return fbc::CreateLockQueuesRequest(fbb, g, c, v);
    });
    io->request(addr, FERRY_CODE_LOCK_QUEUES, std::move(payload), {}, s.request_timeout_ms, false,
                [this, list = list](const net::Response& r) {  // clang: no structured-binding captures
                  auto d = read_core<fbc::LockQueuesResponse>(r.payload);
                  std::set<std::pair<std::string, int32_t>> held;
                  uint64_t lease = 60000;
                  if (r.status == FERRY_OK && d) {
                    lease = d->lease_ms();
                    if (d->locked())
                      for (const auto* q : *d->locked()) held.emplace(q->topic()->str(), q->queue_id());
                  }
                  uint64_t now = mono_ms();
                  for (auto& pq : list) {
                    bool got = held.count({pq->key.topic, pq->key.queue_id}) > 0;
                    bool was = pq->locked;
                    pq->locked = got;
                    if (got) pq->lock_until = now + lease;
                    if (got && !was && !pq->dropped) {
                      if (pq->next_offset < 0) resolve_offset(pq);
                      else pull(pq);
                    }
                    if (!got && !pq->dropped) io->after(kRetryMs, [this, pq] { lock_queues({pq}); });
                  }
                });
  }
}

void Consumer::renew_locks() {
  std::vector<PqPtr> all;
  for (auto& [k, pq] : pqs_) all.push_back(pq);
  if (!all.empty()) lock_queues(all);
}

void Consumer::unlock(const std::vector<PqPtr>& pqs) {
  std::map<std::string, std::vector<PqPtr>> by_addr;
  for (auto& pq : pqs) {
    pq->locked = false;
    by_addr[master_of(pq->key)].push_back(pq);
  }
  for (auto& [addr, list] : by_addr) {
    auto payload = queue_lock_payload(s.group, s.client_id, list, [](auto& fbb, auto g, auto c, auto v) {
      return fbc::CreateUnlockQueuesRequest(fbb, g, c, v);
    });
    io->request(addr, FERRY_CODE_UNLOCK_QUEUES, std::move(payload), {}, s.request_timeout_ms, false,
                [](const net::Response&) {});
  }
}

// ---------------------------------------------------------------- offsets

int64_t Consumer::commit_offset_of(const PqPtr& pq) {
  if (kind_ == ConsumerKind::kPull) {
    std::lock_guard rl(ready_mu_);
    auto it = polled_.find(pq->key);
    return it == polled_.end() ? -1 : it->second;
  }
  return pq->next_offset < 0 ? -1 : pq->ack_offset();
}

void Consumer::commit(std::vector<PqPtr> pqs, bool force, std::function<void(Error)> done) {
  drain_acks();  // the offsets include every SUCCESS so far
  if (pqs.empty())
    for (auto& [k, pq] : pqs_) pqs.push_back(pq);
  std::map<std::string, std::vector<std::pair<PqPtr, int64_t>>> by_addr;
  for (auto& pq : pqs) {
    int64_t off = commit_offset_of(pq);
    if (off < 0 || (!force && off == pq->last_committed)) continue;
    if (s.message_model == MessageModel::kBroadcasting) {
      local_offsets_[pq->key] = off;
      pq->last_committed = off;
      continue;
    }
    by_addr[master_of(pq->key)].emplace_back(pq, off);
  }
  if (s.message_model == MessageModel::kBroadcasting) {
    Error e = save_local_offsets();
    if (done) done(e);
    return;
  }
  if (by_addr.empty()) {
    if (done) done({});
    return;
  }
  struct State {
    size_t left;
    Error first;
    std::function<void(Error)> done;
  };
  auto st = std::make_shared<State>(State{by_addr.size(), {}, std::move(done)});
  for (auto& [addr, list] : by_addr) {
    flatbuffers::FlatBufferBuilder fbb(256);
    std::vector<flatbuffers::Offset<fbc::QueueOffset>> offs;
    for (auto& [pq, off] : list)
      offs.push_back(fbc::CreateQueueOffset(fbb, fbb.CreateString(pq->key.topic), pq->key.queue_id, static_cast<uint64_t>(off)));
    auto g = fbb.CreateString(s.group);
    auto v = fbb.CreateVector(offs);
    auto payload = finish_core(fbb, fbc::CreateCommitOffsetsRequest(fbb, g, v));
    io->request(addr, FERRY_CODE_COMMIT_OFFSETS, std::move(payload), {}, s.request_timeout_ms, false,
                [this, st, list = list, addr = addr](const net::Response& r) {
                  if (r.status == FERRY_OK) {
                    for (auto& [pq, off] : list) {
                      if (off == pq->last_committed) continue;
                      pq->prior_committed = pq->last_committed >= 0 ? pq->last_committed : pq->start_offset;
                      pq->last_committed = off;
                    }
                  } else if (st->first.ok()) {
                    st->first = {r.status, "commit to " + addr + ": " + std::string(r.message)};
                    io->log(FERRY_LOG_WARN, st->first.message);
                  }
                  if (--st->left == 0 && st->done) st->done(st->first);
                });
  }
}

void Consumer::load_local_offsets() {
  std::filesystem::path file = std::filesystem::path(s.offset_store_dir) / (s.group + ".offsets");
  std::ifstream in(file);
  std::string topic, broker;
  int32_t qid;
  int64_t off;
  while (in >> topic >> broker >> qid >> off) local_offsets_[QueueKey{topic, broker, qid}] = off;
}

Error Consumer::save_local_offsets() {
  // Written whole to a temp file and renamed: a crash leaves the old or the new.
  std::error_code ec;
  std::filesystem::create_directories(s.offset_store_dir, ec);
  std::filesystem::path file = std::filesystem::path(s.offset_store_dir) / (s.group + ".offsets");
  std::filesystem::path tmp = file;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    for (const auto& [k, off] : local_offsets_) out << k.topic << ' ' << k.broker << ' ' << k.queue_id << ' ' << off << '\n';
    out.flush();
    if (!out) return {FERRY_E_IO, "cannot write " + tmp.string()};
  }
  std::filesystem::rename(tmp, file, ec);
  if (ec) return {FERRY_E_IO, "cannot rename " + tmp.string() + ": " + ec.message()};
  return {};
}

// ---------------------------------------------------------------- pull consumer

ferry_status Consumer::assign(std::vector<QueueKey> queues, char* errbuf, size_t errlen) {
  if (!subscriptions.empty())
    return fail(errbuf, errlen, FERRY_E_STATE, "assign cannot be combined with subscribe");
  assigned_mode_ = true;
  if (state != HandleState::kStarted) {
    assigned_ = std::move(queues);
    return FERRY_OK;
  }
  int unused = 0;
  Error e = call<int>(s.request_timeout_ms * (s.name_servers.size() + 2), [this, queues](std::shared_ptr<Promise<int>> p) {
    assigned_ = queues;
    std::set<std::string> topics;
    for (const auto& q : queues) topics.insert(q.topic);
    auto left = std::make_shared<size_t>(topics.size() + 1);
    auto one = [this, p, left] {
      if (--*left) return;
      apply_assignment("", assigned_, false);
      p->set({});
    };
    for (const auto& t : topics) io->route(t, false, [one](const Error&, std::shared_ptr<const Route>) { one(); });
    one();
  }, &unused);
  if (!e.ok()) return fail(errbuf, errlen, e.status, e.message);
  return FERRY_OK;
}

ferry_status Consumer::poll(int32_t timeout_ms, ferry_client_message** msgs, size_t max, size_t* count) {
  *count = 0;
  std::unique_lock rl(ready_mu_);
  ready_cv_.wait_for(rl, std::chrono::milliseconds(std::max(0, timeout_ms)),
                     [&] { return !ready_.empty() || stopping_; });
  std::vector<PqPtr> resume;
  while (*count < max && !ready_.empty()) {
    ReadyBatch& b = ready_.front();
    size_t take = std::min(max - *count, b.msgs.size() - b.next);
    int64_t last = -1;
    for (size_t i = 0; i < take; ++i) {
      last = b.msgs[b.next]->rec.queue_offset;
      msgs[(*count)++] = b.msgs[b.next++].release();
    }
    if (take) {
      int64_t& polled = polled_[b.pq->key];
      polled = std::max(polled, last + 1);
      b.pq->ready_count -= take;
      if (b.pq->paused.load(std::memory_order_relaxed) && drained(b.pq)) resume.push_back(b.pq);
    }
    if (b.next == b.msgs.size()) ready_.pop_front();
  }
  rl.unlock();
  for (auto& pq : resume) io->post([this, pq] { resume_if_paused(pq); });
  if (stopping_ && *count == 0) return FERRY_E_CLOSED;
  return FERRY_OK;
}

Error Consumer::commit_polled_sync() {
  int unused = 0;
  return call<int>(s.request_timeout_ms + 1000, [this](std::shared_ptr<Promise<int>> p) {
    commit({}, false, [p](Error e) { p->set(std::move(e)); });
  }, &unused);
}

void Consumer::commit_polled_async(std::function<void(Error)> done) {
  if (!io->post([this, done] {
        commit({}, false, [this, done](Error e) {
          if (!callbacks->post([done, e] { done(e); })) done(e);
        });
      }))
    done(Error{FERRY_E_CLOSED, "consumer was shut down"});
}

ferry_status Consumer::seek(const QueueKey& q, int64_t offset, char* errbuf, size_t errlen) {
  bool found = false;
  Error e = call<bool>(s.request_timeout_ms, [this, q, offset](std::shared_ptr<Promise<bool>> p) {
    auto it = pqs_.find(q);
    if (it == pqs_.end()) return p->set({}, false);
    restart_at(it->second, offset);
    p->set({}, true);
  }, &found);
  if (!e.ok()) return fail(errbuf, errlen, e.status, e.message);
  if (!found) return fail(errbuf, errlen, FERRY_E_NOT_FOUND, "queue " + q.text() + " is not owned by this consumer");
  return FERRY_OK;
}

Error Consumer::offset_for_time(const QueueKey& q, int64_t ms, int64_t* out) {
  return call<int64_t>(s.request_timeout_ms * (s.name_servers.size() + 2), [this, q, ms](std::shared_ptr<Promise<int64_t>> p) {
    io->route(q.topic, false, [this, q, ms, p](const Error& e, std::shared_ptr<const Route> r) {
      if (!e.ok()) return p->set(e);
      auto it = r->masters.find(q.broker);
      if (it == r->masters.end()) return p->set(Error{FERRY_E_NO_ROUTE, "broker " + q.broker + " has no live master"});
      io->request(it->second, FERRY_CODE_OFFSET_BY_TIME, encode_offset_by_time(q.topic, q.queue_id, ms), {},
                  s.request_timeout_ms, false, [p](const net::Response& resp) {
                    auto d = read_core<fbc::OffsetByTimeResponse>(resp.payload);
                    if (resp.status != FERRY_OK || !d) return p->set(Error{resp.status == FERRY_OK ? FERRY_E_BAD_FRAME : resp.status, std::string(resp.message)});
                    p->set({}, static_cast<int64_t>(d->offset()));
                  });
    });
  }, out);
}

Error Consumer::fetch_queues(const std::string& topic, std::vector<QueueKey>* out) {
  return call<std::vector<QueueKey>>(s.request_timeout_ms * (s.name_servers.size() + 2),
                                     [this, topic](std::shared_ptr<Promise<std::vector<QueueKey>>> p) {
                                       io->route(topic, false, [p](const Error& e, std::shared_ptr<const Route> r) {
                                         if (!e.ok()) return p->set(e);
                                         p->set({}, r->read_queues);
                                       });
                                     },
                                     out);
}

size_t Consumer::queue_count() {
  if (state != HandleState::kStarted) return 0;
  size_t n = 0;
  // The application's queues: the group's own retry queue is not one.
  call<size_t>(s.request_timeout_ms, [this](std::shared_ptr<Promise<size_t>> p) {
    const std::string retry = std::string(kRetryTopicPrefix) + s.group;
    size_t mine = 0;
    for (const auto& [k, pq] : pqs_) mine += k.topic != retry;
    p->set({}, mine);
  }, &n);
  return n;
}

}  // namespace ferry::sdk
