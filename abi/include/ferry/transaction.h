/*
 * ferry/transaction.h — the transaction kind (plugin: checkback).
 *
 * Half messages: a pre-append hook on TRAN_MSG moves a prepared message to
 * the half topic. Commit / rollback arrive as plugin requests
 * (api->handler_register): commit re-delivers the half message to its real
 * topic with api->put_message and records an op; rollback records an op.
 * Unresolved half messages older than the check interval are checked back
 * with a live producer of their group (api->producer_conn +
 * api->client_request), at most max_checks times, then discarded with a log
 * line.
 */
#ifndef FERRY_TRANSACTION_H
#define FERRY_TRANSACTION_H

#include "ferry/abi.h"
#include "ferry/status.h"

FERRY_EXTERN_C_BEGIN

typedef struct ferry_transaction_info {
  uint32_t struct_size;
  uint64_t half_pending;      /* prepared, unresolved */
  uint64_t committed;
  uint64_t rolled_back;
  uint64_t checks_sent;
  uint64_t discarded;         /* gave up after max checks */
} ferry_transaction_info;

typedef struct ferry_transaction_ops {
  uint32_t struct_size;
  /* Counters. [loop] */
  ferry_status (*info)(void *inst, ferry_transaction_info *out);
} ferry_transaction_ops;

FERRY_EXTERN_C_END

#endif /* FERRY_TRANSACTION_H */
