/*
 * ferry/delay.h — the delay kind (plugins: levels = RocketMQ's 18 fixed
 * levels, timer = any delivery timestamp).
 *
 * The plugin registers a pre-append hook (api->hook_pre_append) for the
 * property it serves (DELAY, or __STARTDELIVERTIME): the hook moves the
 * message to the plugin's system topic and records REAL_TOPIC / REAL_QID.
 * When a message is due, the plugin re-delivers it to its real topic with
 * api->put_message, and only then advances its own progress, so a crash
 * re-delivers rather than loses (at least once).
 */
#ifndef FERRY_DELAY_H
#define FERRY_DELAY_H

#include "ferry/abi.h"
#include "ferry/status.h"

FERRY_EXTERN_C_BEGIN

typedef struct ferry_delay_info {
  uint32_t struct_size;
  uint32_t level_count;        /* 0 for a timer plugin */
  uint64_t pending;            /* messages held, best effort */
  uint64_t delivered;          /* re-delivered since start */
  int64_t max_delay_ms;        /* longest delay accepted */
} ferry_delay_info;

typedef struct ferry_delay_ops {
  uint32_t struct_size;
  /* Counters. [loop] */
  ferry_status (*info)(void *inst, ferry_delay_info *out);
  /* Delay of `level` (1-based) in ms; FERRY_E_OUT_OF_RANGE otherwise. [any]
   * Optional (timer plugins). */
  ferry_status (*level_delay_ms)(void *inst, uint32_t level, int64_t *delay_ms);
} ferry_delay_ops;

FERRY_EXTERN_C_END

#endif /* FERRY_DELAY_H */
