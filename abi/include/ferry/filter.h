/*
 * ferry/filter.h — the filter kind (plugins: tag, sql92).
 *
 * A subscription carries an expression type ("TAG", "SQL92") and an
 * expression. The kernel finds the filter instance whose expression_type
 * matches, compiles the expression once per subscription (a malformed one is
 * FERRY_E_BAD_SUBSCRIPTION with the reason, at subscribe time) and filters
 * pulls in two stages: the consume queue's tag hash, then (if undecided) the
 * record's properties. Clients re-check tags (hash collisions).
 */
#ifndef FERRY_FILTER_H
#define FERRY_FILTER_H

#include "ferry/abi.h"
#include "ferry/plugin.h" /* ferry_error */
#include "ferry/status.h"

FERRY_EXTERN_C_BEGIN

typedef struct ferry_filter_ops {
  uint32_t struct_size;
  /* "TAG" or "SQL92": static storage. [any] */
  const char *(*expression_type)(void *inst);
  /* Compile an expression. *compiled is owned by the caller and freed with
   * release. FERRY_E_BAD_SUBSCRIPTION with the reason in err. [any] */
  ferry_status (*compile)(void *inst, ferry_slice expression, void **compiled,
                          ferry_error *err);
  /* Free a compiled expression. [any] */
  void (*release)(void *inst, void *compiled);
  /* Stage 1 on a consume-queue tag hash: 1 keep, 0 drop, -1 undecided.
   * [any], must not block, no allocation. */
  int (*match_tag_hash)(void *inst, const void *compiled, int64_t tag_hash);
  /* Stage 2 on a whole record (ferry/record.h): 1 keep, 0 drop. [any],
   * must not block. Optional (NULL: stage 1 decides; undecided keeps). */
  int (*match_record)(void *inst, const void *compiled, const void *record, size_t len);
} ferry_filter_ops;

FERRY_EXTERN_C_END

#endif /* FERRY_FILTER_H */
