#pragma once
// Registry mode: the name server. Serves the FERRY_NAMESRV_* requests from a
// RegistryTable and expires silent brokers with a timer. Name servers never
// talk to each other: every broker registers with each of them.
#include <cstdint>

#include "codec.h"
#include "host_ref.h"
#include "instance.h"
#include "registry_table.h"

namespace ferry::namesrv {

struct RegistryConfig {
  int64_t broker_expiry_ms = 120000;
  uint32_t max_frame_bytes = 16u << 20;  // answers (topic list pages) stay under it
};

class RegistryMode final : public Instance {
 public:
  RegistryMode(HostRef host, RegistryConfig config);
  ~RegistryMode() override;

  Outcome start() override;
  void stop() override;
  void info(ferry_routing_info* out) const override;

  // How often expiry is checked: a tenth of broker_expiry, within [10 ms, 5 s].
  static int64_t scan_interval_ms(int64_t broker_expiry_ms);

 private:
  struct Reply {
    Outcome outcome;
    Buffer payload;
  };

  static void on_request(void* self, ferry_request* req);
  static void on_scan(void* self);
  // `conn_id`: the request's connection (0 when the host cannot tell).
  Reply dispatch(uint32_t code, ferry_slice payload, const char* peer, uint64_t conn_id = 0);
  Reply do_register(ferry_slice payload, const char* peer, uint64_t conn_id);
  Reply do_heartbeat(ferry_slice payload);
  Reply do_unregister(ferry_slice payload, const char* peer);
  Reply do_route(ferry_slice payload);
  Reply do_routes(ferry_slice payload);
  Reply do_clusters(ferry_slice payload);
  Reply do_list(ferry_slice payload);
  void scan();
  // The table keeps monotonic milliseconds; answers show wall-clock times.
  int64_t to_wall(int64_t mono_ms) const;

  HostRef host_;
  RegistryConfig config_;
  RegistryTable table_;
  ferry_timer* scan_timer_ = nullptr;
  // Metrics (docs/namesrv.md, "Metrics"); null when the host keeps none.
  struct {
    ferry_metric *brokers = nullptr, *topics = nullptr, *chunks = nullptr, *rounds = nullptr,
                 *stale_chunks = nullptr, *heartbeats = nullptr, *routes = nullptr,
                 *expired = nullptr, *route_batches = nullptr, *route_batch_topics = nullptr;
  } m_;
  void update_gauges();
  bool serving_ = false;
};

}  // namespace ferry::namesrv
