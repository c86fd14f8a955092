// Oneway send: handed to the I/O thread, no answer awaited (logs, metrics).
#include <cstdio>

#include "args.hpp"
#include "ferry/ferry.hpp"

int main(int argc, char** argv) try {
  ExampleArgs args(argc, argv);
  auto producer = ferry::ProducerBuilder().name_servers(args.name_servers).group(args.group).build();
  for (int i = 0; i < args.count; ++i) producer.send_oneway(ferry::Message(args.topic, "oneway " + std::to_string(i)));
  std::printf("oneway: %d handed off\n", args.count);
  return 0;
} catch (const ferry::Error& e) {
  std::fprintf(stderr, "%s\n", e.what());
  return 1;
}
