#pragma once
// Io: a client handle's I/O thread and everything that lives on it —
// connections to brokers and name servers (one net::Client per address,
// requests parked while it connects), name-server failover, the route cache
// (refreshed every route_refresh_ms, kept when every name server is down),
// heartbeats to every broker of every cached route, timers.
//
// Threads: post()/run_sync()/log() from any thread; everything marked
// [loop] runs only on the I/O thread, which never runs user code.
#include <ferry/net/client.h>
#include <ferry/net/loop_thread.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "api_common.h"
#include "config.h"
#include "route.h"
#include "send_route.h"

namespace ferry::sdk {

using RespFn = std::function<void(const net::Response&)>;
using RouteFn = std::function<void(const Error&, std::shared_ptr<const Route>)>;

uint64_t mono_ms();
int64_t wall_ms();

// A repeating or one-shot timer on the loop. Loop thread only; the handle is
// freed in its close callback.
class LoopTimer {
 public:
  LoopTimer(uv_loop_t* loop, std::function<void()> fn);
  ~LoopTimer();
  LoopTimer(const LoopTimer&) = delete;
  LoopTimer& operator=(const LoopTimer&) = delete;
  void start(uint64_t delay_ms, uint64_t repeat_ms);
  void stop();

 private:
  struct State;
  State* state_;
};

// Work to run once the loop's current turn has handled its I/O and posted
// tasks (a uv_check handle, armed only while work waits; an idle handle
// keeps the poll from blocking before it). Loop thread only.
class TurnEnd {
 public:
  explicit TurnEnd(uv_loop_t* loop);
  ~TurnEnd();
  TurnEnd(const TurnEnd&) = delete;
  TurnEnd& operator=(const TurnEnd&) = delete;
  void add(std::function<void()> fn);

 private:
  struct State;
  State* state_;
};

class Io {
 public:
  explicit Io(Settings settings);
  ~Io();
  Io(const Io&) = delete;
  Io& operator=(const Io&) = delete;

  const Settings& settings() const { return s_; }
  uv_loop_t* loop() { return loop_->loop(); }

  // Starts the loop and its timers.
  ferry_status start(std::string* why);
  // [not loop] Closes connections (pending requests complete with an
  // error), timers, and joins the I/O thread. Idempotent.
  void stop();
  bool stopped() const { return stopped_; }

  // [any] Runs fn on the loop. False once stopping.
  bool post(std::function<void()> fn);
  // [any] True on this Io's loop thread; false before start(). Compares
  // with the id taken at start (not the std::thread, which stop() joins).
  bool in_loop() const { return loop_tid_ != std::thread::id() && std::this_thread::get_id() == loop_tid_; }
  // [loop] Shutting down: no new work should start.
  bool stopping() const { return stopping_; }
  void log(ferry_log_level level, const std::string& text) const;
  // [any] The warning for a thread_policy the OS refused; the caller logs it
  // once per thread kind.
  void log_policy_refused(const char* thread, int err) const;

  // Handlers set before start().
  void set_server_request_handler(std::function<void(net::Request)> h) { server_handler_ = std::move(h); }
  // Builds the heartbeat payload [loop], with the consumer subscriptions or
  // only their fingerprint. `fingerprint` (may be empty: always full) names
  // the current subscriptions; a broker that acknowledged a full heartbeat
  // with that fingerprint gets light ones until it changes, the connection
  // drops, or the broker asks for them again (resend_subscriptions).
  void set_heartbeat_source(std::function<std::vector<uint8_t>(bool with_subscriptions)> h,
                            std::function<uint64_t()> fingerprint = {}) {
    heartbeat_source_ = std::move(h);
    subs_fingerprint_ = std::move(fingerprint);
  }

  // [loop] A request to one address; fn runs exactly once on the loop.
  void request(const std::string& addr, uint32_t code, std::vector<uint8_t> payload,
               net::Attachment att, uint32_t timeout_ms, bool oneway, RespFn fn);
  // What a request does when its address's connection is down (lost or
  // refused; the transport reconnects with backoff): fail at once with
  // FERRY_E_NOT_CONNECTED, so the caller can go to another broker, or —
  // when there is no other to go to — wait for the reconnect within its
  // timeout. A waiting request still fails at once when a connect attempt
  // fails (the broker is really gone), and at its timeout.
  enum class IfDown { kFail, kWait };
  // [loop] The same for a payload the caller keeps (e.g. a reused encode
  // buffer): copied only if the request must wait for a connection.
  void request_view(const std::string& addr, uint32_t code, std::span<const uint8_t> payload,
                    net::Attachment att, uint32_t timeout_ms, bool oneway, RespFn fn,
                    IfDown if_down = IfDown::kFail);
  // [loop] The same to broker `broker` (an index of broker(); a SendRoute
  // names them): its endpoint is found once per broker, not by address per
  // request (endpoints live until stop()).
  void request_broker(uint32_t broker, uint32_t code, std::span<const uint8_t> payload, net::Attachment att,
                      uint32_t timeout_ms, bool oneway, RespFn fn, IfDown if_down = IfDown::kFail);
  // [loop] A name-server request, failing over through the list; status
  // FERRY_E_NO_NAME_SERVER when none answered.
  void ns_request(uint32_t code, std::vector<uint8_t> payload, RespFn fn);
  // [loop] The topic's route: cached, or fetched (refresh forces a fetch;
  // when the fetch fails a cached route is still returned).
  void route(const std::string& topic, bool refresh, RouteFn fn);
  std::shared_ptr<const Route> cached_route(const std::string& topic) const;
  // [loop] The cached route's send view, borrowed; nullptr when none is
  // cached. No count is taken: this is every send's lookup. Its content
  // changes when the loop next adopts a route (read it within one loop
  // callback), but the object stays: cache entries are never erased, so a
  // producer's topic handle keeps the pointer for the Io's life.
  const SendRoute* send_route(const std::string& topic) const { return send_index_.find(topic); }
  // [loop] A broker a SendRoute names; valid for the Io's life.
  const BrokerRef& broker(uint32_t index) const { return brokers_[index]; }
  // [any] The same, for a sync send that runs on its caller's thread.
  std::shared_ptr<const Route> shared_route(const std::string& topic) const;
  // [loop] Heartbeat every known broker now; done (may be empty) runs on
  // the loop when all answered.
  void heartbeat_all(std::function<void()> done);
  // [loop] Readies `topics` for sending ahead of the first send: their
  // routes fetched (one loop turn: GET_ROUTES batches) and every master
  // they name greeted with a heartbeat, so its connection is up. done runs
  // once on the loop with the first failure (the rest are still readied)
  // and the master addresses that answered.
  using PrepareFn = std::function<void(const Error&, std::vector<std::string> addrs)>;
  void prepare(const std::vector<std::string>& topics, PrepareFn done);
  // [loop] Master addresses of every cached route.
  std::set<std::string> broker_addresses() const;
  // [loop] Runs fn after ms (dropped at stop).
  void after(uint64_t ms, std::function<void()> fn);
  // [loop] Runs fn at the end of this loop turn, with no wake-up: what the
  // turn gathered goes out together (dropped at stop).
  void at_turn_end(std::function<void()> fn);

 private:
  struct Endpoint;
  struct Waiter;
  Endpoint& endpoint(const std::string& addr);
  // att and fn by reference: each hop's move of an Attachment costs ~70
  // instructions per send.
  void request_on(Endpoint& ep, uint32_t code, std::span<const uint8_t> payload, net::Attachment&& att,
                  uint32_t timeout_ms, bool oneway, RespFn&& fn, IfDown if_down);
  void on_event(const std::string& addr, net::ConnEvent ev);
  void connect_failed(const std::string& addr);
  void sweep_waiters();
  void ns_try(std::shared_ptr<struct NsCall> call);
  void fetch_route(const std::string& topic);
  // First use of topics: the ones asked for in one loop turn go in GET_ROUTES
  // batches (route.h) at its end; one alone, or a name server without
  // GET_ROUTES, per topic.
  void fetch_first_routes();
  void first_batch(std::vector<std::string> topics);
  // Completes a topic's route waiters (a failure keeps a cached route).
  void answer_route_waiters(const std::string& topic, Error err, std::shared_ptr<const Route> route);
  // The periodic refresh: GET_ROUTES in batches (route.h), per topic against
  // a name server that does not know it.
  void refresh_routes();
  // One GET_ROUTES; asks again for the topics its answer did not cover.
  void refresh_batch(std::vector<std::string> topics);
  // Cache a route the name server sent (and heartbeat its new brokers).
  std::shared_ptr<const Route> adopt_route(const fbn::TopicRoute& r);
  // done (may be empty) gets the heartbeat's status (FERRY_OK when there is
  // nothing to send).
  void heartbeat_one(const std::string& addr, std::function<void(ferry_status)> done);

  Settings s_;
  std::unique_ptr<net::LoopThread> loop_;
  std::thread::id loop_tid_;  // set once by start(), before the handle is published as started
  std::map<std::string, std::unique_ptr<Endpoint>> endpoints_;
  std::vector<Endpoint*> broker_eps_;  // [loop] by broker index, found on first use
  std::unique_ptr<LoopTimer> sweep_timer_, refresh_timer_, heartbeat_timer_;
  std::unique_ptr<TurnEnd> turn_end_;
  std::map<uint64_t, std::unique_ptr<LoopTimer>> afters_;
  uint64_t next_after_ = 1;
  size_t ns_index_ = 0;
  // A topic's cache entry: its send view (in send_arena_, in first-use
  // order) and the full route.
  struct CachedRoute {
    SendRoute* send = nullptr;
    std::shared_ptr<const Route> full;
  };
  std::map<std::string, CachedRoute> routes_;  // written on the loop only
  BrokerTable brokers_;                        // [loop]
  SendRouteArena send_arena_;                  // [loop] written under routes_mu_
  SendRouteIndex send_index_;                  // [loop] routes_ by name, for sends
  mutable std::mutex routes_mu_;  // held to write routes_, and to read it off the loop
  std::map<std::string, std::vector<RouteFn>> route_waiters_;
  std::vector<std::string> first_fetch_;  // [loop] first asked for in this turn
  RouteBatchMode route_batch_mode_;
  std::set<std::string> heartbeated_;  // addresses heartbeated at least once
  std::function<void(net::Request)> server_handler_;
  std::function<std::vector<uint8_t>(bool)> heartbeat_source_;
  std::function<uint64_t()> subs_fingerprint_;
  std::map<std::string, uint64_t> subs_known_;  // address -> fingerprint it acknowledged
  bool started_ = false;
  bool stopping_ = false;  // loop side
  // Read by post() on any thread (a send racing shutdown), set by stop().
  std::atomic<bool> stopped_{false};
};

}  // namespace ferry::sdk
