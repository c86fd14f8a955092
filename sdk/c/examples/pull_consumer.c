/* Pull consumer: poll() on this thread, commit when done. */
#include "example_util.h"

int main(int argc, char **argv) {
  char errbuf[512];
  const char *topic;
  int count, received = 0, rounds;
  ferry_config *conf = example_config(argc, argv, &topic, &count);
  ferry_pull_consumer *consumer;
  CHECK(ferry_config_set(conf, "group", "example_pull", errbuf, sizeof errbuf));
  CHECK(ferry_config_set(conf, "consume_from", "first", errbuf, sizeof errbuf));
  CHECK(ferry_config_set(conf, "enable_auto_commit", "false", errbuf, sizeof errbuf));
  CHECK(ferry_pull_consumer_new(conf, &consumer, errbuf, sizeof errbuf));
  ferry_config_destroy(conf);
  CHECK(ferry_pull_consumer_subscribe(consumer, topic, "*", errbuf, sizeof errbuf));
  CHECK(ferry_pull_consumer_start(consumer, errbuf, sizeof errbuf));
  for (rounds = 0; rounds < 100 && received < count; rounds++) {
    ferry_client_message *msgs[32];
    size_t n = 0, i;
    CHECK(ferry_pull_consumer_poll(consumer, 100, msgs, 32, &n, errbuf, sizeof errbuf));
    for (i = 0; i < n; i++) {
      size_t len;
      const char *body = (const char *)ferry_message_body(msgs[i], &len);
      printf("polled '%.*s'\n", (int)len, body);
      ferry_message_destroy(msgs[i]); /* poll hands ownership over */
    }
    received += (int)n;
  }
  CHECK(ferry_pull_consumer_commit_sync(consumer, errbuf, sizeof errbuf));
  ferry_pull_consumer_destroy(consumer);
  printf("polled %d of %d\n", received, count);
  return received >= count ? 0 : 1;
}
