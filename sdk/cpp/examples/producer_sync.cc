// Sync send: each send returns once the broker stored the message, or throws.
#include <cstdio>

#include "args.hpp"
#include "ferry/ferry.hpp"

int main(int argc, char** argv) try {
  ExampleArgs args(argc, argv);
  auto producer = ferry::ProducerBuilder().name_servers(args.name_servers).group(args.group).build();
  for (int i = 0; i < args.count; ++i) {
    ferry::Message msg(args.topic, "hello " + std::to_string(i));
    msg.set_tags("sync").set_keys("key-" + std::to_string(i));
    ferry::SendResult r = producer.send(msg);
    std::printf("sent %.*s to %.*s/%d at offset %lld\n", static_cast<int>(r.msg_id().size()), r.msg_id().data(),
                static_cast<int>(r.broker_name().size()), r.broker_name().data(), r.queue_id(),
                static_cast<long long>(r.queue_offset()));
  }
  std::printf("sync: %d sent\n", args.count);
  return 0;
} catch (const ferry::Error& e) {
  std::fprintf(stderr, "%s\n", e.what());
  return 1;
}
