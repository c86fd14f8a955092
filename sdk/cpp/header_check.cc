// Compile-only: instantiates every wrapper so each header, template and
// trampoline is checked under -std=c++17 -Werror (see CMakeLists.txt).
#include "ferry/ferry.hpp"

namespace {

[[maybe_unused]] void instantiate_everything() {
  auto producer = ferry::ProducerBuilder().name_servers("127.0.0.1:1").group("g").build();
  ferry::Message msg("t", "body");
  msg.set_tags("a").set_keys("k").set_property("p", "v").set_flag(1);
  producer.send(msg);
  producer.send_async(msg, [](const ferry::SendResult&) {});
  producer.send_oneway(msg);
  std::vector<ferry::Message> batch;
  producer.send_batch(batch);
  producer.send_ordered(msg, "key");
  producer.send_select(msg, [](ferry::MessageView, std::size_t n) { return n - 1; });
  producer.shutdown();

  auto push = ferry::PushConsumerBuilder()
                  .subscribe("t")
                  .listener([](const ferry::MessageList& msgs) {
                    for (ferry::MessageView m : msgs) (void)m.body();
                    return ferry::ConsumeStatus::Success;
                  })
                  .build();
  push.shutdown();
  auto orderly = ferry::PushConsumerBuilder()
                     .subscribe("t")
                     .orderly_listener([](const ferry::MessageList&) { return ferry::OrderlyStatus::Suspend; })
                     .build();
  (void)orderly.queue_count();

  auto pull = ferry::PullConsumerBuilder().subscribe("t").build();
  auto got = pull.poll(std::chrono::milliseconds(10));
  pull.commit_sync();
  pull.commit_async([](ferry::Status, std::string_view) {});
  auto queues = pull.fetch_queues("t");
  pull.assign(queues);
  pull.seek(queues.at(0), 0);
  pull.seek_timestamp(queues.at(0), 0);

  auto admin = ferry::AdminBuilder().build();
  admin.create_topic("c", ferry::TopicSettings{"t"});
  admin.update_topic("c", ferry::TopicSettings{"t"});
  admin.delete_topic("c", "t");
  (void)admin.topic_list();
  (void)admin.topic_route("t");
  (void)admin.cluster_info();
  (void)admin.queue_range(queues.at(0));
  (void)admin.consumer_progress("g");
  (void)admin.query_by_offset_id("x");
  (void)admin.query_by_key("t", "k");
  (void)admin.runtime_stats("127.0.0.1:1");

  auto tx = ferry::TransactionProducerBuilder()
                .checker([](ferry::MessageView) { return ferry::TransactionState::Commit; })
                .build();
  tx.send(msg, [](ferry::MessageView) { return ferry::TransactionState::Rollback; });
}

}  // namespace
