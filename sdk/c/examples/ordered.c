/* Ordered: a producer sends each order's steps by sharding key; an orderly
 * consumer receives every order's steps in sequence. */
#define _POSIX_C_SOURCE 200809L /* nanosleep */
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "example_util.h"

enum { ORDERS = 4, STEPS = 5 };

typedef struct {
  atomic_int received;
  atomic_int out_of_order;
  int next[ORDERS];
} state;

static ferry_orderly_status on_messages(void *user_data, ferry_client_message *const *msgs, size_t n) {
  state *s = (state *)user_data;
  size_t i;
  for (i = 0; i < n; i++) {
    size_t len;
    const char *body = (const char *)ferry_message_body(msgs[i], &len);
    int order = 0, step = 0;
    char text[64];
    if (len >= sizeof text) len = sizeof text - 1;
    memcpy(text, body, len);
    text[len] = 0;
    sscanf(text, "order %d step %d", &order, &step);
    /* one thread per queue at a time: the per-order counter needs no lock */
    if (order < 0 || order >= ORDERS || s->next[order] != step) atomic_fetch_add(&s->out_of_order, 1);
    else s->next[order] = step + 1;
    atomic_fetch_add(&s->received, 1);
  }
  return FERRY_ORDERLY_SUCCESS;
}

int main(int argc, char **argv) {
  char errbuf[512];
  const char *topic;
  int count, o, step, waited;
  state s;
  ferry_config *conf = example_config(argc, argv, &topic, &count);
  ferry_producer *producer;
  ferry_push_consumer *consumer;
  memset(&s, 0, sizeof s);
  CHECK(ferry_config_set(conf, "group", "example_orderly", errbuf, sizeof errbuf));
  CHECK(ferry_config_set(conf, "consume_from", "first", errbuf, sizeof errbuf));
  CHECK(ferry_producer_new(conf, &producer, errbuf, sizeof errbuf));
  CHECK(ferry_producer_start(producer, errbuf, sizeof errbuf));
  for (step = 0; step < STEPS; step++) {
    for (o = 0; o < ORDERS; o++) {
      char body[64], key[16];
      ferry_client_message *msg;
      snprintf(body, sizeof body, "order %d step %d", o, step);
      snprintf(key, sizeof key, "order-%d", o);
      CHECK(ferry_message_new(topic, body, strlen(body), &msg, errbuf, sizeof errbuf));
      CHECK(ferry_producer_send_ordered(producer, msg, key, strlen(key), NULL, errbuf, sizeof errbuf));
      ferry_message_destroy(msg);
    }
  }
  ferry_producer_destroy(producer);

  CHECK(ferry_push_consumer_new(conf, &consumer, errbuf, sizeof errbuf));
  ferry_config_destroy(conf);
  CHECK(ferry_push_consumer_subscribe(consumer, topic, "*", errbuf, sizeof errbuf));
  CHECK(ferry_push_consumer_set_orderly_listener(consumer, on_messages, &s, errbuf, sizeof errbuf));
  CHECK(ferry_push_consumer_start(consumer, errbuf, sizeof errbuf));
  for (waited = 0; waited < 200 && atomic_load(&s.received) < ORDERS * STEPS; waited++) {
    struct timespec ts = {0, 50 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  CHECK(ferry_push_consumer_shutdown(consumer, errbuf, sizeof errbuf));
  ferry_push_consumer_destroy(consumer);
  printf("received %d, out of order %d\n", atomic_load(&s.received), atomic_load(&s.out_of_order));
  (void)count;
  return atomic_load(&s.received) == ORDERS * STEPS && atomic_load(&s.out_of_order) == 0 ? 0 : 1;
}
