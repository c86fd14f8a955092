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
#include <string>
#include <vector>

#include "handle.h"
#include "message.h"
#include "route.h"

namespace ferry::sdk {

enum class ConsumerKind { kPushConcurrent, kPushOrderly, kPull };

using SharedMessage = std::shared_ptr<ferry_client_message>;

// One queue this consumer owns.
struct ProcessQueue {
  QueueKey key;
  std::string expression;
  std::atomic<bool> dropped{false};
  int64_t next_offset = -1;      // next pull offset; -1 until resolved
  uint64_t epoch = 0;            // bumped by seek: older pull answers are ignored
  bool pulling = false;          // a pull (or its delay) is in flight
  std::map<int64_t, SharedMessage> cache;  // push: pulled, not acknowledged
  uint64_t cache_bytes = 0;
  int64_t last_committed = -1;
  int64_t start_offset = -1;     // where this owner began (committed, or consume_from)
  int64_t prior_committed = -1;  // the committed offset before last_committed
  // orderly
  bool locked = false;
  uint64_t lock_until = 0;
  bool consuming = false;
  // pull consumer
  std::atomic<size_t> ready_count{0};
  // Offset below which every message is acknowledged (push).
  int64_t ack_offset() const { return cache.empty() ? next_offset : cache.begin()->first; }
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
  void on_pulled(PqPtr pq, uint64_t epoch, const net::Response& r);
  void deliver(PqPtr pq, std::vector<MessagePtr> msgs);
  void submit_batch(PqPtr pq, std::vector<SharedMessage> batch);
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
  // pull consumer ready queue
  std::mutex ready_mu_;
  std::condition_variable ready_cv_;
  std::deque<std::pair<PqPtr, MessagePtr>> ready_;
  std::map<QueueKey, int64_t> polled_;  // next offset after what poll returned
};

}  // namespace ferry::sdk
