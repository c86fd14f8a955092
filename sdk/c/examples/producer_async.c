/* Async producer: completions arrive on the producer's callback thread;
 * shutdown waits for all of them. */
#include <stdatomic.h>
#include <string.h>

#include "example_util.h"

static void on_sent(void *user_data, ferry_status status, const ferry_send_result *result,
                    const char *error) {
  atomic_int *ok = (atomic_int *)user_data;
  if (status == FERRY_OK) atomic_fetch_add(ok, 1);
  else fprintf(stderr, "send %s failed: %s\n", result->msg_id, error);
}

int main(int argc, char **argv) {
  char errbuf[512];
  const char *topic;
  int count, i;
  atomic_int ok = 0;
  ferry_config *conf = example_config(argc, argv, &topic, &count);
  ferry_producer *producer;
  CHECK(ferry_producer_new(conf, &producer, errbuf, sizeof errbuf));
  ferry_config_destroy(conf);
  CHECK(ferry_producer_start(producer, errbuf, sizeof errbuf));
  for (i = 0; i < count; i++) {
    ferry_client_message *msg;
    CHECK(ferry_message_new(topic, "async", 5, &msg, errbuf, sizeof errbuf));
    CHECK(ferry_producer_send_async(producer, msg, on_sent, &ok, errbuf, sizeof errbuf));
    ferry_message_destroy(msg); /* copied by send_async */
  }
  CHECK(ferry_producer_shutdown(producer, errbuf, sizeof errbuf)); /* waits for callbacks */
  ferry_producer_destroy(producer);
  printf("%d of %d async sends acknowledged\n", atomic_load(&ok), count);
  return atomic_load(&ok) == count ? 0 : 1;
}
