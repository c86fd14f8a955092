/* Batch: several messages of one topic stored together, in order. */
#include <string.h>

#include "example_util.h"

int main(int argc, char **argv) {
  char errbuf[512];
  const char *topic;
  int count, i;
  ferry_config *conf = example_config(argc, argv, &topic, &count);
  ferry_producer *producer;
  ferry_client_message *msgs[64];
  ferry_send_result result = FERRY_STRUCT_INIT(ferry_send_result);
  if (count > 64) count = 64;
  CHECK(ferry_producer_new(conf, &producer, errbuf, sizeof errbuf));
  ferry_config_destroy(conf);
  CHECK(ferry_producer_start(producer, errbuf, sizeof errbuf));
  for (i = 0; i < count; i++) {
    char body[32];
    snprintf(body, sizeof body, "batch item %d", i);
    CHECK(ferry_message_new(topic, body, strlen(body), &msgs[i], errbuf, sizeof errbuf));
  }
  CHECK(ferry_producer_send_batch(producer, msgs, (size_t)count, &result, errbuf, sizeof errbuf));
  printf("batch of %d stored in %s/%d from offset %lld\n", count, result.broker_name, result.queue_id,
         (long long)result.queue_offset);
  for (i = 0; i < count; i++) ferry_message_destroy(msgs[i]);
  ferry_producer_destroy(producer);
  return 0;
}
