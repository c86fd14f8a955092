/* Sync producer: each send blocks until the broker stored the message. */
#include <string.h>

#include "example_util.h"

int main(int argc, char **argv) {
  char errbuf[512];
  const char *topic;
  int count, i;
  ferry_config *conf = example_config(argc, argv, &topic, &count);
  ferry_producer *producer;
  CHECK(ferry_config_set(conf, "group", "example_producer", errbuf, sizeof errbuf));
  CHECK(ferry_producer_new(conf, &producer, errbuf, sizeof errbuf));
  ferry_config_destroy(conf); /* the producer copied it */
  CHECK(ferry_producer_start(producer, errbuf, sizeof errbuf));
  for (i = 0; i < count; i++) {
    char body[64];
    ferry_client_message *msg;
    ferry_send_result result = FERRY_STRUCT_INIT(ferry_send_result);
    snprintf(body, sizeof body, "sync message %d", i);
    CHECK(ferry_message_new(topic, body, strlen(body), &msg, errbuf, sizeof errbuf));
    CHECK(ferry_message_set_tags(msg, "TagA", errbuf, sizeof errbuf));
    CHECK(ferry_producer_send(producer, msg, &result, errbuf, sizeof errbuf));
    printf("sent %s to %s/%d at offset %lld\n", result.msg_id, result.broker_name, result.queue_id,
           (long long)result.queue_offset);
    ferry_message_destroy(msg);
  }
  CHECK(ferry_producer_shutdown(producer, errbuf, sizeof errbuf));
  ferry_producer_destroy(producer);
  return 0;
}
