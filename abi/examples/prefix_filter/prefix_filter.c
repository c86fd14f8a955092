/*
 * ferry_filter_prefix — an out-of-tree example plugin in plain C11.
 *
 * A filter-kind plugin: a subscription with expression type "PREFIX" and
 * expression "order-" receives only messages whose TAGS property (or the
 * property named by the `property` key) starts with "order-".
 *
 * Build it against an installed Ferry (docs/plugins.md):
 *   cmake -S . -B build -DCMAKE_PREFIX_PATH=/opt/ferry && cmake --build build
 * and name it in a config:
 *   [plugins.prefix]
 *   library = "/path/to/ferry_filter_prefix"
 *   ignore_case = true
 */
#include <ctype.h>
#include <ferry/ferry.h>
#include <stdlib.h>
#include <string.h>

/* One instance per [plugins.<name>] block. Owned by the plugin: allocated in
 * create, freed in destroy. */
typedef struct prefix_filter {
  const ferry_host_api *api;
  ferry_host *host;
  char expression_type[32];
  char property[64];
  ferry_bool ignore_case;
} prefix_filter;

/* A compiled subscription: owned by the caller of compile, freed by release. */
typedef struct prefix_expr {
  size_t len;
  char text[]; /* not NUL-terminated */
} prefix_expr;

static ferry_status copy_config(prefix_filter *f, const char *key, char *out, size_t cap,
                                ferry_error *err) {
  const char *value = NULL;
  ferry_status st = f->api->config_string(f->host, key, &value);
  if (st != FERRY_OK) return f->api->set_error(err, st, "cannot read config");
  if (strlen(value) == 0 || strlen(value) >= cap)
    return f->api->set_error(err, FERRY_E_CONFIG, "value is empty or too long");
  memcpy(out, value, strlen(value) + 1);
  return FERRY_OK;
}

static ferry_status prefix_create(const ferry_host_api *api, ferry_host *host, void **instance,
                                  ferry_error *err) {
  ferry_status st;
  prefix_filter *f = (prefix_filter *)calloc(1, sizeof *f);
  if (f == NULL) return api->set_error(err, FERRY_E_NO_MEMORY, "out of memory");
  f->api = api;
  f->host = host;
  st = copy_config(f, "expression_type", f->expression_type, sizeof f->expression_type, err);
  if (st == FERRY_OK) st = copy_config(f, "property", f->property, sizeof f->property, err);
  if (st == FERRY_OK) st = api->config_bool(host, "ignore_case", &f->ignore_case);
  if (st != FERRY_OK) {
    free(f); /* create failed: destroy will not be called */
    return st;
  }
  api->log(host, FERRY_LOG_INFO, "prefix filter ready");
  *instance = f;
  return FERRY_OK;
}

static void prefix_destroy(void *instance) { free(instance); }

static const char *prefix_expression_type(void *inst) {
  return ((prefix_filter *)inst)->expression_type;
}

static ferry_status prefix_compile(void *inst, ferry_slice expression, void **compiled,
                                   ferry_error *err) {
  prefix_filter *f = (prefix_filter *)inst;
  prefix_expr *e;
  if (expression.len == 0)
    return f->api->set_error(err, FERRY_E_BAD_SUBSCRIPTION, "empty prefix: subscribe with \"*\" instead");
  e = (prefix_expr *)malloc(sizeof *e + expression.len);
  if (e == NULL) return f->api->set_error(err, FERRY_E_NO_MEMORY, "out of memory");
  e->len = expression.len;
  memcpy(e->text, expression.data, expression.len);
  *compiled = e;
  return FERRY_OK;
}

static void prefix_release(void *inst, void *compiled) {
  (void)inst;
  free(compiled);
}

/* A tag hash cannot tell a prefix: always let stage 2 decide. */
static int prefix_match_tag_hash(void *inst, const void *compiled, int64_t tag_hash) {
  (void)inst, (void)compiled, (void)tag_hash;
  return -1;
}

static int prefix_match_record(void *inst, const void *compiled, const void *record, size_t len) {
  const prefix_filter *f = (const prefix_filter *)inst;
  const prefix_expr *e = (const prefix_expr *)compiled;
  ferry_record_view view;
  ferry_slice value;
  size_t i;
  if (ferry_record_decode(record, len, &view) != FERRY_OK) return 0;
  if (!ferry_property_find(view.properties, f->property, &value) || value.len < e->len) return 0;
  for (i = 0; i < e->len; i++) {
    unsigned char a = ((const unsigned char *)value.data)[i];
    unsigned char b = (unsigned char)e->text[i];
    if (f->ignore_case ? tolower(a) != tolower(b) : a != b) return 0;
  }
  return 1;
}

static const ferry_filter_ops prefix_ops = {
    sizeof(ferry_filter_ops), prefix_expression_type, prefix_compile,
    prefix_release,           prefix_match_tag_hash,  prefix_match_record};

static const void *prefix_ops_fn(void *instance) {
  (void)instance;
  return &prefix_ops;
}

static const ferry_config_key prefix_keys[] = {
    FERRY_CONFIG_KEY("expression_type", FERRY_CONFIG_STRING, "PREFIX", NULL, NULL, NULL,
                     "subscription expression type this filter answers to"),
    FERRY_CONFIG_KEY("property", FERRY_CONFIG_STRING, "TAGS", NULL, NULL, NULL,
                     "message property whose value must start with the expression"),
    FERRY_CONFIG_KEY("ignore_case", FERRY_CONFIG_BOOL, "false", NULL, NULL, NULL,
                     "compare ASCII letters without regard to case"),
};

static const ferry_plugin_desc prefix_desc = {
    FERRY_PLUGIN_FINGERPRINT(FERRY_KIND_FILTER, "prefix", "1.0.0"),
    "keeps messages whose TAGS (or another property) start with the subscribed prefix",
    prefix_keys, sizeof(ferry_config_key), sizeof prefix_keys / sizeof prefix_keys[0],
    NULL, sizeof(ferry_requirement), 0,
    prefix_create,
    NULL, /* start: nothing to start */
    NULL, /* stop: nothing to stop */
    prefix_destroy,
    prefix_ops_fn};

FERRY_PLUGIN_DEFINE(prefix_desc)
