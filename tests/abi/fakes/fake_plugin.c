/*
 * One source, many fake plugins: each build (CMakeLists.txt) defines a few
 * FAKE_* macros so the library breaks exactly one ABI rule, or behaves
 * correctly so the kernel's ordering can be observed. Every lifecycle call
 * logs "<event>" through the host, which is how tests see the order.
 *
 *   FAKE_KIND        ferry_plugin_kind              (required)
 *   FAKE_NAME        "name"                         (required)
 *   FAKE_MAJOR       abi_major written              (default FERRY_ABI_MAJOR)
 *   FAKE_OLD_MINOR   minor 0 with a descriptor that ends at `destroy`;
 *                    the `ops` slot beyond it holds a poison pointer
 *   FAKE_REQUIRES    a kind required                (default none)
 *   FAKE_CREATE_FAILS create fails with a message
 *   FAKE_NO_STOP     stop is NULL (an optional op)
 *   FAKE_NO_ENTRY    no ferry_plugin_entry symbol at all
 */
#include <ferry/ferry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef FAKE_MAJOR
#define FAKE_MAJOR FERRY_ABI_MAJOR
#endif

typedef struct fake {
  const ferry_host_api *api;
  ferry_host *host;
} fake;

static void say(fake *f, const char *event) {
  char line[160];
  const char *greeting = "";
  f->api->config_string(f->host, "greeting", &greeting);
  snprintf(line, sizeof line, "%s %s", event, greeting);
  f->api->log(f->host, FERRY_LOG_INFO, line);
}

static ferry_status fake_create(const ferry_host_api *api, ferry_host *host, void **instance,
                                ferry_error *err) {
  fake *f;
#ifdef FAKE_CREATE_FAILS
  api->log(host, FERRY_LOG_INFO, "create failing");
  return api->set_error(err, FERRY_E_IO, "cannot open /nonexistent/segment: disk on fire");
#endif
  f = (fake *)calloc(1, sizeof *f);
  if (f == NULL) return api->set_error(err, FERRY_E_NO_MEMORY, "out of memory");
  f->api = api;
  f->host = host;
  say(f, "create");
  *instance = f;
  return FERRY_OK;
}

static ferry_status fake_start(void *instance, ferry_error *err) {
  (void)err;
  say((fake *)instance, "start");
  return FERRY_OK;
}

#ifndef FAKE_NO_STOP
static void fake_stop(void *instance) { say((fake *)instance, "stop"); }
#endif

static void fake_destroy(void *instance) {
  fake *f = (fake *)instance;
  say(f, "destroy");
  free(f);
}

#ifndef FAKE_OLD_MINOR
/* Filter ops with the optional match_record left NULL. */
static const char *fake_expression_type(void *inst) {
  (void)inst;
  return "FAKE";
}
static ferry_status fake_compile(void *inst, ferry_slice e, void **compiled, ferry_error *err) {
  (void)inst, (void)e, (void)err;
  *compiled = NULL;
  return FERRY_OK;
}
static void fake_release(void *inst, void *compiled) { (void)inst, (void)compiled; }
static int fake_match_tag_hash(void *inst, const void *compiled, int64_t h) {
  (void)inst, (void)compiled;
  return h == 0 ? 0 : 1;
}
static const ferry_filter_ops fake_filter_ops = {
    sizeof(ferry_filter_ops), fake_expression_type, fake_compile, fake_release,
    fake_match_tag_hash, NULL};

static const void *fake_ops(void *instance) {
  (void)instance;
  return FAKE_KIND == FERRY_KIND_FILTER ? &fake_filter_ops : NULL;
}
#endif

#ifdef FAKE_OLD_MINOR
/* Past an old descriptor's end: the kernel must never call it. */
static const void *poison_ops(void *instance) {
  (void)instance;
  abort();
}
#endif

static const ferry_config_key fake_keys[] = {
    FERRY_CONFIG_KEY("greeting", FERRY_CONFIG_STRING, "", NULL, NULL, NULL,
                     "text appended to every lifecycle log line"),
};

#ifdef FAKE_REQUIRES
static const ferry_requirement fake_requirements[] = {FERRY_REQUIRE(FAKE_REQUIRES)};
#define FAKE_REQ_COUNT 1
#else
static const ferry_requirement fake_requirements[] = {FERRY_REQUIRE_OPTIONAL(FERRY_KIND_STORAGE)};
#define FAKE_REQ_COUNT 0
#endif

static const ferry_plugin_desc fake_desc = {
#ifdef FAKE_OLD_MINOR
    (uint32_t)FERRY_STRUCT_SIZE(ferry_plugin_desc, destroy), FERRY_PLUGIN_MAGIC, FAKE_MAJOR, 0,
    (uint16_t)sizeof(void *), (uint16_t)FAKE_KIND, FAKE_NAME, "0.0.1",
#else
    (uint32_t)sizeof(ferry_plugin_desc), FERRY_PLUGIN_MAGIC, FAKE_MAJOR, FERRY_ABI_MINOR,
    (uint16_t)sizeof(void *), (uint16_t)FAKE_KIND, FAKE_NAME, "0.0.1",
#endif
    "a fake plugin for the kernel's ABI tests",
    fake_keys, sizeof(ferry_config_key), 1,
    fake_requirements, sizeof(ferry_requirement), FAKE_REQ_COUNT,
    fake_create,
    fake_start,
#ifdef FAKE_NO_STOP
    NULL,
#else
    fake_stop,
#endif
    fake_destroy,
#ifdef FAKE_OLD_MINOR
    poison_ops,
#else
    fake_ops,
#endif
};

#ifdef FAKE_NO_ENTRY
/* Something to export, under the wrong name. */
FERRY_EXPORT const ferry_plugin_desc *ferry_plugin_entry_v2(void);
FERRY_EXPORT const ferry_plugin_desc *ferry_plugin_entry_v2(void) { return &fake_desc; }
#else
FERRY_PLUGIN_DEFINE(fake_desc)
#endif
