/*
 * ferry/status.h — one status enum for plugins, kernel, wire and clients.
 *
 * Numbers are stable forever: never renumbered, never reused. 0 is success.
 *   1..99     generic errors that can happen anywhere (local)
 *   100..199  storage and durability
 *   200..299  messaging answers a broker sends on the wire (remote)
 *   300..399  client-side conditions (connection, routes, timeouts)
 *   400..499  plugin loading and configuration
 * A status travels on the wire as its number; an unknown number is shown as
 * "FERRY_E_UNKNOWN(n)" by ferry_status_name and is not an error to receive.
 */
#ifndef FERRY_STATUS_H
#define FERRY_STATUS_H

#include "ferry/abi.h"

FERRY_EXTERN_C_BEGIN

typedef enum ferry_status {
  FERRY_OK = 0,

  FERRY_E_INVALID_ARGUMENT = 1,
  FERRY_E_NOT_FOUND = 2,
  FERRY_E_ALREADY_EXISTS = 3,
  FERRY_E_NOT_SUPPORTED = 4,
  FERRY_E_NO_MEMORY = 5,
  FERRY_E_INTERNAL = 6,
  FERRY_E_TIMEOUT = 7,
  FERRY_E_BUSY = 8,            /* SYSTEM_BUSY: bounded queue full; retriable */
  FERRY_E_SHUTTING_DOWN = 9,
  FERRY_E_WOULD_BLOCK = 10,    /* retry where blocking is allowed */
  FERRY_E_OUT_OF_RANGE = 11,
  FERRY_E_TOO_LARGE = 12,
  FERRY_E_PERMISSION = 13,
  FERRY_E_STATE = 14,          /* call not valid in the object's current state */

  FERRY_E_IO = 100,
  FERRY_E_DISK_FULL = 101,
  FERRY_E_CORRUPTED = 102,
  FERRY_E_READ_ONLY = 103,     /* broker turned read-only after a fault */
  FERRY_E_FLUSH_TIMEOUT = 104, /* FLUSH_DISK_TIMEOUT: stored, not yet durable */
  FERRY_E_REPLICA_TIMEOUT = 105, /* FLUSH_SLAVE_TIMEOUT */
  FERRY_E_REPLICA_NOT_AVAILABLE = 106, /* SLAVE_NOT_AVAILABLE */

  FERRY_E_TOPIC_NOT_FOUND = 200,
  FERRY_E_MESSAGE_TOO_LARGE = 201,
  FERRY_E_INVALID_NAME = 202,
  FERRY_E_NO_NEW_MESSAGE = 203,      /* pull: nothing new (also after a held long poll) */
  FERRY_E_OFFSET_MOVED = 204,
  FERRY_E_OFFSET_OUT_OF_RANGE = 205,
  FERRY_E_BAD_SUBSCRIPTION = 206,    /* malformed filter expression */
  FERRY_E_UNKNOWN_REQUEST = 207,     /* request code nobody handles */
  FERRY_E_NOT_MASTER = 208,
  FERRY_E_NO_PERMISSION = 209,       /* topic perm forbids read/write */
  FERRY_E_GROUP_NOT_FOUND = 210,
  FERRY_E_LOCK_HELD = 211,           /* queue locked by another client */
  FERRY_E_BAD_FRAME = 212,
  FERRY_E_RESERVED_NAME = 213,

  FERRY_E_NOT_CONNECTED = 300,
  FERRY_E_CONNECTION_CLOSED = 301,
  FERRY_E_NO_ROUTE = 302,
  FERRY_E_NO_NAME_SERVER = 303,
  FERRY_E_CLOSED = 304,              /* handle shut down or destroyed */

  FERRY_E_ABI_MISMATCH = 400,
  FERRY_E_CONFIG = 401,
  FERRY_E_PLUGIN_LOAD = 402,
  FERRY_E_DEPENDENCY = 403,          /* missing requirement or cycle */
  FERRY_E_PLUGIN_INIT = 404
} ferry_status;

/* True for statuses a producer may retry on another broker. */
static inline ferry_bool ferry_status_retriable(ferry_status s) {
  return s == FERRY_E_BUSY || s == FERRY_E_TIMEOUT || s == FERRY_E_NOT_CONNECTED ||
         s == FERRY_E_CONNECTION_CLOSED || s == FERRY_E_NOT_MASTER ||
         s == FERRY_E_SHUTTING_DOWN || s == FERRY_E_REPLICA_NOT_AVAILABLE;
}

#define FERRY_STATUS_LIST(X)                                                        \
  X(FERRY_OK, "ok")                                                                 \
  X(FERRY_E_INVALID_ARGUMENT, "invalid argument")                                   \
  X(FERRY_E_NOT_FOUND, "not found")                                                 \
  X(FERRY_E_ALREADY_EXISTS, "already exists")                                       \
  X(FERRY_E_NOT_SUPPORTED, "not supported")                                         \
  X(FERRY_E_NO_MEMORY, "out of memory")                                             \
  X(FERRY_E_INTERNAL, "internal error")                                             \
  X(FERRY_E_TIMEOUT, "timed out")                                                   \
  X(FERRY_E_BUSY, "system busy, try another broker")                                \
  X(FERRY_E_SHUTTING_DOWN, "shutting down")                                         \
  X(FERRY_E_WOULD_BLOCK, "would block")                                             \
  X(FERRY_E_OUT_OF_RANGE, "out of range")                                           \
  X(FERRY_E_TOO_LARGE, "too large")                                                 \
  X(FERRY_E_PERMISSION, "permission denied")                                        \
  X(FERRY_E_STATE, "invalid state for this call")                                   \
  X(FERRY_E_IO, "I/O error")                                                        \
  X(FERRY_E_DISK_FULL, "disk full")                                                 \
  X(FERRY_E_CORRUPTED, "data corrupted")                                            \
  X(FERRY_E_READ_ONLY, "broker is read-only after a fault")                         \
  X(FERRY_E_FLUSH_TIMEOUT, "stored but not flushed to disk in time")                \
  X(FERRY_E_REPLICA_TIMEOUT, "stored but not replicated in time")                   \
  X(FERRY_E_REPLICA_NOT_AVAILABLE, "no replica available")                          \
  X(FERRY_E_TOPIC_NOT_FOUND, "topic not found")                                     \
  X(FERRY_E_MESSAGE_TOO_LARGE, "message too large")                                 \
  X(FERRY_E_INVALID_NAME, "invalid name")                                           \
  X(FERRY_E_NO_NEW_MESSAGE, "no new message")                                       \
  X(FERRY_E_OFFSET_MOVED, "offset moved")                                           \
  X(FERRY_E_OFFSET_OUT_OF_RANGE, "offset out of range")                             \
  X(FERRY_E_BAD_SUBSCRIPTION, "bad subscription expression")                        \
  X(FERRY_E_UNKNOWN_REQUEST, "unknown request code")                                \
  X(FERRY_E_NOT_MASTER, "broker is not the master")                                 \
  X(FERRY_E_NO_PERMISSION, "no permission on topic")                                \
  X(FERRY_E_GROUP_NOT_FOUND, "group not found")                                     \
  X(FERRY_E_LOCK_HELD, "queue locked by another client")                            \
  X(FERRY_E_BAD_FRAME, "malformed frame")                                           \
  X(FERRY_E_RESERVED_NAME, "reserved name")                                         \
  X(FERRY_E_NOT_CONNECTED, "not connected")                                         \
  X(FERRY_E_CONNECTION_CLOSED, "connection closed")                                 \
  X(FERRY_E_NO_ROUTE, "no route for topic")                                         \
  X(FERRY_E_NO_NAME_SERVER, "no name server reachable")                             \
  X(FERRY_E_CLOSED, "handle closed")                                                \
  X(FERRY_E_ABI_MISMATCH, "ABI mismatch")                                           \
  X(FERRY_E_CONFIG, "configuration error")                                          \
  X(FERRY_E_PLUGIN_LOAD, "plugin could not be loaded")                              \
  X(FERRY_E_DEPENDENCY, "plugin dependency error")                                  \
  X(FERRY_E_PLUGIN_INIT, "plugin initialisation failed")

/* Symbolic name, e.g. "FERRY_E_BUSY". Static storage; never NULL. */
static inline const char *ferry_status_name(ferry_status s) {
  switch (s) {
#define FERRY_X_NAME(code, text) \
  case code:                     \
    return #code;
    FERRY_STATUS_LIST(FERRY_X_NAME)
#undef FERRY_X_NAME
  }
  return "FERRY_E_UNKNOWN";
}

/* Human text, e.g. "system busy, try another broker". Static; never NULL. */
static inline const char *ferry_status_str(ferry_status s) {
  switch (s) {
#define FERRY_X_STR(code, text) \
  case code:                    \
    return text;
    FERRY_STATUS_LIST(FERRY_X_STR)
#undef FERRY_X_STR
  }
  return "unknown status";
}

FERRY_EXTERN_C_END

#endif /* FERRY_STATUS_H */
