/* Shared bits of the examples: argument parsing and error exit. */
#ifndef FERRY_EXAMPLE_UTIL_H
#define FERRY_EXAMPLE_UTIL_H

#include <stdio.h>
#include <stdlib.h>

#include "ferry/client.h"

#define CHECK(call)                                                          \
  do {                                                                       \
    ferry_status st_ = (call);                                               \
    if (st_ != FERRY_OK) {                                                   \
      fprintf(stderr, "%s failed: %s: %s\n", #call, ferry_status_name(st_), errbuf); \
      exit(1);                                                               \
    }                                                                        \
  } while (0)

/* usage: prog NAME_SERVERS TOPIC [COUNT] */
static ferry_config *example_config(int argc, char **argv, const char **topic, int *count) {
  char errbuf[512];
  ferry_config *conf;
  if (argc < 3) {
    fprintf(stderr, "usage: %s NAME_SERVERS TOPIC [COUNT]\n", argv[0]);
    exit(2);
  }
  *topic = argv[2];
  *count = argc > 3 ? atoi(argv[3]) : 10;
  conf = ferry_config_new();
  CHECK(ferry_config_set(conf, "name_servers", argv[1], errbuf, sizeof errbuf));
  return conf;
}

#endif
