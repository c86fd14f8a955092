/*
 * ferry/host.h — what the kernel offers a plugin instance.
 *
 * The kernel passes `const ferry_host_api *api` and an opaque `ferry_host *`
 * to create(); both stay valid until destroy returns. Every function takes the
 * instance's `ferry_host *` first so the kernel knows who calls (log prefix,
 * config block, ownership of handlers and timers). A plugin never links the
 * kernel: this table is its only way in.
 *
 * Threads. The kernel runs one libuv loop thread ("the loop"). Each function
 * says where it may be called:
 *   [loop]  only on the loop thread (inside create/start/stop, a timer, a
 *           handler, a posted task, a hook or a callback the kernel made);
 *   [any]   on any thread, concurrently;
 * and whether it may block. None of them throws. Callbacks the kernel makes
 * run on the loop thread unless stated otherwise and must not block: hand
 * blocking work to api->queue_work or to the plugin's own thread.
 *
 * Versioning: api->struct_size tells which functions exist. A plugin built
 * against a newer minor checks FERRY_HAS_FIELD(ferry_host_api,
 * api->struct_size, fn) before calling a function added after minor 1.
 */
#ifndef FERRY_HOST_H
#define FERRY_HOST_H

#include "ferry/abi.h"
#include "ferry/message.h"
#include "ferry/plugin.h"
#include "ferry/status.h"

FERRY_EXTERN_C_BEGIN

typedef struct ferry_timer ferry_timer;       /* opaque; owned by the kernel */
typedef struct ferry_metric ferry_metric;     /* opaque; owned by the kernel */
typedef struct ferry_request ferry_request;   /* opaque; an incoming request */
typedef struct ferry_conn ferry_conn;         /* opaque; an outbound connection */
typedef struct ferry_listener ferry_listener; /* opaque; an extra listening socket */

/* Which watermark an advance refers to (docs/abi.md, "Durability by watermarks"). */
typedef enum ferry_watermark {
  FERRY_WATERMARK_WRITE = 0,      /* end of the last appended record (read only) */
  FERRY_WATERMARK_DURABLE = 1,    /* advanced by the flush plugin */
  FERRY_WATERMARK_REPLICATED = 2, /* advanced by the replication plugin */
  FERRY_WATERMARK_VISIBLE = 3     /* what consumers may see (read only) */
} ferry_watermark;

typedef enum ferry_metric_type {
  FERRY_METRIC_COUNTER = 1,
  FERRY_METRIC_GAUGE = 2,
  FERRY_METRIC_HISTOGRAM = 3      /* observe() values in microseconds */
} ferry_metric_type;

/* Kernel identity, for plugins that register or advertise the broker. All
 * strings are owned by the kernel and valid until the instance is destroyed. */
typedef struct ferry_kernel_info {
  uint32_t struct_size;
  const char *instance_name;      /* this plugin instance's name in the config */
  const char *data_dir;           /* absolute; exists */
  const char *listen_address;     /* "host:port" the kernel listens on */
  const char *advertised_address; /* "host:port" clients should use */
  const char *cluster_name;
  const char *broker_name;
  int64_t broker_id;              /* 0 = master */
  ferry_bool core_enabled;        /* messaging core on (a storage plugin is loaded) */
  uint32_t max_frame_bytes;       /* transport frame limit */
} ferry_kernel_info;

/* Another plugin instance found by kind. Valid until the caller is destroyed
 * (a requirement outlives its dependents). */
typedef struct ferry_service {
  uint32_t struct_size;
  uint32_t kind;           /* ferry_plugin_kind */
  const char *instance_name;
  const void *ops;         /* the kind's ops table, e.g. const ferry_storage_ops * */
  void *instance;          /* first argument to every op */
} ferry_service;

/* A topic as the core's topic table holds it. Strings borrowed for the call. */
typedef struct ferry_topic_info {
  uint32_t struct_size;
  ferry_slice name;
  uint32_t read_queues;
  uint32_t write_queues;
  uint32_t perm;           /* FERRY_PERM_* bits */
  uint32_t flags;          /* FERRY_TOPIC_* bits */
} ferry_topic_info;

#define FERRY_PERM_INHERIT 0x1
#define FERRY_PERM_WRITE 0x2
#define FERRY_PERM_READ 0x4
#define FERRY_TOPIC_SYSTEM 0x1   /* reserved prefix: retry, DLQ, schedule, half */
#define FERRY_TOPIC_ORDERED 0x2

/* The outcome of a put-through-core. Borrowed for the callback's duration. */
typedef struct ferry_put_result {
  uint32_t struct_size;
  ferry_status status;     /* FERRY_OK once durable and visible per config */
  uint64_t commit_offset;
  int32_t queue_id;
  uint64_t queue_offset;
  const char *offset_msg_id; /* broker address + commit offset, hex; NUL-terminated */
} ferry_put_result;

/* A response to a request this plugin sent (api->conn_request,
 * api->client_request). Slices borrowed for the callback's duration. status
 * is the remote's status, or FERRY_E_TIMEOUT / FERRY_E_CONNECTION_CLOSED
 * produced locally. */
typedef struct ferry_response {
  uint32_t struct_size;
  ferry_status status;
  ferry_slice message;     /* remote's text, may be empty */
  ferry_slice payload;
  ferry_slice attachment;
} ferry_response;

/* Connection events reported to api->conn_open and api->listen callbacks. */
typedef enum ferry_conn_event {
  FERRY_CONN_CONNECTED = 1,
  FERRY_CONN_CLOSED = 2     /* the kernel reconnects outbound connections with backoff */
} ferry_conn_event;

typedef void (*ferry_task_fn)(void *user_data);
typedef void (*ferry_timer_fn)(void *user_data);
/* Request handler: answer with api->respond exactly once (now or later, from
 * any thread). `req` stays valid until respond is called. A oneway request
 * (api->request_is_oneway) is answered with respond too, which only frees it. */
typedef void (*ferry_request_fn)(void *user_data, ferry_request *req);
typedef void (*ferry_response_fn)(void *user_data, const ferry_response *resp);
typedef void (*ferry_conn_event_fn)(void *user_data, uint64_t conn_id, ferry_conn_event ev);
typedef void (*ferry_put_fn)(void *user_data, const ferry_put_result *result);
/* Pre-append hook: may rewrite topic, queue and properties through edit_*.
 * Returning non-OK refuses the message with that status. Runs on the loop
 * thread, per message carrying the property it was registered for; must not
 * block and must be cheap. */
typedef ferry_status (*ferry_pre_append_fn)(void *user_data, ferry_message_edit *edit);
typedef void (*ferry_topic_visit_fn)(void *user_data, const ferry_topic_info *topic);

typedef struct ferry_host_api {
  uint32_t struct_size;
  uint16_t abi_major;
  uint16_t abi_minor;

  /* ---- errors and logging ---- */

  /* Record `status` and `message` in `err` (the ferry_error the kernel passed
   * to the failing call; may be NULL) and return `status`, so plugins write
   * `return api->set_error(err, FERRY_E_IO, text);`. Copies message. [any] */
  ferry_status (*set_error)(ferry_error *err, ferry_status status, const char *message);
  /* Log a line, prefixed by the kernel with the instance name. [any], does
   * not block on I/O (the kernel's logger buffers). */
  void (*log)(ferry_host *h, ferry_log_level level, const char *message);
  /* Cheap check before formatting an expensive line. [any] */
  ferry_bool (*log_enabled)(ferry_host *h, ferry_log_level level);
  /* Report a fault the broker cannot serve through (an fsync EIO): the kernel
   * logs it loudly, turns the broker read-only (sends get FERRY_E_READ_ONLY,
   * reads continue) and reports it in runtime stats. [any] */
  void (*report_fault)(ferry_host *h, ferry_status status, const char *message);

  /* ---- clock and timers (mockable: tests swap the kernel's clock) ---- */

  /* Wall clock, milliseconds since the Unix epoch. [any] */
  int64_t (*now_ms)(ferry_host *h);
  /* Monotonic clock, nanoseconds. [any] */
  uint64_t (*monotonic_ns)(ferry_host *h);
  /* Call fn after delay_ms, then every repeat_ms (0 = once). [loop]. The
   * timer is owned by the kernel and freed by timer_stop or at destroy. */
  ferry_status (*timer_start)(ferry_host *h, uint64_t delay_ms, uint64_t repeat_ms,
                              ferry_timer_fn fn, void *user_data, ferry_timer **out);
  /* Cancel and free; fn is not called after this returns. [loop] */
  void (*timer_stop)(ferry_host *h, ferry_timer *timer);

  /* ---- configuration (validated against the declared schema, defaults applied) ---- */

  /* Each returns FERRY_E_NOT_FOUND for a key the schema does not declare and
   * FERRY_E_INVALID_ARGUMENT when the key's type differs. Strings are owned by
   * the kernel, valid until destroy. [any] */
  ferry_status (*config_string)(ferry_host *h, const char *key, const char **out);
  ferry_status (*config_int)(ferry_host *h, const char *key, int64_t *out);
  ferry_status (*config_bool)(ferry_host *h, const char *key, ferry_bool *out);
  ferry_status (*config_double)(ferry_host *h, const char *key, double *out);
  ferry_status (*config_duration_ms)(ferry_host *h, const char *key, int64_t *out);
  ferry_status (*config_size_bytes)(ferry_host *h, const char *key, uint64_t *out);
  /* Element `index` of a STRING_LIST; FERRY_E_OUT_OF_RANGE past the end. */
  ferry_status (*config_list_item)(ferry_host *h, const char *key, size_t index,
                                   const char **out);
  /* The kernel's identity and data directory. [any] */
  ferry_status (*kernel_info)(ferry_host *h, ferry_kernel_info *out);

  /* ---- metrics (exported on the broker's /metrics endpoint) ---- */

  /* Register a metric; `labels` is "k=v,k=v" or NULL. Owned by the kernel.
   * [loop] */
  ferry_status (*metric_register)(ferry_host *h, const char *name, const char *help,
                                  ferry_metric_type type, const char *labels,
                                  ferry_metric **out);
  /* Counter add / gauge set / histogram observe. Lock-free. [any] */
  void (*metric_add)(ferry_metric *m, double delta);
  void (*metric_set)(ferry_metric *m, double value);
  void (*metric_observe)(ferry_metric *m, double value);

  /* ---- services: other plugin instances ---- */

  /* Find an instance of `kind`. instance_name NULL picks the only one
   * (FERRY_E_INVALID_ARGUMENT if there are several). Only requirements the
   * caller declared are guaranteed started. [any] */
  ferry_status (*service_find)(ferry_host *h, uint32_t kind, const char *instance_name,
                               ferry_service *out);

  /* ---- durability watermarks (docs/abi.md) ---- */

  /* Advance DURABLE (flush plugin) or REPLICATED (replication plugin) to
   * `offset`. Monotonic: a lower value is ignored. One atomic store and at
   * most one loop wake-up; acks and consumer visibility follow. [any], does
   * not block. */
  void (*watermark_advance)(ferry_host *h, ferry_watermark which, uint64_t offset);
  /* Current value of any watermark. [any] */
  uint64_t (*watermark_get)(ferry_host *h, ferry_watermark which);

  /* ---- loop hand-off and blocking work ---- */

  /* Run fn on the loop thread soon. The one thread-safe doorway into the
   * loop (uv_async_send underneath; many posts coalesce into one wake-up).
   * FERRY_E_SHUTTING_DOWN after the loop closed: fn is then never called.
   * [any], does not block. */
  ferry_status (*post)(ferry_host *h, ferry_task_fn fn, void *user_data);
  /* Run work on a kernel worker thread (may block), then done on the loop.
   * [loop] */
  ferry_status (*queue_work)(ferry_host *h, ferry_task_fn work, ferry_task_fn done,
                             void *user_data);

  /* ---- request handlers for plugin-defined codes ---- */

  /* Handle requests with `code` (FERRY_PLUGIN_CODE_MIN and up; the kernel's
   * own codes are refused with FERRY_E_ALREADY_EXISTS, as is a code taken by
   * another instance). Requests arrive on the kernel's listener and on this
   * plugin's extra listeners. [loop] */
  ferry_status (*handler_register)(ferry_host *h, uint32_t code, ferry_request_fn fn,
                                   void *user_data);
  /* Accessors for a request being handled. Slices borrowed until respond.
   * [any] while the request is unanswered. */
  ferry_slice (*request_payload)(ferry_request *req);
  ferry_slice (*request_attachment)(ferry_request *req);
  uint32_t (*request_code)(ferry_request *req);
  uint64_t (*request_conn_id)(ferry_request *req); /* for client_request */
  const char *(*request_peer)(ferry_request *req); /* "ip:port" */
  ferry_bool (*request_is_oneway)(ferry_request *req);
  /* Answer and free the request. Copies payload and attachment. May be
   * called once, from any thread; the write happens on the loop. [any] */
  void (*respond)(ferry_request *req, ferry_status status, const char *message,
                  ferry_slice payload, ferry_slice attachment);

  /* ---- connections ---- */

  /* Open an outbound connection to "host:port", reconnected with backoff
   * until conn_close. on_event (may be NULL) reports connects and closes.
   * The connection is owned by the kernel. [loop] */
  ferry_status (*conn_open)(ferry_host *h, const char *address, ferry_conn_event_fn on_event,
                            void *user_data, ferry_conn **out);
  /* Send a request (code + opaque payload + attachment, copied). on_response
   * runs once on the loop (NULL with oneway). FERRY_E_NOT_CONNECTED at once
   * when the connection is down; on_response is then never called. [loop] */
  ferry_status (*conn_request)(ferry_host *h, ferry_conn *conn, uint32_t code,
                               ferry_slice payload, ferry_slice attachment,
                               uint32_t timeout_ms, ferry_bool oneway,
                               ferry_response_fn on_response, void *user_data);
  /* Close; pending responses complete with FERRY_E_CONNECTION_CLOSED. [loop] */
  void (*conn_close)(ferry_host *h, ferry_conn *conn);
  /* Listen on an extra address (e.g. the HA port). Requests on it go to
   * `handler`, whatever their code; on_event reports accepted / closed
   * connections by id. [loop] */
  ferry_status (*listen)(ferry_host *h, const char *address, ferry_request_fn handler,
                         ferry_conn_event_fn on_event, void *user_data,
                         ferry_listener **out);
  void (*listen_close)(ferry_host *h, ferry_listener *listener);
  /* Send a request to a connection accepted by the kernel or by this
   * plugin's listener (transaction check-back, HA streaming).
   * FERRY_E_NOT_CONNECTED if it has gone. [loop] */
  ferry_status (*client_request)(ferry_host *h, uint64_t conn_id, uint32_t code,
                                 ferry_slice payload, ferry_slice attachment,
                                 uint32_t timeout_ms, ferry_bool oneway,
                                 ferry_response_fn on_response, void *user_data);
  /* A live connection of a producer in `group` (from heartbeats), for
   * check-back. FERRY_E_NOT_FOUND when none. [loop] */
  ferry_status (*producer_conn)(ferry_host *h, ferry_slice group, uint64_t *conn_id);

  /* ---- the messaging core ---- */

  /* Read one topic. FERRY_E_TOPIC_NOT_FOUND; FERRY_E_NOT_SUPPORTED when the
   * core is off. [loop] */
  ferry_status (*topic_get)(ferry_host *h, ferry_slice name, ferry_topic_info *out);
  /* Visit every topic (registration). [loop] */
  ferry_status (*topic_foreach)(ferry_host *h, ferry_topic_visit_fn fn, void *user_data);
  /* Store `msg` as if a producer sent it: pre-append hooks, dispatch, index
   * and long-poll wake-ups included. on_put runs on the loop once the message
   * is acknowledged per the durability config, or failed. When put_message
   * returns an error, on_put is never called. Copies msg. [loop] */
  ferry_status (*put_message)(ferry_host *h, const ferry_message *msg, ferry_put_fn on_put,
                              void *user_data);
  /* Call fn for each message about to be appended that carries property
   * `property_name` (e.g. "DELAY", "TRAN_MSG"), before storage assigns its
   * queue offset. Hooks run in registration order. [loop] */
  ferry_status (*hook_pre_append)(ferry_host *h, const char *property_name,
                                  ferry_pre_append_fn fn, void *user_data);

  /* Pre-append edit accessors: valid only inside a ferry_pre_append_fn.
   * Strings are copied by set calls. */
  const ferry_message *(*edit_message)(ferry_message_edit *e);
  ferry_bool (*edit_get_property)(ferry_message_edit *e, const char *name, ferry_slice *value);
  ferry_status (*edit_set_property)(ferry_message_edit *e, const char *name, ferry_slice value);
  ferry_status (*edit_remove_property)(ferry_message_edit *e, const char *name);
  ferry_status (*edit_set_topic)(ferry_message_edit *e, ferry_slice topic);
  ferry_status (*edit_set_queue)(ferry_message_edit *e, int32_t queue_id);
  ferry_status (*edit_set_sys_flag)(ferry_message_edit *e, int32_t sys_flag);

  /* ---- errors a plugin owns (ABI minor 2) ---- */
  /* Check FERRY_HAS_FIELD(ferry_host_api, api->struct_size, error_destroy)
   * before use: a minor-1 host has none of the three. */

  /* A ferry_error of the plugin's own, to pass where another plugin's op
   * takes one (a flusher calling storage.sync) and read back with error_get.
   * Release it with error_destroy. NULL when out of memory. [any] */
  ferry_error *(*error_create)(void);
  /* The status and message last set in err (FERRY_OK and "" when none).
   * *message (if message is not NULL) stays valid until err is set again or
   * destroyed. FERRY_E_INVALID_ARGUMENT for a NULL err. [any] */
  ferry_status (*error_get)(const ferry_error *err, const char **message);
  /* Frees what error_create returned; NULL is ignored. [any] */
  void (*error_destroy)(ferry_error *err);
} ferry_host_api;

/* Request codes from this value up belong to plugins (docs/protocol.md lists
 * the built-in plugins' codes); below it, to the kernel. */
#define FERRY_PLUGIN_CODE_MIN 10000u

FERRY_EXTERN_C_END

#endif /* FERRY_HOST_H */
