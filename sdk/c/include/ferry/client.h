/*
 * ferry/client.h — libferry, the Ferry client: producers, consumers, admin.
 *
 * Plain C11. Link with `-lferry` (pkg-config `ferry`, CMake `Ferry::ferry`).
 * The shapes follow librdkafka and RocksDB's c.h; the semantics follow
 * RocketMQ's client (docs/sdk.md explains both).
 *
 * Conventions (hold for every declaration below):
 *  - Handles are opaque. Each kind has _new (allocates, validates config),
 *    _start (connects, starts threads), _shutdown (stops gracefully, blocks)
 *    and _destroy (shuts down if needed, frees). _destroy(NULL) is a no-op.
 *  - Every fallible function returns a ferry_status (ferry/status.h; FERRY_OK
 *    is 0) and writes a NUL-terminated explanation into `errbuf` (at most
 *    `errlen` bytes, truncated) when it fails. errbuf may be NULL (errlen 0).
 *    There is no hidden "last error": the text is only ever written there.
 *    On FERRY_OK errbuf is left untouched.
 *  - A NULL handle or a NULL required pointer gives FERRY_E_INVALID_ARGUMENT;
 *    a call on a handle that was shut down gives FERRY_E_CLOSED; a call
 *    before _start gives FERRY_E_STATE. Never a crash.
 *  - OWNERSHIP is written at each declaration. "borrowed" = valid only for
 *    the duration of the call (the library copies what it keeps); "owned by
 *    the caller" = free it with the named function.
 *  - Strings given to the library are NUL-terminated UTF-8. Bytes (bodies,
 *    sharding keys) are pointer + length. Strings the library hands out
 *    through accessors are pointer + length and NOT NUL-terminated unless
 *    stated.
 *  - Threads (DESIGN.md, "Client SDK threads"): every client handle owns one
 *    I/O thread (a libuv loop) that does all network work and runs no user
 *    code, except a concurrent push listener with consume_on_io_thread=true
 *    and async send callbacks with callback_on_io_thread=true.
 *    Async-send and async-commit completions run on the handle's one
 *    callback thread (or there, see above), in completion order. Push-consumer listeners run on the
 *    consumer's consume threads (`consume_threads`). A pull consumer's
 *    poll() runs on the caller's thread. The log callback may run on any of
 *    the handle's threads. Every callback receives the `user_data` given with
 *    it. A callback must not call _shutdown or _destroy on its own handle
 *    (FERRY_E_STATE).
 *  - All functions may be called from any thread unless stated; handles are
 *    thread-safe. "Blocks" says when a call may wait, and for how long.
 *  - No C++ exception ever leaves the library.
 *
 * Declared now, working later: delay levels / delivery times, SQL92
 * subscriptions and the transactional producer return FERRY_E_NOT_SUPPORTED
 * until the broker side exists; the declarations will not change.
 */
#ifndef FERRY_CLIENT_H
#define FERRY_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "ferry/abi.h"
#include "ferry/status.h"

FERRY_EXTERN_C_BEGIN

/* libferry's own version, "MAJOR.MINOR.PATCH". Static storage. */
#define FERRY_CLIENT_VERSION_MAJOR 0
#define FERRY_CLIENT_VERSION_MINOR 1
FERRY_EXPORT const char *ferry_client_version(void);

/* ferry_status_name / ferry_status_str (ferry/status.h) as exported
 * functions, for FFIs that cannot call static inline ones: the symbolic
 * name ("FERRY_E_BUSY") and the human text. Static storage; never NULL;
 * an unknown value gives "FERRY_E_UNKNOWN" / "unknown status". */
FERRY_EXPORT const char *ferry_client_status_name(ferry_status s);
FERRY_EXPORT const char *ferry_client_status_str(ferry_status s);

/* ====================================================================
 * Configuration: string keys, string values (docs/sdk.md lists them).
 * ==================================================================== */

typedef struct ferry_config ferry_config;

/* New empty configuration (every key at its default). OWNERSHIP: owned by
 * the caller; free with ferry_config_destroy. NULL only when out of memory. */
FERRY_EXPORT ferry_config *ferry_config_new(void);

/* Copy of `conf` (log callback included). NULL for a NULL conf or out of
 * memory. OWNERSHIP: owned by the caller. */
FERRY_EXPORT ferry_config *ferry_config_dup(const ferry_config *conf);

/* Frees conf. NULL is a no-op. */
FERRY_EXPORT void ferry_config_destroy(ferry_config *conf);

/*
 * Sets `key` to `value` (both borrowed, copied). An unknown key gives
 * FERRY_E_CONFIG naming the key and listing the valid ones; a value of the
 * wrong form or out of range gives FERRY_E_CONFIG naming the key, the value
 * and what is accepted. Nothing changes on error.
 *
 * Keys (defaults in brackets; durations in milliseconds, sizes in bytes):
 *   name_servers            "host:port;host:port" (required to start)
 *   client_id               [hostname@pid#n] identity sent to brokers
 *   group                   producer or consumer group [DEFAULT_GROUP]
 *   request_timeout_ms      [3000] admin / route / offset requests
 *   connect_timeout_ms      [3000]
 *   route_refresh_ms        [30000] routes re-read from the name servers
 *   heartbeat_interval_ms   [30000]
 *   send_timeout_ms         [3000] one budget for a send and all its retries
 *   send_retries            [2] extra attempts on retriable failures
 *   broker_backoff_ms       [3000] a broker that failed is avoided this long
 *   max_message_size        [4194304]
 *   message_model           [clustering] | broadcasting
 *   consume_from            [last] | first | timestamp
 *   consume_timestamp_ms    [0] with consume_from=timestamp (epoch ms)
 *   consume_threads         [4] push consumer listener threads
 *   consume_batch_size      [1] messages per concurrent-listener call
 *   consume_on_io_thread    [false] true: the concurrent listener runs on the
 *                           consumer's I/O thread right after each pull
 *                           answer, with no hand-off to a consume thread;
 *                           only for a listener that is short and never
 *                           blocks (meanwhile the consumer pulls, commits
 *                           and heartbeats nothing). Calls from it into its
 *                           own consumer get FERRY_E_STATE.
 *   pull_batch_size         [32] messages per pull request
 *   long_poll_ms            [15000] how long a broker may hold a pull
 *   pull_pipeline           [2] concurrent push consumer: pulls in flight per
 *                           queue (2: a second pull waits at the broker
 *                           behind the first, PullRequest.chain); 1: one
 *                           (an older broker reads both from the same
 *                           offset: the repeats are dropped)
 *   queue_max_cached_messages [1000] flow control per queue
 *   queue_max_cached_bytes  [104857600] flow control per queue
 *   rebalance_strategy      [average] | round_robin | consistent_hash
 *   rebalance_interval_ms   [20000]
 *   commit_interval_ms      [5000] offsets committed (and auto-commit)
 *   reconsume_delay_ms      [1000] RECONSUME_LATER / SUSPEND pause
 *   max_reconsume_times     [16] clustering push consumer: failures after the
 *                           first delivery before a message goes to the
 *                           group's dead-letter topic %DLQ%<group>
 *   lock_renew_ms           [20000] orderly consumer's queue lock renewal
 *   offset_store_dir        [./ferry_offsets] broadcasting offsets file dir
 *   enable_auto_commit      [true] pull consumer commits what poll returned
 *   log_level               [warn] trace|debug|info|warn|error|off
 *   sync_spin_us            [0] a sync send's thread checks for its answer
 *                           this long before sleeping
 *   sync_io_spin_us         [0] after a sync answer the I/O thread watches
 *                           this long for the producer's next sync send
 *   sync_direct             [true] a sync send with nothing else in flight
 *                           does its socket I/O on the caller's thread
 *   sync_direct_spin_us     [50] that send reads its answer without blocking
 *                           for up to this long first (adaptive per broker)
 *   busy_poll_us            [0] the I/O thread (and the direct lane) polls
 *                           without sleeping this long after I/O
 *   thread_policy           [normal] | batch: libferry's own threads run as
 *                           SCHED_BATCH (Linux)
 *   async_batch_max_messages [1] client-side batching of async sends: up to
 *                           this many sends of one topic go as one request
 *                           (1 = off); each keeps its own callback
 *   async_batch_max_bytes   [262144] a batch goes once its bodies reach this
 *   async_batch_linger_ms   [0] how long a batch's first send waits for more
 *   callback_on_io_thread   [false] true: a producer's async send callbacks
 *                           run on its I/O thread at the end of the loop turn
 *                           that took their answers, with no hand-off to the
 *                           callback thread; only for a callback that is
 *                           short and never blocks (meanwhile the producer
 *                           sends and reads nothing). A sync send or
 *                           shutdown called from it gets FERRY_E_STATE.
 * docs/sdk.md explains each key at length.
 * Blocks: no.
 */
FERRY_EXPORT ferry_status ferry_config_set(ferry_config *conf, const char *key, const char *value,
                                           char *errbuf, size_t errlen);

/* Reads `key`'s current value (default if never set) into out[0..outlen)
 * NUL-terminated; *needed (may be NULL) gets the length + 1 required.
 * FERRY_E_TOO_LARGE when outlen is too small (out then holds a truncated
 * value). FERRY_E_CONFIG for an unknown key. Blocks: no. */
FERRY_EXPORT ferry_status ferry_config_get(const ferry_config *conf, const char *key, char *out,
                                           size_t outlen, size_t *needed, char *errbuf,
                                           size_t errlen);

/* Log sink. `line` is borrowed for the call and NUL-terminated. Runs on any
 * of the handle's threads (I/O, callback, consume); must not block long and
 * must not call back into the handle. */
typedef void (*ferry_log_cb)(void *user_data, ferry_log_level level, const char *line);

/* Installs a log callback for handles created from conf (NULL: lines at or
 * above log_level go to stderr). user_data is stored, never freed. */
FERRY_EXPORT ferry_status ferry_config_set_log_cb(ferry_config *conf, ferry_log_cb cb,
                                                  void *user_data, char *errbuf, size_t errlen);

/* ====================================================================
 * Messages: one opaque type for messages to send and messages received.
 * (Named ferry_client_message: `ferry_message` is the plugin ABI's struct.)
 * ==================================================================== */

typedef struct ferry_client_message ferry_client_message;

/*
 * New message to send. topic borrowed (copied); body (len bytes, may be NULL
 * when len is 0) borrowed and copied. OWNERSHIP: *out is owned by the
 * caller; free with ferry_message_destroy. A message may be sent several
 * times; a send never takes ownership. Blocks: no.
 */
FERRY_EXPORT ferry_status ferry_message_new(const char *topic, const void *body, size_t len,
                                            ferry_client_message **out, char *errbuf,
                                            size_t errlen);

/* Frees a message (one made by ferry_message_new or handed out by poll or a
 * query). Never call it on a message borrowed by a listener. NULL: no-op. */
FERRY_EXPORT void ferry_message_destroy(ferry_client_message *msg);

/*
 * Makes an outgoing message what ferry_message_new(topic, body, len) would
 * have made — no tags, keys or properties, flag 0, and no UNIQ_KEY (the next
 * send stamps a fresh msg id: it is a new message) — reusing its memory, so
 * a sender that resets one message per send instead of new + destroy
 * allocates nothing for it once warm. A send copies the message's bytes
 * before it returns (async included), so the message may be reset as soon
 * as the send call returns. topic and body borrowed and copied (body may be
 * NULL when len is 0). OWNERSHIP: unchanged (the caller's). THREAD: any, but
 * not while another call uses msg. FERRY_E_STATE on a received message.
 * Blocks: no.
 */
FERRY_EXPORT ferry_status ferry_message_reset(ferry_client_message *msg, const char *topic,
                                              const void *body, size_t len, char *errbuf,
                                              size_t errlen);

/* Setters for messages to send (FERRY_E_STATE on a received message). All
 * strings borrowed and copied; none may contain bytes \x01 or \x02. */
FERRY_EXPORT ferry_status ferry_message_set_tags(ferry_client_message *msg, const char *tags,
                                                 char *errbuf, size_t errlen);
/* Business keys, space-separated ("order-1 user-7"): query by key finds them. */
FERRY_EXPORT ferry_status ferry_message_set_keys(ferry_client_message *msg, const char *keys,
                                                 char *errbuf, size_t errlen);
/* A user property. Reserved names (TAGS, KEYS, UNIQ_KEY, DELAY, ...) are
 * refused with FERRY_E_RESERVED_NAME; use the dedicated setters. */
FERRY_EXPORT ferry_status ferry_message_set_property(ferry_client_message *msg, const char *name,
                                                     const char *value, char *errbuf,
                                                     size_t errlen);
/* User flag stored with the message. */
FERRY_EXPORT ferry_status ferry_message_set_flag(ferry_client_message *msg, int32_t flag,
                                                 char *errbuf, size_t errlen);
/* Declared, working later: delay level 1..18 / delivery at an epoch ms.
 * Today: FERRY_E_NOT_SUPPORTED (the message is left unchanged). */
FERRY_EXPORT ferry_status ferry_message_set_delay_level(ferry_client_message *msg, int32_t level,
                                                        char *errbuf, size_t errlen);
FERRY_EXPORT ferry_status ferry_message_set_deliver_at(ferry_client_message *msg,
                                                       int64_t epoch_ms, char *errbuf,
                                                       size_t errlen);

/*
 * Accessors (any message). Returned pointers are borrowed from `msg`: valid
 * until msg is destroyed (or, for a listener's message, until the listener
 * returns) and until the next setter call on it. *len may be NULL. Absent
 * values give pointer NULL and length 0 (numbers: -1). None blocks.
 */
FERRY_EXPORT const char *ferry_message_topic(const ferry_client_message *msg, size_t *len);
FERRY_EXPORT const void *ferry_message_body(const ferry_client_message *msg, size_t *len);
FERRY_EXPORT const char *ferry_message_tags(const ferry_client_message *msg, size_t *len);
FERRY_EXPORT const char *ferry_message_keys(const ferry_client_message *msg, size_t *len);
/* Any property by name, the reserved ones included. name borrowed. */
FERRY_EXPORT const char *ferry_message_property(const ferry_client_message *msg, const char *name,
                                                size_t *len);
/* Unique message id (UNIQ_KEY), set by the client at its first send. */
FERRY_EXPORT const char *ferry_message_msg_id(const ferry_client_message *msg, size_t *len);
/* Broker-assigned id (store address + commit offset, hex); received only. */
FERRY_EXPORT const char *ferry_message_offset_msg_id(const ferry_client_message *msg, size_t *len);
/* Name of the broker group the message was received from; received only. */
FERRY_EXPORT const char *ferry_message_broker_name(const ferry_client_message *msg, size_t *len);
FERRY_EXPORT int32_t ferry_message_queue_id(const ferry_client_message *msg);
FERRY_EXPORT int64_t ferry_message_queue_offset(const ferry_client_message *msg);
FERRY_EXPORT int64_t ferry_message_commit_offset(const ferry_client_message *msg);
FERRY_EXPORT int64_t ferry_message_store_timestamp(const ferry_client_message *msg);
FERRY_EXPORT int64_t ferry_message_born_timestamp(const ferry_client_message *msg);
FERRY_EXPORT int32_t ferry_message_reconsume_times(const ferry_client_message *msg);
FERRY_EXPORT int32_t ferry_message_flag(const ferry_client_message *msg);

/* ====================================================================
 * Producer
 * ==================================================================== */

typedef struct ferry_producer ferry_producer;

/* Result of a send. The caller sets struct_size (FERRY_STRUCT_INIT); the
 * library writes only the fields that fit below it. Strings are
 * NUL-terminated (truncated to the array). */
typedef struct ferry_send_result {
  uint32_t struct_size;
  ferry_status status;        /* FERRY_OK, or why the send failed */
  char msg_id[64];            /* UNIQ_KEY the client gave the message */
  char offset_msg_id[64];     /* broker's offset id (broker + commit offset) */
  char broker_name[128];      /* broker group that stored it */
  int32_t queue_id;
  int64_t queue_offset;       /* batch: the first message's; the rest follow */
  uint32_t attempts;          /* 1 + retries used */
} ferry_send_result;

/*
 * New producer. conf borrowed (copied; keys validated again here). Uses
 * name_servers, group, send_timeout_ms, send_retries, broker_backoff_ms,
 * route_refresh_ms, ... OWNERSHIP: *out owned by the caller; free with
 * ferry_producer_destroy. Blocks: no (threads start at _start).
 */
FERRY_EXPORT ferry_status ferry_producer_new(const ferry_config *conf, ferry_producer **out,
                                             char *errbuf, size_t errlen);

/* Starts the I/O and callback threads; connects lazily. FERRY_E_STATE if
 * already started. Blocks: briefly (thread start). */
FERRY_EXPORT ferry_status ferry_producer_start(ferry_producer *p, char *errbuf, size_t errlen);

/*
 * Graceful stop: refuses new sends (FERRY_E_CLOSED), waits for sends in
 * flight to complete (each bounded by its send timeout) and for their
 * callbacks to have run, unregisters from the brokers, stops the threads.
 * Idempotent. Blocks: up to send_timeout_ms + request_timeout_ms.
 * FERRY_E_STATE when called from one of the producer's own callbacks.
 */
FERRY_EXPORT ferry_status ferry_producer_shutdown(ferry_producer *p, char *errbuf, size_t errlen);

/* Shuts down (if needed) and frees. NULL: no-op. Not from a callback. */
FERRY_EXPORT void ferry_producer_destroy(ferry_producer *p);

/*
 * Sync send. msg borrowed (the client sets its UNIQ_KEY if absent, visible
 * through ferry_message_msg_id afterwards). The queue is chosen round robin
 * over the topic's writable queues, avoiding brokers that failed within
 * broker_backoff_ms. Retriable failures (ferry_status_retriable) are retried
 * on another broker, at most send_retries times, all within ONE
 * send_timeout_ms budget. result may be NULL. Returns the final status;
 * FERRY_E_NO_ROUTE when no name server knows the topic,
 * FERRY_E_NO_NAME_SERVER when none answers and no route is cached.
 * FERRY_E_STATE when called from an async callback that runs on the
 * producer's I/O thread (callback_on_io_thread): it would wait for itself.
 * Blocks: up to send_timeout_ms.
 */
FERRY_EXPORT ferry_status ferry_producer_send(ferry_producer *p, ferry_client_message *msg,
                                              ferry_send_result *result, char *errbuf,
                                              size_t errlen);

/* Completion of an async send: status is the final one (after retries);
 * result is borrowed for the call (never NULL); error is borrowed,
 * NUL-terminated, "" on success. Runs on the producer's callback thread
 * (with callback_on_io_thread=true: its I/O thread, so it must be short and
 * never block), exactly once per accepted send, in completion order. */
typedef void (*ferry_send_cb)(void *user_data, ferry_status status,
                              const ferry_send_result *result, const char *error);

/*
 * Async send: same selection and retry rules as the sync send, same single
 * timeout budget. msg borrowed (its bytes are copied before return). When
 * this returns an error the callback is never called. Blocks: no.
 */
FERRY_EXPORT ferry_status ferry_producer_send_async(ferry_producer *p, ferry_client_message *msg,
                                                    ferry_send_cb cb, void *user_data,
                                                    char *errbuf, size_t errlen);

/*
 * A producer's handle on one topic (as librdkafka's rd_kafka_topic_t): sends
 * through it find the topic's cached route through the handle instead of
 * looking the name up per send, which is what a send costs per topic when
 * thousands are written at once. Sends by name keep working alongside.
 * OWNERSHIP: the producer owns the handle (never freed by the caller); it is
 * valid until ferry_producer_destroy. Opening the same name again returns
 * the same handle. THREAD: any; a handle may be used from several threads.
 * Blocks: no (takes a short lock; the route is fetched by the first send,
 * as for a send by name, unless ferry_producer_prepare fetched it). FERRY_E_INVALID_NAME for an empty or over-long
 * name (as ferry_message_new).
 */
typedef struct ferry_producer_topic ferry_producer_topic;
FERRY_EXPORT ferry_status ferry_producer_topic_open(ferry_producer *p, const char *topic,
                                                    ferry_producer_topic **out, char *errbuf,
                                                    size_t errlen);

/*
 * Readies the producer to send to `topics` before its first send: fetches
 * their routes (many topics in a few GET_ROUTES requests) and opens the
 * connections to every master broker they name (the I/O thread's, greeted
 * with a heartbeat, and with sync_direct the sync sends' own), so the first
 * send to each topic pays neither a route lookup nor a connect. Optional:
 * a topic not prepared is routed by its first send, as before; routes are
 * refreshed as usual afterwards. topics borrowed (count names; count 0:
 * nothing to do). Returns FERRY_OK once every route is cached and every
 * master answered; else the first failure — FERRY_E_NO_ROUTE (a name server
 * does not know a topic), FERRY_E_NO_NAME_SERVER, FERRY_E_NOT_CONNECTED,
 * FERRY_E_TIMEOUT — with the other topics still readied. FERRY_E_STATE
 * before ferry_producer_start, FERRY_E_INVALID_NAME for a bad name.
 * THREAD: any.
 * Blocks: yes, up to send_timeout_ms + request_timeout_ms x (name servers
 * + 1): call it at start-up, not on a hot path.
 */
FERRY_EXPORT ferry_status ferry_producer_prepare(ferry_producer *p, const char *const *topics,
                                                 size_t count, char *errbuf, size_t errlen);

/* ferry_producer_send_async through a topic handle of the same producer;
 * msg's topic must be the handle's (FERRY_E_INVALID_ARGUMENT otherwise).
 * Same rules, callback and blocking as ferry_producer_send_async. */
FERRY_EXPORT ferry_status ferry_producer_send_async_topic(ferry_producer *p,
                                                          ferry_producer_topic *topic,
                                                          ferry_client_message *msg,
                                                          ferry_send_cb cb, void *user_data,
                                                          char *errbuf, size_t errlen);

/* Oneway: written to one broker, no answer awaited, no retry. Returns once
 * the request is handed to the I/O thread (FERRY_OK) or could not be
 * (no route...). msg borrowed. Blocks: only to fetch an unknown route (up to
 * send_timeout_ms). */
FERRY_EXPORT ferry_status ferry_producer_send_oneway(ferry_producer *p, ferry_client_message *msg,
                                                     char *errbuf, size_t errlen);

/*
 * Batch: 1..max messages of ONE topic stored together in one queue, in
 * order (result->queue_offset is the first one's). msgs and each message
 * borrowed. Retried like a sync send. Blocks: up to send_timeout_ms.
 */
FERRY_EXPORT ferry_status ferry_producer_send_batch(ferry_producer *p,
                                                    ferry_client_message *const *msgs, size_t count,
                                                    ferry_send_result *result, char *errbuf,
                                                    size_t errlen);

/*
 * Ordered send: messages with equal sharding keys go to the same queue
 * (hash of the key over the topic's queues, sorted by broker then queue id),
 * so a consumer reads them in send order. Retries stay on that queue (never
 * reorder). key borrowed (key_len bytes). Blocks: up to send_timeout_ms.
 */
FERRY_EXPORT ferry_status ferry_producer_send_ordered(ferry_producer *p, ferry_client_message *msg,
                                                      const void *key, size_t key_len,
                                                      ferry_send_result *result, char *errbuf,
                                                      size_t errlen);

/* Picks a queue: returns an index in [0, queue_count) (taken modulo
 * queue_count), or FERRY_SELECTOR_ABORT to send nothing. msg borrowed. Runs
 * on the calling thread of ferry_producer_send_select, before the send. */
typedef size_t (*ferry_queue_selector)(void *user_data, const ferry_client_message *msg,
                                       size_t queue_count);

/* A selector's "do not send": ferry_producer_send_select then sends nothing
 * and returns FERRY_E_INVALID_ARGUMENT ("the queue selector aborted the
 * send"). Bindings use it when their callback raised. */
#define FERRY_SELECTOR_ABORT ((size_t)-1)

/* Sync send to the queue a selector picks (same order as send_ordered).
 * Blocks: up to send_timeout_ms. */
FERRY_EXPORT ferry_status ferry_producer_send_select(ferry_producer *p, ferry_client_message *msg,
                                                     ferry_queue_selector selector,
                                                     void *user_data, ferry_send_result *result,
                                                     char *errbuf, size_t errlen);

/* ---- transactional producer: declared, working later ---- */

typedef enum ferry_transaction_state {
  FERRY_TRANSACTION_COMMIT = 0,
  FERRY_TRANSACTION_ROLLBACK = 1,
  FERRY_TRANSACTION_UNKNOWN = 2
} ferry_transaction_state;

/* Runs the local transaction for a half message (on the sending thread). */
typedef ferry_transaction_state (*ferry_local_transaction_cb)(void *user_data,
                                                              const ferry_client_message *msg,
                                                              void *arg);
/* Answers a broker's check-back (on the callback thread). */
typedef ferry_transaction_state (*ferry_check_transaction_cb)(void *user_data,
                                                              const ferry_client_message *msg);

typedef struct ferry_transaction_producer ferry_transaction_producer;

/* Today: FERRY_E_NOT_SUPPORTED, *out set to NULL. */
FERRY_EXPORT ferry_status ferry_transaction_producer_new(const ferry_config *conf,
                                                         ferry_check_transaction_cb check,
                                                         void *user_data,
                                                         ferry_transaction_producer **out,
                                                         char *errbuf, size_t errlen);
/* Today: FERRY_E_NOT_SUPPORTED (FERRY_E_INVALID_ARGUMENT for NULL tp). */
FERRY_EXPORT ferry_status ferry_transaction_producer_send(ferry_transaction_producer *tp,
                                                          ferry_client_message *msg,
                                                          ferry_local_transaction_cb local,
                                                          void *arg, ferry_send_result *result,
                                                          char *errbuf, size_t errlen);
FERRY_EXPORT void ferry_transaction_producer_destroy(ferry_transaction_producer *tp);

/* ====================================================================
 * Queues
 * ==================================================================== */

/* One message queue: (topic, broker group, queue id). Strings borrowed. */
typedef struct ferry_queue_ref {
  uint32_t struct_size;
  const char *topic;
  const char *broker_name;
  int32_t queue_id;
} ferry_queue_ref;

/* ====================================================================
 * Push consumer: the client pulls (long polling) and calls a listener.
 * ==================================================================== */

typedef struct ferry_push_consumer ferry_push_consumer;

typedef enum ferry_consume_status {
  FERRY_CONSUME_SUCCESS = 0,
  /* Clustering: each message is sent back to its broker, which delivers a
   * copy again from the group's retry topic %RETRY%<group> (under the
   * original topic, reconsume_times + 1), or moves it to %DLQ%<group> once
   * max_reconsume_times is used up; the queue's commit then moves on. If the
   * broker does not take it, and always in broadcasting: */
  /* Deliver these messages again after reconsume_delay_ms; the committed
   * offset never passes them meanwhile. */
  FERRY_CONSUME_RECONSUME_LATER = 1
} ferry_consume_status;

typedef enum ferry_orderly_status {
  FERRY_ORDERLY_SUCCESS = 0,
  /* Stop this queue for reconsume_delay_ms, then deliver the same messages
   * again; nothing after them is delivered meanwhile. */
  FERRY_ORDERLY_SUSPEND = 1
} ferry_orderly_status;

/* Concurrent listener: 1..consume_batch_size messages of one queue. msgs and
 * the messages are borrowed for the call. Runs on one of the consumer's
 * consume threads; several calls run at once (other batches, other queues).
 * With consume_on_io_thread=true it runs on the consumer's I/O thread
 * instead, one call at a time, and must not block. */
typedef ferry_consume_status (*ferry_concurrent_listener)(void *user_data,
                                                          ferry_client_message *const *msgs,
                                                          size_t count);

/* Orderly listener: messages of one queue in queue order; at most one call
 * per queue at a time, while this client holds the queue's broker lock.
 * Borrowed as above; runs on a consume thread. */
typedef ferry_orderly_status (*ferry_orderly_listener)(void *user_data,
                                                       ferry_client_message *const *msgs,
                                                       size_t count);

/* New push consumer (group, message_model, consume_from, consume_threads,
 * ...). conf borrowed. OWNERSHIP: *out owned; ferry_push_consumer_destroy. */
FERRY_EXPORT ferry_status ferry_push_consumer_new(const ferry_config *conf,
                                                  ferry_push_consumer **out, char *errbuf,
                                                  size_t errlen);

/* Subscribes to `topic` with a tag expression ("*" or "" = all,
 * "TagA || TagB"). Before _start. Strings borrowed. A second subscribe to the
 * same topic replaces the expression. */
FERRY_EXPORT ferry_status ferry_push_consumer_subscribe(ferry_push_consumer *c, const char *topic,
                                                        const char *tag_expression, char *errbuf,
                                                        size_t errlen);
/* Declared, working later: FERRY_E_NOT_SUPPORTED today. */
FERRY_EXPORT ferry_status ferry_push_consumer_subscribe_sql92(ferry_push_consumer *c,
                                                              const char *topic,
                                                              const char *sql, char *errbuf,
                                                              size_t errlen);

/* Exactly one listener, set before _start. user_data stored, never freed. */
FERRY_EXPORT ferry_status ferry_push_consumer_set_listener(ferry_push_consumer *c,
                                                           ferry_concurrent_listener listener,
                                                           void *user_data, char *errbuf,
                                                           size_t errlen);
FERRY_EXPORT ferry_status ferry_push_consumer_set_orderly_listener(
    ferry_push_consumer *c, ferry_orderly_listener listener, void *user_data, char *errbuf,
    size_t errlen);

/* Starts: heartbeats, rebalance (at once, every rebalance_interval_ms and on
 * the broker's membership notification), pulls, listeners. Needs a listener
 * and at least one subscription. Blocks: until the first route lookup is done
 * (up to request_timeout_ms per name server). */
FERRY_EXPORT ferry_status ferry_push_consumer_start(ferry_push_consumer *c, char *errbuf,
                                                    size_t errlen);

/*
 * Graceful stop: stops pulling, lets running listener calls finish, drops
 * cached messages not yet delivered, commits every offset synchronously (a
 * restart re-delivers nothing acknowledged), releases queue locks,
 * unregisters. Idempotent. Blocks: up to the running listeners' time +
 * request_timeout_ms. FERRY_E_STATE from a listener.
 */
FERRY_EXPORT ferry_status ferry_push_consumer_shutdown(ferry_push_consumer *c, char *errbuf,
                                                       size_t errlen);
FERRY_EXPORT void ferry_push_consumer_destroy(ferry_push_consumer *c);

/* Number of queues this consumer currently owns (after rebalance), not
 * counting its group's retry queue (%RETRY%<group>, clustering). */
FERRY_EXPORT size_t ferry_push_consumer_queue_count(ferry_push_consumer *c);

/* Messages this consumer had pulled past its committed offset on queues it
 * gave up — at a rebalance or at shutdown — summed since start. The next
 * owner starts at the committed offset, so at most this many can be
 * delivered twice (the at-least-once duplicates). Counted from the commit
 * before the last one (a next owner may have read the offset just before
 * it). Readable after shutdown; 0 for NULL. */
FERRY_EXPORT uint64_t ferry_push_consumer_handover_uncommitted(ferry_push_consumer *c);

/* ====================================================================
 * Pull (lite) consumer: poll() on the caller's thread.
 * ==================================================================== */

typedef struct ferry_pull_consumer ferry_pull_consumer;

FERRY_EXPORT ferry_status ferry_pull_consumer_new(const ferry_config *conf,
                                                  ferry_pull_consumer **out, char *errbuf,
                                                  size_t errlen);

/* Subscribe (group-managed: queues rebalanced among the group's members) —
 * before _start. Strings borrowed. Not combinable with _assign. */
FERRY_EXPORT ferry_status ferry_pull_consumer_subscribe(ferry_pull_consumer *c, const char *topic,
                                                        const char *tag_expression, char *errbuf,
                                                        size_t errlen);
/* Declared, working later: FERRY_E_NOT_SUPPORTED today. */
FERRY_EXPORT ferry_status ferry_pull_consumer_subscribe_sql92(ferry_pull_consumer *c,
                                                              const char *topic, const char *sql,
                                                              char *errbuf, size_t errlen);

/* Assign exact queues (no rebalance); replaces any earlier assignment. May
 * be called before or after _start. queues borrowed (copied). Each queue
 * starts at its committed offset, else per consume_from. */
FERRY_EXPORT ferry_status ferry_pull_consumer_assign(ferry_pull_consumer *c,
                                                     const ferry_queue_ref *queues, size_t count,
                                                     char *errbuf, size_t errlen);

/* The topic's readable queues from the name servers. OWNERSHIP: *out is an
 * array of *count refs owned by the caller, freed (strings included) with
 * ferry_queue_refs_free. Blocks: up to request_timeout_ms per name server. */
FERRY_EXPORT ferry_status ferry_pull_consumer_fetch_queues(ferry_pull_consumer *c,
                                                           const char *topic,
                                                           ferry_queue_ref **out, size_t *count,
                                                           char *errbuf, size_t errlen);
FERRY_EXPORT void ferry_queue_refs_free(ferry_queue_ref *refs, size_t count);

FERRY_EXPORT ferry_status ferry_pull_consumer_start(ferry_pull_consumer *c, char *errbuf,
                                                    size_t errlen);

/*
 * Waits up to timeout_ms for messages and returns up to `max` of them in
 * msgs[0..*count). *count 0 with FERRY_OK = nothing within the timeout.
 * OWNERSHIP: each returned message is owned by the caller (ferry_message_
 * destroy). With enable_auto_commit, what poll returned is committed at the
 * next commit interval. Runs entirely on the calling thread (the I/O thread
 * prefetches). Blocks: up to timeout_ms.
 */
FERRY_EXPORT ferry_status ferry_pull_consumer_poll(ferry_pull_consumer *c, int32_t timeout_ms,
                                                   ferry_client_message **msgs, size_t max,
                                                   size_t *count, char *errbuf, size_t errlen);

/* Commits, for every owned queue, the offset after the last message poll
 * returned. Sync blocks up to request_timeout_ms. */
FERRY_EXPORT ferry_status ferry_pull_consumer_commit_sync(ferry_pull_consumer *c, char *errbuf,
                                                          size_t errlen);
/* Completion of an async commit: on the consumer's callback thread. error
 * borrowed, "" on success. */
typedef void (*ferry_commit_cb)(void *user_data, ferry_status status, const char *error);
/* Async commit: the callback (may be NULL) runs once unless this returns an
 * error. Blocks: no. */
FERRY_EXPORT ferry_status ferry_pull_consumer_commit_async(ferry_pull_consumer *c,
                                                           ferry_commit_cb cb, void *user_data,
                                                           char *errbuf, size_t errlen);

/* Next poll of `queue` (borrowed) starts at offset. Prefetched messages of
 * that queue are dropped. FERRY_E_NOT_FOUND when the queue is not owned. */
FERRY_EXPORT ferry_status ferry_pull_consumer_seek(ferry_pull_consumer *c,
                                                   const ferry_queue_ref *queue, int64_t offset,
                                                   char *errbuf, size_t errlen);
/* Seek to the first message stored at or after epoch_ms. Blocks: up to
 * request_timeout_ms. */
FERRY_EXPORT ferry_status ferry_pull_consumer_seek_timestamp(ferry_pull_consumer *c,
                                                             const ferry_queue_ref *queue,
                                                             int64_t epoch_ms, char *errbuf,
                                                             size_t errlen);

/* Commits (if auto-commit) synchronously, stops prefetching, unregisters.
 * Idempotent. Blocks: up to request_timeout_ms + long_poll_ms. */
FERRY_EXPORT ferry_status ferry_pull_consumer_shutdown(ferry_pull_consumer *c, char *errbuf,
                                                       size_t errlen);
FERRY_EXPORT void ferry_pull_consumer_destroy(ferry_pull_consumer *c);

/* ====================================================================
 * Admin (what ferryctl builds on). Queries answer JSON documents whose
 * shapes docs/sdk.md lists; OWNERSHIP: *json_out is owned by the caller,
 * NUL-terminated, freed with ferry_string_free. Every call blocks up to
 * request_timeout_ms per server it asks.
 * ==================================================================== */

typedef struct ferry_admin ferry_admin;

/* Topic settings for create / update. perm: FERRY_PERM_* bits of
 * ferry/host.h (6 = read + write). */
typedef struct ferry_topic_settings {
  uint32_t struct_size;
  const char *name;          /* borrowed */
  uint32_t read_queues;
  uint32_t write_queues;
  uint32_t perm;
  uint32_t flags;            /* FERRY_TOPIC_ORDERED, ... */
} ferry_topic_settings;

FERRY_EXPORT void ferry_string_free(char *s);

FERRY_EXPORT ferry_status ferry_admin_new(const ferry_config *conf, ferry_admin **out,
                                          char *errbuf, size_t errlen);
FERRY_EXPORT ferry_status ferry_admin_start(ferry_admin *a, char *errbuf, size_t errlen);
FERRY_EXPORT ferry_status ferry_admin_shutdown(ferry_admin *a, char *errbuf, size_t errlen);
FERRY_EXPORT void ferry_admin_destroy(ferry_admin *a);

/* `target`: a broker address "host:port", or a cluster name (every master
 * of that cluster, from the name servers). Create fails with
 * FERRY_E_ALREADY_EXISTS on a broker that has it; update with
 * FERRY_E_TOPIC_NOT_FOUND. The first failure is returned (earlier brokers
 * keep the change; the message names each broker's outcome). */
FERRY_EXPORT ferry_status ferry_admin_create_topic(ferry_admin *a, const char *target,
                                                   const ferry_topic_settings *topic, char *errbuf,
                                                   size_t errlen);
FERRY_EXPORT ferry_status ferry_admin_update_topic(ferry_admin *a, const char *target,
                                                   const ferry_topic_settings *topic, char *errbuf,
                                                   size_t errlen);
FERRY_EXPORT ferry_status ferry_admin_delete_topic(ferry_admin *a, const char *target,
                                                   const char *topic, char *errbuf, size_t errlen);

/* {"topics":["a","b"]} — from the name servers. */
FERRY_EXPORT ferry_status ferry_admin_topic_list(ferry_admin *a, char **json_out, char *errbuf,
                                                 size_t errlen);
/* {"topic":..,"queues":[{"broker":..,"read":n,"write":n,"perm":n}],
 *  "brokers":[{"cluster":..,"broker":..,"addresses":{"0":"host:port"}}]} */
FERRY_EXPORT ferry_status ferry_admin_topic_route(ferry_admin *a, const char *topic,
                                                  char **json_out, char *errbuf, size_t errlen);
/* {"clusters":[{"name":..,"brokers":[...]}]} */
FERRY_EXPORT ferry_status ferry_admin_cluster_info(ferry_admin *a, char **json_out, char *errbuf,
                                                   size_t errlen);
/* Min and max offset of one queue (borrowed ref). */
FERRY_EXPORT ferry_status ferry_admin_queue_range(ferry_admin *a, const ferry_queue_ref *queue,
                                                  int64_t *min_offset, int64_t *max_offset,
                                                  char *errbuf, size_t errlen);
/* Committed offsets and lag of a group on a topic (topic may be NULL: every
 * topic the group committed), summed over the topic's brokers:
 * {"group":..,"total_lag":n,"queues":[{"topic":..,"broker":..,"queue":n,
 *  "committed":n,"max":n,"lag":n}]} */
FERRY_EXPORT ferry_status ferry_admin_consumer_progress(ferry_admin *a, const char *group,
                                                        const char *topic, char **json_out,
                                                        char *errbuf, size_t errlen);
/* The message with this offset id. OWNERSHIP: *out owned by the caller. */
FERRY_EXPORT ferry_status ferry_admin_query_by_offset_id(ferry_admin *a, const char *offset_msg_id,
                                                         ferry_client_message **out, char *errbuf,
                                                         size_t errlen);
/* Messages of `topic` whose KEYS hold `key` (newest first), at most `max`,
 * from every broker of the topic. OWNERSHIP: msgs[0..*count) owned by the
 * caller. */
FERRY_EXPORT ferry_status ferry_admin_query_by_key(ferry_admin *a, const char *topic,
                                                   const char *key, ferry_client_message **msgs,
                                                   size_t max, size_t *count, char *errbuf,
                                                   size_t errlen);
/* A broker's counters: {"broker":"host:port","stats":{"name":n,...}} */
FERRY_EXPORT ferry_status ferry_admin_runtime_stats(ferry_admin *a, const char *broker_address,
                                                    char **json_out, char *errbuf, size_t errlen);

/* Consumer groups and broker settings (appended, session 2). Same rules as
 * the admin calls above: blocking on the caller's thread (up to
 * request_timeout_ms per server asked), any thread, *json_out owned by the
 * caller (ferry_string_free), NULL on failure; errbuf gets the reason. */

/* Consumer groups each broker knows (live members or committed offsets):
 * broker_address NULL = every master the name servers know.
 * {"groups":[{"group":..,"broker":..,"members":n,"model":"clustering"|
 *  "broadcasting","has_offsets":bool,"topics":[..]}]} */
FERRY_EXPORT ferry_status ferry_admin_group_list(ferry_admin *a, const char *broker_address,
                                                 char **json_out, char *errbuf, size_t errlen);
/* The live members of a group on every master: {"group":..,"connections":
 * [{"broker":..,"client_id":..,"address":"ip:port","language":..,"version":..,
 *  "model":..,"last_heartbeat_ms_ago":n,"subscriptions":[{"topic":..,
 *  "type":..,"expression":..}]}]}. FERRY_E_GROUP_NOT_FOUND: no live member. */
FERRY_EXPORT ferry_status ferry_admin_consumer_connections(ferry_admin *a, const char *group,
                                                           char **json_out, char *errbuf,
                                                           size_t errlen);
/* Reset `group`'s committed offsets on `topic` to the first message stored
 * at or after timestamp_ms (ms since the epoch; 0 = the earliest kept,
 * INT64_MAX = the end), on every broker of the topic. Each broker commits
 * at once and sends its live members of the group a oneway
 * NOTIFY_OFFSETS_RESET (docs/protocol.md). The first failing broker stops
 * the call (earlier brokers keep their reset; the message names it).
 * {"group":..,"topic":..,"timestamp_ms":n,"queues":[{"broker":..,"queue":n,
 *  "offset":n}],"members_notified":n} */
FERRY_EXPORT ferry_status ferry_admin_reset_offset_by_time(ferry_admin *a, const char *group,
                                                           const char *topic, int64_t timestamp_ms,
                                                           char **json_out, char *errbuf,
                                                           size_t errlen);
/* A broker's running configuration, every key with its effective value as
 * TOML writes it: {"broker":"host:port","sections":{"kernel":{"listen":
 * "\"127.0.0.1:10911\"",..},"broker":{..},"core":{..},"plugins.<name>":{..}}} */
FERRY_EXPORT ferry_status ferry_admin_broker_config(ferry_admin *a, const char *broker_address,
                                                    char **json_out, char *errbuf, size_t errlen);

/* Dead letters (appended, session 5; same rules as the admin calls above).
 * A clustering consumer's message that failed more than its
 * max_reconsume_times lands in the group's %DLQ%<group> topic (write-only
 * to consumers; read here with QUERY_QUEUE). Up to `max` (0 = 1000) of
 * them, oldest first per broker:
 * {"group":..,"messages":[{"broker":..,"queue_offset":n,"offset_msg_id":..,
 *  "msg_id":..,"original_topic":..,"origin_offset_msg_id":..,
 *  "reconsume_times":n,"store_timestamp_ms":n,"born_timestamp_ms":n,
 *  "tags":..,"keys":..,"body_size":n}],"more":bool}.
 * FERRY_E_NOT_FOUND: the group has no dead-letter topic. */
FERRY_EXPORT ferry_status ferry_admin_dlq_list(ferry_admin *a, const char *group, size_t max,
                                               char **json_out, char *errbuf, size_t errlen);
/* Re-sends dead letters of `group` to their original topics: the one with
 * this offset message id (as dlq_list shows it), or all of them when
 * offset_msg_id is NULL. The broker storing each stores a copy in the
 * original topic with reconsume times 0 (every group subscribed to it
 * receives it); the dead letters stay. The first failure stops the call
 * (earlier ones stay re-sent; errbuf names it).
 * {"group":..,"resent":[{"offset_msg_id":..,"topic":..,"new_offset_msg_id":..}]} */
FERRY_EXPORT ferry_status ferry_admin_dlq_resend(ferry_admin *a, const char *group,
                                                 const char *offset_msg_id, char **json_out,
                                                 char *errbuf, size_t errlen);

FERRY_EXTERN_C_END

#endif /* FERRY_CLIENT_H */
