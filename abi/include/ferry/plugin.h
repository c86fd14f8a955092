/*
 * ferry/plugin.h — what a plugin library exports and how the kernel drives it.
 *
 * A plugin library (`ferry_<kind>_<name>.so`) exports exactly one symbol:
 *
 *     FERRY_EXPORT const ferry_plugin_desc *ferry_plugin_entry(void);
 *
 * It must return a pointer to a descriptor in static storage and do nothing
 * else (FERRY_PLUGIN_DEFINE writes it). The kernel reads the descriptor's
 * fingerprint — magic, ABI major/minor, pointer size, kind, name — and refuses
 * a mismatch before calling any other plugin code.
 *
 * One library can be instantiated several times, each instance with its own
 * config block and its own ferry_host handle (e.g. the routing library in
 * registry mode and registration mode in one standalone process).
 *
 * Lifecycle, all on the kernel's loop thread, in dependency order
 * (requirements first) for create/start and in reverse for stop/destroy:
 *     create -> start -> ... serving ... -> stop -> destroy
 * If create fails, destroy is not called for that instance. If start fails,
 * stop is not called for it, but destroy is. Every entry is wrapped by the
 * plugin: no exception or longjmp may cross it.
 */
#ifndef FERRY_PLUGIN_H
#define FERRY_PLUGIN_H

#include "ferry/abi.h"
#include "ferry/config.h"
#include "ferry/status.h"

FERRY_EXTERN_C_BEGIN

/* The seven kinds. Stable numbers. */
typedef enum ferry_plugin_kind {
  FERRY_KIND_STORAGE = 1,
  FERRY_KIND_FLUSH = 2,
  FERRY_KIND_REPLICATION = 3,
  FERRY_KIND_ROUTING = 4,
  FERRY_KIND_DELAY = 5,
  FERRY_KIND_TRANSACTION = 6,
  FERRY_KIND_FILTER = 7
} ferry_plugin_kind;

#define FERRY_KIND_COUNT 7

static inline const char *ferry_kind_name(uint32_t kind) {
  switch (kind) {
    case FERRY_KIND_STORAGE: return "storage";
    case FERRY_KIND_FLUSH: return "flush";
    case FERRY_KIND_REPLICATION: return "replication";
    case FERRY_KIND_ROUTING: return "routing";
    case FERRY_KIND_DELAY: return "delay";
    case FERRY_KIND_TRANSACTION: return "transaction";
    case FERRY_KIND_FILTER: return "filter";
    default: return "unknown";
  }
}

struct ferry_host_api;
typedef struct ferry_host ferry_host;   /* opaque: the kernel's handle for one instance */
typedef struct ferry_error ferry_error; /* opaque: filled with ferry_host_api.set_error */

/* A requirement: this instance needs an instance of `kind` to exist and to be
 * started before it. `optional` requirements order start-up when present and
 * are not an error when absent. */
typedef struct ferry_requirement {
  uint32_t struct_size;
  uint32_t kind;     /* ferry_plugin_kind */
  ferry_bool optional;
} ferry_requirement;

#define FERRY_REQUIRE(kind) { (uint32_t)sizeof(ferry_requirement), (uint32_t)(kind), 0 }
#define FERRY_REQUIRE_OPTIONAL(kind) { (uint32_t)sizeof(ferry_requirement), (uint32_t)(kind), 1 }

/*
 * The plugin descriptor. OWNERSHIP: the plugin's, static storage, valid while
 * the library is loaded.
 *
 * The fingerprint fields (struct_size through plugin_version) are frozen in
 * this order for every ABI major, so any kernel can read and refuse any
 * plugin. Everything after them belongs to ABI major FERRY_ABI_MAJOR.
 */
typedef struct ferry_plugin_desc {
  /* --- fingerprint: frozen layout --- */
  uint32_t struct_size;
  uint32_t magic;          /* FERRY_PLUGIN_MAGIC */
  uint16_t abi_major;      /* FERRY_ABI_MAJOR the plugin was compiled with */
  uint16_t abi_minor;      /* FERRY_ABI_MINOR the plugin was compiled with */
  uint16_t pointer_size;   /* sizeof(void *) */
  uint16_t kind;           /* ferry_plugin_kind */
  const char *name;        /* e.g. "mmaplog"; the library is ferry_<kind>_<name>.so */
  const char *plugin_version; /* e.g. "0.1.0" */

  /* --- major 0 --- */
  const char *description; /* one line, for `ferryd --print-schema` */

  /* Config schema: config_key_count keys, each config_key_size bytes apart. */
  const ferry_config_key *config_keys;
  uint32_t config_key_size;  /* sizeof(ferry_config_key) as compiled */
  uint32_t config_key_count;

  /* Requirements by kind, each requirement_size bytes apart. */
  const ferry_requirement *requirements;
  uint32_t requirement_size;
  uint32_t requirement_count;

  /*
   * create: build an instance. `api` and `host` stay valid until destroy
   * returns. Read config through api->config_*. May block (open files,
   * recover). On failure return a status and describe it with
   * api->set_error(err, ...); *instance is ignored.
   * Thread: kernel loop thread, before the listener accepts connections.
   */
  ferry_status (*create)(const struct ferry_host_api *api, ferry_host *host,
                         void **instance, ferry_error *err);

  /* start: begin work (threads, timers, handlers). Requirements are started.
   * Thread: loop thread. May block briefly. */
  ferry_status (*start)(void *instance, ferry_error *err);

  /* stop: stop taking new work, finish or fail what is in flight, flush,
   * join own threads. Dependents are already stopped. Thread: loop thread
   * (the loop is still running, so completions posted with api->post still
   * arrive after stop returns and before destroy). May block. Optional. */
  void (*stop)(void *instance);

  /* destroy: free the instance. Never fails. Thread: loop thread. */
  void (*destroy)(void *instance);

  /* ops: the kind's ops table (e.g. const ferry_storage_ops *), in static
   * storage or owned by the instance until destroy. Every ops table starts
   * with struct_size. Thread: any; must not block. */
  const void *(*ops)(void *instance);
} ferry_plugin_desc;

/* The entry symbol's name and type. */
#define FERRY_PLUGIN_ENTRY_SYMBOL "ferry_plugin_entry"
typedef const ferry_plugin_desc *(*ferry_plugin_entry_fn)(void);

/* Fill the fingerprint part of a descriptor (in the plugin's compiler). */
#define FERRY_PLUGIN_FINGERPRINT(kind_, name_, version_)                          \
  (uint32_t)sizeof(ferry_plugin_desc), FERRY_PLUGIN_MAGIC, FERRY_ABI_MAJOR,       \
      FERRY_ABI_MINOR, (uint16_t)sizeof(void *), (uint16_t)(kind_), name_, version_

/* Export the entry symbol returning `desc_` (a static ferry_plugin_desc). */
#define FERRY_PLUGIN_DEFINE(desc_)                                         \
  FERRY_EXTERN_C_BEGIN                                                     \
  FERRY_EXPORT const ferry_plugin_desc *ferry_plugin_entry(void);          \
  FERRY_EXPORT const ferry_plugin_desc *ferry_plugin_entry(void) { return &(desc_); } \
  FERRY_EXTERN_C_END

FERRY_EXTERN_C_END

#endif /* FERRY_PLUGIN_H */
