#pragma once
// Registration mode: inside a broker, keeps the broker registered with every
// configured name server. At start, every register_interval and soon after
// the topic table changes (debounced), each name server gets either a
// heartbeat (its copy of the topic table is current: same fingerprint) or a
// full round: the table sorted by name, in chunks under the frame limit,
// sent one after the other on that server's connection. Name servers are
// independent; one being down delays nobody else.
//
// All state lives on the loop thread (timers, connection events and
// responses all run there), so nothing here locks.
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "chunker.h"
#include "host_ref.h"
#include "instance.h"

namespace ferry::namesrv {

struct RegistrationConfig {
  std::vector<std::string> name_servers;
  int64_t register_interval_ms = 30000;
  int64_t timeout_ms = 3000;
  int64_t change_debounce_ms = 500;
  uint64_t chunk_bytes = 1u << 20;
  BrokerIdentity broker;
  uint32_t max_frame_bytes = 16u << 20;
};

class RegistrationMode final : public Instance {
 public:
  RegistrationMode(HostRef host, RegistrationConfig config);
  // Closes the connections; their pending answers complete here.
  ~RegistrationMode() override;

  Outcome start() override;
  void stop() override;
  void info(ferry_routing_info* out) const override;
  void on_topics_changed() override;

 private:
  // What one round sends: the snapshot and its split, shared by every server.
  struct Round {
    TopicSnapshot snapshot;
    std::vector<ChunkRange> chunks;
    uint64_t round_id = 0;
  };
  struct Link {
    RegistrationMode* owner = nullptr;
    std::string address;
    ferry_conn* conn = nullptr;
    bool connected = false;
    bool busy = false;        // a heartbeat or round is in flight
    bool again = false;       // asked to register while busy
    bool registered = false;  // the last heartbeat or round succeeded
    uint64_t known_version = 0;  // topics_version the server last completed
    std::shared_ptr<const Round> round;  // the round being sent
    uint32_t next_chunk = 0;
    bool failing = false;     // a failure was logged; log the recovery
  };

  static void on_conn_event(void* link, uint64_t conn_id, ferry_conn_event ev);
  static void on_tick(void* self);
  static void on_debounce(void* self);
  static void on_heartbeat_answer(void* link, const ferry_response* resp);
  static void on_chunk_answer(void* link, const ferry_response* resp);
  static void on_unregister_answer(void* link, const ferry_response* resp);
  static void wait_unregisters(void* self);
  static void unregisters_done(void* self);

  // Re-read the topic table into a new round, then kick every server.
  void register_all();
  Outcome refresh_round();
  void kick(Link& link);
  void send_heartbeat(Link& link);
  void send_chunk(Link& link);
  void finish(Link& link, bool ok, const std::string& why);

  HostRef host_;
  RegistrationConfig config_;
  // Metrics (docs/namesrv.md, "Metrics"); null when the host keeps none.
  struct {
    ferry_metric *rounds = nullptr, *heartbeats = nullptr, *failures = nullptr,
                 *registered = nullptr;
  } m_;
  size_t budget_ = 0;
  std::vector<std::unique_ptr<Link>> links_;
  std::shared_ptr<const Round> round_;
  uint64_t next_round_id_ = 0;
  ferry_timer* tick_timer_ = nullptr;
  ferry_timer* debounce_timer_ = nullptr;
  bool debounce_pending_ = false;
  bool stopping_ = false;

  // The bounded wait for unregister answers at stop: a kernel worker
  // (api->queue_work) waits on this while the loop delivers the answers, and
  // the kernel destroys the instance only after that work is done.
  struct StopWait {
    std::mutex m;
    std::condition_variable cv;
    size_t outstanding = 0;
    int64_t limit_ms = 0;
  };
  StopWait stop_wait_;
};

}  // namespace ferry::namesrv
