/*
 * ferry/flush.h — the flush kind: owns the DURABLE watermark
 * (plugins: sync = group commit, async = interval).
 *
 * The plugin requires a storage instance (FERRY_REQUIRE(FERRY_KIND_STORAGE)),
 * calls storage.sync() on its own thread and reports progress with
 * api->watermark_advance(h, FERRY_WATERMARK_DURABLE, offset). No
 * per-message completion crosses the ABI: the kernel acks every send whose
 * record ends at or below min(durable-for-acks, replicated).
 *
 * A sync() error is a fault: the plugin calls api->report_fault and stops
 * advancing; the kernel turns the broker read-only.
 */
#ifndef FERRY_FLUSH_H
#define FERRY_FLUSH_H

#include "ferry/abi.h"
#include "ferry/plugin.h" /* ferry_error */
#include "ferry/status.h"

FERRY_EXTERN_C_BEGIN

typedef enum ferry_flush_mode {
  /* Acks wait for DURABLE; a send still waiting after ack_timeout_ms gets
   * FERRY_E_FLUSH_TIMEOUT (stored, not yet durable). Consumers see only
   * durable records. */
  FERRY_FLUSH_SYNC = 1,
  /* Acks and visibility use the WRITE watermark; DURABLE trails it. */
  FERRY_FLUSH_ASYNC = 2
} ferry_flush_mode;

typedef struct ferry_flush_info {
  uint32_t struct_size;
  ferry_flush_mode mode;
  uint32_t ack_timeout_ms;
} ferry_flush_info;

typedef struct ferry_flush_ops {
  uint32_t struct_size;
  /* Mode and ack timeout. [any] */
  ferry_status (*info)(void *inst, ferry_flush_info *out);
  /* The WRITE watermark advanced to write_offset. Called at most once per
   * loop iteration however many appends it covers. [loop], must not block:
   * wake the flusher thread. */
  void (*on_appended)(void *inst, uint64_t write_offset);
  /* Make everything written durable before returning (shutdown). [loop],
   * blocks. Optional. */
  ferry_status (*flush_all)(void *inst, ferry_error *err);
} ferry_flush_ops;

FERRY_EXTERN_C_END

#endif /* FERRY_FLUSH_H */
