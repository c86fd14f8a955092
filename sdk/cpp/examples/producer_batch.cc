// Batch send: messages of one topic stored together, in order, in one queue.
#include <cstdio>
#include <vector>

#include "args.hpp"
#include "ferry/ferry.hpp"

int main(int argc, char** argv) try {
  ExampleArgs args(argc, argv);
  auto producer = ferry::ProducerBuilder().name_servers(args.name_servers).group(args.group).build();
  std::vector<ferry::Message> batch;
  for (int i = 0; i < args.count; ++i) batch.emplace_back(args.topic, "batch " + std::to_string(i));
  ferry::SendResult r = producer.send_batch(batch);
  std::printf("batch: %d stored in %.*s/%d from offset %lld\n", args.count, static_cast<int>(r.broker_name().size()),
              r.broker_name().data(), r.queue_id(), static_cast<long long>(r.queue_offset()));
  return 0;
} catch (const ferry::Error& e) {
  std::fprintf(stderr, "%s\n", e.what());
  return 1;
}
