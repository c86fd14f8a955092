/*
 * ferry/message.h — a message as the kernel hands it to storage, and as
 * plugins hand one to the kernel (put-through-core), plus the pre-append edit.
 */
#ifndef FERRY_MESSAGE_H
#define FERRY_MESSAGE_H

#include "ferry/abi.h"
#include "ferry/status.h"

FERRY_EXTERN_C_BEGIN

/*
 * A message to store. OWNERSHIP: every slice is borrowed for the duration of
 * the call it is passed to; the callee copies what it keeps (storage copies
 * the bytes into the log once).
 *
 * `properties` are already encoded RocketMQ-style: `name\x01value\x02` pairs
 * (ferry/record.h); TAGS, KEYS and UNIQ_KEY live there. Names and values must
 * not contain \x01 or \x02.
 */
typedef struct ferry_message {
  uint32_t struct_size;
  ferry_slice topic;
  int32_t queue_id;          /* chosen by the producer; -1 lets the broker pick */
  int32_t flag;              /* user flag, stored as is */
  int32_t sys_flag;          /* FERRY_SYSFLAG_*; host v6 bits set by storage */
  ferry_slice body;
  ferry_slice properties;
  int64_t born_timestamp_ms;
  ferry_slice born_host;     /* 4 (IPv4) or 16 (IPv6) address bytes, network order */
  uint16_t born_port;
  int32_t reconsume_times;
  int64_t prepared_transaction_offset;

  /* ---- appended in ABI 0.3 (check FERRY_HAS_FIELD before reading) ---- */

  /* A per-topic slot the storage may use to reach its own state for the
   * topic without a lookup by name (with 10,000 topics written at once that
   * lookup is a few cache misses per message). NULL: no slot, the storage
   * looks the topic up as before; a storage that ignores the field works
   * unchanged (the memory plugin does).
   * OWNER: the host owns the slot (one `void *` in its topic table entry,
   * NULL when the entry is made); the storage owns what it stores there.
   * THREAD: read and written only inside storage.append, i.e. on the
   * writer (loop) thread.
   * LIFETIME: the host passes a slot only with messages of the topic it
   * belongs to (never after a pre-append hook moved a message elsewhere),
   * and the slot dies with the entry: when the topic is deleted the host
   * drops the entry before it calls storage.delete_topic, so the storage
   * may free what the slot pointed to there. What the storage stores must
   * stay valid until then (or until the storage is destroyed). */
  void **storage_slot;
} ferry_message;

/* Where a stored message landed. Filled by storage.append. */
typedef struct ferry_append_result {
  uint32_t struct_size;
  uint64_t commit_offset;   /* physical offset of the record in the commit log */
  uint32_t size;            /* record size in bytes */
  int32_t queue_id;
  uint64_t queue_offset;    /* logical offset within topic/queue_id */
  int64_t store_timestamp_ms;
} ferry_append_result;

/*
 * Pre-append edit handle: valid only during a pre-append hook call
 * (ferry_host_api.hook_pre_append). The hook reads and rewrites the message
 * through ferry_host_api.edit_* — e.g. the delay plugin moves a message with
 * property DELAY to SCHEDULE_TOPIC_XXXX and records REAL_TOPIC / REAL_QID.
 */
typedef struct ferry_message_edit ferry_message_edit;

FERRY_EXTERN_C_END

#endif /* FERRY_MESSAGE_H */
