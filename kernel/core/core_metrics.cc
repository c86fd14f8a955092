#include "core_metrics.h"

namespace ferry::core {

CoreMetrics::CoreMetrics(Env& env) : env_(env) {
  auto reg = [&](const char* name, const char* help, ferry_metric_type type) {
    return env_.metric(name, help, type, "");
  };
  append_latency_us = reg("ferry_core_append_latency_us",
                          "storage append of one send request (its whole batch), microseconds",
                          FERRY_METRIC_HISTOGRAM);
  ack_latency_us = reg("ferry_core_ack_latency_us",
                       "append to acknowledgement of a send (durability/replication wait), microseconds",
                       FERRY_METRIC_HISTOGRAM);
  sends_busy = reg("ferry_core_sends_busy_total", "sends refused with FERRY_E_BUSY (send queue full)",
                   FERRY_METRIC_COUNTER);
  send_timeouts = reg("ferry_core_send_timeouts_total",
                      "sends stored but not durable/replicated within the ack timeout", FERRY_METRIC_COUNTER);
  held_pulls = reg("ferry_core_held_pulls", "long polls held now", FERRY_METRIC_GAUGE);
  pending_acks = reg("ferry_core_pending_acks", "sends waiting for their durability watermark",
                     FERRY_METRIC_GAUGE);
  clients = reg("ferry_core_clients", "producers and consumers known from heartbeats", FERRY_METRIC_GAUGE);
  client_connections = reg("ferry_core_client_connections",
                           "connections carrying at least one heartbeating client", FERRY_METRIC_GAUGE);
  consumer_groups = reg("ferry_core_consumer_groups", "consumer groups with at least one member",
                        FERRY_METRIC_GAUGE);
  topics = reg("ferry_core_topics", "topics in the topic table", FERRY_METRIC_GAUGE);
  lag_dropped_ = reg("ferry_core_consumer_lag_series_dropped",
                     "group/topic pairs whose lag has no series (over the series cap) at the last scrape",
                     FERRY_METRIC_GAUGE);
}

void CoreMetrics::set_lag(std::string_view group, std::string_view topic, uint64_t lag) {
  std::string key;
  key.reserve(group.size() + 1 + topic.size());
  key.append(group).append(1, '\0').append(topic);
  auto it = lag_.find(key);
  if (it == lag_.end()) {
    if (lag_.size() >= kMaxLagSeries) {
      ++lag_dropped_now_;
      return;
    }
    std::string labels = "group=" + std::string(group) + ",topic=" + std::string(topic);
    LagSeries s;
    s.metric = env_.metric("ferry_core_consumer_lag",
                           "messages stored but not yet committed by the group (max offset - committed offset, "
                           "summed over the topic's queues), computed at scrape time",
                           FERRY_METRIC_GAUGE, labels);
    it = lag_.emplace(std::move(key), s).first;
  }
  it->second.round = lag_round_;
  set(it->second.metric, static_cast<double>(lag));
}

void CoreMetrics::end_lag_round() {
  for (auto& [key, s] : lag_)
    if (s.round != lag_round_) set(s.metric, 0);
  set(lag_dropped_, static_cast<double>(lag_dropped_now_));
}

const TopicMetrics& CoreMetrics::topic(std::string_view name) {
  auto it = topics_.find(name);
  if (it != topics_.end()) return it->second;
  std::string labels = "topic=" + std::string(name);
  TopicMetrics m;
  m.messages_in = env_.metric("ferry_core_messages_in_total", "messages stored by sends, per topic",
                              FERRY_METRIC_COUNTER, labels);
  m.bytes_in = env_.metric("ferry_core_bytes_in_total", "message body bytes stored by sends, per topic",
                           FERRY_METRIC_COUNTER, labels);
  m.messages_out = env_.metric("ferry_core_messages_out_total", "messages returned by pulls, per topic",
                               FERRY_METRIC_COUNTER, labels);
  m.bytes_out = env_.metric("ferry_core_bytes_out_total", "record bytes returned by pulls, per topic",
                            FERRY_METRIC_COUNTER, labels);
  return topics_.emplace(std::string(name), m).first->second;
}

}  // namespace ferry::core
