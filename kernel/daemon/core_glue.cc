#include "core_glue.h"

#include <ferry/flush.h>
#include <ferry/replication.h>
#include <ferry/routing.h>
#include <ferry/storage.h>

#include <algorithm>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

#include "host/instance.h"
#include "kernel.h"

namespace ferry {
namespace {

// A uv timer whose memory is freed in its close callback, so the Timer
// object may be destroyed inside its own callback.
class UvTimer final : public core::Timer {
 public:
  UvTimer(uv_loop_t* loop, uint64_t delay, uint64_t repeat, std::function<void()> fn)
      : state_(std::make_unique<State>()) {
    state_->fn = std::move(fn);
    uv_timer_init(loop, &state_->handle);
    state_->handle.data = state_.get();
    uv_timer_start(&state_->handle, [](uv_timer_t* t) {
      auto* s = static_cast<State*>(t->data);
      if (!s->cancelled) s->fn();
    }, delay, repeat);
  }
  ~UvTimer() override {
    State* s = state_.release();
    s->cancelled = true;
    uv_timer_stop(&s->handle);
    uv_close(reinterpret_cast<uv_handle_t*>(&s->handle),
             [](uv_handle_t* h) { std::unique_ptr<State> drop(static_cast<State*>(h->data)); });
  }

 private:
  struct State {
    uv_timer_t handle{};
    std::function<void()> fn;
    bool cancelled = false;
  };
  std::unique_ptr<State> state_;
};

// core::Metric over one series of the kernel's registry.
class RegistryMetric final : public core::Metric {
 public:
  explicit RegistryMetric(host::Metric* m) : m_(m) {}
  void add(double d) override { m_->add(d); }
  void set(double v) override { m_->set(v); }
  void observe(double v) override { m_->observe(v); }

 private:
  host::Metric* m_;
};

class KernelErrorSlot final : public core::ErrorSlot {
 public:
  ferry_error* get() override { return &err_; }
  std::string message() const override { return err_.message; }
  void reset() override { err_ = ferry_error{}; }

 private:
  ferry_error err_;
};

// core::Request over a net::Request: views into the frame (kept by the
// net::Request), the answer's attachment slices borrowed until the write
// completes, then the Response's keeps released.
class NetCoreRequest final : public core::Request {
 public:
  explicit NetCoreRequest(net::Request req) : req_(std::move(req)) {}
  uint32_t code() const override { return req_.code(); }
  ferry_slice payload() const override { return {req_.payload().data(), req_.payload().size()}; }
  ferry_slice attachment() const override {
    return {req_.attachment().data(), req_.attachment().size()};
  }
  uint64_t conn_id() const override { return req_.conn_id(); }
  std::string_view peer() const override { return req_.peer(); }
  bool oneway() const override { return req_.oneway(); }
  uint64_t peek_hint() const override { return req_.peek_hint(); }
  void respond(core::Response&& r) override {
    std::span<const uint8_t> payload(static_cast<const uint8_t*>(r.payload.data), r.payload.len);
    if (r.attachment.empty()) {
      // Nothing borrowed past this call (every send's reply): r's keeps are
      // released by its owner afterwards, no Response on the heap.
      req_.respond(r.status, r.message, payload, net::Attachment{});
      return;
    }
    auto held = std::make_unique<core::Response>(std::move(r));
    core::Response* raw = held.get();
    net::Attachment att;
    if (!raw->attachment.empty()) {
      att = net::Attachment::borrow(raw->attachment.data(), raw->attachment.size(),
                                    [](void* ctx) { std::unique_ptr<core::Response> drop(static_cast<core::Response*>(ctx)); },
                                    held.release());
    }
    // respond copies status, message and payload before returning.
    req_.respond(raw->status, raw->message, payload, std::move(att));
  }

 private:
  net::Request req_;
};

// The ABI's edit handle for plugins' hooks, forwarding to core::MessageEdit.
class CoreEdit final : public ferry_message_edit {
 public:
  explicit CoreEdit(core::MessageEdit& e) : e_(e) {}
  const ferry_message* message() const override { return e_.message(); }
  bool get_property(const char* name, ferry_slice* value) const override {
    return e_.get_property(name, value);
  }
  ferry_status set_property(const char* name, ferry_slice value) override {
    return e_.set_property(name, value);
  }
  ferry_status remove_property(const char* name) override { return e_.remove_property(name); }
  ferry_status set_topic(ferry_slice topic) override { return e_.set_topic(topic); }
  ferry_status set_queue(int32_t queue_id) override { return e_.set_queue(queue_id); }
  ferry_status set_sys_flag(int32_t sys_flag) override { return e_.set_sys_flag(sys_flag); }

 private:
  core::MessageEdit& e_;
};

}  // namespace

class CoreGlue::Env final : public core::Env {
 public:
  explicit Env(CoreGlue::Parts& p) : p_(p) {}

  int64_t now_ms() override { return p_.clock->now_ms(); }
  uint64_t monotonic_ms() override { return p_.clock->monotonic_ns() / 1'000'000; }
  bool post(ferry_task_fn fn, void* ud) override {
    return p_.bridge->post([fn, ud] { fn(ud); }) == FERRY_OK;
  }
  std::unique_ptr<core::Timer> start_timer(uint64_t delay, uint64_t repeat,
                                           std::function<void()> fn) override {
    return std::make_unique<UvTimer>(p_.loop, delay, repeat, std::move(fn));
  }
  bool defer(std::function<void()> fn) override {
    p_.bridge->defer(std::move(fn));
    return true;
  }
  bool queue_work(std::function<void()> work, std::function<void()> done) override {
    return p_.bridge->queue_work(std::move(work), std::move(done)) == FERRY_OK;
  }
  void log(ferry_log_level level, std::string_view m) override {
    std::string text(m);
    switch (level) {
      case FERRY_LOG_TRACE:
      case FERRY_LOG_DEBUG: p_.logger.debug(text); break;
      case FERRY_LOG_INFO: p_.logger.info(text); break;
      case FERRY_LOG_WARN: p_.logger.warn(text); break;
      default: p_.logger.error(text); break;
    }
  }
  bool log_enabled(ferry_log_level) override { return true; }
  core::Metric* metric(std::string_view name, std::string_view help, ferry_metric_type type,
                       std::string_view labels) override {
    if (!p_.metrics) return nullptr;
    std::string error;
    host::Metric* m = p_.metrics->add(std::string(name), std::string(help), type,
                                      std::string(labels), &error);
    if (!m) {
      p_.logger.warn("core: metric not registered: " + error);
      return nullptr;
    }
    auto& slot = metrics_[m];  // the registry shares a series registered twice
    if (!slot) slot = std::make_unique<RegistryMetric>(m);
    return slot.get();
  }
  const core::BrokerIdentity& identity() override { return p_.identity; }
  const std::string& data_dir() override { return p_.data_dir; }
  std::unique_ptr<core::ErrorSlot> new_error() override { return std::make_unique<KernelErrorSlot>(); }
  uint64_t watermark(ferry_watermark which) override { return p_.watermarks->get(which); }

  void publish_write(uint64_t write_offset) override {
    p_.watermarks->advance(FERRY_WATERMARK_WRITE, write_offset);
    if (appended_posted_) return;
    appended_posted_ = true;
    // Once per loop turn however many appends it covers, at the turn's end
    // (defer: no wake-up of the loop by itself).
    p_.bridge->defer([this] {
      appended_posted_ = false;
      end_storage_turn();
      uint64_t w = p_.watermarks->get(FERRY_WATERMARK_WRITE);
      if (flush && flush->on_appended) flush->on_appended(flush_inst, w);
      if (replication && replication->on_appended) replication->on_appended(replication_inst, w);
      // Consumers pulling (a pull held, or one seen within the last second):
      // the storage dispatches on this thread if it can and the core
      // answers the held pulls now (storage.h, dispatch_inline); else, or
      // when it declines (it then wakes its dispatcher), the dispatcher's
      // wake-up. Not only while a pull is held: a consumer's next pull
      // usually arrives between two turns, and a turn left to the
      // dispatcher made it wait for the dispatcher's report to the loop
      // (two cross-thread wake-ups, ~2,000 full dispatches/s at 85k/s).
      const uint64_t visible = p_.watermarks->get(FERRY_WATERMARK_VISIBLE);
      if (!consumers_pulling()) return;
      if (core && core->dispatch_inline(visible)) return;
      if (storage && FERRY_HAS_FIELD(ferry_storage_ops, storage->struct_size, on_visible) &&
          storage->on_visible)
        storage->on_visible(storage_inst, visible);
    });
  }
  // The storage may hold this turn's appends back to write them with one
  // write (storage.h, end_turn): WRITE comes from it, before the flush and
  // replication plugins hear of the turn. A failed write is logged once per
  // failure; the storage refuses appends until a retry succeeds.
  void end_storage_turn() {
    if (!storage || !FERRY_HAS_FIELD(ferry_storage_ops, storage->struct_size, end_turn) ||
        !storage->end_turn)
      return;
    uint64_t written = 0;
    turn_error_.reset();
    ferry_status s = storage->end_turn(storage_inst, &written, turn_error_.get());
    p_.watermarks->advance(FERRY_WATERMARK_WRITE, written);
    if (s != FERRY_OK && !turn_failed_)
      p_.logger.error("storage: appended records not written: " + turn_error_.message() +
                      " (" + ferry_status_str(s) + ")");
    turn_failed_ = s != FERRY_OK;
  }
  // The storage dispatcher indexes new records for pulls and queries. It is
  // woken at the end of every append turn only while consumers pull (a pull
  // held, or one seen within the last second); otherwise its own poll
  // (mmaplog's dispatch_poll_ms, 1 ms) batches the indexing: one wake-up of
  // the dispatcher, and one of the loop for its report, per poll instead of
  // per append turn (on 2 cores, producers without consumers pay for both).
  bool consumers_pulling() {
    if (!core) return true;
    const uint64_t now = uv_now(p_.loop);
    const uint64_t pulls = core->counters().pulls;
    if (pulls != pulls_seen_ || core->held_pulls() > 0) {
      pulls_seen_ = pulls;
      pulled_at_ms_ = now;
      return true;
    }
    return pulled_at_ms_ != 0 && now - pulled_at_ms_ < kEagerDispatchMs;
  }
  bool notify_client(uint64_t conn_id, uint32_t code, std::string_view payload) override {
    if (!p_.net) return false;
    ferry_slice pl{payload.data(), payload.size()};
    return p_.net->client_request(nullptr, conn_id, code, pl, ferry_slice{}, 0, true, nullptr,
                                  nullptr) == FERRY_OK;
  }
  // Every routing instance hears it: a registry-mode one ignores it, a
  // registration-mode one re-registers (debounced there). Picking one would
  // pick the registry in a standalone broker and leave new topics unrouted
  // until the next periodic round.
  void topics_changed() override {
    for (const auto& [ops, inst] : routing) ops->on_topics_changed(inst);
  }

  const ferry_storage_ops* storage = nullptr;
  void* storage_inst = nullptr;
  const ferry_flush_ops* flush = nullptr;
  void* flush_inst = nullptr;
  const ferry_replication_ops* replication = nullptr;
  void* replication_inst = nullptr;
  std::vector<std::pair<const ferry_routing_ops*, void*>> routing;  // with on_topics_changed
  std::atomic<bool> watermark_posted{false};
  core::Core* core = nullptr;  // set once the core exists; loop only

 private:
  static constexpr uint64_t kEagerDispatchMs = 1000;
  KernelErrorSlot turn_error_;
  bool turn_failed_ = false;
  CoreGlue::Parts& p_;
  bool appended_posted_ = false;
  uint64_t pulls_seen_ = 0;    // core's pull count at the last look
  uint64_t pulled_at_ms_ = 0;  // uv_now when a pull was last seen (0: never)
  std::unordered_map<host::Metric*, std::unique_ptr<RegistryMetric>> metrics_;
};

CoreGlue::CoreGlue(Parts parts) : parts_(std::move(parts)), env_(std::make_unique<Env>(parts_)) {}

CoreGlue::~CoreGlue() {
  if (core_) core_->stop();
  env_->core = nullptr;  // core_ goes before env_
}

ferry_status CoreGlue::open(const Kernel& kernel, core::CoreConfig config, std::string* why) {
  core::PluginSet set;
  for (const std::string& name : kernel.instance_names()) {
    for (uint32_t kind : {FERRY_KIND_STORAGE, FERRY_KIND_FLUSH, FERRY_KIND_REPLICATION,
                          FERRY_KIND_ROUTING, FERRY_KIND_FILTER}) {
      auto s = kernel.find_service(kind, name);
      if (!s || !s->ops) continue;
      switch (kind) {
        case FERRY_KIND_STORAGE:
          set.storage = static_cast<const ferry_storage_ops*>(s->ops);
          set.storage_inst = s->instance;
          break;
        case FERRY_KIND_FLUSH:
          set.flush = static_cast<const ferry_flush_ops*>(s->ops);
          set.flush_inst = s->instance;
          break;
        case FERRY_KIND_REPLICATION:
          set.replication = static_cast<const ferry_replication_ops*>(s->ops);
          set.replication_inst = s->instance;
          break;
        case FERRY_KIND_ROUTING: {
          // Registration-mode instances want topic changes; a registry
          // ignores them (on_topics_changed is optional).
          auto* r = static_cast<const ferry_routing_ops*>(s->ops);
          if (r->on_topics_changed) env_->routing.emplace_back(r, s->instance);
          break;
        }
        case FERRY_KIND_FILTER:
          set.filters.push_back({static_cast<const ferry_filter_ops*>(s->ops), s->instance});
          break;
      }
    }
  }
  if (!set.storage) {
    *why = "the messaging core needs a storage instance";
    return FERRY_E_DEPENDENCY;
  }
  env_->storage = set.storage;
  env_->storage_inst = set.storage_inst;
  env_->flush = set.flush;
  env_->flush_inst = set.flush_inst;
  env_->replication = set.replication;
  env_->replication_inst = set.replication_inst;
  core_ = std::make_unique<core::Core>(*env_, std::move(set), config);
  ferry_status s = core_->open(why);
  if (s != FERRY_OK) {
    core_.reset();
    return s;
  }
  env_->core = core_.get();
  // One coalesced Core::on_watermarks per burst of advances, on the loop:
  // posted from the flush / replication threads, deferred to the turn's end
  // when the loop itself advanced (WRITE, on every append turn).
  parts_.watermarks->on_advance([this] {
    if (env_->watermark_posted.exchange(true)) return;
    auto run = [this] {
      env_->watermark_posted = false;
      if (core_) core_->on_watermarks();
    };
    if (parts_.bridge->on_loop())
      parts_.bridge->defer(run);
    else
      parts_.bridge->post(run);
  });
  return FERRY_OK;
}

void CoreGlue::start() {
  if (core_) core_->start();
}

void CoreGlue::stop() {
  if (core_) core_->stop();
}

host::NetBridge::KernelHandler CoreGlue::handler() {
  return [this](net::Request req) {
    if (!core_) {
      req.respond(FERRY_E_UNKNOWN_REQUEST, "the messaging core is off (no storage plugin)");
      return;
    }
    core_->handle(std::make_unique<NetCoreRequest>(std::move(req)));
  };
}

host::NetBridge::KernelPeek CoreGlue::peek() {
  return [this](uint32_t code, std::span<const uint8_t> payload) -> uint64_t {
    return core_ ? core_->peek(code, {payload.data(), payload.size()}) : 0;
  };
}

void CoreGlue::on_connection_closed(uint64_t conn_id) {
  if (core_) core_->on_connection_closed(conn_id);
}

ferry_status CoreGlue::producer_conn(ferry_host*, ferry_slice group, uint64_t* conn_id) {
  if (!core_) return FERRY_E_NOT_SUPPORTED;
  auto c = core_->producer_conn(std::string_view(static_cast<const char*>(group.data), group.len));
  if (!c) return FERRY_E_NOT_FOUND;
  *conn_id = *c;
  return FERRY_OK;
}

ferry_status CoreGlue::topic_get(ferry_host*, ferry_slice name, ferry_topic_info* out) {
  if (!core_) return FERRY_E_NOT_SUPPORTED;
  return core_->topic_get(std::string_view(static_cast<const char*>(name.data), name.len), out);
}

ferry_status CoreGlue::topic_foreach(ferry_host*, ferry_topic_visit_fn fn, void* user_data) {
  if (!core_) return FERRY_E_NOT_SUPPORTED;
  return core_->topic_foreach(fn, user_data);
}

ferry_status CoreGlue::put_message(ferry_host*, const ferry_message* msg, ferry_put_fn on_put,
                                   void* user_data) {
  if (!core_) return FERRY_E_NOT_SUPPORTED;
  return core_->put_message(msg, on_put, user_data);
}

ferry_status CoreGlue::hook_pre_append(ferry_host*, const char* property, ferry_pre_append_fn fn,
                                       void* user_data) {
  if (!core_) return FERRY_E_NOT_SUPPORTED;
  if (!fn) return FERRY_E_INVALID_ARGUMENT;
  return core_->hook_pre_append(property, [fn, user_data](core::MessageEdit& e) {
    CoreEdit edit(e);
    return fn(user_data, &edit);
  });
}

void CoreGlue::release(ferry_host*) {
  // Hooks live as long as the core: a plugin is destroyed only after
  // CoreGlue::stop(), when no message is appended any more.
}

}  // namespace ferry
