/*
 * Compiled as C11 with -pedantic -Werror: every public header must be plain
 * C, and the layouts that the ABI freezes are checked at compile time.
 *  - Every crossing struct starts with uint32_t struct_size at offset 0.
 *  - The descriptor's fingerprint has the same offsets for every ABI major.
 *  - Fields of minor 1 never move (appending keeps these offsets); the
 *    fields minor 2 appended sit right after them.
 * A failed assertion here is an ABI break: bump FERRY_ABI_MAJOR or undo it.
 */
#include <ferry/ferry.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define STRUCT_SIZE_FIRST(T) \
  _Static_assert(offsetof(T, struct_size) == 0 && sizeof(((T *)0)->struct_size) == 4, \
                 #T ": struct_size must be the first field, 4 bytes")

STRUCT_SIZE_FIRST(ferry_config_key);
STRUCT_SIZE_FIRST(ferry_requirement);
STRUCT_SIZE_FIRST(ferry_plugin_desc);
STRUCT_SIZE_FIRST(ferry_host_api);
STRUCT_SIZE_FIRST(ferry_kernel_info);
STRUCT_SIZE_FIRST(ferry_service);
STRUCT_SIZE_FIRST(ferry_topic_info);
STRUCT_SIZE_FIRST(ferry_put_result);
STRUCT_SIZE_FIRST(ferry_response);
STRUCT_SIZE_FIRST(ferry_message);
STRUCT_SIZE_FIRST(ferry_append_result);
STRUCT_SIZE_FIRST(ferry_record_view);
STRUCT_SIZE_FIRST(ferry_storage_ops);
STRUCT_SIZE_FIRST(ferry_read_filter);
STRUCT_SIZE_FIRST(ferry_read_request);
STRUCT_SIZE_FIRST(ferry_read_result);
STRUCT_SIZE_FIRST(ferry_storage_stats);
STRUCT_SIZE_FIRST(ferry_dispatch_entry);
STRUCT_SIZE_FIRST(ferry_flush_info);
STRUCT_SIZE_FIRST(ferry_flush_ops);
STRUCT_SIZE_FIRST(ferry_replication_info);
STRUCT_SIZE_FIRST(ferry_replication_ops);
STRUCT_SIZE_FIRST(ferry_routing_info);
STRUCT_SIZE_FIRST(ferry_routing_ops);
STRUCT_SIZE_FIRST(ferry_delay_info);
STRUCT_SIZE_FIRST(ferry_delay_ops);
STRUCT_SIZE_FIRST(ferry_transaction_info);
STRUCT_SIZE_FIRST(ferry_transaction_ops);
STRUCT_SIZE_FIRST(ferry_filter_ops);

/* The fingerprint: frozen for every major so any kernel can refuse any plugin. */
_Static_assert(offsetof(ferry_plugin_desc, magic) == 4, "fingerprint moved");
_Static_assert(offsetof(ferry_plugin_desc, abi_major) == 8, "fingerprint moved");
_Static_assert(offsetof(ferry_plugin_desc, abi_minor) == 10, "fingerprint moved");
_Static_assert(offsetof(ferry_plugin_desc, pointer_size) == 12, "fingerprint moved");
_Static_assert(offsetof(ferry_plugin_desc, kind) == 14, "fingerprint moved");
_Static_assert(offsetof(ferry_plugin_desc, name) == 16, "fingerprint moved");
_Static_assert(offsetof(ferry_plugin_desc, plugin_version) == 16 + sizeof(void *), "fingerprint moved");
_Static_assert(sizeof(((ferry_plugin_desc *)0)->abi_major) == 2, "abi_major is 16 bits");

/* Major 0 fields of the descriptor, in order (LP64 offsets via pointer size). */
#define P sizeof(void *)
_Static_assert(offsetof(ferry_plugin_desc, description) == 16 + 2 * P, "descriptor moved");
_Static_assert(offsetof(ferry_plugin_desc, config_keys) == 16 + 3 * P, "descriptor moved");
_Static_assert(offsetof(ferry_plugin_desc, create) < offsetof(ferry_plugin_desc, start) &&
                   offsetof(ferry_plugin_desc, start) < offsetof(ferry_plugin_desc, stop) &&
                   offsetof(ferry_plugin_desc, stop) < offsetof(ferry_plugin_desc, destroy) &&
                   offsetof(ferry_plugin_desc, destroy) < offsetof(ferry_plugin_desc, ops),
               "lifecycle entries reordered");

/* The host table: function pointers one slot apart, in declaration order. */
_Static_assert(offsetof(ferry_host_api, abi_major) == 4, "host table header moved");
_Static_assert(offsetof(ferry_host_api, set_error) == 8, "host table moved");
_Static_assert(offsetof(ferry_host_api, log) == 8 + 1 * P, "host table moved");
_Static_assert(offsetof(ferry_host_api, now_ms) == 8 + 4 * P, "host table moved");
_Static_assert(offsetof(ferry_host_api, config_string) == 8 + 8 * P, "host table moved");
_Static_assert(offsetof(ferry_host_api, metric_register) == 8 + 16 * P, "host table moved");
_Static_assert(offsetof(ferry_host_api, service_find) == 8 + 20 * P, "host table moved");
_Static_assert(offsetof(ferry_host_api, post) == 8 + 23 * P, "host table moved");
_Static_assert(offsetof(ferry_host_api, handler_register) == 8 + 25 * P, "host table moved");
_Static_assert(offsetof(ferry_host_api, conn_open) == 8 + 33 * P, "host table moved");
_Static_assert(offsetof(ferry_host_api, topic_get) == 8 + 40 * P, "host table moved");
_Static_assert(offsetof(ferry_host_api, edit_set_sys_flag) == 8 + 50 * P, "host table moved");
_Static_assert(sizeof(ferry_host_api) >= FERRY_STRUCT_SIZE(ferry_host_api, edit_set_sys_flag),
               "host table shrank");
/* Minor 2: appended after edit_set_sys_flag, one slot each, so a minor-1
 * plugin's FERRY_HAS_FIELD check against a newer host stays right. */
_Static_assert(offsetof(ferry_host_api, error_create) == 8 + 51 * P, "minor-2 host entries moved");
_Static_assert(offsetof(ferry_host_api, error_get) == 8 + 52 * P, "minor-2 host entries moved");
_Static_assert(offsetof(ferry_host_api, error_destroy) == 8 + 53 * P, "minor-2 host entries moved");
_Static_assert(sizeof(ferry_host_api) >= FERRY_STRUCT_SIZE(ferry_host_api, error_destroy),
               "host table shrank");

/* The storage ops table: struct_size, then function pointers one slot apart;
 * on_visible (optional, minor 2) is the last. */
_Static_assert(offsetof(ferry_storage_ops, append) == 1 * P, "storage ops moved");
_Static_assert(offsetof(ferry_storage_ops, sync) == 2 * P, "storage ops moved");
_Static_assert(offsetof(ferry_storage_ops, write_offset) == 3 * P, "storage ops moved");
_Static_assert(offsetof(ferry_storage_ops, set_dispatch_listener) == 13 * P, "storage ops moved");
_Static_assert(offsetof(ferry_storage_ops, on_visible) == 14 * P, "minor-2 storage entry moved");
_Static_assert(offsetof(ferry_storage_ops, end_turn) == 15 * P, "storage end_turn moved");
_Static_assert(sizeof(ferry_storage_ops) >= FERRY_STRUCT_SIZE(ferry_storage_ops, on_visible),
               "storage ops table shrank");

/* The message: minor 3 appended storage_slot right after the last minor-1
 * field, so a message of an older plugin simply ends before it. */
_Static_assert(offsetof(ferry_message, storage_slot) ==
                   FERRY_STRUCT_SIZE(ferry_message, prepared_transaction_offset),
               "minor-3 message field moved");

/* Config keys and requirements are strided by their declared size. */
_Static_assert(offsetof(ferry_config_key, name) == P, "config key moved");
_Static_assert(offsetof(ferry_config_key, description) == 7 * P, "config key moved");
_Static_assert(offsetof(ferry_requirement, kind) == 4 && offsetof(ferry_requirement, optional) == 8,
               "requirement moved");
_Static_assert(sizeof(ferry_slice) == 2 * P, "slice is pointer + length");
_Static_assert(sizeof(ferry_bool) == 4 && sizeof(ferry_status) == 4, "fixed-width scalars");

/* Stable numbers. */
_Static_assert(FERRY_OK == 0 && FERRY_E_IO == 100 && FERRY_E_TOPIC_NOT_FOUND == 200 &&
                   FERRY_E_NOT_CONNECTED == 300 && FERRY_E_ABI_MISMATCH == 400,
               "status ranges");
_Static_assert(FERRY_KIND_STORAGE == 1 && FERRY_KIND_FILTER == 7 && FERRY_KIND_COUNT == 7,
               "kind numbers");

int main(void) {
  /* The inline helpers compile and behave as C. */
  ferry_slice tag = {"TagA", 4};
  if (strcmp(ferry_status_name(FERRY_E_BUSY), "FERRY_E_BUSY") != 0) return 1;
  if (strcmp(ferry_status_name((ferry_status)9999), "FERRY_E_UNKNOWN") != 0) return 1;
  if (strcmp(ferry_kind_name(FERRY_KIND_FLUSH), "flush") != 0) return 1;
  if (ferry_tag_hash(tag) != 2598919) return 1; /* Java "TagA".hashCode() */
  puts("ok");
  return 0;
}
