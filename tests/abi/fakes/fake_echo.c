/*
 * A fake routing plugin that uses the transport side of the host table:
 * it registers a handler for FAKE_ECHO_CODE (answers with the request's
 * payload and attachment), opens a connection to the kernel's own listener
 * (kernel_info) and, once connected, sends itself "ping", logging the reply.
 */
#include <ferry/ferry.h>
#include <stdio.h>
#include <stdlib.h>

#define FAKE_ECHO_CODE 10999u

typedef struct echo {
  const ferry_host_api *api;
  ferry_host *host;
  ferry_conn *conn;
} echo;

static void on_echo(void *user_data, ferry_request *req) {
  echo *e = (echo *)user_data;
  e->api->respond(req, FERRY_OK, "echoed", e->api->request_payload(req),
                  e->api->request_attachment(req));
}

static void on_reply(void *user_data, const ferry_response *resp) {
  echo *e = (echo *)user_data;
  char line[200];
  snprintf(line, sizeof line, "reply %s %.*s %.*s", ferry_status_name(resp->status),
           (int)resp->message.len, (const char *)resp->message.data, (int)resp->payload.len,
           (const char *)resp->payload.data);
  e->api->log(e->host, FERRY_LOG_INFO, line);
}

static void on_conn(void *user_data, uint64_t conn_id, ferry_conn_event ev) {
  echo *e = (echo *)user_data;
  ferry_slice ping = {"ping", 4}, none = {NULL, 0};
  ferry_status st;
  (void)conn_id;
  if (ev != FERRY_CONN_CONNECTED) return;
  st = e->api->conn_request(e->host, e->conn, FAKE_ECHO_CODE, ping, none, 2000, 0, on_reply, e);
  if (st != FERRY_OK) e->api->log(e->host, FERRY_LOG_INFO, "conn_request failed");
}

static ferry_status echo_create(const ferry_host_api *api, ferry_host *host, void **instance,
                                ferry_error *err) {
  echo *e = (echo *)calloc(1, sizeof *e);
  if (e == NULL) return api->set_error(err, FERRY_E_NO_MEMORY, "out of memory");
  e->api = api;
  e->host = host;
  *instance = e;
  return FERRY_OK;
}

static ferry_status echo_start(void *instance, ferry_error *err) {
  echo *e = (echo *)instance;
  ferry_kernel_info info = FERRY_STRUCT_INIT(ferry_kernel_info);
  ferry_status st = e->api->handler_register(e->host, FAKE_ECHO_CODE, on_echo, e);
  if (st != FERRY_OK) return e->api->set_error(err, st, "handler_register failed");
  st = e->api->kernel_info(e->host, &info);
  if (st != FERRY_OK) return e->api->set_error(err, st, "kernel_info failed");
  st = e->api->conn_open(e->host, info.listen_address, on_conn, e, &e->conn);
  if (st != FERRY_OK) return e->api->set_error(err, st, "conn_open failed");
  return FERRY_OK;
}

static void echo_stop(void *instance) {
  echo *e = (echo *)instance;
  e->api->conn_close(e->host, e->conn);
  e->conn = NULL;
}

static void echo_destroy(void *instance) { free(instance); }

static const void *echo_ops(void *instance) {
  (void)instance;
  return NULL;
}

static const ferry_plugin_desc echo_desc = {
    FERRY_PLUGIN_FINGERPRINT(FERRY_KIND_ROUTING, "fakeecho", "0.0.1"),
    "echoes requests of code 10999 and pings itself",
    NULL, sizeof(ferry_config_key), 0,
    NULL, sizeof(ferry_requirement), 0,
    echo_create, echo_start, echo_stop, echo_destroy, echo_ops};

FERRY_PLUGIN_DEFINE(echo_desc)
