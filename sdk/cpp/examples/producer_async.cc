// Async send: send_async returns at once; the lambda runs on the producer's
// callback thread with the result. shutdown() waits for every callback.
#include <atomic>
#include <cstdio>

#include "args.hpp"
#include "ferry/ferry.hpp"

int main(int argc, char** argv) try {
  ExampleArgs args(argc, argv, 100);
  std::atomic<int> ok{0}, failed{0};
  auto producer = ferry::ProducerBuilder().name_servers(args.name_servers).group(args.group).build();
  for (int i = 0; i < args.count; ++i) {
    ferry::Message msg(args.topic, "async " + std::to_string(i));
    producer.send_async(msg, [&](const ferry::SendResult& r) {  // body copied before send_async returns
      if (r.ok()) {
        ++ok;
      } else {
        ++failed;
        std::fprintf(stderr, "failed: %s\n", r.error().c_str());
      }
    });
  }
  producer.shutdown();
  std::printf("async: %d sent, %d failed\n", ok.load(), failed.load());
  return failed == 0 && ok == args.count ? 0 : 1;
} catch (const ferry::Error& e) {
  std::fprintf(stderr, "%s\n", e.what());
  return 1;
}
