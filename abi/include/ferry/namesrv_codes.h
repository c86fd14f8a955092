/*
 * ferry/namesrv_codes.h — request codes of the name server (routing plugin
 * `namesrv`, registry mode). Payloads are the tables of abi/wire/namesrv.fbs
 * (file_identifier "FNSV"); docs/namesrv.md describes each request.
 *
 * The codes lie in the plugin range (>= FERRY_PLUGIN_CODE_MIN) and are
 * stable: never renumbered, never reused. 10100..10199 belong to namesrv.
 */
#ifndef FERRY_NAMESRV_CODES_H
#define FERRY_NAMESRV_CODES_H

/*                                             request payload   answer payload */
#define FERRY_NAMESRV_REGISTER_BROKER 10100u   /* RegisterBroker  RegisterBrokerResult */
#define FERRY_NAMESRV_UNREGISTER_BROKER 10101u /* UnregisterBroker (empty) */
#define FERRY_NAMESRV_BROKER_HEARTBEAT 10102u  /* BrokerHeartbeat RegisterBrokerResult */
#define FERRY_NAMESRV_GET_ROUTE 10103u         /* GetRoute        TopicRoute */
#define FERRY_NAMESRV_GET_CLUSTER_INFO 10104u  /* GetClusterInfo  ClusterInfo */
#define FERRY_NAMESRV_LIST_TOPICS 10105u       /* ListTopics      TopicList */
#define FERRY_NAMESRV_GET_ROUTES 10106u        /* GetRoutes       TopicRoutes */

#define FERRY_NAMESRV_CODE_FIRST 10100u
#define FERRY_NAMESRV_CODE_LAST 10199u

/* The payloads' FlatBuffers file identifier. */
#define FERRY_NAMESRV_FILE_IDENTIFIER "FNSV"

#endif /* FERRY_NAMESRV_CODES_H */
