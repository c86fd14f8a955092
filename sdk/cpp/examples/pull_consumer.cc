// Pull (lite) consumer: poll() on this thread, explicit commit. Sends
// --count messages first, then polls until it has them all.
#include <chrono>
#include <cstdio>

#include "args.hpp"
#include "ferry/ferry.hpp"

int main(int argc, char** argv) try {
  ExampleArgs args(argc, argv);
  {
    auto producer = ferry::ProducerBuilder().name_servers(args.name_servers).group(args.group).build();
    for (int i = 0; i < args.count; ++i) producer.send(ferry::Message(args.topic, "pull " + std::to_string(i)));
  }
  auto consumer = ferry::PullConsumerBuilder()
                      .name_servers(args.name_servers)
                      .group(args.group + "_pull")
                      .consume_from(ferry::ConsumeFrom::First)
                      .auto_commit(false)
                      .subscribe(args.topic)
                      .build();
  int received = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (received < args.count && std::chrono::steady_clock::now() < deadline) {
    for (const ferry::Message& m : consumer.poll(std::chrono::milliseconds(500))) {
      (void)m.body();
      ++received;
    }
    consumer.commit_sync();
  }
  std::printf("pull: %d of %d received\n", received, args.count);
  return received >= args.count ? 0 : 1;
} catch (const ferry::Error& e) {
  std::fprintf(stderr, "%s\n", e.what());
  return 1;
}
