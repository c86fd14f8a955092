// The producer: sync, async, oneway, batch, ordered and selector sends.
// Every send is one SendOp run on the I/O thread: route lookup, queue
// choice (round robin avoiding brokers that failed recently, or a fixed
// queue for ordered sends), request, and retries of retriable failures on
// another broker — all within the op's one deadline, sync or async alike.
#include <ferry/codes.h>
#include <unistd.h>

#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <random>
#include <type_traits>

#include "direct_lane.h"
#include "handle.h"
#include "message.h"
#include "recycle_pool.h"
#include "send_encode.h"
#include "uniq_key.h"
#include "wire.h"

// A topic handle (ferry_producer_topic_open). The route pointer is the
// topic's SendRoute in the Io's route cache, whose entries are never erased:
// once the loop has found it, a send through the handle reads it directly
// instead of walking the cache by name.
struct ferry_producer_topic {
  const ferry_producer* owner = nullptr;  // set at open, then read-only
  std::string name;                       // set at open, then read-only
  const ferry::sdk::SendRoute* route = nullptr;  // [loop] written once, when first found
};

namespace ferry::sdk {
namespace {

struct Outcome {
  std::string offset_msg_id, uniq_key, broker;
  int32_t queue_id = -1;
  int64_t queue_offset = -1;
  uint32_t attempts = 0;
};

// One send (or batch) in flight. Ops come from the producer's RecyclePool:
// a warm op keeps its strings' and vectors' capacity, so a send allocates
// no op, no body buffer and no result strings of its own.
struct SendOp {
  std::string topic;
  ferry_producer_topic* handle = nullptr;  // the send came through one
  std::vector<WireMessage> msgs;  // size set by whoever fills the op
  std::vector<uint8_t> bodies;    // back to back; shared by attempts
  uint64_t deadline = 0;
  bool oneway = false;
  bool fixed = false;    // ordered / selector: one queue, retried in place
  size_t fixed_index = 0;
  std::string last_failed_broker;
  Outcome out;
  std::string errors;
  // On the loop, with the op itself (its `out` final); never stored
  // capturing the op (finish() moves it out before the call).
  std::function<void(Error, const std::shared_ptr<SendOp>&)> done;
  Promise<bool> sync_done;  // a sync sender waits here; it then reads `out`
  // Client-side batching: a single async send may wait to join others of
  // its topic (batchable); the batch op carries them (members: their
  // messages and bodies stay in their ops; the batch op's own msgs and
  // bodies are unused), and its answer writes each member's own result.
  bool batchable = false;
  std::vector<std::shared_ptr<SendOp>> members;
  size_t results_n = 0;  // members whose result the answer held
  // Async sends: the user's callback, kept in the op so `done` captures
  // only the producer (no allocation for it).
  ferry_send_cb async_cb = nullptr;
  void* async_ud = nullptr;
  // [loop] While the transport holds `bodies` (one borrow per attempt),
  // the op keeps itself alive: no per-attempt holder is allocated.
  uint32_t attach_refs = 0;
  std::shared_ptr<SendOp> attach_keep;
  // [loop] While an attempt's answer is awaited the op keeps itself alive
  // too (answer_keep, moved out by the answer, which runs exactly once), and
  // the attempt's broker and queue are here: the answer callback then holds
  // only {producer, op} — 16 trivially copyable bytes that std::function
  // keeps inline, so an attempt allocates no callback (nor its copy).
  std::shared_ptr<SendOp> answer_keep;
  const BrokerRef* target = nullptr;
  int32_t target_qid = -1;

  // Back to the pool: cleared, capacity kept up to a bound (a pool of
  // idle ops must not pin one huge batch's memory).
  void recycle() {
    constexpr size_t kKeepBodyBytes = 8192, kKeepMessages = 64;
    topic.clear();
    handle = nullptr;
    if (msgs.size() > kKeepMessages) std::vector<WireMessage>().swap(msgs);
    if (bodies.capacity() > kKeepBodyBytes) std::vector<uint8_t>().swap(bodies);
    bodies.clear();
    deadline = 0;
    oneway = fixed = batchable = false;
    fixed_index = 0;
    last_failed_broker.clear();
    out.offset_msg_id.clear();
    out.uniq_key.clear();
    out.broker.clear();
    out.queue_id = -1;
    out.queue_offset = -1;
    out.attempts = 0;
    errors.clear();
    done = nullptr;
    sync_done.reset();
    members.clear();
    results_n = 0;
    async_cb = nullptr;
    async_ud = nullptr;
    target = nullptr;
    target_qid = -1;
  }
};

// An async send's end, waiting for the loop turn's end to go to the
// callback thread with the others of its turn.
struct Completed {
  std::shared_ptr<SendOp> op;
  Error e;
};

// Idle ops kept per producer (more in flight are allocated as usual).
// Above the common in-flight peaks: 4 sending threads with an async window
// of 256 each (compare.sh's workload 3) keep ~1,024 ops out; with 512 kept,
// half of them were freed on the callback thread and allocated again on
// the senders (~7 mallocs each, across arenas). An idle op pins what it
// kept (<= 8 KiB of body, see recycle()), and only ops that were once in
// flight together are ever kept.
constexpr size_t kOpPoolSize = 2048;

// Async sends of one topic waiting to go as one batch.
struct Pending {
  std::vector<std::shared_ptr<SendOp>> ops;
  size_t bytes = 0;
  uint64_t generation = 0;  // which scheduled flush is current
};

// A direct lane's spin: busy_poll_us, when the user set it, is a fixed
// window (as before); otherwise sync_direct_spin_us, adaptive.
SpinGate lane_gate(const Settings& s) {
  if (s.busy_poll_us > 0) return SpinGate(s.busy_poll_us, false);
  return SpinGate(s.sync_direct_spin_us, true);
}

}  // namespace
}  // namespace ferry::sdk

using namespace ferry::sdk;
namespace net = ferry::net;

struct ferry_producer : Handle {
  // any thread: where send ops come from
  std::shared_ptr<RecyclePool<SendOp>> ops = RecyclePool<SendOp>::create(kOpPoolSize);
  // any thread: the round-robin position (sync sends on their caller's
  // thread move it too)
  std::atomic<uint64_t> rr{0};
  // loop thread only
  std::map<std::string, uint64_t> backoff_until;  // broker -> mono ms
  // any thread: the latest backoff end (mono ms); a sync send goes through
  // the I/O thread, which knows which broker to avoid, until then
  std::atomic<uint64_t> backoff_any_until{0};
  // Sync sends on the caller's thread (sync_direct): one blocking lane per
  // broker address, used only while the producer has nothing else in
  // flight; a lane's mutex is held for its round trip, and its encoder is
  // used under it.
  struct Lane {
    Lane(std::string addr, SpinGate gate) : lane(std::move(addr), gate) {}
    std::mutex mu;
    DirectLane lane;
    // After a failed connect the lane rests (mono ms) instead of making
    // every sync send wait out another connect to an unreachable broker.
    uint64_t rest_until = 0;
    SendEncoder encoder;
  };
  std::mutex lanes_mu;
  std::map<std::string, std::unique_ptr<Lane>> lanes;  // guarded by lanes_mu; kept until destroy
  // [any] The lane to a broker address, made on first use.
  Lane* lane_for(const std::string& addr) {
    std::lock_guard lock(lanes_mu);
    auto& slot = lanes[addr];
    if (!slot) slot = std::make_unique<Lane>(addr, lane_gate(s));
    return slot.get();
  }
  // Topic handles: stable addresses (a deque only grows at its end), found
  // by name when opened.
  std::mutex topics_mu;
  std::deque<ferry_producer_topic> topic_store;                  // guarded by topics_mu
  std::map<std::string, ferry_producer_topic*, std::less<>> topic_index;  // guarded by topics_mu
  // any thread
  std::string uniq_prefix;
  std::atomic<uint32_t> uniq_counter{0};
  // Sends in flight: counted without a lock (two per async send were ~140
  // instructions); the mutex and cv only for shutdown's wait, notified
  // under the lock when the count reaches 0 (no lost wake-up).
  std::mutex inflight_mu;
  std::condition_variable inflight_cv;
  std::atomic<size_t> inflight{0};
  // The sync hand-off without the I/O thread's wake-up (sync_io_spin_us):
  // while the I/O thread spins after a sync answer (io_listening), a sync
  // send is put in direct_q instead of posted; the spin runs it.
  std::mutex direct_mu;
  bool io_listening = false;                      // guarded by direct_mu
  std::vector<std::shared_ptr<SendOp>> direct_q;  // guarded by direct_mu
  std::atomic<bool> direct_ready{false};
  bool lingering = false;  // loop thread only
  // Async sends on their way to the loop: queued here, and one posted task
  // (posted by the send that found none pending) runs all that gathered —
  // no std::function per send, one loop-queue push per batch. Any op in
  // `submitted` has a drain posted and not yet started (FIFO kept).
  std::mutex submit_mu;
  std::vector<std::shared_ptr<SendOp>> submitted;  // guarded by submit_mu
  bool drain_posted = false;                        // guarded by submit_mu
  std::vector<std::shared_ptr<SendOp>> draining;    // loop thread only

  // [any] Hands an async op to the I/O thread. False once shut down (the op
  // is then not queued).
  bool submit_async(std::shared_ptr<SendOp>& op) {
    std::lock_guard lock(submit_mu);
    if (!drain_posted) {
      // Posted under the lock: a failed post leaves nothing queued behind it.
      if (!io->post([this] { drain_submitted(); })) return false;
      drain_posted = true;
    }
    submitted.push_back(std::move(op));
    return true;
  }
  // [loop] Runs the async ops submitted so far.
  void drain_submitted() {
    {
      std::lock_guard lock(submit_mu);
      draining.swap(submitted);
      drain_posted = false;
    }
    for (auto& op : draining) run(std::move(op));
    draining.clear();
  }
  // [owner, after the loop joined] Ops whose drain was dropped at stop.
  void fail_unsubmitted() {
    std::vector<std::shared_ptr<SendOp>> left;
    {
      std::lock_guard lock(submit_mu);
      left.swap(submitted);
      drain_posted = false;
    }
    for (auto& op : left) finish(op, Error{FERRY_E_CLOSED, "producer was shut down"});
  }

  // [any] Hands a sync op to the I/O thread. False once shut down.
  bool submit_sync(std::shared_ptr<SendOp> op) {
    if (s.sync_io_spin_us > 0) {
      std::lock_guard lock(direct_mu);
      if (io_listening) {
        direct_q.push_back(std::move(op));
        direct_ready.store(true, std::memory_order_release);
        return true;
      }
    }
    return io->post([this, op = std::move(op)] { run(op); });
  }
  // [loop] After a sync answer: wait up to sync_io_spin_us for the caller's
  // next sync send and start it here, so it costs no eventfd wake-up.
  // Bounded: the loop serves nothing else meanwhile.
  void linger();

  // Writes a fresh UNIQ_KEY into out[0..kUniqKeyMax); returns its length.
  size_t next_uniq_key(char* out) {
    return format_uniq_key(uniq_prefix, static_cast<uint64_t>(wall_ms()), uniq_counter.fetch_add(1), out);
  }
  void begin_op() { inflight.fetch_add(1, std::memory_order_acq_rel); }
  // Counts an op in flight; true when it is the only one: every earlier
  // send, from any thread, has been answered (acquire: after its end).
  bool begin_op_alone() { return inflight.fetch_add(1, std::memory_order_acq_rel) == 0; }
  void end_op() { end_ops(1); }
  void end_ops(size_t n) {
    if (inflight.fetch_sub(n, std::memory_order_acq_rel) != n) return;
    std::lock_guard lock(inflight_mu);
    inflight_cv.notify_all();
  }

  // [loop] Async completions of this loop turn, delivered together at its
  // end: one callback-thread task (one lock, at most one wake-up) per turn
  // instead of one per message; each callback still runs, in finish order.
  // After the loop joined (shutdown) the owner delivers what is left.
  std::vector<Completed> completed;
  std::vector<Completed> calling;  // callback_on_io_thread: the turn's batch being called
  void complete_async(const std::shared_ptr<SendOp>& op, Error e);
  void deliver_completed();
  // [callback thread, or the loop with callback_on_io_thread, or the owner
  // after the loop joined] Runs a batch's callbacks in order, then ends them.
  void call_completed(std::vector<Completed>& batch);

  // loop thread only: async sends waiting to be batched, per topic; the
  // reused SendRequest encoder
  std::map<std::string, Pending> pending;
  // [loop] Shutdown began (flush_all ran): a queue that starts now goes at
  // the turn's end, not after the linger.
  bool closing = false;
  // [loop] Shutdown: every queued batch goes now (not at its linger timer,
  // which may outlast shutdown's wait, and which stop() drops).
  void flush_all();
  // [owner, after the loop joined] Batches still queued (gathered after
  // flush_all, their turn-end flush dropped at stop): each send fails.
  void fail_pending();
  SendEncoder send_encoder;  // [loop]
  std::vector<ferry_slice> slice_scratch;  // [loop] a batch attempt's body slices
  std::vector<const WireMessage*> wire_scratch;  // [loop] and its members' messages

  void run(std::shared_ptr<SendOp> op);
  // [loop] Client-side batching: queue a batchable op; flush a topic's
  // queue as one batch op (or a lone op as itself).
  void enqueue(std::shared_ptr<SendOp> op);
  void flush(const std::string& topic, uint64_t generation);
  void flush_now(Pending& q, const std::string& topic);
  // [loop] One attempt over `route` (borrowed for this call only).
  void attempt(const std::shared_ptr<SendOp>& op, const SendRoute& route);
  // [loop] The answer to the op's current attempt (op->target).
  void on_answer(SendOp* op, const net::Response& r);
  // [loop, or a sync op's caller on a lane] One attempt's answer: true when
  // the op is done (*e its outcome: success, a failure that is not
  // retriable, or the retries spent); false when it goes again (why noted).
  bool take_answer(const std::shared_ptr<SendOp>& op, const std::string& broker, const net::Response& r, Error* e);
  // [loop] After a retriable failure: back off the broker, refresh the
  // route, attempt again (over the route cached now if the refresh leaves
  // the topic no writable queue).
  void retry(const std::shared_ptr<SendOp>& op, const std::string& broker, ferry_status st);
  // [a sync op's caller] One attempt over a lane, on this thread. kDone: *e
  // is the op's outcome; kRetried: it failed retriably and the I/O thread
  // goes on with it (posted); kNotSent: nothing was sent, run it as usual.
  enum class Direct { kDone, kRetried, kNotSent };
  Direct send_direct(const std::shared_ptr<SendOp>& op, Error* e);
  void close_lanes();
  void finish(const std::shared_ptr<SendOp>& op, Error e) {
    auto done = std::move(op->done);
    if (done) done(std::move(e), op);
  }
};

namespace {

// An attempt's answer callback: fits std::function's inline storage.
struct AnswerFn {
  ferry_producer* p;
  SendOp* op;  // kept alive by op->answer_keep until this runs
  void operator()(const net::Response& r) const { p->on_answer(op, r); }
};
static_assert(std::is_trivially_copyable_v<AnswerFn> && sizeof(AnswerFn) <= 16);

// The transport releases on the loop (or after the loop thread joined).
void release_bodies(void* ctx) {
  auto* op = static_cast<SendOp*>(ctx);
  if (--op->attach_refs == 0) op->attach_keep.reset();  // may recycle the op
}

// A batch op's bodies are its members' own buffers, borrowed as one slice
// each (the transport writes them with writev): the batch never copies them
// again. The members stay alive with the batch op (op->members, cleared by
// recycle()), so attach_keep covers them too. scratch: the loop's reused
// slice array (the attachment copies it).
net::Attachment bodies_attachment(const std::shared_ptr<SendOp>& op, std::vector<ferry_slice>& scratch) {
  if (op->attach_refs++ == 0) op->attach_keep = op;
  if (op->members.empty())
    return net::Attachment::borrow(std::span<const uint8_t>(op->bodies.data(), op->bodies.size()), &release_bodies,
                                   op.get());
  scratch.clear();
  for (const auto& m : op->members) scratch.push_back(ferry_slice{m->bodies.data(), m->bodies.size()});
  return net::Attachment::borrow(scratch.data(), scratch.size(), &release_bodies, op.get());
}

Error no_writable_queue(const std::string& topic) {
  return Error{FERRY_E_NO_ROUTE, "topic '" + topic + "' has no writable queue on a live master"};
}

// Copies msgs into an op (UNIQ_KEY set on each user message first).
ferry_status build_op(ferry_producer* p, ferry_client_message* const* msgs, size_t n, SendOp* op,
                      char* errbuf, size_t errlen) {
  if (n == 0) return fail(errbuf, errlen, FERRY_E_INVALID_ARGUMENT, "no message to send");
  size_t total = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!msgs[i]) return fail(errbuf, errlen, FERRY_E_INVALID_ARGUMENT, "message " + std::to_string(i) + " is NULL");
    if (msgs[i]->received)
      return fail(errbuf, errlen, FERRY_E_INVALID_ARGUMENT, "a received message cannot be sent again; copy it into a new one");
    if (msgs[i]->topic_s != msgs[0]->topic_s)
      return fail(errbuf, errlen, FERRY_E_INVALID_ARGUMENT,
                  "a batch holds one topic ('" + msgs[0]->topic_s + "' and '" + msgs[i]->topic_s + "')");
    if (msgs[i]->body_s.size() > p->s.max_message_size)
      return fail(errbuf, errlen, FERRY_E_MESSAGE_TOO_LARGE,
                  "message body is " + std::to_string(msgs[i]->body_s.size()) + " bytes; max_message_size is " +
                      std::to_string(p->s.max_message_size));
    total += msgs[i]->body_s.size();
  }
  op->topic = msgs[0]->topic_s;
  op->bodies.clear();
  op->bodies.reserve(total);
  op->msgs.resize(n);  // a recycled op's elements keep their strings' capacity
  int64_t now = wall_ms();
  for (size_t i = 0; i < n; ++i) {
    ferry_client_message* m = msgs[i];
    WireMessage& w = op->msgs[i];
    std::string_view have = m->property(FERRY_PROP_UNIQ_KEY);
    if (have.empty()) {
      char key[kUniqKeyMax];
      std::string_view fresh(key, p->next_uniq_key(key));
      m->set_property(FERRY_PROP_UNIQ_KEY, fresh);
      w.uniq.assign(fresh);
    } else {
      w.uniq.assign(have);
    }
    w.props.assign(m->props_encoded);  // into the recycled op's capacity
    w.flag = m->flag;
    w.born_ms = now;
    w.body_len = static_cast<uint32_t>(m->body_s.size());
    // Same element type on both sides: one memmove, not a byte-by-byte
    // char -> uint8_t loop (which was most of build_op's time).
    const auto* body = reinterpret_cast<const uint8_t*>(m->body_s.data());
    op->bodies.insert(op->bodies.end(), body, body + m->body_s.size());
  }
  op->out.uniq_key = op->msgs[0].uniq;
  op->deadline = mono_ms() + p->s.send_timeout_ms;
  return FERRY_OK;
}

void copy_str(char* dst, size_t cap, const std::string& src) {
  size_t n = std::min(cap - 1, src.size());
  std::memcpy(dst, src.data(), n);
  dst[n] = '\0';
}

void fill_result(ferry_send_result* r, ferry_status st, const Outcome& o) {
  if (!r || r->struct_size < FERRY_STRUCT_SIZE(ferry_send_result, status)) return;
  uint32_t size = r->struct_size;
  r->status = st;
  if (FERRY_HAS_FIELD(ferry_send_result, size, msg_id)) copy_str(r->msg_id, sizeof r->msg_id, o.uniq_key);
  if (FERRY_HAS_FIELD(ferry_send_result, size, offset_msg_id))
    copy_str(r->offset_msg_id, sizeof r->offset_msg_id, o.offset_msg_id);
  if (FERRY_HAS_FIELD(ferry_send_result, size, broker_name))
    copy_str(r->broker_name, sizeof r->broker_name, o.broker);
  if (FERRY_HAS_FIELD(ferry_send_result, size, queue_id)) r->queue_id = o.queue_id;
  if (FERRY_HAS_FIELD(ferry_send_result, size, queue_offset)) r->queue_offset = o.queue_offset;
  if (FERRY_HAS_FIELD(ferry_send_result, size, attempts)) r->attempts = o.attempts;
}

}  // namespace

void ferry_producer::run(std::shared_ptr<SendOp> op) {
  if (op->batchable && s.async_batch_max_messages > 1) return enqueue(std::move(op));
  // The cached route, borrowed (the common case: no count, no callback);
  // through the op's topic handle when it has found it; else fetched first.
  ferry_producer_topic* h = op->handle;
  const SendRoute* cached = nullptr;
  if (!io->stopping()) {
    cached = h && h->route ? h->route : io->send_route(op->topic);
    if (h && !h->route) h->route = cached;
  }
  if (cached) {
    if (cached->empty()) return finish(op, no_writable_queue(op->topic));
    return attempt(op, *cached);
  }
  io->route(op->topic, false, [this, op](const Error& e, std::shared_ptr<const Route>) {
    if (!e.ok()) return finish(op, e);
    const SendRoute* r = io->send_route(op->topic);
    if (op->handle && !op->handle->route) op->handle->route = r;
    if (!r || r->empty()) return finish(op, no_writable_queue(op->topic));
    attempt(op, *r);
  });
}

void ferry_producer::enqueue(std::shared_ptr<SendOp> op) {
  if (io->stopping()) {  // no flush would come: fail it like any send now
    op->batchable = false;
    return run(std::move(op));
  }
  // Found without copying the name (a copy only when the topic is new);
  // the map's key is stable for the flush below and the scheduled one.
  auto it = pending.find(op->topic);
  if (it == pending.end()) it = pending.emplace(op->topic, Pending{}).first;
  const std::string& topic = it->first;
  Pending& q = it->second;
  q.bytes += op->bodies.size();
  q.ops.push_back(std::move(op));
  if (q.ops.size() >= s.async_batch_max_messages || q.bytes >= s.async_batch_max_bytes) return flush_now(q, topic);
  if (q.ops.size() > 1) return;  // a flush is already scheduled
  // Linger 0: what reached the loop in this turn goes together, flushed at
  // the turn's end (no wake-up, no timer).
  uint64_t gen = ++q.generation;
  if (s.async_batch_linger_ms == 0 || closing) {
    io->at_turn_end([this, topic, gen] { flush(topic, gen); });
  } else {
    io->after(s.async_batch_linger_ms, [this, topic, gen] { flush(topic, gen); });
  }
}

void ferry_producer::flush_all() {
  closing = true;
  // flush_now runs each batch op, which never enqueues: the map is not
  // changed while it is walked.
  for (auto& [topic, q] : pending) flush_now(q, topic);
}

void ferry_producer::fail_pending() {
  for (auto& [topic, q] : pending) {
    auto ops = std::move(q.ops);
    q.ops.clear();
    q.bytes = 0;
    for (auto& op : ops)
      finish(op, Error{FERRY_E_CLOSED, "producer was shut down before the batch holding this send went out"});
  }
}

void ferry_producer::flush(const std::string& topic, uint64_t generation) {
  auto it = pending.find(topic);
  if (it == pending.end() || it->second.generation != generation) return;
  flush_now(it->second, topic);
}

void ferry_producer::flush_now(Pending& q, const std::string& topic) {
  auto ops = std::move(q.ops);
  q.ops.clear();
  q.bytes = 0;
  ++q.generation;  // a scheduled flush for these is void
  if (ops.empty()) return;
  if (ops.size() == 1) {
    ops[0]->batchable = false;
    return run(std::move(ops[0]));
  }
  auto batch = this->ops->acquire();
  batch->topic = topic;
  batch->handle = ops[0]->handle;
  // The members' messages stay in their ops: the batch op's own msgs are
  // not used (attempt encodes the members', bodies_attachment borrows their
  // bodies), so no message or body is copied and no op's vectors change
  // size (resizing a pooled op's msgs freed and allocated their strings).
  batch->deadline = ops[0]->deadline;
  for (const auto& m : ops) batch->deadline = std::min(batch->deadline, m->deadline);
  batch->out.uniq_key = ops[0]->out.uniq_key;
  batch->members = std::move(ops);
  batch->done = [this](Error e, const std::shared_ptr<SendOp>& b) {
    const Outcome& o = b->out;
    // Each member has its own result (take_answer wrote its queue, offset
    // and offset id); the members stay in the batch until it is recycled
    // (the transport may still hold their bodies).
    for (size_t i = 0; i < b->members.size(); ++i) {
      auto& m = b->members[i];
      m->out.attempts = o.attempts;  // its uniq_key is build_op's
      if (e.ok() && i < b->results_n) {
        finish(m, Error{});
      } else {
        m->out.broker = o.broker;
        finish(m, e.ok() ? Error{FERRY_E_BAD_FRAME, "batch answer holds fewer results than messages"} : e);
      }
    }
  };
  run(std::move(batch));
}

void ferry_producer::attempt(const std::shared_ptr<SendOp>& op, const SendRoute& qs) {
  uint64_t now = mono_ms();
  if (now >= op->deadline)
    return finish(op, Error{FERRY_E_TIMEOUT, "send timed out after " + std::to_string(op->out.attempts) +
                                                 " attempt(s) within " + std::to_string(s.send_timeout_ms) + " ms:" + op->errors});
  auto backed_off = [&](const std::string& name) {
    if (backoff_until.empty()) return false;
    auto b = backoff_until.find(name);
    return b != backoff_until.end() && b->second > now;
  };
  const SendQueue* q = nullptr;
  if (op->fixed) {
    q = &qs[op->fixed_index % qs.size()];
  } else {
    // Round robin; skip brokers in backoff and the one that just failed.
    const uint64_t at = rr++;
    for (size_t i = 0; i < qs.size() && !q; ++i) {
      const SendQueue& c = qs[(at + i) % qs.size()];
      const std::string& name = io->broker(c.broker).name;
      if (!backed_off(name) && name != op->last_failed_broker) q = &c;
    }
    if (!q) {
      for (size_t i = 0; i < qs.size() && !q; ++i) {
        const SendQueue& c = qs[(at + i) % qs.size()];
        if (io->broker(c.broker).name != op->last_failed_broker) q = &c;
      }
    }
    if (!q) q = &qs[at % qs.size()];
  }
  // Interned for the Io's life: the answer's callback keeps it uncounted.
  const BrokerRef* target = &io->broker(q->broker);
  const std::string& broker = target->name;
  int32_t qid = q->queue_id;
  // Back on a broker that just failed (no other to go to): if its connection
  // is down, wait for the reconnect within the deadline instead of burning
  // the retries in microseconds while the transport reconnects.
  Io::IfDown if_down = broker == op->last_failed_broker || backed_off(broker) ? Io::IfDown::kWait
                                                                            : Io::IfDown::kFail;
  ++op->out.attempts;
  uint32_t code = op->msgs.size() > 1 || !op->members.empty() ? FERRY_CODE_SEND_BATCH : FERRY_CODE_SEND_MESSAGE;
  std::span<const uint8_t> payload;
  if (op->members.empty()) {
    payload = send_encoder.encode(op->msgs, op->topic, s.group, qid);
  } else {
    wire_scratch.clear();
    for (const auto& m : op->members) wire_scratch.push_back(&m->msgs[0]);
    payload = send_encoder.encode_batch(wire_scratch, op->topic, s.group, qid);
  }
  op->target = target;
  op->target_qid = qid;
  op->answer_keep = op;  // the answer runs exactly once (request_broker), and moves it out
  io->request_broker(q->broker, code, payload, bodies_attachment(op, slice_scratch), static_cast<uint32_t>(op->deadline - now),
                     op->oneway, AnswerFn{this, op.get()}, if_down);
}

void ferry_producer::on_answer(SendOp* raw, const net::Response& r) {
  std::shared_ptr<SendOp> op = std::move(raw->answer_keep);
  const BrokerRef* target = op->target;
  if (op->oneway) {
    op->out.broker = target->name;
    op->out.queue_id = op->target_qid;
    return finish(op, r.status == FERRY_OK ? Error{} : Error{r.status, std::string(r.message)});
  }
  Error e;
  if (take_answer(op, target->name, r, &e)) return finish(op, std::move(e));
  retry(op, target->name, r.status);
}

void ferry_producer::complete_async(const std::shared_ptr<SendOp>& op, Error e) {
  completed.push_back(Completed{op, std::move(e)});
  // Armed by the turn's first completion; while stopping, shutdown
  // delivers them after the loop joined.
  if (completed.size() == 1 && !io->stopping()) io->at_turn_end([this] { deliver_completed(); });
}

void ferry_producer::deliver_completed() {
  if (completed.empty()) return;
  const size_t n = completed.size();
  if (s.callback_on_io_thread) {
    // Here, on this thread: a callback's own send completes in a later turn,
    // into `completed`, not into the batch being called.
    calling.swap(completed);
    completed.reserve(n);
    call_completed(calling);
    calling.clear();
    return;
  }
  auto batch = std::make_shared<std::vector<Completed>>();
  batch->swap(completed);
  completed.reserve(n);  // one allocation for the next turn's, not one per doubling
  bool posted = callbacks->post([this, batch] { call_completed(*batch); });
  if (!posted) end_ops(n);
}

void ferry_producer::call_completed(std::vector<Completed>& batch) {
  for (auto& c : batch) {
    ferry_send_result r = FERRY_STRUCT_INIT(ferry_send_result);
    fill_result(&r, c.e.status, c.op->out);
    c.op->async_cb(c.op->async_ud, c.e.status, &r, c.e.message.c_str());
    c.op.reset();  // back to the pool before the next callback
  }
  end_ops(batch.size());
}

bool ferry_producer::take_answer(const std::shared_ptr<SendOp>& op, const std::string& broker,
                                 const net::Response& r, Error* e) {
  if (r.status == FERRY_OK) {
    auto d = read_core<fbc::SendResponse>(r.payload);
    if (!d || !d->results() || d->results()->size() == 0) {
      *e = Error{FERRY_E_BAD_FRAME, "broker " + broker + " sent an unreadable SendResponse"};
      return true;
    }
    const auto* res = d->results()->Get(0);
    op->out.broker = broker;
    op->out.queue_id = res->queue_id();
    op->out.queue_offset = static_cast<int64_t>(res->queue_offset());
    // Into the recycled op's capacity (a temporary string would allocate).
    if (const auto* id = res->offset_msg_id()) {
      op->out.offset_msg_id.assign(id->data(), id->size());
    } else {
      op->out.offset_msg_id.clear();
    }
    if (!op->members.empty()) {
      // Straight into each member's result (its recycled strings' capacity):
      // no Outcome per member to allocate and copy again.
      const auto* xs = d->results();
      op->results_n = std::min<size_t>(xs->size(), op->members.size());
      for (size_t i = 0; i < op->results_n; ++i) {
        const auto* x = xs->Get(static_cast<flatbuffers::uoffset_t>(i));
        Outcome& o = op->members[i]->out;
        o.broker = broker;
        o.queue_id = x->queue_id();
        o.queue_offset = static_cast<int64_t>(x->queue_offset());
        if (const auto* id = x->offset_msg_id()) {
          o.offset_msg_id.assign(id->data(), id->size());
        } else {
          o.offset_msg_id.clear();
        }
      }
    }
    *e = Error{};
    return true;
  }
  std::string why = r.message.empty() ? ferry_status_str(r.status) : std::string(r.message);
  op->errors += " [" + broker + ": " + ferry_status_name(r.status) + " " + why + "]";
  if (!ferry_status_retriable(r.status) || op->out.attempts > s.send_retries) {
    *e = Error{r.status, "send to " + broker + " failed after " + std::to_string(op->out.attempts) +
                             " attempt(s):" + op->errors};
    return true;
  }
  return false;
}

void ferry_producer::retry(const std::shared_ptr<SendOp>& op, const std::string& broker, ferry_status st) {
  uint64_t until = mono_ms() + s.broker_backoff_ms;
  backoff_until[broker] = until;
  if (backoff_any_until.load(std::memory_order_relaxed) < until) backoff_any_until.store(until, std::memory_order_relaxed);
  op->last_failed_broker = broker;
  io->log(FERRY_LOG_INFO, "send to " + broker + " failed (" + ferry_status_name(st) + "), retrying");
  // The route cached now (a copy: the refresh replaces it) in case the
  // refresh leaves no writable queue; a failed refresh keeps it anyway.
  const SendRoute* now_cached = io->send_route(op->topic);
  io->route(op->topic, true, [this, op, before = now_cached ? *now_cached : SendRoute()](const Error&,
                                                                                          std::shared_ptr<const Route>) {
    const SendRoute* fresh = io->send_route(op->topic);
    if (fresh && !fresh->empty()) return attempt(op, *fresh);
    if (!before.empty()) return attempt(op, before);
    finish(op, no_writable_queue(op->topic));
  });
}

ferry_producer::Direct ferry_producer::send_direct(const std::shared_ptr<SendOp>& op, Error* e) {
  if (!s.sync_direct || op->oneway) return Direct::kNotSent;
  auto route = io->shared_route(op->topic);  // none yet: the I/O thread fetches it
  if (!route || route->write_queues.empty()) return Direct::kNotSent;
  uint64_t now = mono_ms();
  if (backoff_any_until.load(std::memory_order_relaxed) > now || now >= op->deadline) return Direct::kNotSent;
  const auto& qs = route->write_queues;
  const QueueKey& q = op->fixed ? qs[op->fixed_index % qs.size()] : qs[rr++ % qs.size()];
  auto master = route->masters.find(q.broker);
  if (master == route->masters.end()) return Direct::kNotSent;
  Lane* lane = lane_for(master->second);
  std::unique_lock hold(lane->mu, std::try_to_lock);
  if (!hold.owns_lock() || state.load() != HandleState::kStarted || lane->rest_until > now) return Direct::kNotSent;
  uint32_t code = op->msgs.size() > 1 ? FERRY_CODE_SEND_BATCH : FERRY_CODE_SEND_MESSAGE;
  auto payload = lane->encoder.encode(op->msgs, op->topic, s.group, q.queue_id);
  net::FrameView answer;
  std::string why;
  auto res = lane->lane.round_trip(code, payload, op->bodies, op->deadline, s.connect_timeout_ms, &answer, &why);
  if (res == DirectLane::Result::kNotSent) {
    if (!lane->lane.open()) lane->rest_until = mono_ms() + std::max<uint64_t>(s.broker_backoff_ms, 100);
    io->log(FERRY_LOG_DEBUG, why + "; sending through the I/O thread");
    return Direct::kNotSent;
  }
  ++op->out.attempts;
  net::Response r;
  if (res == DirectLane::Result::kAnswered) {
    r.status = static_cast<ferry_status>(answer.status);
    r.message = answer.message;
    r.payload = answer.payload;
  } else {
    r.status = res == DirectLane::Result::kTimedOut ? FERRY_E_TIMEOUT : FERRY_E_CONNECTION_CLOSED;
    r.message = why;
  }
  std::string broker = q.broker;
  if (take_answer(op, broker, r, e)) return Direct::kDone;
  hold.unlock();
  // Retriable (the broker went away, or refused for now): the I/O thread
  // backs off from it and goes on within the op's deadline.
  if (!io->post([this, op, broker, st = r.status] { retry(op, broker, st); })) {
    *e = Error{FERRY_E_CLOSED, "producer was shut down"};
    return Direct::kDone;
  }
  return Direct::kRetried;
}

void ferry_producer::close_lanes() {
  std::lock_guard lock(lanes_mu);
  for (auto& [addr, l] : lanes) {
    std::lock_guard hold(l->mu);  // waits out a round trip (bounded by its deadline)
    l->lane.close();
  }
}

void ferry_producer::linger() {
  if (s.sync_io_spin_us == 0 || lingering || io->stopping()) return;
  lingering = true;
  {
    std::lock_guard lock(direct_mu);
    io_listening = true;
  }
  auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(s.sync_io_spin_us);
  while (!direct_ready.load(std::memory_order_acquire) && std::chrono::steady_clock::now() < until) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }
  std::vector<std::shared_ptr<SendOp>> ops;
  {
    std::lock_guard lock(direct_mu);
    io_listening = false;
    direct_ready.store(false, std::memory_order_relaxed);
    ops.swap(direct_q);
  }
  for (auto& op : ops) run(op);  // a nested answer does not linger again
  lingering = false;
}

namespace {

std::vector<uint8_t> producer_heartbeat(const Settings& s) {
  flatbuffers::FlatBufferBuilder fbb(128);
  auto id = fbb.CreateString(s.client_id);
  std::vector<flatbuffers::Offset<flatbuffers::String>> groups{fbb.CreateString(s.group)};
  auto g = fbb.CreateVector(groups);
  return finish_core(fbb, fbc::CreateHeartbeatRequest(fbb, id, g, 0, fbb.CreateString("C"),
                                                     fbb.CreateString(ferry_client_version())));
}

// Runs an op and waits for it (sync sends). The op carries the promise and
// the outcome: no per-send promise or outcome copy is allocated.
ferry_status send_and_wait(ferry_producer* p, std::shared_ptr<SendOp> op, ferry_send_result* result,
                           char* errbuf, size_t errlen) {
  // From a callback run by callback_on_io_thread: the loop would wait for
  // its own turn until the send timed out.
  if (p->io->in_loop())
    return fail(errbuf, errlen, FERRY_E_STATE, "sync send called on the producer's own I/O thread (a callback with callback_on_io_thread)");
  op->done = [p](Error e, const std::shared_ptr<SendOp>& o) {
    o->sync_done.set(std::move(e), true);  // `out` is final: the caller reads it
    p->linger();
  };
  Error e;
  // Nothing else in flight: this send cannot overtake an earlier one, so it
  // may take the caller's own lane (no I/O-thread hand-off).
  auto direct = p->begin_op_alone() ? p->send_direct(op, &e) : ferry_producer::Direct::kNotSent;
  if (direct == ferry_producer::Direct::kDone) {
    p->end_op();
    fill_result(result, e.status, op->out);
    if (!e.ok()) return fail(errbuf, errlen, e.status, e.message);
    return FERRY_OK;
  }
  if (direct == ferry_producer::Direct::kNotSent && !p->submit_sync(op)) {
    p->end_op();
    return fail(errbuf, errlen, FERRY_E_CLOSED, "producer was shut down");
  }
  // The op ends itself at its deadline; the margin covers route lookups.
  uint64_t wait = p->s.send_timeout_ms + p->s.request_timeout_ms * (p->s.name_servers.size() + 1) + 1000;
  bool answered = op->sync_done.wait(wait, &e, nullptr, p->s.sync_spin_us);
  if (!answered) e = {FERRY_E_TIMEOUT, "send did not complete in time"};
  p->end_op();
  static const Outcome kNone;  // timed out: `out` may still be written by the loop
  fill_result(result, e.status, answered ? op->out : kNone);
  if (!e.ok()) return fail(errbuf, errlen, e.status, e.message);
  return FERRY_OK;
}

ferry_status check_send_args(ferry_producer* p, ferry_client_message* msg, char* errbuf, size_t errlen) {
  FERRY_REQUIRE_ARG(p, "producer");
  FERRY_REQUIRE_ARG(msg, "msg");
  return p->check_running(errbuf, errlen);
}

// An async send, by name (handle NULL) or through a topic handle.
ferry_status send_async(ferry_producer* p, ferry_producer_topic* handle, ferry_client_message* msg,
                        ferry_send_cb cb, void* user_data, char* errbuf, size_t errlen) {
  ferry_status st = check_send_args(p, msg, errbuf, errlen);
  if (st != FERRY_OK) return st;
  FERRY_REQUIRE_ARG(cb, "cb");
  if (handle && msg->topic_s != handle->name)
    return fail(errbuf, errlen, FERRY_E_INVALID_ARGUMENT,
                "message topic '" + msg->topic_s + "' is not the handle's ('" + handle->name + "')");
  auto op = p->ops->acquire();
  st = build_op(p, &msg, 1, op.get(), errbuf, errlen);
  if (st != FERRY_OK) return st;
  op->handle = handle;
  op->async_cb = cb;
  op->async_ud = user_data;
  // The op's `out` is final here; the turn's completions go together.
  op->done = [p](Error e, const std::shared_ptr<SendOp>& o) { p->complete_async(o, std::move(e)); };
  op->batchable = true;
  p->begin_op();
  if (!p->submit_async(op)) {
    op->done = nullptr;
    p->end_op();
    return fail(errbuf, errlen, FERRY_E_CLOSED, "producer was shut down");
  }
  return FERRY_OK;
}

}  // namespace

extern "C" {

FERRY_EXPORT ferry_status ferry_producer_new(const ferry_config* conf, ferry_producer** out, char* errbuf,
                                             size_t errlen) {
  return guarded(errbuf, errlen, [&] {
    FERRY_REQUIRE_ARG(out, "out");
    *out = nullptr;
    FERRY_REQUIRE_ARG(conf, "conf");
    auto p = std::make_unique<ferry_producer>();
    std::string why;
    ferry_status st = build_settings(*conf, true, &p->s, &why);
    if (st != FERRY_OK) return fail(errbuf, errlen, st, why);
    // A send's budget starts when it is made: a batch that lingers that long
    // would time out every send in it before it went.
    if (p->s.async_batch_max_messages > 1 && p->s.async_batch_linger_ms >= p->s.send_timeout_ms)
      return fail(errbuf, errlen, FERRY_E_CONFIG,
                  "async_batch_linger_ms (" + std::to_string(p->s.async_batch_linger_ms) +
                      ") must be below send_timeout_ms (" + std::to_string(p->s.send_timeout_ms) +
                      "): a send's timeout counts from when it is made, linger included");
    std::random_device rd;
    char prefix[16];
    snprintf(prefix, sizeof prefix, "%08X%04X", rd(), static_cast<unsigned>(getpid()) & 0xFFFF);
    p->uniq_prefix = prefix;
    p->io = std::make_unique<Io>(p->s);
    Settings s = p->s;
    p->io->set_heartbeat_source([s](bool) { return producer_heartbeat(s); });
    *out = p.release();
    return FERRY_OK;
  });
}

FERRY_EXPORT ferry_status ferry_producer_start(ferry_producer* p, char* errbuf, size_t errlen) {
  return guarded(errbuf, errlen, [&] {
    FERRY_REQUIRE_ARG(p, "producer");
    std::lock_guard lock(p->life_mu);
    if (p->state != HandleState::kNew)
      return fail(errbuf, errlen, p->state == HandleState::kClosed ? FERRY_E_CLOSED : FERRY_E_STATE,
                  "producer already started or shut down");
    ferry_status st = p->start_threads(errbuf, errlen);
    if (st != FERRY_OK) return st;
    p->state = HandleState::kStarted;
    return FERRY_OK;
  });
}

FERRY_EXPORT ferry_status ferry_producer_shutdown(ferry_producer* p, char* errbuf, size_t errlen) {
  return guarded(errbuf, errlen, [&] {
    FERRY_REQUIRE_ARG(p, "producer");
    if (p->on_own_thread())
      return fail(errbuf, errlen, FERRY_E_STATE, "shutdown called from the producer's own callback");
    std::lock_guard lock(p->life_mu);
    HandleState was = p->state.exchange(HandleState::kClosed);
    if (was != HandleState::kStarted) return FERRY_OK;
    // Queued batches go now: waiting out their linger would only delay
    // shutdown (stop() drops the linger timers). Posted behind the async
    // sends already submitted.
    p->io->post([p] { p->flush_all(); });
    {
      std::unique_lock lk(p->inflight_mu);
      p->inflight_cv.wait_for(lk, std::chrono::milliseconds(p->s.send_timeout_ms + p->s.request_timeout_ms + 1000),
                              [&] { return p->inflight.load(std::memory_order_acquire) == 0; });
    }
    unregister_everywhere(*p);
    p->close_lanes();
    p->io->stop();
    p->fail_unsubmitted();   // async sends whose drain the stopping loop dropped
    p->fail_pending();       // batches gathered too late to go out
    p->deliver_completed();  // the loop has joined: what its last turn(s) finished
    p->callbacks->stop();
    return FERRY_OK;
  });
}

FERRY_EXPORT void ferry_producer_destroy(ferry_producer* p) {
  if (!p) return;
  ferry_producer_shutdown(p, nullptr, 0);
  guarded_value<int>(0, [&] {
    delete p;
    return 0;
  });
}

FERRY_EXPORT ferry_status ferry_producer_send(ferry_producer* p, ferry_client_message* msg,
                                              ferry_send_result* result, char* errbuf, size_t errlen) {
  return guarded(errbuf, errlen, [&] {
    ferry_status st = check_send_args(p, msg, errbuf, errlen);
    if (st != FERRY_OK) return st;
    auto op = p->ops->acquire();
    st = build_op(p, &msg, 1, op.get(), errbuf, errlen);
    if (st != FERRY_OK) return st;
    return send_and_wait(p, op, result, errbuf, errlen);
  });
}

FERRY_EXPORT ferry_status ferry_producer_send_batch(ferry_producer* p, ferry_client_message* const* msgs,
                                                    size_t count, ferry_send_result* result, char* errbuf,
                                                    size_t errlen) {
  return guarded(errbuf, errlen, [&] {
    FERRY_REQUIRE_ARG(p, "producer");
    FERRY_REQUIRE_ARG(msgs, "msgs");
    ferry_status st = p->check_running(errbuf, errlen);
    if (st != FERRY_OK) return st;
    auto op = p->ops->acquire();
    st = build_op(p, msgs, count, op.get(), errbuf, errlen);
    if (st != FERRY_OK) return st;
    return send_and_wait(p, op, result, errbuf, errlen);
  });
}

FERRY_EXPORT ferry_status ferry_producer_send_async(ferry_producer* p, ferry_client_message* msg,
                                                    ferry_send_cb cb, void* user_data, char* errbuf,
                                                    size_t errlen) {
  return guarded(errbuf, errlen, [&] { return send_async(p, nullptr, msg, cb, user_data, errbuf, errlen); });
}

FERRY_EXPORT ferry_status ferry_producer_topic_open(ferry_producer* p, const char* topic, ferry_producer_topic** out,
                                                    char* errbuf, size_t errlen) {
  return guarded(errbuf, errlen, [&] {
    FERRY_REQUIRE_ARG(out, "out");
    *out = nullptr;
    FERRY_REQUIRE_ARG(p, "producer");
    FERRY_REQUIRE_ARG(topic, "topic");
    size_t tlen = std::strlen(topic);
    if (ferry_status st = ferry::sdk::check_topic_length(tlen, errbuf, errlen); st != FERRY_OK) return st;
    std::string_view name(topic, tlen);
    std::lock_guard lock(p->topics_mu);
    auto it = p->topic_index.find(name);
    if (it == p->topic_index.end()) {
      ferry_producer_topic& h = p->topic_store.emplace_back();
      h.owner = p;
      h.name.assign(name);
      it = p->topic_index.emplace(h.name, &h).first;
    }
    *out = it->second;
    return FERRY_OK;
  });
}

FERRY_EXPORT ferry_status ferry_producer_prepare(ferry_producer* p, const char* const* topics, size_t count,
                                                 char* errbuf, size_t errlen) {
  return guarded(errbuf, errlen, [&] {
    FERRY_REQUIRE_ARG(p, "producer");
    if (count > 0) FERRY_REQUIRE_ARG(topics, "topics");
    ferry_status st = p->check_running(errbuf, errlen);
    if (st != FERRY_OK) return st;
    std::vector<std::string> names;
    names.reserve(count);
    for (size_t i = 0; i < count; ++i) {
      if (!topics[i]) return fail(errbuf, errlen, FERRY_E_INVALID_ARGUMENT, "topic " + std::to_string(i) + " is NULL");
      size_t tlen = std::strlen(topics[i]);
      if (st = ferry::sdk::check_topic_length(tlen, errbuf, errlen); st != FERRY_OK) return st;
      names.emplace_back(topics[i], tlen);
    }
    if (names.empty()) return FERRY_OK;
    // Routes and the I/O thread's connections (async sends, and sync ones
    // while others are in flight).
    const uint64_t budget = p->s.send_timeout_ms + p->s.request_timeout_ms * (p->s.name_servers.size() + 1);
    const uint64_t deadline = mono_ms() + budget;
    std::vector<std::string> masters;
    Error e = p->call<std::vector<std::string>>(
        budget,
        [p, names = std::move(names)](std::shared_ptr<Promise<std::vector<std::string>>> pr) {
          p->io->prepare(names, [pr](const Error& err, std::vector<std::string> addrs) { pr->set(err, std::move(addrs)); });
        },
        &masters);
    // The sync sends' own lanes (sync_direct), opened here on the caller's
    // thread as a sync send would.
    if (p->s.sync_direct) {
      for (const std::string& addr : masters) {
        ferry_producer::Lane* lane = p->lane_for(addr);
        std::lock_guard hold(lane->mu);  // waits out a round trip (bounded by its deadline)
        std::string why;
        if (!lane->lane.open_now(deadline, p->s.connect_timeout_ms, &why))
          p->io->log(FERRY_LOG_DEBUG, why + "; sync sends go through the I/O thread until it opens");
      }
    }
    if (!e.ok()) return fail(errbuf, errlen, e.status, e.message);
    return FERRY_OK;
  });
}

FERRY_EXPORT ferry_status ferry_producer_send_async_topic(ferry_producer* p, ferry_producer_topic* topic,
                                                          ferry_client_message* msg, ferry_send_cb cb,
                                                          void* user_data, char* errbuf, size_t errlen) {
  return guarded(errbuf, errlen, [&] {
    FERRY_REQUIRE_ARG(topic, "topic");
    FERRY_REQUIRE_ARG(p, "producer");
    if (topic->owner != p)
      return fail(errbuf, errlen, FERRY_E_INVALID_ARGUMENT, "topic handle belongs to another producer");
    return send_async(p, topic, msg, cb, user_data, errbuf, errlen);
  });
}

FERRY_EXPORT ferry_status ferry_producer_send_oneway(ferry_producer* p, ferry_client_message* msg, char* errbuf,
                                                     size_t errlen) {
  return guarded(errbuf, errlen, [&] {
    ferry_status st = check_send_args(p, msg, errbuf, errlen);
    if (st != FERRY_OK) return st;
    auto op = p->ops->acquire();
    st = build_op(p, &msg, 1, op.get(), errbuf, errlen);
    if (st != FERRY_OK) return st;
    op->oneway = true;
    return send_and_wait(p, op, nullptr, errbuf, errlen);
  });
}

FERRY_EXPORT ferry_status ferry_producer_send_select(ferry_producer* p, ferry_client_message* msg,
                                                     ferry_queue_selector selector, void* user_data,
                                                     ferry_send_result* result, char* errbuf, size_t errlen) {
  return guarded(errbuf, errlen, [&] {
    ferry_status st = check_send_args(p, msg, errbuf, errlen);
    if (st != FERRY_OK) return st;
    FERRY_REQUIRE_ARG(selector, "selector");
    // The route is needed to know the queue count before asking the selector.
    size_t count = 0;
    std::string topic = msg->topic_s;
    Error e = p->call<size_t>(p->s.send_timeout_ms + p->s.request_timeout_ms * (p->s.name_servers.size() + 1),
                              [p, topic](std::shared_ptr<Promise<size_t>> pr) {
                                p->io->route(topic, false, [pr](const Error& err, std::shared_ptr<const Route> r) {
                                  if (!err.ok()) return pr->set(err);
                                  pr->set({}, r->write_queues.size());
                                });
                              },
                              &count);
    if (!e.ok()) return fail(errbuf, errlen, e.status, e.message);
    if (count == 0) return fail(errbuf, errlen, FERRY_E_NO_ROUTE, "topic '" + topic + "' has no writable queue");
    size_t pick = selector(user_data, msg, count);
    if (pick == FERRY_SELECTOR_ABORT)
      return fail(errbuf, errlen, FERRY_E_INVALID_ARGUMENT, "the queue selector aborted the send");
    auto op = p->ops->acquire();
    st = build_op(p, &msg, 1, op.get(), errbuf, errlen);
    if (st != FERRY_OK) return st;
    op->fixed = true;
    op->fixed_index = pick % count;
    return send_and_wait(p, op, result, errbuf, errlen);
  });
}

FERRY_EXPORT ferry_status ferry_producer_send_ordered(ferry_producer* p, ferry_client_message* msg, const void* key,
                                                      size_t key_len, ferry_send_result* result, char* errbuf,
                                                      size_t errlen) {
  return guarded(errbuf, errlen, [&] {
    if (!key && key_len) return fail(errbuf, errlen, FERRY_E_INVALID_ARGUMENT, "key is NULL");
    // FNV-1a: stable across processes and languages (same key -> same queue).
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < key_len; ++i) h = (h ^ static_cast<const unsigned char*>(key)[i]) * 1099511628211ull;
    return ferry_producer_send_select(
        p, msg, [](void* ud, const ferry_client_message*, size_t n) { return static_cast<size_t>(*static_cast<uint64_t*>(ud) % n); },
        &h, result, errbuf, errlen);
  });
}

FERRY_EXPORT ferry_status ferry_transaction_producer_new(const ferry_config* conf, ferry_check_transaction_cb check,
                                                         void* user_data, ferry_transaction_producer** out,
                                                         char* errbuf, size_t errlen) {
  return guarded(errbuf, errlen, [&] {
    (void)conf;
    (void)check;
    (void)user_data;
    if (out) *out = nullptr;
    return fail(errbuf, errlen, FERRY_E_NOT_SUPPORTED,
                "transactional producer is not supported yet (no transaction plugin behind the broker)");
  });
}

FERRY_EXPORT ferry_status ferry_transaction_producer_send(ferry_transaction_producer* tp, ferry_client_message* msg,
                                                          ferry_local_transaction_cb local, void* arg,
                                                          ferry_send_result* result, char* errbuf, size_t errlen) {
  return guarded(errbuf, errlen, [&] {
    (void)msg;
    (void)local;
    (void)arg;
    (void)result;
    FERRY_REQUIRE_ARG(tp, "transaction producer");
    return fail(errbuf, errlen, FERRY_E_NOT_SUPPORTED, "transactional producer is not supported yet");
  });
}

FERRY_EXPORT void ferry_transaction_producer_destroy(ferry_transaction_producer* tp) { (void)tp; }

}  // extern "C"
