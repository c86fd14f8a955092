/*
 * ferry/abi.h — base of Ferry's stable C ABI (plugins and clients).
 *
 * Rules every public header follows (docs/abi.md explains them):
 *  - Plain C11. Every symbol and type is prefixed `ferry_` / `FERRY_`.
 *  - Every struct that crosses the boundary starts with `uint32_t struct_size`.
 *    Structs only grow at the end. A reader touches only fields that lie below
 *    the struct_size it was given (FERRY_HAS_FIELD); a writer fills struct_size
 *    with the size it was compiled with (FERRY_STRUCT_INIT).
 *  - Optional function pointers may be NULL; callers check before each call.
 *  - No exception ever crosses: C++ implementations catch everything at the
 *    boundary and turn it into a ferry_status.
 *  - Ownership is written at each declaration: "borrowed" data is valid only
 *    for the duration of the call unless stated otherwise.
 *  - The ABI major stays 0 until every plugin kind has a real plugin; a major
 *    change is the only breaking change. Minor bumps only append.
 */
#ifndef FERRY_ABI_H
#define FERRY_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
#define FERRY_EXTERN_C_BEGIN extern "C" {
#define FERRY_EXTERN_C_END }
#else
#define FERRY_EXTERN_C_BEGIN
#define FERRY_EXTERN_C_END
#endif

/* The one export macro. Everything else is hidden (-fvisibility=hidden). */
#if defined(_WIN32)
#define FERRY_EXPORT __declspec(dllexport)
#else
#define FERRY_EXPORT __attribute__((visibility("default")))
#endif

#define FERRY_ABI_MAJOR 0
#define FERRY_ABI_MINOR 4

/* "FRRY" — first word of every plugin descriptor. */
#define FERRY_PLUGIN_MAGIC 0x59525246u

/* Size of T up to and including its field `last` (PJRT_STRUCT_SIZE's idea):
 * lets a struct's minimum accepted size be named by its last known field. */
#define FERRY_STRUCT_SIZE(T, last) (offsetof(T, last) + sizeof(((T *)0)->last))

/* True when a struct of `size` bytes holds field `f` of type T. */
#define FERRY_HAS_FIELD(T, size, f) ((size) >= FERRY_STRUCT_SIZE(T, f))

/* Zero-initialised struct with struct_size set: `ferry_x v = FERRY_STRUCT_INIT(ferry_x);` */
#ifdef __cplusplus
#define FERRY_STRUCT_INIT(T) (T{static_cast<uint32_t>(sizeof(T))})
#else
#define FERRY_STRUCT_INIT(T) ((T){.struct_size = (uint32_t)sizeof(T)})
#endif

FERRY_EXTERN_C_BEGIN

typedef int32_t ferry_bool; /* 0 false, 1 true: fixed width across compilers */

/* A pointer + length view. OWNERSHIP: borrowed unless a declaration says
 * otherwise. Not NUL-terminated. `data` may be NULL when `len` is 0. */
typedef struct ferry_slice {
  const void *data;
  size_t len;
} ferry_slice;

/* Log levels, lowest to highest severity. Stable numbers. */
typedef enum ferry_log_level {
  FERRY_LOG_TRACE = 0,
  FERRY_LOG_DEBUG = 1,
  FERRY_LOG_INFO = 2,
  FERRY_LOG_WARN = 3,
  FERRY_LOG_ERROR = 4,
  FERRY_LOG_OFF = 5
} ferry_log_level;

FERRY_EXTERN_C_END

#endif /* FERRY_ABI_H */
