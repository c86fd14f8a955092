/* Push consumer: a listener on the consume threads gets the messages.
 * usage: push_consumer NAME_SERVERS TOPIC COUNT [clustering|broadcasting [OFFSET_DIR]]
 * (broadcasting keeps offsets in a local file under OFFSET_DIR) */
#define _POSIX_C_SOURCE 200809L /* nanosleep */
#include <stdatomic.h>
#include <time.h>

#include "example_util.h"

static ferry_consume_status on_messages(void *user_data, ferry_client_message *const *msgs, size_t n) {
  atomic_int *received = (atomic_int *)user_data;
  size_t i;
  for (i = 0; i < n; i++) {
    size_t len;
    const char *id = ferry_message_msg_id(msgs[i], &len);
    printf("got %.*s (queue %d offset %lld)\n", (int)len, id, ferry_message_queue_id(msgs[i]),
           (long long)ferry_message_queue_offset(msgs[i]));
  }
  atomic_fetch_add(received, (int)n);
  return FERRY_CONSUME_SUCCESS;
}

int main(int argc, char **argv) {
  char errbuf[512];
  const char *topic;
  int count, waited;
  atomic_int received = 0;
  ferry_config *conf = example_config(argc, argv, &topic, &count);
  ferry_push_consumer *consumer;
  CHECK(ferry_config_set(conf, "group", "example_push", errbuf, sizeof errbuf));
  CHECK(ferry_config_set(conf, "consume_from", "first", errbuf, sizeof errbuf));
  CHECK(ferry_config_set(conf, "message_model", argc > 4 ? argv[4] : "clustering", errbuf, sizeof errbuf));
  if (argc > 5) CHECK(ferry_config_set(conf, "offset_store_dir", argv[5], errbuf, sizeof errbuf));
  CHECK(ferry_push_consumer_new(conf, &consumer, errbuf, sizeof errbuf));
  ferry_config_destroy(conf);
  CHECK(ferry_push_consumer_subscribe(consumer, topic, "*", errbuf, sizeof errbuf));
  CHECK(ferry_push_consumer_set_listener(consumer, on_messages, &received, errbuf, sizeof errbuf));
  CHECK(ferry_push_consumer_start(consumer, errbuf, sizeof errbuf));
  for (waited = 0; waited < 200 && atomic_load(&received) < count; waited++) {
    struct timespec ts = {0, 50 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  /* commits the offsets of everything the listener acknowledged */
  CHECK(ferry_push_consumer_shutdown(consumer, errbuf, sizeof errbuf));
  ferry_push_consumer_destroy(consumer);
  printf("received %d of %d\n", atomic_load(&received), count);
  return atomic_load(&received) >= count ? 0 : 1;
}
