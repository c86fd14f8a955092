#pragma once
// The consumer engine behind both the push and the pull consumer: queue
// assignment (rebalance or explicit), a long-polling pull loop per queue with
// flow control, offsets (broker-side for clustering, a local file for
// broadcasting), queue locks for orderly consumption, and delivery — to the
// consume threads (push) or to a ready queue poll() drains (pull).
//
// Threads: the Consumer's loop-side state is touched only on the I/O thread;
// the ready queue and polled offsets are guarded by ready_mu.
#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "handle.h"
#include "message.h"
#include "pulled_cache.h"
#include "route.h"

namespace ferry::sdk {

enum class ConsumerKind { kPushConcurrent, kPushOrderly, kPull };

// A group's retry topic is this prefix + the group (the broker's names.h).
inline constexpr std::string_view kRetryTopicPrefix = "%RETRY%";

// One queue this consumer owns.
struct ProcessQueue {
  QueueKey key;
  std::string expression;
  std::atomic<bool> dropped{false};
  int64_t next_offset = -1;      // next pull offset; -1 until resolved
  uint64_t epoch = 0;            // bumped by seek / reset: older pull answers are ignored
  bool pulling = false;          // a pull_later delay is pending
  // Pulls sent and not answered (push concurrent keeps up to pull_pipeline:
  // the second one chained behind the first at the broker). Answers are
  // taken strictly in the order sent: sent_seq / answered_seq.
  uint32_t in_flight = 0;
  uint64_t sent_seq = 0, answered_seq = 0;
  // Seek / reset moved the queue: the next pull asks the broker to answer
  // the one this connection may still hold there (PullRequest.supersede).
  bool supersede = false;
  // Flow control stopped pulling until the cache / ready count drains: the
  // side that drains it restarts the pull at once (the timer is a fallback).
  std::atomic<bool> paused{false};
  uint64_t later_seq = 0;        // names the one pull_later timer that may still pull
  PulledCache cache;             // push: pulled, not acknowledged
  int64_t last_committed = -1;
  int64_t start_offset = -1;     // where this owner began (committed, or consume_from)
  int64_t prior_committed = -1;  // the committed offset before last_committed
  // Replaced by a fresh state after an offsets reset: never committed again.
  bool superseded = false;
  std::weak_ptr<ProcessQueue> predecessor;  // the state this one replaced
  // orderly
  bool locked = false;
  uint64_t lock_until = 0;
  bool consuming = false;
  // pull consumer
  std::atomic<size_t> ready_count{0};
  // Offset below which every message is acknowledged (push).
  int64_t ack_offset() const { return cache.first_offset(next_offset); }
  // Pulled past what the broker has committed for the group: what a next
  // owner could re-deliver. Counted from the commit before the last one, as
  // a next owner may have read the offset just before our last commit.
  uint64_t uncommitted() const {
    int64_t base = prior_committed >= 0 ? prior_committed : last_committed >= 0 ? last_committed : start_offset;
    return next_offset < 0 || base < 0 || next_offset < base ? 0 : static_cast<uint64_t>(next_offset - base);
  }
};
using PqPtr = std::shared_ptr<ProcessQueue>;

class Consumer : public Handle {
 public:
  explicit Consumer(ConsumerKind kind) : kind_(kind) {}
  ~Consumer();

  ConsumerKind kind() const { return kind_; }

  // Before start.
  std::map<std::string, std::string> subscriptions;  // topic -> tag expression
  ferry_concurrent_listener listener = nullptr;
  ferry_orderly_listener orderly_listener = nullptr;
  void* listener_user = nullptr;

  ferry_status start(char* errbuf, size_t errlen);
  ferry_status shutdown(char* errbuf, size_t errlen);

  // Pull consumer.
  ferry_status assign(std::vector<QueueKey> queues, char* errbuf, size_t errlen);
  ferry_status poll(int32_t timeout_ms, ferry_client_message** msgs, size_t max, size_t* count);
  Error commit_polled_sync();
  void commit_polled_async(std::function<void(Error)> done);
  ferry_status seek(const QueueKey& q, int64_t offset, char* errbuf, size_t errlen);
  Error offset_for_time(const QueueKey& q, int64_t ms, int64_t* out);
  Error fetch_queues(const std::string& topic, std::vector<QueueKey>* out);

  size_t queue_count();
  // Summed ProcessQueue::uncommitted() of queues given up (push consumers).
  uint64_t handover_uncommitted() const { return handover_uncommitted_.load(); }

 private:
  // [loop]
  void rebalance();
  void rebalance_topic(const std::string& topic, std::shared_ptr<const Route> route,
                       const std::vector<std::string>& members);
  void apply_assignment(const std::string& topic, const std::vector<QueueKey>& mine,
                        bool only_topic);
  void add_queue(const QueueKey& k, const std::string& expr);
  void drop_queue(const PqPtr& pq);
  void resolve_offset(PqPtr pq);
  void start_from_policy(PqPtr pq);
  void pull(PqPtr pq);
  void pull_later(PqPtr pq, uint64_t ms);
  // Pulls in flight per queue: pull_pipeline for a concurrent push consumer.
  uint32_t pipeline_depth() const;
  // Forget the pulls in flight (their answers are ignored); the next pull
  // is a new head that supersedes what the broker still holds of them.
  void disown_pulls(const PqPtr& pq);
  // disown_pulls when any pull is in flight.
  void abandon_pulls(const PqPtr& pq);
  void on_pulled(PqPtr pq, const net::Response& r);
  void restart_at(const PqPtr& pq, int64_t offset);
  // NOTIFY_OFFSETS_RESET from the broker at `peer`: adopt the new offsets.
  void on_offsets_reset(std::string_view peer, std::span<const uint8_t> payload);
  void deliver(PqPtr pq, std::vector<MessagePtr> msgs);
  void submit_batch(PqPtr pq, std::vector<ferry_client_message*> batch);
  void acknowledged(const PqPtr& pq, const std::vector<ferry_client_message*>& batch);
  void post_ack(PqPtr pq, std::vector<ferry_client_message*> batch);
  // RECONSUME_LATER (consumer_retry.cc): clustering sends each message back
  // to its broker (retry topic / DLQ) and acknowledges those taken; the
  // rest, and broadcasting, retry locally after reconsume_delay_ms.
  void reconsume_later(PqPtr pq, std::vector<ferry_client_message*> batch);
  ferry_consume_status call_listener(const std::vector<ferry_client_message*>& batch);
  void consume_here(const PqPtr& pq, const std::vector<ferry_client_message*>& batch);
  void send_back(PqPtr pq, std::vector<ferry_client_message*> batch);
  void retry_locally(PqPtr pq, std::vector<ferry_client_message*> batch);
  // Retry messages are presented under their original topic (RETRY_TOPIC).
  static void restore_retry_topics(const std::vector<MessagePtr>& msgs);
  void drain_acks();
  void resume_if_paused(const PqPtr& pq);
  bool drained(const PqPtr& pq) const;
  void consume_orderly(PqPtr pq);
  void lock_queues(std::vector<PqPtr> pqs);
  void renew_locks();
  void unlock(const std::vector<PqPtr>& pqs);
  // Commits offsets of `pqs` (empty: all); done runs once every broker answered.
  void commit(std::vector<PqPtr> pqs, bool force, std::function<void(Error)> done);
  int64_t commit_offset_of(const PqPtr& pq);
  std::string master_of(const QueueKey& k) const;
  std::vector<uint8_t> heartbeat_payload(bool with_subscriptions) const;
  void on_server_request(net::Request r);
  // broadcasting offsets file
  void load_local_offsets();
  Error save_local_offsets();

  ConsumerKind kind_;
  // Message blocks of pull answers, reused (shared: a message the
  // application still holds may return its block after the consumer is gone).
  std::shared_ptr<BlockPool> blocks_ = std::make_shared<BlockPool>();
  std::unique_ptr<Workers> pool_;  // push consume threads
  std::atomic<bool> stopping_{false};
  std::atomic<bool> assigned_mode_{false};  // set by assign() on a user thread
  std::atomic<uint64_t> handover_uncommitted_{0};
  std::vector<QueueKey> assigned_;
  // loop
  std::map<QueueKey, PqPtr> pqs_;
  std::unique_ptr<LoopTimer> rebalance_timer_, commit_timer_, lock_timer_;
  std::map<QueueKey, int64_t> local_offsets_;
  bool rebalance_running_ = false, rebalance_again_ = false;
  // push: consume threads' SUCCESS answers not yet applied on the loop
  std::mutex acks_mu_;
  std::vector<std::pair<PqPtr, std::vector<ferry_client_message*>>> acks_;
  std::vector<std::pair<PqPtr, std::vector<ferry_client_message*>>> acks_scratch_;  // loop: drain_acks
  bool draining_acks_ = false;                                                       // loop
  bool acks_posted_ = false;
  // pull consumer ready queue
  std::mutex ready_mu_;
  std::condition_variable ready_cv_;
  // One pull answer's messages not yet handed out by poll().
  struct ReadyBatch {
    PqPtr pq;
    std::vector<MessagePtr> msgs;
    size_t next = 0;
  };
  std::deque<ReadyBatch> ready_;
  std::map<QueueKey, int64_t> polled_;  // next offset after what poll returned
};

}  // namespace ferry::sdk
