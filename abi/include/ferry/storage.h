/*
 * ferry/storage.h — the storage kind: commit log, consume queues, index,
 * recovery, retention (plugins: mmaplog, memory).
 *
 * Model. One commit log for all topics. append() writes records (layout in
 * ferry/record.h) and assigns each a queue offset within its topic/queue.
 * The WRITE watermark is the end of the last appended record; the flush
 * plugin makes bytes durable through sync(); a dispatcher (the plugin's own
 * thread) follows the log and makes records readable by queue only below the
 * kernel's VISIBLE watermark (api->watermark_get), reporting what it made
 * readable through on_dispatched so the kernel can wake long polls.
 *
 * Single writer: append and append_raw are called by one thread at a time
 * (the loop). Every other op is [any] and safe concurrently with the writer.
 */
#ifndef FERRY_STORAGE_H
#define FERRY_STORAGE_H

#include "ferry/abi.h"
#include "ferry/message.h"
#include "ferry/plugin.h"
#include "ferry/status.h"

FERRY_EXTERN_C_BEGIN

/* What a read returned. Mirrors the pull statuses on the wire. */
typedef enum ferry_read_status {
  FERRY_READ_FOUND = 0,
  FERRY_READ_NO_NEW_MESSAGE = 1,   /* offset == max: nothing yet (long-poll) */
  FERRY_READ_NO_MATCHED = 2,       /* entries scanned, none passed the filter;
                                      next_offset moved past them */
  FERRY_READ_OFFSET_MOVED = 3,     /* offset below min (retention): next_offset = min */
  FERRY_READ_OFFSET_OUT_OF_RANGE = 4 /* offset above max: next_offset = max */
} ferry_read_status;

/* Broker-side filter, given by the kernel from a compiled subscription.
 * match_tag_hash sees a consume-queue entry's tag hash: 1 keep, 0 drop,
 * -1 undecided (then match_record decides). match_record sees the record
 * (properties for SQL92); NULL means keep. Called on the reading thread;
 * must not block. */
typedef struct ferry_read_filter {
  uint32_t struct_size;
  int (*match_tag_hash)(void *user_data, int64_t tag_hash);
  int (*match_record)(void *user_data, const void *record, size_t len);
  void *user_data;
} ferry_read_filter;

/* A read by topic/queue. All fields borrowed for the call. */
typedef struct ferry_read_request {
  uint32_t struct_size;
  ferry_slice topic;
  int32_t queue_id;
  uint64_t queue_offset;
  uint32_t max_count;        /* records */
  uint32_t max_bytes;        /* sum of record sizes; at least one record is returned */
  const ferry_read_filter *filter; /* NULL = everything */
  uint32_t flags;            /* FERRY_READ_* */
} ferry_read_request;

/* Data not in memory may be read: the caller is on a thread that may block.
 * Without it, a read that would fault cold pages returns FERRY_E_WOULD_BLOCK
 * and the kernel retries it on a worker thread. */
#define FERRY_READ_MAY_BLOCK 0x1

/*
 * Records returned by a read: slices of mapped (or held) memory, not copies.
 * OWNERSHIP: the caller's; it must call release(result) exactly once, from any
 * thread, when done with every slice (after the network write completed).
 * The storage keeps the memory valid until then, even across retention.
 */
typedef struct ferry_read_result {
  uint32_t struct_size;
  ferry_read_status status;
  uint64_t next_offset;      /* queue offset to read from next (log offset for read_log) */
  uint64_t min_offset;       /* queue min / max at the time of the read */
  uint64_t max_offset;
  size_t count;
  const ferry_slice *records;       /* count whole records, ferry/record.h layout */
  const uint64_t *queue_offsets;    /* count entries; NULL for read_log / query */
  void (*release)(struct ferry_read_result *self);
  void *private_data;               /* the storage's */
} ferry_read_result;

/* Storage counters for runtime stats. */
typedef struct ferry_storage_stats {
  uint32_t struct_size;
  uint64_t min_commit_offset;
  uint64_t write_offset;
  uint64_t dispatched_offset;    /* log offset the dispatcher has indexed */
  uint64_t disk_bytes_used;
  double disk_used_ratio;        /* of the file system holding the log */
  uint64_t segment_count;
  uint64_t mapped_files;
  ferry_bool read_only;
} ferry_storage_stats;

/* One consume-queue entry the dispatcher made readable. */
typedef struct ferry_dispatch_entry {
  uint32_t struct_size;
  ferry_slice topic;
  int32_t queue_id;
  uint64_t queue_offset;
  int64_t tag_hash;
} ferry_dispatch_entry;

/* Notification the storage calls from its dispatcher thread after making a
 * batch readable (kernel coalesces into one loop wake-up). Set by the kernel
 * through set_dispatch_listener before start. [storage's thread], or the
 * loop's during its own dispatch_inline call (ABI 0.4); never two at once. */
typedef void (*ferry_dispatch_fn)(void *user_data, const ferry_dispatch_entry *entries,
                                  size_t count, uint64_t dispatched_offset);

typedef struct ferry_storage_ops {
  uint32_t struct_size;

  /* Append n messages as one batch under one lock acquisition; results[i]
   * says where message i landed, *write_offset becomes the new WRITE
   * watermark. All-or-prefix: on error, *appended says how many were stored
   * (results valid for those) and err says why the rest were not
   * (FERRY_E_DISK_FULL naming the path and ratio, FERRY_E_READ_ONLY, ...).
   * Thread: the writer (loop). Does not block on fsync; copies bodies once
   * into the log. */
  ferry_status (*append)(void *inst, const ferry_message *const *msgs, size_t n,
                         ferry_append_result *results, size_t *appended,
                         uint64_t *write_offset, ferry_error *err);

  /* Make the log durable up to at least `upto` (msync/fdatasync as the write
   * path needs); *synced is the offset now durable. Blocks. Thread: the flush
   * plugin's. */
  ferry_status (*sync)(void *inst, uint64_t upto, uint64_t *synced, ferry_error *err);

  /* Write position. [any] */
  uint64_t (*write_offset)(void *inst);

  /* Read by queue (pull). *out is set on FERRY_OK and must be released.
   * FERRY_E_WOULD_BLOCK: see FERRY_READ_MAY_BLOCK. [any] */
  ferry_status (*read_queue)(void *inst, const ferry_read_request *req,
                             ferry_read_result **out, ferry_error *err);

  /* Read the one record at commit log offset (query by offset id). [any] */
  ferry_status (*read_at)(void *inst, uint64_t commit_offset, ferry_read_result **out,
                          ferry_error *err);

  /* Read raw log bytes from `offset`, up to max_bytes, ending on a record
   * boundary (replication). out->next_offset is the log offset after the
   * last byte returned. [any], may block (cold data). */
  ferry_status (*read_log)(void *inst, uint64_t offset, uint32_t max_bytes,
                           ferry_read_result **out, ferry_error *err);

  /* Append raw log bytes that start exactly at the current write offset
   * (a slave following its master). Verifies record checksums. Thread: the
   * writer. Optional. */
  ferry_status (*append_raw)(void *inst, uint64_t offset, ferry_slice bytes,
                             uint64_t *write_offset, ferry_error *err);

  /* Min and max queue offsets (max = next offset to be assigned). [any] */
  ferry_status (*queue_range)(void *inst, ferry_slice topic, int32_t queue_id,
                              uint64_t *min_offset, uint64_t *max_offset, ferry_error *err);

  /* First queue offset whose store time >= timestamp_ms (max when none). [any] */
  ferry_status (*offset_for_time)(void *inst, ferry_slice topic, int32_t queue_id,
                                  int64_t timestamp_ms, uint64_t *queue_offset,
                                  ferry_error *err);

  /* Messages of `topic` carrying `key` in KEYS or UNIQ_KEY, stored within
   * [begin_ms, end_ms], at most max_count, newest first. [any] */
  ferry_status (*query_key)(void *inst, ferry_slice topic, ferry_slice key, int64_t begin_ms,
                            int64_t end_ms, uint32_t max_count, ferry_read_result **out,
                            ferry_error *err);

  /* Drop a topic's consume queues (its log records age out normally). [loop] */
  ferry_status (*delete_topic)(void *inst, ferry_slice topic, ferry_error *err);

  /* Counters. [any] */
  ferry_status (*stats)(void *inst, ferry_storage_stats *out);

  /* Register the dispatcher's notification. [loop], before start. */
  void (*set_dispatch_listener)(void *inst, ferry_dispatch_fn fn, void *user_data);

  /* ---- appended in ABI 0.1 (check FERRY_HAS_FIELD before calling) ---- */

  /* The VISIBLE watermark advanced to `visible`: wake the dispatcher now
   * rather than at its next poll of api->watermark_get. The kernel calls it
   * at most once per loop iteration, however many advances it coalesced.
   * [any], must not block (a flag and a condition-variable notify).
   * Optional: NULL means the storage polls the watermark. */
  void (*on_visible)(void *inst, uint64_t visible);

  /* ---- appended in ABI 0.2 (check FERRY_HAS_FIELD before calling) ---- */

  /* The writer's loop turn ended: write every record appended so far to
   * the log, so that *write_offset — the new WRITE watermark, equal to
   * write_offset() — covers all of them. A storage may hold appended
   * records back from the file (pwrite mode: staged in user memory, one
   * write per turn instead of one per append) only once the host has
   * called end_turn: append's *write_offset then stays at the last written
   * byte, and the host publishes WRITE from end_turn, before it calls the
   * flush and replication plugins' on_appended. Bytes held back are below
   * no watermark: no read, sync or checkpoint sees them.
   * On error (FERRY_E_IO, FERRY_E_DISK_FULL; err names the file) the held
   * records stay held, every later append is refused with the same error
   * until a retry (the next end_turn or append) writes them; *write_offset
   * is the last written byte.
   * Thread: the writer (loop), once per turn in which it appended. May
   * block for one write (page cache). Optional: NULL means appends are
   * written before append returns. */
  ferry_status (*end_turn)(void *inst, uint64_t *write_offset, ferry_error *err);

  /* ---- appended in ABI 0.4 (check FERRY_HAS_FIELD before calling) ---- */

  /* on_visible's alternative when pulls are held: the VISIBLE watermark
   * advanced to `visible`; make the records below it readable now, on the
   * calling thread, reporting them through the dispatch listener on this
   * thread before returning (the kernel then answers its held pulls in the
   * same loop turn, with no wake-up from the storage's thread). The storage
   * may decline — its own dispatcher is busy, the backlog is longer than a
   * short bounded batch, the pages are not yet mapped for reading — and then
   * wakes its dispatcher as on_visible does. Returns 1 when
   * everything below `visible` is readable, 0 when it declined or
   * stopped short (the dispatcher does the rest).
   * What a storage cannot do without a file write (a write, a store to a
   * file mapping, a sync, a populate) it leaves to its own thread: readable
   * first, indexed by key a little later (query_key may lag a read).
   * Thread: the writer (loop), at most once per loop turn, instead of
   * on_visible. Never sleeps, never waits for the dispatcher (one try-lock
   * per call, not per record), never writes a file; bounded CPU; takes
   * short internal locks only.
   * Optional: NULL means the kernel calls on_visible. */
  ferry_bool (*dispatch_inline)(void *inst, uint64_t visible);
} ferry_storage_ops;

FERRY_EXTERN_C_END

#endif /* FERRY_STORAGE_H */
