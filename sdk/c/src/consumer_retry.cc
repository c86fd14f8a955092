// RECONSUME_LATER of a push consumer (RocketMQ's sendMessageBack). In
// clustering each failed message is handed back to the broker that stores
// it, which keeps a copy in the group's retry topic (or its dead-letter
// topic once max_reconsume_times is used up); the original is then
// acknowledged, so one poison message no longer holds its queue's commit.
// A message the broker did not take is retried locally after
// reconsume_delay_ms, as before: nothing is lost. Broadcasting always
// retries locally (RocketMQ does not send back there); orderly consumers
// suspend their queue instead (consume_orderly).
#include <ferry/codes.h>

#include "consumer.h"
#include "wire.h"

namespace ferry::sdk {

// [loop]
void Consumer::reconsume_later(PqPtr pq, std::vector<ferry_client_message*> batch) {
  if (pq->dropped || stopping_) return;  // not acked: delivered again later
  if (s.message_model == MessageModel::kClustering && kind_ == ConsumerKind::kPushConcurrent)
    return send_back(std::move(pq), std::move(batch));
  retry_locally(std::move(pq), std::move(batch));
}

// [loop] The messages stay in the cache (the commit waits for them).
void Consumer::retry_locally(PqPtr pq, std::vector<ferry_client_message*> batch) {
  io->after(s.reconsume_delay_ms, [this, pq = std::move(pq), batch = std::move(batch)] { submit_batch(pq, batch); });
}

// [loop] One request per message, to the master of the queue it came from
// (the broker holding its record). Each answer acknowledges its message, or
// keeps it for the local retry of the batch's failures.
void Consumer::send_back(PqPtr pq, std::vector<ferry_client_message*> batch) {
  std::string addr = master_of(pq->key);
  if (addr.empty()) return retry_locally(std::move(pq), std::move(batch));
  struct State {
    size_t left = 0;
    std::vector<ferry_client_message*> failed;
  };
  auto st = std::make_shared<State>();
  st->left = batch.size();
  for (ferry_client_message* m : batch) {
    flatbuffers::FlatBufferBuilder fbb(128);
    auto g = fbb.CreateString(s.group);
    auto t = fbb.CreateString(m->topic().data(), m->topic().size());
    auto payload = finish_core(fbb, fbc::CreateSendBackRequest(fbb, g, static_cast<uint64_t>(m->rec.physical_offset), 0, t, 0,
                                                               static_cast<int32_t>(s.max_reconsume_times)));
    io->request(addr, FERRY_CODE_CONSUMER_SEND_BACK, std::move(payload), {}, s.request_timeout_ms, false,
                [this, pq, m, st, addr](const net::Response& r) {
                  if (r.status == FERRY_OK) {
                    pq->cache.ack(m->rec.queue_offset);  // m may be gone after this
                  } else {
                    io->log(FERRY_LOG_INFO, "send back of " + pq->key.text() + " offset " +
                                                std::to_string(m->rec.queue_offset) + " to " + addr + ": " +
                                                ferry_status_name(r.status) + " " + std::string(r.message) +
                                                "; retrying locally");
                    st->failed.push_back(m);
                  }
                  if (--st->left) return;
                  if (!st->failed.empty()) retry_locally(pq, std::move(st->failed));
                  resume_if_paused(pq);
                });
  }
}

// A message read from a retry topic shows the topic it first came from (its
// record stays where it is: acknowledgements and send-backs use offsets).
void Consumer::restore_retry_topics(const std::vector<MessagePtr>& msgs) {
  for (const auto& m : msgs) {
    ferry_slice origin{};
    if (ferry_property_find(m->rec.properties, FERRY_PROP_RETRY_TOPIC, &origin) && origin.len > 0)
      m->rec.topic = origin;
  }
}

}  // namespace ferry::sdk
