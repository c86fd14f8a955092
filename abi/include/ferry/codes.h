/*
 * ferry/codes.h — request codes the kernel answers (below
 * FERRY_PLUGIN_CODE_MIN, ferry/host.h). SDKs and tools send these.
 *
 * Each request's payload is a FlatBuffers table of abi/wire/core.fbs
 * (file_identifier "FRCO"), named in the comment; bulk bytes (message bodies,
 * raw records) travel in the frame's attachment, never inside a FlatBuffer.
 * The answer's status travels in the frame envelope (ferry/status.h numbers);
 * its payload is the named response table, or empty on error.
 *
 * Numbers are stable forever: never renumbered, never reused.
 *   1..99     transport / kernel housekeeping
 *   100..199  messages: send, pull
 *   200..299  clients, groups, consumer offsets, queue locks
 *   300..399  topic administration
 *   400..499  queries and statistics
 *   500..599  notifications the broker sends to a client (oneway)
 */
#ifndef FERRY_CODES_H
#define FERRY_CODES_H

#include "ferry/abi.h"

FERRY_EXTERN_C_BEGIN

typedef enum ferry_request_code {
  /* SendRequest with exactly one message; attachment = its body.
   * -> SendResponse. */
  FERRY_CODE_SEND_MESSAGE = 100,
  /* SendRequest with 1..n messages of one topic; attachment = bodies back to
   * back in message order (each MessageMeta.body_length). -> SendResponse. */
  FERRY_CODE_SEND_BATCH = 101,
  /* PullRequest -> PullResponse; attachment = raw records (ferry/record.h)
   * back to back. Frame status FERRY_OK (found), FERRY_E_NO_NEW_MESSAGE,
   * FERRY_E_OFFSET_MOVED or FERRY_E_OFFSET_OUT_OF_RANGE, each with a
   * PullResponse carrying next/min/max offsets. */
  FERRY_CODE_PULL_MESSAGE = 110,

  /* HeartbeatRequest -> HeartbeatResponse. */
  FERRY_CODE_HEARTBEAT = 200,
  /* UnregisterClientRequest -> empty. */
  FERRY_CODE_UNREGISTER_CLIENT = 201,
  /* GroupMembersRequest -> GroupMembersResponse. */
  FERRY_CODE_GROUP_MEMBERS = 202,
  /* CommitOffsetsRequest -> empty. */
  FERRY_CODE_COMMIT_OFFSETS = 210,
  /* QueryOffsetRequest -> QueryOffsetResponse (FERRY_E_NOT_FOUND: none). */
  FERRY_CODE_QUERY_OFFSET = 211,
  /* LockQueuesRequest -> LockQueuesResponse (the queues now held). */
  FERRY_CODE_LOCK_QUEUES = 220,
  /* UnlockQueuesRequest -> empty. */
  FERRY_CODE_UNLOCK_QUEUES = 221,

  /* TopicCreateRequest -> TopicResponse (FERRY_E_ALREADY_EXISTS). */
  FERRY_CODE_TOPIC_CREATE = 300,
  /* TopicCreateRequest -> TopicResponse (FERRY_E_TOPIC_NOT_FOUND). */
  FERRY_CODE_TOPIC_UPDATE = 301,
  /* TopicNameRequest -> empty. */
  FERRY_CODE_TOPIC_DELETE = 302,
  /* TopicListRequest -> TopicListResponse (paged by name). */
  FERRY_CODE_TOPIC_LIST = 303,
  /* TopicNameRequest -> TopicResponse. */
  FERRY_CODE_TOPIC_GET = 304,

  /* QueueRequest -> QueueRangeResponse. */
  FERRY_CODE_QUEUE_RANGE = 400,
  /* OffsetByTimeRequest -> OffsetByTimeResponse. */
  FERRY_CODE_OFFSET_BY_TIME = 401,
  /* QueryByOffsetIdRequest -> QueryResponse; attachment = the record. */
  FERRY_CODE_QUERY_BY_OFFSET_ID = 410,
  /* QueryByUniqKeyRequest -> QueryResponse; attachment = records. */
  FERRY_CODE_QUERY_BY_UNIQ_KEY = 411,
  /* QueryByKeyRequest -> QueryResponse; attachment = records, newest first. */
  FERRY_CODE_QUERY_BY_KEY = 412,
  /* GroupProgressRequest -> GroupProgressResponse. */
  FERRY_CODE_GROUP_PROGRESS = 420,
  /* RuntimeStatsRequest -> RuntimeStatsResponse. */
  FERRY_CODE_RUNTIME_STATS = 430,
  /* BrokerConfigRequest -> BrokerConfigResponse (answered by the kernel,
   * not the messaging core: every running config key). */
  FERRY_CODE_BROKER_CONFIG = 431,

  /* Broker -> client, oneway: MembershipChanged. The client rebalances now
   * instead of at its next timer. */
  FERRY_CODE_NOTIFY_MEMBERSHIP_CHANGED = 500,
  /* Broker -> client, oneway: OffsetsReset. An admin reset the group's
   * committed offsets (RESET_OFFSET_BY_TIME): a member owning one of those
   * queues drops what it buffered and pulls from the given offset. */
  FERRY_CODE_NOTIFY_OFFSETS_RESET = 501,

  /* Admin, appended (session 2). GroupListRequest -> GroupListResponse. */
  FERRY_CODE_GROUP_LIST = 230,
  /* ConsumerConnectionsRequest -> ConsumerConnectionsResponse
   * (FERRY_E_GROUP_NOT_FOUND: no live member). */
  FERRY_CODE_CONSUMER_CONNECTIONS = 231,
  /* ResetOffsetRequest -> ResetOffsetResponse (FERRY_E_TOPIC_NOT_FOUND). */
  FERRY_CODE_RESET_OFFSET_BY_TIME = 232,

  /* Retry / dead-letter flow, appended (session 5; docs/protocol.md,
   * "Retry and dead letters"). A consumer that failed a message asks its
   * broker to store a copy for a later try: SendBackRequest -> SendResponse
   * (topic = "%RETRY%<group>", or "%DLQ%<group>" once the message's
   * reconsume times reached max_reconsume_times; one result). Errors:
   * FERRY_E_NOT_FOUND (no record at that offset), FERRY_E_GROUP_NOT_FOUND,
   * FERRY_E_INVALID_NAME, FERRY_E_INVALID_ARGUMENT (the record is not of the
   * topic named), FERRY_E_BUSY. */
  FERRY_CODE_CONSUMER_SEND_BACK = 102,
  /* Admin: DlqResendRequest -> SendResponse (topic = the original topic): a
   * copy of one message of "%DLQ%<group>" stored again in the topic it first
   * failed in, reconsume times 0. */
  FERRY_CODE_DLQ_RESEND = 233,
  /* Admin: PullRequest -> PullResponse + raw records, like PULL_MESSAGE but
   * whatever the topic's read permission (a dead-letter topic is write-only
   * to consumers), never held, never committing (hold_ms, commit_offset,
   * supersede and consumer_group are ignored). */
  FERRY_CODE_QUERY_QUEUE = 413
} ferry_request_code;

/* The wire schema's file identifier for every core payload. */
#define FERRY_CORE_FILE_IDENTIFIER "FRCO"

FERRY_EXTERN_C_END

#endif /* FERRY_CODES_H */
