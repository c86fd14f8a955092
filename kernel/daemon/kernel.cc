#include "kernel.h"

#include <filesystem>
#include <system_error>

#include <ferry/codes.h>
#include <ferry/flush.h>
#include <ferry/net/busy_poll.h>
#include <ferry/net/close_loop.h>

#include "admin_config.h"
#include "config/kernel_schema.h"
#include "core_glue.h"
#include "host/host_api.h"
#include "http/metrics_server.h"

namespace ferry {
namespace {

// Runs a plugin entry point; a C++ plugin that let an exception escape its
// own guard is still reported instead of killing the kernel.
template <class F>
bool no_throw(const log::Logger& log, const std::string& what, F&& fn) {
  try {
    fn();
    return true;
  } catch (const std::exception& e) {
    log.error(what + " threw an exception across the ABI: " + e.what());
  } catch (...) {
    log.error(what + " threw an exception across the ABI");
  }
  return false;
}

std::string describe(const ferry_host& inst) {
  return "plugin '" + inst.instance_name + "' (" +
         std::filesystem::path(inst.library->path()).filename().string() + ")";
}

}  // namespace

Kernel::Kernel(Assembly assembly, KernelOptions options)
    : assembly_(std::move(assembly)),
      own_sink_(options.sink ? nullptr : std::make_unique<log::StderrSink>()),
      sink_(options.sink ? options.sink : own_sink_.get()),
      threshold_(log::parse_level(assembly_.file.kernel().str("log_level"))),
      logger_(sink_, &threshold_, "kernel") {
  uv_loop_init(&loop_);
  bridge_ = std::make_unique<host::LoopBridge>(&loop_);
  net_ = std::make_unique<host::UnavailableNet>();
  core_ = std::make_unique<host::UnavailableCore>();
  signals_ = options.handle_signals;

  const config::Values& k = assembly_.file.kernel();
  const config::Values& b = assembly_.file.broker();
  std::error_code ec;
  data_dir_ = std::filesystem::absolute(k.str("data_dir"), ec).lexically_normal().string();
  listen_ = k.str("listen");
  advertised_ = b.str("advertised_address").empty() ? listen_ : b.str("advertised_address");
  cluster_ = b.str("cluster");
  broker_name_ = b.str("name");

  context_.clock = options.clock ? options.clock : &system_clock_;
  context_.metrics = &metrics_;
  context_.watermarks = &watermarks_;
  context_.bridge = bridge_.get();
  context_.net = net_.get();
  context_.core = core_.get();
  context_.instances = &instances_;
  context_.info = FERRY_STRUCT_INIT(ferry_kernel_info);
  context_.info.data_dir = data_dir_.c_str();
  context_.info.listen_address = listen_.c_str();
  context_.info.advertised_address = advertised_.c_str();
  context_.info.cluster_name = cluster_.c_str();
  context_.info.broker_name = broker_name_.c_str();
  context_.info.broker_id = b.i64("id");
  context_.info.max_frame_bytes = static_cast<uint32_t>(k.u64("max_frame_bytes"));
  busy_poll_us_ = static_cast<uint32_t>(k.i64("busy_poll_us"));
  bool has_storage = false;
  for (const PlannedInstance& p : assembly_.instances)
    has_storage = has_storage || p.library->kind() == FERRY_KIND_STORAGE;
  // The core stays off without storage (a name server), whatever is attached.
  context_.info.core_enabled = has_storage ? 1 : 0;

  for (PlannedInstance& p : assembly_.instances) {
    instances_.push_back(std::make_unique<ferry_host>(
        &context_, p.name, p.library, log::Logger(sink_, &threshold_, p.name),
        std::move(p.values), &loop_));
  }

  // Kernel-level series for /metrics (names fixed here: no error possible).
  std::string ignored;
  m_conn_open_ = metrics_.add("ferry_connections_open", "client and broker connections open now",
                              FERRY_METRIC_GAUGE, "", &ignored);
  m_conn_accepted_ = metrics_.add("ferry_connections_accepted_total",
                                  "connections accepted since start", FERRY_METRIC_COUNTER, "", &ignored);
  m_requests_ = metrics_.add("ferry_requests_total", "requests dispatched since start",
                             FERRY_METRIC_COUNTER, "", &ignored);
  m_bad_frames_ = metrics_.add("ferry_bad_frames_total", "connections closed for a bad frame",
                               FERRY_METRIC_COUNTER, "", &ignored);
  const char* marks[] = {"write", "durable", "replicated", "visible"};
  for (size_t i = 0; i < m_watermarks_.size(); ++i)
    m_watermarks_[i] = metrics_.add("ferry_watermark_offset", "commit log watermarks (bytes)",
                                    FERRY_METRIC_GAUGE, std::string("watermark=") + marks[i], &ignored);
}

Kernel::~Kernel() {
  // run() leaves the loop closed; a Kernel that never ran closes it here.
  if (!ran_) {
    net_->close_all();
    bridge_->close();
    uv_run(&loop_, UV_RUN_DEFAULT);
    uv_loop_close(&loop_);
  }
}

void Kernel::attach_net(std::unique_ptr<host::NetSeam> net) {
  net_bridge_ = nullptr;
  transport_ = false;
  net_ = std::move(net);
  context_.net = net_.get();
}

void Kernel::attach_transport() {
  host::NetBridge::Options o;
  o.listen_address = listen_;
  o.advertised_address = assembly_.file.broker().str("advertised_address");
  o.max_frame_bytes = context_.info.max_frame_bytes;
  auto bridge = std::make_unique<host::NetBridge>(&loop_, std::move(o),
                                                 log::Logger(sink_, &threshold_, "net"));
  host::NetBridge* raw = bridge.get();
  attach_net(std::move(bridge));
  net_bridge_ = raw;
  transport_ = true;
}

void Kernel::attach_core(std::unique_ptr<host::CoreSeam> core) {
  core_ = std::move(core);
  context_.core = core_.get();
}

std::vector<std::string> Kernel::instance_names() const {
  std::vector<std::string> out;
  for (const auto& i : instances_) out.push_back(i->instance_name);
  return out;
}

std::optional<ferry_service> Kernel::find_service(uint32_t kind, const std::string& name) const {
  for (const auto& inst : instances_) {
    if (inst->library->kind() != kind || (!name.empty() && inst->instance_name != name)) continue;
    if (inst->state != host::InstanceState::kCreated && inst->state != host::InstanceState::kStarted)
      continue;
    ferry_service s = FERRY_STRUCT_INIT(ferry_service);
    auto ops = inst->library->ops_fn();
    s.kind = kind;
    s.instance_name = inst->instance_name.c_str();
    s.ops = ops ? ops(inst->instance) : nullptr;
    s.instance = inst->instance;
    return s;
  }
  return std::nullopt;
}

void Kernel::request_stop() {
  // After close the loop is already shutting down: nothing to do.
  (void)bridge_->post([this] { begin_shutdown(); });
}

void Kernel::fail(const ferry_host& inst, const std::string& what) {
  if (exit_code_ == 0) last_error_ = describe(inst) + " " + what;
  exit_code_ = 1;
  logger_.error(describe(inst) + " " + what);
}

bool Kernel::create_instance(ferry_host& inst) {
  ferry_error err;
  ferry_status st = FERRY_E_INTERNAL;
  void* created = nullptr;
  bool ok = no_throw(logger_, describe(inst) + " create", [&] {
    st = inst.library->create_fn()(host::host_api(), &inst, &created, &err);
  });
  if (ok && st == FERRY_OK) {
    inst.instance = created;
    inst.state = host::InstanceState::kCreated;
    logger_.debug("created " + describe(inst));
    return true;
  }
  std::string text = std::string(ferry_status_name(st)) + ": " +
                     (err.message.empty() ? ferry_status_str(st) : err.message);
  fail(inst, "create failed: " + text);
  return false;
}

bool Kernel::start_instance(ferry_host& inst) {
  auto start = inst.library->start_fn();
  ferry_error err;
  ferry_status st = FERRY_OK;
  bool ok = !start || no_throw(logger_, describe(inst) + " start",
                               [&] { st = start(inst.instance, &err); });
  if (ok && st == FERRY_OK) {
    inst.state = host::InstanceState::kStarted;
    return true;
  }
  if (ok) {
    fail(inst, "start failed: " + std::string(ferry_status_name(st)) + ": " +
                   (err.message.empty() ? ferry_status_str(st) : err.message));
  } else {
    fail(inst, "start failed: an exception crossed the ABI");
  }
  return false;
}

void Kernel::stop_instance(ferry_host& inst) {
  if (inst.state != host::InstanceState::kStarted) return;
  inst.state = host::InstanceState::kStopped;
  if (auto stop = inst.library->stop_fn())  // optional op
    no_throw(logger_, describe(inst) + " stop", [&] { stop(inst.instance); });
}

void Kernel::destroy_instance(ferry_host& inst) {
  if (inst.state == host::InstanceState::kLoaded || inst.state == host::InstanceState::kDestroyed)
    return;
  no_throw(logger_, describe(inst) + " destroy",
           [&] { inst.library->destroy_fn()(inst.instance); });
  inst.state = host::InstanceState::kDestroyed;
  inst.instance = nullptr;
  // What the plugin left behind goes with it.
  inst.timers.stop_all();
  net_->release(&inst);
  core_->release(&inst);
}

void Kernel::configure_watermarks() {
  bool sync_flush = false, replicated = false;
  for (const auto& inst : instances_) {
    uint32_t kind = inst->library->kind();
    replicated = replicated || kind == FERRY_KIND_REPLICATION;
    if (kind != FERRY_KIND_FLUSH || !inst->library->ops_fn()) continue;
    const auto* ops = static_cast<const ferry_flush_ops*>(inst->library->ops_fn()(inst->instance));
    if (ops == nullptr || !FERRY_HAS_FIELD(ferry_flush_ops, ops->struct_size, info) || !ops->info)
      continue;
    ferry_flush_info info = FERRY_STRUCT_INIT(ferry_flush_info);
    if (ops->info(inst->instance, &info) == FERRY_OK) sync_flush = info.mode == FERRY_FLUSH_SYNC;
  }
  watermarks_.configure(sync_flush, replicated);
}

bool Kernel::bring_up() {
  std::error_code ec;
  std::filesystem::create_directories(data_dir_, ec);
  if (ec) {
    last_error_ = "cannot create data_dir " + data_dir_ + ": " + ec.message();
    logger_.error(last_error_);
    exit_code_ = 1;
    return false;
  }
  // Bound before plugins are created so they see the real address (port 0
  // picks one); nothing is accepted until the loop runs, after every start.
  std::string net_error;
  if (net_->start_listening(&net_error) != FERRY_OK) {
    last_error_ = net_error;
    logger_.error(net_error);
    exit_code_ = 1;
    return false;
  }
  if (std::string bound = net_->bound_address(); !bound.empty()) {
    if (advertised_ == listen_) advertised_ = bound;
    listen_ = bound;
    context_.info.listen_address = listen_.c_str();
    context_.info.advertised_address = advertised_.c_str();
  }
  if (!start_metrics_http()) return false;
  for (auto& inst : instances_)
    if (!create_instance(*inst)) return false;
  if (!open_core()) return false;
  // Before any start: plugins' threads (the storage dispatcher) read VISIBLE
  // from their first moment, and the mode comes from flush info(), which is
  // valid once the flush instance is created.
  configure_watermarks();
  for (auto& inst : instances_)
    if (!start_instance(*inst)) return false;
  if (core_glue_) core_glue_->start();
  std::string names;
  for (const auto& inst : instances_) names += (names.empty() ? "" : ", ") + inst->instance_name;
  logger_.info("ferryd serving: data_dir " + data_dir_ + ", listen " + listen_ +
               (transport_ ? "" : " (transport not attached)") +
               ", plugins in start order: " + (names.empty() ? "none" : names));
  serving_ = true;
  return true;
}

bool Kernel::start_metrics_http() {
  const std::string& address = assembly_.file.kernel().str("metrics_listen");
  if (address.empty()) return true;  // off
  metrics_http_ = std::make_unique<http::MetricsServer>(
      &loop_, address, [this] { return render_metrics(); }, log::Logger(sink_, &threshold_, "metrics"));
  std::string error;
  if (metrics_http_->start(&error) != FERRY_OK) {
    last_error_ = error;
    logger_.error(error);
    exit_code_ = 1;
    return false;
  }
  metrics_address_ = metrics_http_->bound_address();
  return true;
}

std::string Kernel::render_metrics() {
  if (net_bridge_) {
    net::ServerStats st = net_bridge_->stats();
    m_conn_open_->set(static_cast<double>(st.connections_open));
    m_conn_accepted_->set(static_cast<double>(st.connections_accepted));
    m_requests_->set(static_cast<double>(st.requests_dispatched));
    m_bad_frames_->set(static_cast<double>(st.bad_frames));
  }
  for (size_t i = 0; i < m_watermarks_.size(); ++i)
    m_watermarks_[i]->set(static_cast<double>(watermarks_.get(static_cast<ferry_watermark>(i))));
  // Series the core computes only when scraped (consumer lag).
  if (core_glue_ && core_glue_->enabled()) core_glue_->core()->collect_metrics();
  return metrics_.render_text();
}

bool Kernel::open_core() {
  if (!core_wanted_ || !context_.info.core_enabled) return true;
  CoreGlue::Parts parts{.loop = &loop_,
                        .bridge = bridge_.get(),
                        .watermarks = &watermarks_,
                        .net = net_bridge_,
                        .clock = context_.clock,
                        .logger = log::Logger(sink_, &threshold_, "core"),
                        .identity = {advertised_, cluster_, broker_name_, context_.info.broker_id},
                        .data_dir = data_dir_,
                        .metrics = &metrics_};
  auto glue = std::make_unique<CoreGlue>(std::move(parts));
  std::string why;
  ferry_status st = glue->open(*this, config::core_config(assembly_.file.core()), &why);
  if (st != FERRY_OK) {
    last_error_ = "messaging core: " + std::string(ferry_status_name(st)) + ": " + why;
    logger_.error(last_error_);
    exit_code_ = 1;
    return false;
  }
  core_glue_ = glue.get();
  if (net_bridge_) {
    // BROKER_CONFIG is the kernel's to answer (it holds the file); every
    // other kernel code goes to the core.
    net_bridge_->set_kernel_handler([this, core = glue->handler()](net::Request req) {
      if (req.code() != FERRY_CODE_BROKER_CONFIG) return core(std::move(req));
      std::vector<ConfigSection> sections{{"kernel", &assembly_.file.kernel()},
                                          {"broker", &assembly_.file.broker()},
                                          {"core", &assembly_.file.core()}};
      for (const auto& inst : instances_) sections.push_back({"plugins." + inst->instance_name, &inst->config});
      std::vector<uint8_t> payload = encode_broker_config(sections);
      req.respond(FERRY_OK, {}, payload);
    });
    net_bridge_->set_kernel_peek(glue->peek());
    net_bridge_->set_connection_closed([this](uint64_t id) {
      if (core_glue_) core_glue_->on_connection_closed(id);
    });
  }
  core_ = std::move(glue);
  context_.core = core_.get();
  return true;
}

void Kernel::begin_shutdown() {
  if (shutting_down_) return;
  shutting_down_ = true;
  serving_ = false;
  logger_.info("stopping");
  if (metrics_http_) metrics_http_->close();
  if (signals_) {
    uv_close(reinterpret_cast<uv_handle_t*>(&sigint_), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&sigterm_), nullptr);
  }
  // Stop accepting and answer (or close) what is in flight first, while
  // every plugin can still answer; then stop the plugins.
  net_->shutdown([this] { stop_plugins(); });
  if (core_glue_) {
    // Make what was written durable, let acks follow, then answer held pulls
    // and leftover sends (docs/core.md, "Integration into ferryd").
    for (const auto& inst : instances_) {
      if (inst->library->kind() != FERRY_KIND_FLUSH || inst->state != host::InstanceState::kStarted)
        continue;
      auto ops_fn = inst->library->ops_fn();
      const auto* ops = ops_fn ? static_cast<const ferry_flush_ops*>(ops_fn(inst->instance)) : nullptr;
      if (ops && FERRY_HAS_FIELD(ferry_flush_ops, ops->struct_size, flush_all) && ops->flush_all) {
        ferry_error err;
        if (ops->flush_all(inst->instance, &err) != FERRY_OK)
          logger_.warn("flush_all of '" + inst->instance_name + "' failed: " + err.message);
      }
    }
    if (core_glue_->core()) core_glue_->core()->on_watermarks();
    core_glue_->stop();
  }
}

void Kernel::stop_plugins() {
  // Dependents stop before what they require.
  for (auto it = instances_.rbegin(); it != instances_.rend(); ++it) stop_instance(**it);
  // Completions posted during stop arrive before destroy (plugin.h's promise).
  bridge_->drain();
  // Queued work must finish before its owner is destroyed: poll until the
  // thread pool has handed every done callback back.
  uv_timer_init(&loop_, &drain_timer_);
  drain_timer_.data = this;
  uv_timer_start(
      &drain_timer_,
      [](uv_timer_t* t) {
        auto* self = static_cast<Kernel*>(t->data);
        if (self->bridge_->work_in_flight() > 0) return;
        uv_close(reinterpret_cast<uv_handle_t*>(t), nullptr);
        self->finish_shutdown();
      },
      0, 10);
}

void Kernel::finish_shutdown() {
  bridge_->drain();
  for (auto it = instances_.rbegin(); it != instances_.rend(); ++it) destroy_instance(**it);
  // The core goes after the plugins it calls (its timers closed at stop).
  if (core_glue_) {
    watermarks_.on_advance({});  // no plugin thread advances any more
    core_glue_ = nullptr;
    if (net_bridge_) {
      net_bridge_->set_kernel_handler({});
      net_bridge_->set_kernel_peek({});
      net_bridge_->set_connection_closed({});
    }
    core_ = std::make_unique<host::UnavailableCore>();
    context_.core = core_.get();
  }
  net_->close_all();
  bridge_->close();
  logger_.info("stopped");
}

int Kernel::run() {
  if (ran_) return 1;
  ran_ = true;
  if (signals_) {
    uv_signal_init(&loop_, &sigint_);
    uv_signal_init(&loop_, &sigterm_);
    sigint_.data = sigterm_.data = this;
    auto on_signal = [](uv_signal_t* s, int signum) {
      static_cast<Kernel*>(s->data)->logger_.info(std::string("received ") +
                                                 (signum == SIGINT ? "SIGINT" : "SIGTERM"));
      static_cast<Kernel*>(s->data)->begin_shutdown();
    };
    uv_signal_start(&sigint_, on_signal, SIGINT);
    uv_signal_start(&sigterm_, on_signal, SIGTERM);
  }
  if (!bring_up()) begin_shutdown();
  net::run_loop(&loop_, busy_poll_us_);
  // Every handle is closed by now; anything left is a leak worth closing.
  net::close_loop(&loop_);
  return exit_code_;
}

}  // namespace ferry
