/*
 * ferry/config.h — the configuration schema a plugin declares.
 *
 * The kernel validates each plugin instance's TOML block against these keys
 * before the plugin's create() runs: an unknown key, a wrong type or a value
 * out of range is an error naming file:line:column and the key, listing the
 * valid keys. The plugin later reads validated values (defaults applied)
 * through ferry_host_api.config_*.
 */
#ifndef FERRY_CONFIG_H
#define FERRY_CONFIG_H

#include "ferry/abi.h"

FERRY_EXTERN_C_BEGIN

/* Value types. Stable numbers. */
typedef enum ferry_config_type {
  FERRY_CONFIG_STRING = 1,
  FERRY_CONFIG_INT = 2,      /* int64 */
  FERRY_CONFIG_BOOL = 3,
  FERRY_CONFIG_DOUBLE = 4,
  FERRY_CONFIG_DURATION = 5, /* "30s", "500ms", "2h"; read as milliseconds */
  FERRY_CONFIG_SIZE = 6,     /* "1GiB", "64KiB", 4096; read as bytes */
  FERRY_CONFIG_STRING_LIST = 7,
  FERRY_CONFIG_ENUM = 8      /* a string restricted to enum_values */
} ferry_config_type;

/*
 * One configuration key. Plugins declare an array of these in static storage
 * (OWNERSHIP: the plugin's; must stay valid while the library is loaded).
 * The kernel strides the array by ferry_plugin_desc.config_key_size, so this
 * struct can grow at the end.
 *
 * Texts are written as they would appear in TOML, in the key's own units:
 * default_value "1GiB" for a SIZE, "30s" for a DURATION, "true" for a BOOL,
 * "a, b" (comma separated) for a STRING_LIST. NULL default_value makes the key
 * required. min_value / max_value (inclusive; NULL = unbounded) apply to INT,
 * DOUBLE, DURATION and SIZE. enum_values is "sync|async" for an ENUM.
 */
typedef struct ferry_config_key {
  uint32_t struct_size;
  const char *name;
  ferry_config_type type;
  const char *default_value;
  const char *min_value;
  const char *max_value;
  const char *enum_values;
  const char *description; /* one sentence; printed by `ferryd --print-schema` */
} ferry_config_key;

/* Convenience initialiser for static arrays of keys. */
#define FERRY_CONFIG_KEY(name, type, def, min, max, enums, desc) \
  { (uint32_t)sizeof(ferry_config_key), name, type, def, min, max, enums, desc }

FERRY_EXTERN_C_END

#endif /* FERRY_CONFIG_H */
