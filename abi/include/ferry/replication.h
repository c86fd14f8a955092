/*
 * ferry/replication.h — the replication kind: owns the REPLICATED watermark
 * (plugin: ha, mode sync or async).
 *
 * Master: listens on its HA address (api->listen), streams the commit log to
 * slaves with storage.read_log, and advances REPLICATED with
 * api->watermark_advance as slaves confirm. Slave: connects to the master's
 * HA address (api->conn_open), appends with storage.append_raw, and reports
 * its offset back. With no replication instance loaded, REPLICATED equals
 * WRITE. Consumers may read from a slave when the master is down.
 */
#ifndef FERRY_REPLICATION_H
#define FERRY_REPLICATION_H

#include "ferry/abi.h"
#include "ferry/status.h"

FERRY_EXTERN_C_BEGIN

typedef enum ferry_replication_role {
  FERRY_REPLICATION_MASTER = 1,
  FERRY_REPLICATION_SLAVE = 2
} ferry_replication_role;

typedef enum ferry_replication_mode {
  /* Acks wait for REPLICATED (a slave has the bytes); after ack_timeout_ms
   * FERRY_E_REPLICA_TIMEOUT; with no slave connected FERRY_E_REPLICA_NOT_AVAILABLE. */
  FERRY_REPLICATION_SYNC = 1,
  /* Acks ignore REPLICATED; slaves trail. */
  FERRY_REPLICATION_ASYNC = 2
} ferry_replication_mode;

typedef struct ferry_replication_info {
  uint32_t struct_size;
  ferry_replication_role role;
  ferry_replication_mode mode;
  uint32_t ack_timeout_ms;
  uint32_t slaves_connected;     /* master: slaves currently streaming */
  uint64_t master_offset;        /* slave: master's write offset last heard */
  const char *master_address;    /* slave: owned by the plugin, valid until the next call */
} ferry_replication_info;

typedef struct ferry_replication_ops {
  uint32_t struct_size;
  /* Role, mode, progress. [loop] */
  ferry_status (*info)(void *inst, ferry_replication_info *out);
  /* The WRITE watermark advanced; at most once per loop iteration. [loop],
   * must not block. */
  void (*on_appended)(void *inst, uint64_t write_offset);
} ferry_replication_ops;

FERRY_EXTERN_C_END

#endif /* FERRY_REPLICATION_H */
