// Ordered messages: send_ordered puts equal sharding keys in one queue; an
// orderly push consumer (queue locked at the broker) reads each queue in
// order. Checks that every key's messages arrive in send order.
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <mutex>
#include <vector>

#include "args.hpp"
#include "ferry/ferry.hpp"

int main(int argc, char** argv) try {
  ExampleArgs args(argc, argv, 50);
  const int keys = 5;
  std::mutex mu;
  std::condition_variable cv;
  std::map<std::string, std::vector<int>> seen;
  int total = 0;
  auto consumer = ferry::PushConsumerBuilder()
                      .name_servers(args.name_servers)
                      .group(args.group + "_orderly")
                      .consume_from(ferry::ConsumeFrom::First)
                      .subscribe(args.topic)
                      .orderly_listener([&](const ferry::MessageList& msgs) {
                        std::lock_guard<std::mutex> lock(mu);
                        for (ferry::MessageView m : msgs) {
                          std::string_view body = m.body();
                          auto colon = body.find(':');
                          seen[std::string(body.substr(0, colon))].push_back(std::stoi(std::string(body.substr(colon + 1))));
                          ++total;
                        }
                        cv.notify_all();
                        return ferry::OrderlyStatus::Success;
                      })
                      .build();
  auto producer = ferry::ProducerBuilder().name_servers(args.name_servers).group(args.group).build();
  for (int n = 0; n < args.count; ++n)
    for (int k = 0; k < keys; ++k) {
      std::string key = "k" + std::to_string(k);
      producer.send_ordered(ferry::Message(args.topic, key + ":" + std::to_string(n)), key);
    }
  std::unique_lock<std::mutex> lock(mu);
  cv.wait_for(lock, std::chrono::seconds(60), [&] { return total >= keys * args.count; });
  bool in_order = true;
  for (auto& [key, ns] : seen)
    for (size_t i = 1; i < ns.size(); ++i) in_order = in_order && ns[i - 1] < ns[i];
  std::printf("ordered: %zu keys, %d received, in order: %s\n", seen.size(), total, in_order ? "true" : "false");
  return in_order && total >= keys * args.count ? 0 : 1;
} catch (const ferry::Error& e) {
  std::fprintf(stderr, "%s\n", e.what());
  return 1;
}
