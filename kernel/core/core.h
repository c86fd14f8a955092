#pragma once
// The messaging core: topics and queues, send (single/batch) acknowledged by
// durability watermarks, pull with long polling woken by the storage
// dispatcher, client heartbeats and group membership, consumer offsets,
// queue locks, queries. It reaches plugins only through their ops tables and
// the kernel only through Env; it never knows which plugin it has.
//
// Threads: everything runs on the loop thread except the storage dispatch
// listener (storage's thread: it only records keys and posts one wake-up)
// and storage reads that would block (a worker via Env::queue_work).
//
// Kernel wiring (docs/core.md, "Integration"):
//   storage create -> Core(env, plugins, config) -> open() -> storage start
//   -> other plugins start -> start() ... handle(request) ...
//   on_watermarks() after each DURABLE/REPLICATED advance;
//   on_connection_closed(id) when a client connection closes;
//   SIGTERM: stop listening -> flush_all -> on_watermarks() -> stop().
#include <ferry/flush.h>
#include <ferry/filter.h>
#include <ferry/host.h>
#include <ferry/record.h>
#include <ferry/replication.h>
#include <ferry/storage.h>
#include <flatbuffers/flatbuffers.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "client_table.h"
#include "config.h"
#include "core_metrics.h"
#include "env.h"
#include "fifo_ring.h"
#include "filter_set.h"
#include "message_edit.h"
#include "message_id.h"
#include "offset_store.h"
#include "ordered_file.h"
#include "queue_locks.h"
#include "request.h"
#include "send_answer.h"
#include "topic_table.h"

namespace ferry::wire::core {
struct SendResult;
}  // namespace ferry::wire::core

namespace ferry::core {

struct PluginSet {
  const ferry_storage_ops* storage = nullptr;  // required
  void* storage_inst = nullptr;
  const ferry_flush_ops* flush = nullptr;      // optional: acks on WRITE without one
  void* flush_inst = nullptr;
  const ferry_replication_ops* replication = nullptr;  // optional
  void* replication_inst = nullptr;
  std::vector<FilterSet::Plugin> filters;
};

// Counters for runtime stats and tests.
struct CoreCounters {
  uint64_t messages_stored = 0;
  uint64_t sends_acked = 0;
  uint64_t sends_busy = 0;
  uint64_t sends_timed_out = 0;
  uint64_t pulls = 0;
  uint64_t pulls_found = 0;
  uint64_t pulls_held = 0;
  uint64_t pulls_woken = 0;
  uint64_t pulls_blocking_reads = 0;
  uint64_t watermark_checks = 0;
  uint64_t membership_notifications = 0;
  uint64_t sent_back = 0;       // copies stored in a %RETRY% topic
  uint64_t dead_lettered = 0;   // copies stored in a %DLQ% topic
  uint64_t dlq_resent = 0;      // dead letters stored again in their topic
};

class Core {
 public:
  Core(Env& env, PluginSet plugins, CoreConfig config);
  ~Core();
  Core(const Core&) = delete;
  Core& operator=(const Core&) = delete;

  // Load the topic table and offsets from <data_dir>/core/, register the
  // storage dispatch listener. Before storage start.
  ferry_status open(std::string* why);
  // Start timers (expiry sweep, offset persistence, timeouts).
  void start();
  // Answer every held pull (no new message) and waiting send (flush
  // timeout: stored, not acknowledged), persist topics and offsets.
  void stop();

  // ---- the kernel's calls ----
  void handle(RequestPtr request);
  // A request read but not handled yet (the net layer's look ahead, a few
  // frames before handle): a send's topic index slot is prefetched, and the
  // entry of the send peeked before it (its slot loaded by now). A hint:
  // nothing is kept but a hash, nothing answered. Returns the request's
  // peek_hint: a send's topic hash (handle_send then does not hash the
  // name again), else 0. send_peek.cc.
  uint64_t peek(uint32_t code, ferry_slice payload);
  void on_watermarks();
  void on_connection_closed(uint64_t conn_id);
  // Right before /metrics is rendered: refresh the series computed at scrape
  // time (consumer lag per group/topic) rather than on the hot path.
  void collect_metrics();

  // ---- host-table services (ferry_host_api's core section) ----
  ferry_status topic_get(std::string_view name, ferry_topic_info* out) const;
  ferry_status topic_foreach(ferry_topic_visit_fn fn, void* user_data) const;
  ferry_status put_message(const ferry_message* msg, ferry_put_fn on_put, void* user_data);
  // The kernel wraps a plugin's ferry_pre_append_fn in `hook` (handing the
  // plugin its own ferry_message_edit that forwards to the MessageEdit).
  ferry_status hook_pre_append(const char* property, PreAppendHook hook);
  std::optional<uint64_t> producer_conn(std::string_view group) const;

  // ---- admin used by tools and tests ----
  ferry_status create_topic(TopicConfig config, bool system, std::string* why);
  ferry_status persist_now(std::string* why);

  const TopicTable& topics() const { return topics_; }
  const OffsetStore& offsets() const { return offsets_; }
  const ClientTable& clients() const { return clients_; }
  const CoreCounters& counters() const { return counters_; }
  size_t held_pulls() const;
  // The loop's turn made records visible and consumers pull: the storage
  // dispatches them on this thread when it can (storage.h, dispatch_inline)
  // and the held pulls they wake are answered here, in this turn (a pull
  // arriving later finds them readable). true: the storage took the call
  // (dispatched, or declined and woke its own dispatcher); false: no such
  // storage op, or stopped — the caller wakes the dispatcher (on_visible). [loop]
  bool dispatch_inline(uint64_t visible);
  size_t pending_acks() const;
  uint64_t ack_offset();  // min(durable-for-acks, replicated)

  // Test seam for persistence faults (see atomic_file.h).
  void set_before_rename_hook(BeforeRenameHook hook) { before_rename_ = std::move(hook); }

 private:
  struct PullJob;
  struct Pending;
  // An admin topic change answered once a topic-table write covers it.
  struct TopicWaiter {
    uint64_t generation = 0;
    RequestPtr req;
    Response response;
  };

  // dispatch by code
  void handle_send(RequestPtr req);
  void handle_pull(RequestPtr req);
  void handle_heartbeat(RequestPtr req);
  void handle_unregister(RequestPtr req);
  void handle_group_members(RequestPtr req);
  void handle_commit_offsets(RequestPtr req);
  void handle_query_offset(RequestPtr req);
  void handle_lock(RequestPtr req, bool lock);
  void handle_topic_write(RequestPtr req, bool create);
  void handle_topic_delete(RequestPtr req);
  void handle_topic_list(RequestPtr req);
  void handle_topic_get(RequestPtr req);
  void handle_queue_range(RequestPtr req);
  void handle_offset_by_time(RequestPtr req);
  void handle_query(RequestPtr req);
  void handle_group_progress(RequestPtr req);
  void handle_runtime_stats(RequestPtr req);
  // admin (admin_groups.cc, admin_reset.cc)
  void handle_group_list(RequestPtr req);
  void handle_consumer_connections(RequestPtr req);
  void handle_reset_offset(RequestPtr req);
  // retry / dead letters (send_back.cc)
  void handle_send_back(RequestPtr req);
  void handle_dlq_resend(RequestPtr req);
  using RecordFn = void (Core::*)(RequestPtr req, const ferry_record_view& rec);
  void with_record(RequestPtr req, uint64_t commit_offset, RecordFn then);
  void send_back_record(RequestPtr req, const ferry_record_view& rec);
  void resend_record(RequestPtr req, const ferry_record_view& rec);
  void store_copy(RequestPtr req, const ferry_message& msg, const TopicConfig& t, uint64_t topics_before);
  // A system topic with one queue, created on demand (persisted like others).
  const TopicConfig* system_topic(const std::string& name, uint32_t perm, ferry_status* s, std::string* why);
  void ensure_retry_topic(std::string_view group);
  bool group_known(std::string_view group) const;

  // send path
  struct Append {
    ferry_status status = FERRY_OK;
    std::string why;
    size_t appended = 0;
  };
  // Validate, hook and append msgs (topic already resolved); results in
  // append_results_.
  Append append_batch(std::string_view topic, bool system);
  // A send validated this turn, its messages turn_msgs_[first, first+count).
  struct TurnSend {
    RequestPtr req;
    // The verified SendRequest (wire.h read_payload): a misaligned payload
    // is copied into `aligned`, and the messages' views point into it.
    const void* root = nullptr;  // const fb::SendRequest*
    std::vector<uint64_t> aligned;
    size_t first = 0, count = 0;
    uint64_t declared = 0;          // body bytes
    uint64_t topic_generation = 0;  // a topic this send created, else 0
    // The entry handle_send resolved, valid while the table's generation is
    // still `table_generation` (no create/update/remove since): reply_send
    // counts into it without a second lookup.
    const TopicConfig* topic = nullptr;
    uint64_t table_generation = 0;
  };
  // Append every send of this loop turn in one storage call (one commit-log
  // write for all of them), then build each one's reply. [loop]
  void flush_turn_sends();
  void turn_ended();      // the deferred end of a turn that read a send
  bool arm_turn_flush();  // false: the Env cannot defer, append now
  static std::string stored_of(size_t appended, size_t n);
  void reply_send(TurnSend& s, const ferry_append_result* stored);
  // TopicTable's sink: a topic's send counts into its registry series. [loop]
  void publish_topic_counts(const TopicConfig& t, uint64_t messages, uint64_t bytes);
  void enqueue_ack(Pending&& p);
  void check_acks();
  void expire_acks();
  void complete(Pending& p, ferry_status status, std::string message);
  // `hash`: TopicTable::hash_of(name), or a hint of it (Request::peek_hint).
  const TopicConfig* resolve_topic(std::string_view name, uint64_t hash, bool system,
                                   ferry_status* s, std::string* why);

  // pull path
  void try_pull(std::unique_ptr<PullJob> job);
  void finish_pull(std::unique_ptr<PullJob> job, ferry_status s, ferry_read_result* res,
                   const std::string& why);
  void park(std::unique_ptr<PullJob> job);
  // Chained pulls (PullRequest.chain, pull_chain.cc): a Follows pull waits
  // behind its connection's previous pull of the same group/topic/queue and
  // starts where that one ends.
  struct PullChain;
  PullChain* find_chain(uint64_t conn_id, std::string_view group, std::string_view topic, int32_t queue_id,
                        bool create);
  // handle_pull's part for Head / Follows pulls; false: answered (an error).
  bool chain_pull(std::unique_ptr<PullJob>& job, int chain_kind);
  // A pull was answered (ok: next_offset is where the next read starts;
  // !ok: an error frame): the Follows pull behind it starts now. [loop]
  // Called after the answer: only the job's chain fields are read.
  void pull_answered(PullJob& job, bool ok, uint64_t next_offset);
  void mark_chained(PullJob& job, const PullChain& c);
  // A new generation of `c` (its end forgotten); returns the Follows pulls
  // that waited in it, for the caller to answer.
  std::deque<std::unique_ptr<PullJob>> restart_chain(PullChain& c);
  // restart_chain, its waiting Follows pulls answered now, empty.
  void reset_chain(PullChain& c);
  void forget_chains(uint64_t conn_id);
  void expire_held();
  static void on_dispatch(void* self, const ferry_dispatch_entry* entries, size_t count,
                          uint64_t dispatched_offset);
  static void drain_dispatch(void* self);
  void drain_dispatched();  // [loop] retry the pulls held on reported queues

  // clients
  void notify_membership(const std::vector<std::string>& groups);
  // Send `payload` once to every distinct connection among `members` (a
  // client may register several ids on one connection); how many took it.
  uint32_t notify_connections(const std::vector<std::pair<std::string, uint64_t>>& members, uint32_t code,
                              std::string_view payload);
  void sweep_clients();

  // persistence
  void schedule_topic_save();
  void arm_topic_save(uint64_t delay_ms);
  void save_topics();
  void topics_written(uint64_t generation, ferry_status s, const std::string& why);
  void topics_changed();
  void persist_offsets();
  void offsets_written(uint64_t generation, ferry_status s, const std::string& why);
  using WrittenFn = void (Core::*)(uint64_t generation, ferry_status s, const std::string& why);
  void write_on_worker(const std::shared_ptr<OrderedFileWriter>& file, uint64_t generation,
                       std::string text, WrittenFn done);
  // Answer `req` with `r` once the topic table as it is now is on disk.
  void answer_when_topics_saved(RequestPtr req, Response r);
  // OK: answer the waiters the saved table covers. An error: answer those up
  // to `attempted` (the failed write's generation) with it.
  void answer_topic_waiters(ferry_status s, const std::string& why, uint64_t attempted);
  void fail_held_pulls(std::string_view topic);

  void tick();  // timeouts of held pulls and waiting sends

  Env& env_;
  PluginSet plugins_;
  CoreConfig config_;
  FilterSet filters_;
  TopicTable topics_;
  std::shared_ptr<OrderedFileWriter> topic_file_;  // shared with the worker writing it
  bool topics_writing_ = false;                    // a topic-table write is on a worker
  OffsetStore offsets_;
  std::shared_ptr<OrderedFileWriter> offsets_file_;  // shared with the worker writing it
  bool offsets_writing_ = false;                     // an offsets write is on a worker
  ClientTable clients_;
  QueueLocks locks_;
  PreAppendHooks hooks_;
  MessageIdEncoder ids_;
  SendAnswerEncoder answers_{ids_};  // complete()'s single-message answers
  std::unique_ptr<ErrorSlot> err_;  // for loop-thread plugin calls
  BeforeRenameHook before_rename_;
  CoreCounters counters_;
  CoreMetrics metrics_;
  uint32_t ticks_ = 0;

  // durability policy, read from the plugins at start
  bool sync_flush_ = false;
  bool sync_replication_ = false;
  uint64_t ack_timeout_ms_ = 0;

  // sends waiting for their watermark, in log order (so in deadline order)
  FifoRing<Pending> pending_;
  // admin topic changes waiting for the topic-table write, in generation order
  std::deque<TopicWaiter> topic_waiters_;
  uint32_t next_queue_ = 0;

  // scratch reused by every send (no per-message allocation once warm)
  std::vector<ferry_message> msgs_;
  std::vector<const ferry_message*> msg_ptrs_;
  std::vector<ferry_append_result> append_results_;
  std::vector<flatbuffers::Offset<wire::core::SendResult>> reply_results_;  // reply_send's
  std::deque<MessageEdit> edits_;
  // Sends read this turn, appended together at its end (Env::defer); the
  // messages point into their requests' payloads, held by req.
  std::vector<TurnSend> turn_sends_, turn_flushing_;
  uint64_t peeked_hash_ = 0;  // peek(): the last send's topic hash; its entry is prefetched next
  bool peeked_ = false;
  std::vector<ferry_message> turn_msgs_;
  bool turn_flush_armed_ = false;
  // Sends read this turn and in the last one: a turn's first send is
  // appended at once unless the last turn read several (a lone send per
  // turn — sync senders, big batches — gains nothing from waiting).
  uint32_t turn_count_ = 0, last_turn_count_ = 0;

  // long polls by queue key hash (a collision only costs a spurious re-read)
  std::unordered_multimap<uint64_t, std::unique_ptr<PullJob>> held_;
  // Chains by hash of (connection, group, topic, queue): only connections
  // that sent a chained pull have entries; erased when they close.
  std::unordered_multimap<uint64_t, std::unique_ptr<PullChain>> chains_;

  // dispatcher -> loop hand-off
  std::mutex dispatch_mu_;
  std::vector<uint64_t> dispatched_keys_;  // guarded by dispatch_mu_
  bool dispatch_posted_ = false;           // guarded by dispatch_mu_
  bool dispatch_on_loop_ = false;          // guarded by dispatch_mu_: inside dispatch_inline
  std::vector<uint64_t> drain_scratch_;

  std::unique_ptr<Timer> tick_timer_, sweep_timer_, offsets_timer_, topics_timer_;
  std::shared_ptr<Core*> alive_;  // posted tasks and worker completions check it
  bool stopped_ = false;
};

// Key of a topic/queue for long-poll wake-ups.
uint64_t queue_key(std::string_view topic, int32_t queue_id);

}  // namespace ferry::core
