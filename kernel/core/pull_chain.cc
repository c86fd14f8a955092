// Chained pulls (PullRequest.chain): a push consumer keeps a second pull per
// queue waiting here, so a record that arrives while the first pull's answer
// travels back is answered at once rather than after the client's next round
// trip. A Follows pull cannot name its offset, so it waits behind its
// connection's previous pull of the same group/topic/queue and starts where
// that one ends (docs/protocol.md, Pull). No record is delivered twice or
// skipped: a chain reads one pull at a time, each from the last one's end.
#include <functional>
#include <utility>

#include "core_internal.h"

namespace ferry::core {
namespace {

constexpr size_t kMaxWaiting = 4;  // Follows pulls queued per chain (a client keeps one)

uint64_t chain_hash(uint64_t conn_id, std::string_view group, std::string_view topic, int32_t queue_id) {
  uint64_t h = queue_key(topic, queue_id) ^ (std::hash<std::string_view>{}(group) * 0x9e3779b97f4a7c15ull);
  return h ^ (conn_id * 0xff51afd7ed558ccdull);
}

std::string_view group_of(const Decoded<fb::PullRequest>& p) {
  return p->consumer_group() ? p->consumer_group()->string_view() : std::string_view();
}

}  // namespace

Core::PullChain* Core::find_chain(uint64_t conn_id, std::string_view group, std::string_view topic,
                                  int32_t queue_id, bool create) {
  uint64_t h = chain_hash(conn_id, group, topic, queue_id);
  auto [b, e] = chains_.equal_range(h);
  for (auto it = b; it != e; ++it) {
    PullChain& c = *it->second;
    if (c.conn_id == conn_id && c.queue_id == queue_id && c.topic == topic && c.group == group) return &c;
  }
  if (!create) return nullptr;
  auto c = std::make_unique<PullChain>();
  c->hash = h;
  c->conn_id = conn_id;
  c->group = group;
  c->topic = topic;
  c->queue_id = queue_id;
  return chains_.emplace(h, std::move(c))->second.get();
}

std::deque<std::unique_ptr<Core::PullJob>> Core::restart_chain(PullChain& c) {
  ++c.gen;  // answers of its pulls still being read or held no longer move it
  c.busy = false;
  c.known = false;
  return std::exchange(c.waiting, {});
}

void Core::reset_chain(PullChain& c) {
  for (auto& w : restart_chain(c)) finish_pull(std::move(w), FERRY_OK, nullptr, {});  // NO_NEW_MESSAGE at its offset
}

bool Core::chain_pull(std::unique_ptr<PullJob>& job, int chain_kind) {
  const uint64_t conn = job->req->conn_id();
  if (chain_kind == static_cast<int>(fb::PullChain::Head)) {
    std::string_view group = group_of(job->payload);
    PullChain* c = find_chain(conn, group, job->topic, job->queue_id, false);
    // Chains live until their connection closes: bound them as held pulls
    // are, so group or queue names a client makes up cannot grow memory.
    if (!c && chains_.size() >= config_.max_held_pulls) {
      respond_error(*job->req, FERRY_E_BUSY,
                    "system busy: " + std::to_string(chains_.size()) +
                        " pull chains open (max_held_pulls); try again");
      return false;
    }
    if (!c) c = find_chain(conn, group, job->topic, job->queue_id, true);
    reset_chain(*c);  // a new head: the client moved on
    c->busy = true;
    mark_chained(*job, *c);
    return true;
  }
  if (chain_kind != static_cast<int>(fb::PullChain::Follows)) return true;
  PullChain* c = find_chain(conn, group_of(job->payload), job->topic, job->queue_id, false);
  if (!c) {
    respond_error(*job->req, FERRY_E_STATE, "a chained pull with no pull before it on this connection");
    return false;
  }
  if (c->busy || !c->waiting.empty()) {
    if (c->waiting.size() >= kMaxWaiting) {
      respond_error(*job->req, FERRY_E_BUSY, "too many chained pulls waiting on this queue");
      return false;
    }
    c->waiting.push_back(std::move(job));
    return false;
  }
  if (!c->known) {
    respond_error(*job->req, FERRY_E_STATE, "the pull this one follows failed or was superseded");
    return false;
  }
  job->offset = c->next_offset;
  mark_chained(*job, *c);
  c->busy = true;
  return true;
}

void Core::mark_chained(PullJob& job, const PullChain& c) {
  job.chained = true;
  job.chain_gen = c.gen;
  job.chain_hash = c.hash;
  job.chain = &c;
}

void Core::pull_answered(PullJob& job, bool ok, uint64_t next_offset) {
  if (!job.chained) return;
  job.chained = false;
  // Its chain, if still there (the connection may have closed meanwhile).
  PullChain* c = nullptr;
  auto [b, e] = chains_.equal_range(job.chain_hash);
  for (auto it = b; it != e && !c; ++it)
    if (it->second.get() == job.chain) c = it->second.get();
  if (!c || c->gen != job.chain_gen) return;
  c->busy = false;
  c->known = ok;
  c->next_offset = next_offset;
  // The pulls behind it, one at a time (an answered one starts the next:
  // try_pull may answer at once, which re-enters here and takes the next).
  while (!c->busy && !c->waiting.empty()) {
    std::unique_ptr<PullJob> w = std::move(c->waiting.front());
    c->waiting.pop_front();
    if (!c->known) {
      respond_error(*w->req, FERRY_E_STATE, "the pull this one follows failed");
      continue;
    }
    w->offset = c->next_offset;
    w->deadline_ms = w->hold_ms && !stopped_ ? env_.monotonic_ms() + w->hold_ms : 0;
    mark_chained(*w, *c);
    c->busy = true;
    try_pull(std::move(w));
  }
}

// A closed connection's chains go with it (its held pulls are dropped too).
void Core::forget_chains(uint64_t conn_id) {
  if (chains_.empty()) return;
  for (auto it = chains_.begin(); it != chains_.end();) {
    if (it->second->conn_id == conn_id)
      it = chains_.erase(it);
    else
      ++it;
  }
}

}  // namespace ferry::core
