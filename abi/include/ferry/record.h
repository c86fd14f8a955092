/*
 * ferry/record.h — the commit log record, byte by byte (docs/storage.md).
 *
 * Layout is RocketMQ 4.x's (magic 0xDAA320A7), big-endian, so pull answers
 * carry raw records that RocketMQ tooling can read:
 *
 *   off  size  field
 *     0     4  TOTALSIZE        whole record, this field included
 *     4     4  MAGICCODE        0xDAA320A7 (0xCBD43194 = blank end-of-segment)
 *     8     4  BODYCRC          zlib crc32(body) & 0x7fffffff
 *    12     4  QUEUEID
 *    16     4  FLAG
 *    20     8  QUEUEOFFSET
 *    28     8  PHYSICALOFFSET   commit log offset of this record
 *    36     4  SYSFLAG
 *    40     8  BORNTIMESTAMP    ms
 *    48   8|20 BORNHOST         IPv4: 4 addr + 4 port; IPv6 (SYSFLAG 0x10): 16 + 4
 *     .     8  STORETIMESTAMP   ms
 *     .   8|20 STOREHOST        IPv6 when SYSFLAG 0x20
 *     .     4  RECONSUMETIMES
 *     .     8  PREPAREDTRANSACTIONOFFSET
 *                                (84 bytes so far with IPv4 hosts)
 *     .     4  BODYLENGTH, then body
 *     .     1  TOPICLENGTH, then topic (1..127 bytes)
 *     .     2  PROPERTIESLENGTH, then properties `name\x01value\x02`...
 *
 * Ferry's whole-record checksum is RocketMQ 5's CRC property: properties end
 * with `__CRC32#\x01DDDDDDDDDD\x02` (10 decimal digits), the zlib crc32 of
 * every record byte before those last FERRY_RECORD_CRC_RESERVED bytes. A torn
 * or garbled byte anywhere in the record fails it. RocketMQ clients treat it
 * as one more property.
 *
 * The decoders below only parse; they do not verify the checksum.
 */
#ifndef FERRY_RECORD_H
#define FERRY_RECORD_H

#include <string.h>

#include "ferry/abi.h"
#include "ferry/status.h"

FERRY_EXTERN_C_BEGIN

#define FERRY_RECORD_MAGIC 0xDAA320A7u
#define FERRY_RECORD_BLANK_MAGIC 0xCBD43194u
#define FERRY_RECORD_FIXED_V4 84u   /* through PREPAREDTRANSACTIONOFFSET */
#define FERRY_RECORD_MIN_BLANK 8u   /* TOTALSIZE + MAGICCODE */
#define FERRY_RECORD_MAX_TOPIC 127u
#define FERRY_RECORD_MAX_PROPERTIES 32767u

#define FERRY_SYSFLAG_COMPRESSED 0x1
#define FERRY_SYSFLAG_MULTI_TAGS 0x2
#define FERRY_SYSFLAG_TRANSACTION_MASK 0xC
#define FERRY_SYSFLAG_TRANSACTION_NOT 0x0
#define FERRY_SYSFLAG_TRANSACTION_PREPARED 0x4
#define FERRY_SYSFLAG_TRANSACTION_COMMIT 0x8
#define FERRY_SYSFLAG_TRANSACTION_ROLLBACK 0xC
#define FERRY_SYSFLAG_BORNHOST_V6 0x10
#define FERRY_SYSFLAG_STOREHOST_V6 0x20

#define FERRY_PROP_NAME_VALUE_SEP '\x01'
#define FERRY_PROP_SEP '\x02'

/* Property names Ferry gives meaning to (RocketMQ's MessageConst). */
#define FERRY_PROP_KEYS "KEYS"               /* space-separated business keys */
#define FERRY_PROP_TAGS "TAGS"
#define FERRY_PROP_UNIQ_KEY "UNIQ_KEY"       /* client-set unique message id */
#define FERRY_PROP_DELAY "DELAY"             /* delay level 1..18 */
#define FERRY_PROP_DELIVER_AT "__STARTDELIVERTIME" /* absolute ms */
#define FERRY_PROP_REAL_TOPIC "REAL_TOPIC"
#define FERRY_PROP_REAL_QID "REAL_QID"
#define FERRY_PROP_TRAN_MSG "TRAN_MSG"
#define FERRY_PROP_PRODUCER_GROUP "PGROUP"
#define FERRY_PROP_RETRY_TOPIC "RETRY_TOPIC"
#define FERRY_PROP_ORIGIN_MSG_ID "ORIGIN_MESSAGE_ID"
#define FERRY_PROP_RECONSUME_TIME "RECONSUME_TIME"
#define FERRY_PROP_MAX_RECONSUME_TIMES "MAX_RECONSUME_TIMES"
#define FERRY_PROP_CRC32 "__CRC32#"
/* "__CRC32#" + \x01 + 10 digits + \x02 */
#define FERRY_RECORD_CRC_RESERVED 20u

/* A decoded record. Slices point into the record bytes given to decode. */
typedef struct ferry_record_view {
  uint32_t struct_size;
  uint32_t total_size;
  uint32_t magic;
  uint32_t body_crc;
  int32_t queue_id;
  int32_t flag;
  int64_t queue_offset;
  int64_t physical_offset;
  int32_t sys_flag;
  int64_t born_timestamp_ms;
  ferry_slice born_host;    /* address bytes (4 or 16) */
  uint32_t born_port;
  int64_t store_timestamp_ms;
  ferry_slice store_host;
  uint32_t store_port;
  int32_t reconsume_times;
  int64_t prepared_transaction_offset;
  ferry_slice body;
  ferry_slice topic;
  ferry_slice properties;
} ferry_record_view;

static inline uint32_t ferry_be32(const unsigned char *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}
static inline uint64_t ferry_be64(const unsigned char *p) {
  return ((uint64_t)ferry_be32(p) << 32) | (uint64_t)ferry_be32(p + 4);
}
static inline uint16_t ferry_be16(const unsigned char *p) {
  return (uint16_t)(((unsigned)p[0] << 8) | (unsigned)p[1]);
}

/*
 * Parse one record at `data` (at most `len` bytes available). Returns
 * FERRY_OK and fills *out; FERRY_E_NOT_FOUND for a blank (end-of-segment)
 * record, with out->total_size set; FERRY_E_CORRUPTED when the bytes cannot be
 * a record (bad magic, sizes that disagree, truncation). Any thread; no
 * allocation.
 */
static inline ferry_status ferry_record_decode(const void *data, size_t len,
                                               ferry_record_view *out) {
  const unsigned char *p = (const unsigned char *)data;
  size_t pos, host_len;
  uint32_t body_len, topic_len, props_len;
  if (len < FERRY_RECORD_MIN_BLANK) return FERRY_E_CORRUPTED;
  memset(out, 0, sizeof(*out));
  out->struct_size = (uint32_t)sizeof(*out);
  out->total_size = ferry_be32(p);
  out->magic = ferry_be32(p + 4);
  if (out->magic == FERRY_RECORD_BLANK_MAGIC) return FERRY_E_NOT_FOUND;
  if (out->magic != FERRY_RECORD_MAGIC) return FERRY_E_CORRUPTED;
  if (out->total_size > len || out->total_size < FERRY_RECORD_FIXED_V4 + 7u) return FERRY_E_CORRUPTED;
  out->body_crc = ferry_be32(p + 8);
  out->queue_id = (int32_t)ferry_be32(p + 12);
  out->flag = (int32_t)ferry_be32(p + 16);
  out->queue_offset = (int64_t)ferry_be64(p + 20);
  out->physical_offset = (int64_t)ferry_be64(p + 28);
  out->sys_flag = (int32_t)ferry_be32(p + 36);
  out->born_timestamp_ms = (int64_t)ferry_be64(p + 40);
  pos = 48;
  host_len = (out->sys_flag & FERRY_SYSFLAG_BORNHOST_V6) ? 16u : 4u;
  if (pos + host_len + 4 + 8 + 20 + 4 + 4 + 8 + 4 > out->total_size) return FERRY_E_CORRUPTED;
  out->born_host.data = p + pos;
  out->born_host.len = host_len;
  out->born_port = ferry_be32(p + pos + host_len);
  pos += host_len + 4;
  out->store_timestamp_ms = (int64_t)ferry_be64(p + pos);
  pos += 8;
  host_len = (out->sys_flag & FERRY_SYSFLAG_STOREHOST_V6) ? 16u : 4u;
  out->store_host.data = p + pos;
  out->store_host.len = host_len;
  out->store_port = ferry_be32(p + pos + host_len);
  pos += host_len + 4;
  out->reconsume_times = (int32_t)ferry_be32(p + pos);
  pos += 4;
  out->prepared_transaction_offset = (int64_t)ferry_be64(p + pos);
  pos += 8;
  if (pos + 4 > out->total_size) return FERRY_E_CORRUPTED;
  body_len = ferry_be32(p + pos);
  pos += 4;
  if (body_len > out->total_size || pos + body_len + 1 > out->total_size) return FERRY_E_CORRUPTED;
  out->body.data = p + pos;
  out->body.len = body_len;
  pos += body_len;
  topic_len = p[pos];
  pos += 1;
  if (pos + topic_len + 2 > out->total_size) return FERRY_E_CORRUPTED;
  out->topic.data = p + pos;
  out->topic.len = topic_len;
  pos += topic_len;
  props_len = ferry_be16(p + pos);
  pos += 2;
  if (pos + props_len != out->total_size) return FERRY_E_CORRUPTED;
  out->properties.data = p + pos;
  out->properties.len = props_len;
  return FERRY_OK;
}

/* Find property `name` in encoded properties. Returns 1 and sets *value
 * (borrowed from props) when found. Any thread; no allocation. */
static inline ferry_bool ferry_property_find(ferry_slice props, const char *name,
                                             ferry_slice *value) {
  const char *p = (const char *)props.data;
  const char *end = p + props.len;
  size_t name_len = strlen(name);
  while (p && p < end) {
    const char *sep = (const char *)memchr(p, FERRY_PROP_NAME_VALUE_SEP, (size_t)(end - p));
    const char *stop;
    if (!sep) return 0;
    stop = (const char *)memchr(sep + 1, FERRY_PROP_SEP, (size_t)(end - sep - 1));
    if (!stop) stop = end;
    if ((size_t)(sep - p) == name_len && memcmp(p, name, name_len) == 0) {
      value->data = sep + 1;
      value->len = (size_t)(stop - sep - 1);
      return 1;
    }
    p = stop + 1;
  }
  return 0;
}

/* Tag hash stored in consume-queue entries: Java's String.hashCode over the
 * tag's bytes, sign-extended (equal to RocketMQ's for ASCII tags). */
static inline int64_t ferry_tag_hash(ferry_slice tag) {
  int32_t h = 0;
  size_t i;
  for (i = 0; i < tag.len; i++) h = (int32_t)((uint32_t)h * 31u + ((const unsigned char *)tag.data)[i]);
  return (int64_t)h;
}

FERRY_EXTERN_C_END

#endif /* FERRY_RECORD_H */
