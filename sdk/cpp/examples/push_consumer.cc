// Push consumer: libferry long-polls and calls the lambda on its consume
// threads. --broadcasting gives every consumer of the group every message;
// the default, clustering, shares the queues. Sends --count messages first.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

#include "args.hpp"
#include "ferry/ferry.hpp"

int main(int argc, char** argv) try {
  ExampleArgs args(argc, argv);
  std::atomic<int> received{0};
  auto consumer = ferry::PushConsumerBuilder()
                      .name_servers(args.name_servers)
                      .group(args.group + "_push")
                      .message_model(args.broadcasting ? ferry::MessageModel::Broadcasting
                                                       : ferry::MessageModel::Clustering)
                      .consume_from(ferry::ConsumeFrom::First)
                      .consume_threads(2)
                      .subscribe(args.topic, "*")
                      .listener([&](const ferry::MessageList& msgs) {
                        received += static_cast<int>(msgs.size());
                        return ferry::ConsumeStatus::Success;  // ReconsumeLater: delivered again later
                      })
                      .build();
  auto producer = ferry::ProducerBuilder().name_servers(args.name_servers).group(args.group).build();
  for (int i = 0; i < args.count; ++i) producer.send(ferry::Message(args.topic, "push " + std::to_string(i)));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (received < args.count && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  consumer.shutdown();  // commits offsets synchronously
  std::printf("push (%s): %d of %d received\n", args.broadcasting ? "broadcasting" : "clustering", received.load(),
              args.count);
  return received >= args.count ? 0 : 1;
} catch (const ferry::Error& e) {
  std::fprintf(stderr, "%s\n", e.what());
  return 1;
}
