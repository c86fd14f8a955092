/*
 * ferry/routing.h — the routing kind (plugin: namesrv).
 *
 * Registry mode (a name server): registers request handlers for broker
 * registration, route and cluster queries with api->handler_register, expires
 * silent brokers with a timer. Registration mode (in a broker): opens
 * connections to every configured name server (api->conn_open) and
 * registers the topic table (api->topic_foreach) at start, on change and
 * periodically, split into chunks under the frame limit.
 *
 * Most of the work goes through the host table; the ops are the kernel's
 * few calls into the plugin.
 */
#ifndef FERRY_ROUTING_H
#define FERRY_ROUTING_H

#include "ferry/abi.h"
#include "ferry/status.h"

FERRY_EXTERN_C_BEGIN

typedef enum ferry_routing_mode {
  FERRY_ROUTING_REGISTRY = 1,      /* a name server */
  FERRY_ROUTING_REGISTRATION = 2   /* a broker registering itself */
} ferry_routing_mode;

typedef struct ferry_routing_info {
  uint32_t struct_size;
  ferry_routing_mode mode;
  uint32_t brokers_known;          /* registry: live brokers */
  uint32_t topics_known;           /* registry: topics with a route */
  uint32_t name_servers;           /* registration: configured */
  uint32_t name_servers_registered;/* registration: last round succeeded */
} ferry_routing_info;

typedef struct ferry_routing_ops {
  uint32_t struct_size;
  /* Mode and counters. [loop] */
  ferry_status (*info)(void *inst, ferry_routing_info *out);
  /* The core's topic table changed (create, update, delete): registration
   * mode re-registers soon, debounced. [loop], must not block. Optional. */
  void (*on_topics_changed)(void *inst);
} ferry_routing_ops;

FERRY_EXTERN_C_END

#endif /* FERRY_ROUTING_H */
