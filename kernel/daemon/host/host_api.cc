// The host table. Each entry is a thin C-callable function that finds the
// instance from its ferry_host and forwards to the kernel part that owns the
// work; none of them lets an exception out (catch-all guards).
#include "host/host_api.h"

#include <cstring>
#include <exception>
#include <memory>

#include "host/instance.h"

namespace ferry::host {
namespace {

// Runs fn; an escaping exception becomes `fallback` (and a log line when the
// instance is known). Keeps C++ failures on the kernel's side of the ABI.
template <class R, class F>
R guarded(ferry_host* h, const char* what, R fallback, F&& fn) noexcept {
  try {
    return fn();
  } catch (const std::exception& e) {
    try {
      if (h) h->logger.error(std::string(what) + " failed: " + e.what());
    } catch (...) {
    }
  } catch (...) {
  }
  return fallback;
}

template <class F>
void guarded_void(ferry_host* h, const char* what, F&& fn) noexcept {
  guarded(h, what, 0, [&] {
    fn();
    return 0;
  });
}

// ---- errors and logging ----

ferry_status set_error(ferry_error* err, ferry_status status, const char* message) {
  if (err != nullptr) {
    try {
      err->status = status;
      err->message = message ? message : "";
    } catch (...) {
      err->status = status;  // no memory for the text: the status still stands
    }
  }
  return status;
}

void host_log(ferry_host* h, ferry_log_level level, const char* message) {
  if (h == nullptr || message == nullptr) return;
  guarded_void(h, "log", [&] { h->logger.log(level, message); });
}

ferry_bool log_enabled(ferry_host* h, ferry_log_level level) {
  return h != nullptr && h->logger.enabled(level) ? 1 : 0;
}

void report_fault(ferry_host* h, ferry_status status, const char* message) {
  if (h == nullptr) return;
  h->context->read_only.store(true);
  h->context->faults.fetch_add(1);
  guarded_void(h, "report_fault", [&] {
    h->logger.error(std::string("FAULT ") + ferry_status_name(status) + ": " +
                    (message ? message : "") + " — broker is now read-only");
  });
}

// ---- clock and timers ----

int64_t now_ms(ferry_host* h) { return h->context->clock->now_ms(); }
uint64_t monotonic_ns(ferry_host* h) { return h->context->clock->monotonic_ns(); }

ferry_status timer_start(ferry_host* h, uint64_t delay_ms, uint64_t repeat_ms, ferry_timer_fn fn,
                         void* user_data, ferry_timer** out) {
  if (h == nullptr) return FERRY_E_INVALID_ARGUMENT;
  return guarded(h, "timer_start", FERRY_E_NO_MEMORY,
                 [&] { return h->timers.start(delay_ms, repeat_ms, fn, user_data, out); });
}

void timer_stop(ferry_host* h, ferry_timer* timer) {
  if (h == nullptr || timer == nullptr) return;
  guarded_void(h, "timer_stop", [&] { h->timers.stop(timer); });
}

// ---- configuration ----

template <class T>
ferry_status config_get(ferry_host* h, const char* key, std::initializer_list<ferry_config_type> types,
                        T* out) {
  if (h == nullptr || key == nullptr || out == nullptr) return FERRY_E_INVALID_ARGUMENT;
  return guarded(h, "config", FERRY_E_INTERNAL, [&] {
    const config::Entry* e = h->config.find(key);
    if (e == nullptr) return FERRY_E_NOT_FOUND;
    for (ferry_config_type t : types) {
      if (t != e->type) continue;
      if constexpr (std::is_same_v<T, const char*>) {
        *out = std::get<std::string>(e->value).c_str();
      } else if constexpr (std::is_same_v<T, ferry_bool>) {
        *out = std::get<bool>(e->value) ? 1 : 0;
      } else {
        *out = std::get<T>(e->value);
      }
      return FERRY_OK;
    }
    return FERRY_E_INVALID_ARGUMENT;
  });
}

ferry_status config_string(ferry_host* h, const char* key, const char** out) {
  return config_get(h, key, {FERRY_CONFIG_STRING, FERRY_CONFIG_ENUM}, out);
}
ferry_status config_int(ferry_host* h, const char* key, int64_t* out) {
  return config_get(h, key, {FERRY_CONFIG_INT}, out);
}
ferry_status config_bool(ferry_host* h, const char* key, ferry_bool* out) {
  return config_get(h, key, {FERRY_CONFIG_BOOL}, out);
}
ferry_status config_double(ferry_host* h, const char* key, double* out) {
  return config_get(h, key, {FERRY_CONFIG_DOUBLE}, out);
}
ferry_status config_duration_ms(ferry_host* h, const char* key, int64_t* out) {
  return config_get(h, key, {FERRY_CONFIG_DURATION}, out);
}
ferry_status config_size_bytes(ferry_host* h, const char* key, uint64_t* out) {
  return config_get(h, key, {FERRY_CONFIG_SIZE}, out);
}

ferry_status config_list_item(ferry_host* h, const char* key, size_t index, const char** out) {
  if (h == nullptr || key == nullptr || out == nullptr) return FERRY_E_INVALID_ARGUMENT;
  return guarded(h, "config_list_item", FERRY_E_INTERNAL, [&] {
    const config::Entry* e = h->config.find(key);
    if (e == nullptr) return FERRY_E_NOT_FOUND;
    if (e->type != FERRY_CONFIG_STRING_LIST) return FERRY_E_INVALID_ARGUMENT;
    const auto& items = std::get<std::vector<std::string>>(e->value);
    if (index >= items.size()) return FERRY_E_OUT_OF_RANGE;
    *out = items[index].c_str();
    return FERRY_OK;
  });
}

ferry_status kernel_info(ferry_host* h, ferry_kernel_info* out) {
  if (h == nullptr || out == nullptr || out->struct_size < sizeof(uint32_t))
    return FERRY_E_INVALID_ARGUMENT;
  // Copy only what both sides know: the caller's struct may be older or newer.
  ferry_kernel_info info = h->context->info;
  info.instance_name = h->instance_name.c_str();
  uint32_t size = out->struct_size < sizeof info ? out->struct_size : sizeof info;
  std::memcpy(reinterpret_cast<char*>(out) + sizeof(uint32_t),
              reinterpret_cast<const char*>(&info) + sizeof(uint32_t), size - sizeof(uint32_t));
  return FERRY_OK;
}

// ---- metrics ----

ferry_status metric_register(ferry_host* h, const char* name, const char* help,
                             ferry_metric_type type, const char* labels, ferry_metric** out) {
  if (h == nullptr || name == nullptr || out == nullptr) return FERRY_E_INVALID_ARGUMENT;
  return guarded(h, "metric_register", FERRY_E_NO_MEMORY, [&] {
    std::string error;
    // Every series carries the instance it belongs to.
    std::string all_labels = "instance=" + h->instance_name;
    if (labels != nullptr && labels[0] != '\0') all_labels += std::string(",") + labels;
    Metric* m = h->context->metrics->add(name, help ? help : "", type, all_labels, &error);
    if (m == nullptr) {
      h->logger.warn("metric_register: " + error);
      return FERRY_E_INVALID_ARGUMENT;
    }
    *out = reinterpret_cast<ferry_metric*>(m);
    return FERRY_OK;
  });
}

void metric_add(ferry_metric* m, double delta) {
  if (m) reinterpret_cast<Metric*>(m)->add(delta);
}
void metric_set(ferry_metric* m, double value) {
  if (m) reinterpret_cast<Metric*>(m)->set(value);
}
void metric_observe(ferry_metric* m, double value) {
  if (m) reinterpret_cast<Metric*>(m)->observe(value);
}

// ---- services ----

ferry_status service_find(ferry_host* h, uint32_t kind, const char* instance_name,
                          ferry_service* out) {
  if (h == nullptr || out == nullptr || out->struct_size < FERRY_STRUCT_SIZE(ferry_service, instance))
    return FERRY_E_INVALID_ARGUMENT;
  return guarded(h, "service_find", FERRY_E_INTERNAL, [&] {
    const ferry_host* found = nullptr;
    int matches = 0;
    for (const auto& other : *h->context->instances) {
      if (other.get() == h || other->library->kind() != kind) continue;
      if (other->state != InstanceState::kCreated && other->state != InstanceState::kStarted)
        continue;
      if (instance_name != nullptr && other->instance_name != instance_name) continue;
      found = other.get();
      ++matches;
    }
    if (matches == 0) return FERRY_E_NOT_FOUND;
    if (matches > 1) return FERRY_E_INVALID_ARGUMENT;  // ambiguous: name the instance
    auto ops = found->library->ops_fn();
    out->kind = kind;
    out->instance_name = found->instance_name.c_str();
    out->ops = ops ? ops(found->instance) : nullptr;
    out->instance = found->instance;
    return FERRY_OK;
  });
}

// ---- watermarks ----

void watermark_advance(ferry_host* h, ferry_watermark which, uint64_t offset) {
  if (h == nullptr) return;
  if (which != FERRY_WATERMARK_DURABLE && which != FERRY_WATERMARK_REPLICATED) {
    guarded_void(h, "watermark_advance", [&] {
      h->logger.warn("watermark_advance: only DURABLE and REPLICATED may be advanced by plugins");
    });
    return;
  }
  guarded_void(h, "watermark_advance", [&] { h->context->watermarks->advance(which, offset); });
}

uint64_t watermark_get(ferry_host* h, ferry_watermark which) {
  return h ? h->context->watermarks->get(which) : 0;
}

// ---- loop hand-off ----

ferry_status post(ferry_host* h, ferry_task_fn fn, void* user_data) {
  if (h == nullptr || fn == nullptr) return FERRY_E_INVALID_ARGUMENT;
  return guarded(h, "post", FERRY_E_NO_MEMORY,
                 [&] { return h->context->bridge->post([fn, user_data] { fn(user_data); }); });
}

ferry_status queue_work(ferry_host* h, ferry_task_fn work, ferry_task_fn done, void* user_data) {
  if (h == nullptr || work == nullptr) return FERRY_E_INVALID_ARGUMENT;
  return guarded(h, "queue_work", FERRY_E_NO_MEMORY, [&] {
    return h->context->bridge->queue_work([work, user_data] { work(user_data); },
                                          [done, user_data] {
                                            if (done) done(user_data);
                                          });
  });
}

// ---- requests and connections: the transport seam ----

ferry_status handler_register(ferry_host* h, uint32_t code, ferry_request_fn fn, void* ud) {
  if (h == nullptr || fn == nullptr) return FERRY_E_INVALID_ARGUMENT;
  return guarded(h, "handler_register", FERRY_E_INTERNAL,
                 [&] { return h->context->net->handler_register(h, code, fn, ud); });
}

ferry_slice request_payload(ferry_request* r) { return r ? r->payload() : ferry_slice{}; }
ferry_slice request_attachment(ferry_request* r) { return r ? r->attachment() : ferry_slice{}; }
uint32_t request_code(ferry_request* r) { return r ? r->code() : 0; }
uint64_t request_conn_id(ferry_request* r) { return r ? r->conn_id() : 0; }
const char* request_peer(ferry_request* r) { return r ? r->peer() : ""; }
ferry_bool request_is_oneway(ferry_request* r) { return r && r->oneway() ? 1 : 0; }

void respond(ferry_request* r, ferry_status status, const char* message, ferry_slice payload,
             ferry_slice attachment) {
  if (r == nullptr) return;
  guarded_void(nullptr, "respond", [&] { r->respond(status, message, payload, attachment); });
}

ferry_status conn_open(ferry_host* h, const char* address, ferry_conn_event_fn on_event,
                       void* ud, ferry_conn** out) {
  if (h == nullptr || address == nullptr || out == nullptr) return FERRY_E_INVALID_ARGUMENT;
  return guarded(h, "conn_open", FERRY_E_INTERNAL,
                 [&] { return h->context->net->conn_open(h, address, on_event, ud, out); });
}

ferry_status conn_request(ferry_host* h, ferry_conn* conn, uint32_t code, ferry_slice payload,
                          ferry_slice attachment, uint32_t timeout_ms, ferry_bool oneway,
                          ferry_response_fn fn, void* ud) {
  if (h == nullptr || conn == nullptr) return FERRY_E_INVALID_ARGUMENT;
  return guarded(h, "conn_request", FERRY_E_INTERNAL, [&] {
    return h->context->net->conn_request(h, conn, code, payload, attachment, timeout_ms,
                                         oneway != 0, fn, ud);
  });
}

void conn_close(ferry_host* h, ferry_conn* conn) {
  if (h == nullptr || conn == nullptr) return;
  guarded_void(h, "conn_close", [&] { h->context->net->conn_close(h, conn); });
}

ferry_status listen(ferry_host* h, const char* address, ferry_request_fn handler,
                    ferry_conn_event_fn on_event, void* ud, ferry_listener** out) {
  if (h == nullptr || address == nullptr || handler == nullptr || out == nullptr)
    return FERRY_E_INVALID_ARGUMENT;
  return guarded(h, "listen", FERRY_E_INTERNAL,
                 [&] { return h->context->net->listen(h, address, handler, on_event, ud, out); });
}

void listen_close(ferry_host* h, ferry_listener* l) {
  if (h == nullptr || l == nullptr) return;
  guarded_void(h, "listen_close", [&] { h->context->net->listen_close(h, l); });
}

ferry_status client_request(ferry_host* h, uint64_t conn_id, uint32_t code, ferry_slice payload,
                            ferry_slice attachment, uint32_t timeout_ms, ferry_bool oneway,
                            ferry_response_fn fn, void* ud) {
  if (h == nullptr) return FERRY_E_INVALID_ARGUMENT;
  return guarded(h, "client_request", FERRY_E_INTERNAL, [&] {
    return h->context->net->client_request(h, conn_id, code, payload, attachment, timeout_ms,
                                           oneway != 0, fn, ud);
  });
}

// ---- the messaging core seam ----

ferry_status producer_conn(ferry_host* h, ferry_slice group, uint64_t* conn_id) {
  if (h == nullptr || conn_id == nullptr) return FERRY_E_INVALID_ARGUMENT;
  return guarded(h, "producer_conn", FERRY_E_INTERNAL,
                 [&] { return h->context->core->producer_conn(h, group, conn_id); });
}

ferry_status topic_get(ferry_host* h, ferry_slice name, ferry_topic_info* out) {
  if (h == nullptr || out == nullptr) return FERRY_E_INVALID_ARGUMENT;
  return guarded(h, "topic_get", FERRY_E_INTERNAL,
                 [&] { return h->context->core->topic_get(h, name, out); });
}

ferry_status topic_foreach(ferry_host* h, ferry_topic_visit_fn fn, void* ud) {
  if (h == nullptr || fn == nullptr) return FERRY_E_INVALID_ARGUMENT;
  return guarded(h, "topic_foreach", FERRY_E_INTERNAL,
                 [&] { return h->context->core->topic_foreach(h, fn, ud); });
}

ferry_status put_message(ferry_host* h, const ferry_message* msg, ferry_put_fn on_put, void* ud) {
  if (h == nullptr || msg == nullptr) return FERRY_E_INVALID_ARGUMENT;
  return guarded(h, "put_message", FERRY_E_INTERNAL,
                 [&] { return h->context->core->put_message(h, msg, on_put, ud); });
}

ferry_status hook_pre_append(ferry_host* h, const char* property, ferry_pre_append_fn fn,
                             void* ud) {
  if (h == nullptr || property == nullptr || fn == nullptr) return FERRY_E_INVALID_ARGUMENT;
  return guarded(h, "hook_pre_append", FERRY_E_INTERNAL,
                 [&] { return h->context->core->hook_pre_append(h, property, fn, ud); });
}

// Edit accessors: an edit only exists inside a hook the core runs.
const ferry_message* edit_message(ferry_message_edit* e) { return e ? e->message() : nullptr; }
ferry_bool edit_get_property(ferry_message_edit* e, const char* name, ferry_slice* value) {
  if (e == nullptr || name == nullptr || value == nullptr) return 0;
  return guarded(nullptr, "edit_get_property", 0,
                 [&] { return e->get_property(name, value) ? 1 : 0; });
}
ferry_status edit_set_property(ferry_message_edit* e, const char* name, ferry_slice value) {
  if (e == nullptr || name == nullptr) return FERRY_E_INVALID_ARGUMENT;
  return guarded(nullptr, "edit_set_property", FERRY_E_NO_MEMORY,
                 [&] { return e->set_property(name, value); });
}
ferry_status edit_remove_property(ferry_message_edit* e, const char* name) {
  if (e == nullptr || name == nullptr) return FERRY_E_INVALID_ARGUMENT;
  return guarded(nullptr, "edit_remove_property", FERRY_E_INTERNAL,
                 [&] { return e->remove_property(name); });
}
ferry_status edit_set_topic(ferry_message_edit* e, ferry_slice topic) {
  if (e == nullptr) return FERRY_E_INVALID_ARGUMENT;
  return guarded(nullptr, "edit_set_topic", FERRY_E_NO_MEMORY, [&] { return e->set_topic(topic); });
}
ferry_status edit_set_queue(ferry_message_edit* e, int32_t queue_id) {
  if (e == nullptr) return FERRY_E_INVALID_ARGUMENT;
  return guarded(nullptr, "edit_set_queue", FERRY_E_INTERNAL, [&] { return e->set_queue(queue_id); });
}
ferry_status edit_set_sys_flag(ferry_message_edit* e, int32_t sys_flag) {
  if (e == nullptr) return FERRY_E_INVALID_ARGUMENT;
  return guarded(nullptr, "edit_set_sys_flag", FERRY_E_INTERNAL,
                 [&] { return e->set_sys_flag(sys_flag); });
}

// ---- errors a plugin owns (minor 2) ----

ferry_error* error_create() {
  try {
    // Owned by the plugin until error_destroy takes it back.
    return std::make_unique<ferry_error>().release();
  } catch (...) {
    return nullptr;
  }
}
ferry_status error_get(const ferry_error* err, const char** message) {
  if (err == nullptr) return FERRY_E_INVALID_ARGUMENT;
  if (message != nullptr) *message = err->message.c_str();
  return err->status;
}
void error_destroy(ferry_error* err) { std::unique_ptr<ferry_error> owned(err); }

ferry_host_api make_api() {
  ferry_host_api api = FERRY_STRUCT_INIT(ferry_host_api);
  api.abi_major = FERRY_ABI_MAJOR;
  api.abi_minor = FERRY_ABI_MINOR;
  api.set_error = set_error;
  api.log = host_log;
  api.log_enabled = log_enabled;
  api.report_fault = report_fault;
  api.now_ms = now_ms;
  api.monotonic_ns = monotonic_ns;
  api.timer_start = timer_start;
  api.timer_stop = timer_stop;
  api.config_string = config_string;
  api.config_int = config_int;
  api.config_bool = config_bool;
  api.config_double = config_double;
  api.config_duration_ms = config_duration_ms;
  api.config_size_bytes = config_size_bytes;
  api.config_list_item = config_list_item;
  api.kernel_info = kernel_info;
  api.metric_register = metric_register;
  api.metric_add = metric_add;
  api.metric_set = metric_set;
  api.metric_observe = metric_observe;
  api.service_find = service_find;
  api.watermark_advance = watermark_advance;
  api.watermark_get = watermark_get;
  api.post = post;
  api.queue_work = queue_work;
  api.handler_register = handler_register;
  api.request_payload = request_payload;
  api.request_attachment = request_attachment;
  api.request_code = request_code;
  api.request_conn_id = request_conn_id;
  api.request_peer = request_peer;
  api.request_is_oneway = request_is_oneway;
  api.respond = respond;
  api.conn_open = conn_open;
  api.conn_request = conn_request;
  api.conn_close = conn_close;
  api.listen = listen;
  api.listen_close = listen_close;
  api.client_request = client_request;
  api.producer_conn = producer_conn;
  api.topic_get = topic_get;
  api.topic_foreach = topic_foreach;
  api.put_message = put_message;
  api.hook_pre_append = hook_pre_append;
  api.edit_message = edit_message;
  api.edit_get_property = edit_get_property;
  api.edit_set_property = edit_set_property;
  api.edit_remove_property = edit_remove_property;
  api.edit_set_topic = edit_set_topic;
  api.edit_set_queue = edit_set_queue;
  api.edit_set_sys_flag = edit_set_sys_flag;
  api.error_create = error_create;
  api.error_get = error_get;
  api.error_destroy = error_destroy;
  return api;
}

}  // namespace

const ferry_host_api* host_api() {
  static const ferry_host_api api = make_api();
  return &api;
}

}  // namespace ferry::host
