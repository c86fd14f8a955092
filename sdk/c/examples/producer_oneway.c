/* Oneway producer: fire and forget (no answer, no retry). */
#include "example_util.h"

int main(int argc, char **argv) {
  char errbuf[512];
  const char *topic;
  int count, i;
  ferry_config *conf = example_config(argc, argv, &topic, &count);
  ferry_producer *producer;
  CHECK(ferry_producer_new(conf, &producer, errbuf, sizeof errbuf));
  ferry_config_destroy(conf);
  CHECK(ferry_producer_start(producer, errbuf, sizeof errbuf));
  for (i = 0; i < count; i++) {
    ferry_client_message *msg;
    CHECK(ferry_message_new(topic, "oneway", 6, &msg, errbuf, sizeof errbuf));
    CHECK(ferry_producer_send_oneway(producer, msg, errbuf, sizeof errbuf));
    ferry_message_destroy(msg);
  }
  ferry_producer_destroy(producer); /* shuts down */
  printf("%d oneway messages handed over\n", count);
  return 0;
}
