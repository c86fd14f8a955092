#include "ferry_test/fake_host.h"

#include <ferry/storage.h>

#include <dlfcn.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <future>
#include <iostream>
#include <limits>
#include <list>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "ferry_test/paths.h"
#include "ferry_test/temp_dir.h"

namespace ferry::test {
namespace {

// One validated config value; every representation a typed accessor needs.
struct ConfigValue {
  ferry_config_type type = FERRY_CONFIG_STRING;
  std::string text;
  std::vector<std::string> items;  // STRING_LIST
  int64_t i = 0;                   // INT, DURATION (ms)
  uint64_t u = 0;                  // SIZE (bytes)
  double d = 0;                    // DOUBLE
  bool b = false;                  // BOOL
};

std::string trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t");
  if (a == std::string::npos) return {};
  size_t e = s.find_last_not_of(" \t");
  return s.substr(a, e - a + 1);
}

// Leading unsigned integer and the rest (the unit). nullopt when no digits
// or on overflow.
std::optional<std::pair<uint64_t, std::string>> split_number(const std::string& raw) {
  std::string s = trim(raw);
  size_t i = 0;
  uint64_t v = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
    uint64_t digit = static_cast<uint64_t>(s[i] - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - digit) / 10) return std::nullopt;
    v = v * 10 + digit;
    ++i;
  }
  if (i == 0) return std::nullopt;
  return std::make_pair(v, trim(s.substr(i)));
}

std::optional<uint64_t> scaled(uint64_t v, uint64_t unit) {
  if (unit != 0 && v > std::numeric_limits<uint64_t>::max() / unit) return std::nullopt;
  return v * unit;
}

std::optional<int64_t> parse_int(const std::string& raw) {
  std::string s = trim(raw);
  if (s.empty()) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (errno != 0 || *end != '\0') return std::nullopt;
  return static_cast<int64_t>(v);
}

std::optional<double> parse_double(const std::string& raw) {
  std::string s = trim(raw);
  if (s.empty()) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (errno != 0 || *end != '\0') return std::nullopt;
  return v;
}

const char* type_name(ferry_config_type t) {
  switch (t) {
    case FERRY_CONFIG_STRING: return "string";
    case FERRY_CONFIG_INT: return "int";
    case FERRY_CONFIG_BOOL: return "bool";
    case FERRY_CONFIG_DOUBLE: return "double";
    case FERRY_CONFIG_DURATION: return "duration";
    case FERRY_CONFIG_SIZE: return "size";
    case FERRY_CONFIG_STRING_LIST: return "string list";
    case FERRY_CONFIG_ENUM: return "enum";
  }
  return "unknown";
}

// Parse `text` as `type`; throws std::invalid_argument naming the key.
ConfigValue parse_value(const std::string& key, ferry_config_type type, const std::string& text,
                        const char* enum_values) {
  ConfigValue v;
  v.type = type;
  v.text = text;
  auto bad = [&]() {
    return std::invalid_argument("config key '" + key + "': bad " + type_name(type) +
                                 " value '" + text + "'");
  };
  switch (type) {
    case FERRY_CONFIG_STRING:
      break;
    case FERRY_CONFIG_INT: {
      auto p = parse_int(text);
      if (!p) throw bad();
      v.i = *p;
      break;
    }
    case FERRY_CONFIG_BOOL:
      if (trim(text) == "true") v.b = true;
      else if (trim(text) == "false") v.b = false;
      else throw bad();
      break;
    case FERRY_CONFIG_DOUBLE: {
      auto p = parse_double(text);
      if (!p) throw bad();
      v.d = *p;
      break;
    }
    case FERRY_CONFIG_DURATION: {
      auto p = parse_duration_ms(text);
      if (!p) throw bad();
      v.i = *p;
      break;
    }
    case FERRY_CONFIG_SIZE: {
      auto p = parse_size(text);
      if (!p) throw bad();
      v.u = *p;
      break;
    }
    case FERRY_CONFIG_STRING_LIST: {
      size_t start = 0;
      while (start <= text.size()) {
        size_t comma = text.find(',', start);
        std::string item = trim(text.substr(start, comma - start));
        if (!item.empty()) v.items.push_back(item);
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
      break;
    }
    case FERRY_CONFIG_ENUM: {
      std::string want = trim(text);
      std::string all = enum_values ? enum_values : "";
      bool found = false;
      size_t start = 0;
      while (start <= all.size()) {
        size_t bar = all.find('|', start);
        if (trim(all.substr(start, bar - start)) == want) found = true;
        if (bar == std::string::npos) break;
        start = bar + 1;
      }
      if (!found) {
        throw std::invalid_argument("config key '" + key + "': '" + text + "' is not one of " +
                                    all);
      }
      v.text = want;
      break;
    }
    default:
      throw bad();
  }
  return v;
}

// min/max checks for the numeric types; loose by design (the kernel's are
// the real ones).
void check_range(const std::string& key, const ConfigValue& v, const char* min_text,
                 const char* max_text) {
  auto check = [&](const char* bound, bool is_min) {
    if (!bound) return;
    ConfigValue b = parse_value(key + (is_min ? " (min)" : " (max)"), v.type, bound, nullptr);
    bool out = false;
    switch (v.type) {
      case FERRY_CONFIG_INT:
      case FERRY_CONFIG_DURATION: out = is_min ? v.i < b.i : v.i > b.i; break;
      case FERRY_CONFIG_SIZE: out = is_min ? v.u < b.u : v.u > b.u; break;
      case FERRY_CONFIG_DOUBLE: out = is_min ? v.d < b.d : v.d > b.d; break;
      default: return;
    }
    if (out) {
      throw std::invalid_argument("config key '" + key + "': '" + v.text + "' is " +
                                  (is_min ? "below the minimum " : "above the maximum ") + bound);
    }
  };
  check(min_text, true);
  check(max_text, false);
}

const ferry_config_key* key_at(const ferry_plugin_desc* desc, uint32_t i) {
  return reinterpret_cast<const ferry_config_key*>(
      reinterpret_cast<const char*>(desc->config_keys) + static_cast<size_t>(i) * desc->config_key_size);
}

const char* level_name(ferry_log_level l) {
  switch (l) {
    case FERRY_LOG_TRACE: return "TRACE";
    case FERRY_LOG_DEBUG: return "DEBUG";
    case FERRY_LOG_INFO: return "INFO";
    case FERRY_LOG_WARN: return "WARN";
    case FERRY_LOG_ERROR: return "ERROR";
    default: return "OFF";
  }
}

void atomic_max(std::atomic<uint64_t>& a, uint64_t v) {
  uint64_t cur = a.load();
  while (cur < v && !a.compare_exchange_weak(cur, v)) {
  }
}

}  // namespace
}  // namespace ferry::test

// The opaque handles the ABI declares, completed for the fake.
struct ferry_host {
  ferry::test::FakeHost::Impl* impl = nullptr;
  std::string name;
  std::map<std::string, ferry::test::ConfigValue> config;
  std::string listen_address = "127.0.0.1:0";
};

struct ferry_timer {
  ferry_host* owner = nullptr;
  uint64_t due_ns = 0;
  uint64_t repeat_ns = 0;
  bool active = true;  // a fired one-shot stays allocated until timer_stop
  ferry_timer_fn fn = nullptr;
  void* user_data = nullptr;
};

struct ferry_metric {
  ferry_host* owner = nullptr;
  std::string name;
  std::atomic<double> value{0};
};

namespace ferry::test {

std::optional<uint64_t> parse_size(const std::string& text) {
  auto p = split_number(text);
  if (!p) return std::nullopt;
  static constexpr std::pair<const char*, uint64_t> kUnits[] = {
      {"", 1},          {"B", 1},           {"KiB", 1ull << 10}, {"MiB", 1ull << 20},
      {"GiB", 1ull << 30}, {"TiB", 1ull << 40}, {"kB", 1000},       {"KB", 1000},
      {"MB", 1000000},  {"GB", 1000000000}, {"TB", 1000000000000}};
  for (const auto& [unit, mult] : kUnits) {
    if (p->second == unit) return scaled(p->first, mult);
  }
  return std::nullopt;
}

std::optional<int64_t> parse_duration_ms(const std::string& text) {
  auto p = split_number(text);
  if (!p) return std::nullopt;
  static constexpr std::pair<const char*, uint64_t> kUnits[] = {
      {"", 1}, {"ms", 1}, {"s", 1000}, {"m", 60000}, {"min", 60000}, {"h", 3600000}, {"d", 86400000}};
  for (const auto& [unit, mult] : kUnits) {
    if (p->second == unit) {
      auto v = scaled(p->first, mult);
      if (!v || *v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
      return static_cast<int64_t>(*v);
    }
  }
  return std::nullopt;
}

struct FakeHost::Impl {
  struct Service {
    ferry_host* host;
    uint32_t kind;
    const void* ops;
    void* instance;
  };

  Options options;
  std::optional<TempDir> temp_dir;
  std::string data_dir;
  bool verbose = false;
  ferry_host_api api{};

  // Loop: tasks and timers, in order, on one thread.
  mutable std::mutex loop_m;
  std::condition_variable loop_cv;
  std::deque<std::function<void()>> tasks;
  std::list<std::unique_ptr<ferry_timer>> timers;
  bool closed = false;
  uint64_t manual_ns = 0;
  std::thread loop_thread;
  std::thread::id loop_id;

  // queue_work's worker.
  std::mutex work_m;
  std::condition_variable work_cv;
  std::deque<std::pair<std::function<void()>, std::function<void()>>> work;
  bool work_closed = false;
  std::thread worker;

  // Instances, services, metrics.
  mutable std::mutex inst_m;
  std::list<std::unique_ptr<ferry_host>> instances;
  std::vector<Service> services;
  std::list<std::unique_ptr<ferry_metric>> metrics;

  // Watermarks.
  std::atomic<uint64_t> write{0}, durable{0}, replicated{0};
  std::atomic<bool> on_appended_pending{false};
  std::atomic<bool> on_visible_pending{false};
  std::atomic<uint64_t> visible_notified{0};
  std::atomic<bool> replication_configured{false};
  std::atomic<int> flush_mode{0};
  std::atomic<uint32_t> ack_timeout_ms{0};
  mutable std::mutex wm_m;
  std::condition_variable wm_cv;

  // Observations.
  mutable std::mutex obs_m;
  std::vector<Fault> faults;
  std::vector<LogLine> logs;
  std::atomic<bool> faulted{false};

  explicit Impl(Options o) : options(std::move(o)) {
    if (options.data_dir.empty()) {
      temp_dir.emplace("ferry-fakehost");
      data_dir = temp_dir->str();
    } else {
      data_dir = options.data_dir;
    }
    const char* v = std::getenv("FERRY_TEST_VERBOSE");
    verbose = v && *v && std::string(v) != "0";
    fill_api();
    loop_thread = std::thread([this] { loop_main(); });
    worker = std::thread([this] { worker_main(); });
    std::unique_lock l(loop_m);
    loop_cv.wait(l, [this] { return loop_id != std::thread::id(); });
  }

  ~Impl() {
    {
      std::lock_guard g(work_m);
      work_closed = true;
    }
    work_cv.notify_all();
    worker.join();
    {
      std::lock_guard g(loop_m);
      closed = true;
    }
    loop_cv.notify_all();
    loop_thread.join();
  }

  // ---- clock ----
  uint64_t now_ns_locked() const {
    if (options.manual_clock) return manual_ns;
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                     std::chrono::steady_clock::now().time_since_epoch())
                                     .count());
  }
  uint64_t now_ns() const {
    if (!options.manual_clock) return now_ns_locked();
    std::lock_guard g(loop_m);
    return manual_ns;
  }

  // ---- loop ----
  void loop_main() {
    std::unique_lock l(loop_m);
    loop_id = std::this_thread::get_id();
    loop_cv.notify_all();
    for (;;) {
      // Snapshot tasks first, then fire due timers: a task posted after a
      // clock advance runs after the timers that advance made due.
      std::deque<std::function<void()>> batch;
      batch.swap(tasks);
      for (;;) {
        uint64_t now = now_ns_locked();
        ferry_timer* due = nullptr;
        for (auto& t : timers) {
          if (t->active && t->due_ns <= now && (!due || t->due_ns < due->due_ns)) due = t.get();
        }
        if (!due) break;
        if (due->repeat_ns) due->due_ns = now + due->repeat_ns;
        else due->active = false;
        ferry_timer_fn fn = due->fn;
        void* ud = due->user_data;
        l.unlock();
        fn(ud);
        l.lock();
      }
      if (!batch.empty()) {
        l.unlock();
        for (auto& f : batch) f();
        batch.clear();
        l.lock();
        continue;
      }
      if (!tasks.empty()) continue;
      if (closed) break;
      uint64_t next = std::numeric_limits<uint64_t>::max();
      for (auto& t : timers) {
        if (t->active) next = std::min(next, t->due_ns);
      }
      if (options.manual_clock || next == std::numeric_limits<uint64_t>::max()) {
        loop_cv.wait(l);
      } else {
        loop_cv.wait_until(l, std::chrono::steady_clock::time_point(std::chrono::nanoseconds(next)));
      }
    }
  }

  ferry_status post(std::function<void()> fn) {
    {
      std::lock_guard g(loop_m);
      if (closed) return FERRY_E_SHUTTING_DOWN;
      tasks.push_back(std::move(fn));
    }
    loop_cv.notify_all();
    return FERRY_OK;
  }

  void worker_main() {
    std::unique_lock l(work_m);
    for (;;) {
      work_cv.wait(l, [this] { return work_closed || !work.empty(); });
      if (work.empty()) return;
      auto item = std::move(work.front());
      work.pop_front();
      l.unlock();
      item.first();
      post(std::move(item.second));
      l.lock();
    }
  }

  // ---- watermarks ----
  uint64_t get(ferry_watermark which) const {
    switch (which) {
      case FERRY_WATERMARK_WRITE: return write.load();
      case FERRY_WATERMARK_DURABLE: return durable.load();
      case FERRY_WATERMARK_REPLICATED: return replicated.load();
      case FERRY_WATERMARK_VISIBLE: return ack_watermark();
    }
    return 0;
  }
  uint64_t ack_watermark() const {
    uint64_t w = write.load();
    uint64_t d = flush_mode.load() == FERRY_FLUSH_SYNC ? durable.load() : w;
    uint64_t r = replication_configured.load() ? replicated.load() : w;
    return std::min(d, r);
  }
  void wake_waiters() {
    { std::lock_guard g(wm_m); }
    wm_cv.notify_all();
  }
  // As the kernel: when VISIBLE moved, one coalesced storage.on_visible on
  // the loop (optional op, appended in ABI 0.1).
  void notify_visible() {
    if (ack_watermark() <= visible_notified.load()) return;
    if (on_visible_pending.exchange(true)) return;
    post([this] {
      on_visible_pending = false;
      uint64_t v = ack_watermark();
      visible_notified = v;
      std::vector<Service> storages;
      {
        std::lock_guard g(inst_m);
        for (const auto& s : services) {
          if (s.kind == FERRY_KIND_STORAGE) storages.push_back(s);
        }
      }
      for (const auto& s : storages) {
        const auto* ops = static_cast<const ferry_storage_ops*>(s.ops);
        if (ops && FERRY_HAS_FIELD(ferry_storage_ops, ops->struct_size, on_visible) && ops->on_visible) {
          ops->on_visible(s.instance, v);
        }
      }
    });
  }

  // ---- instances ----
  std::optional<Service> flush_service() const {
    std::lock_guard g(inst_m);
    for (const auto& s : services) {
      if (s.kind == FERRY_KIND_FLUSH) return s;
    }
    return std::nullopt;
  }

  void log(ferry_host* h, ferry_log_level level, const std::string& text) {
    std::lock_guard g(obs_m);
    logs.push_back({level, h ? h->name : std::string(), text});
    if (verbose) std::cerr << "[" << level_name(level) << "] " << (h ? h->name : "") << ": " << text << "\n";
  }

  void fill_api();
};

// ---- the host table: every entry catches everything ----
namespace {

template <class F, class R>
R guarded(F&& f, R on_error) noexcept {
  try {
    return f();
  } catch (...) {
    return on_error;
  }
}

ferry_status h_set_error(ferry_error* err, ferry_status status, const char* message) {
  if (err) {
    try {
      err->status = status;
      err->message = message ? message : "";
    } catch (...) {
    }
  }
  return status;
}

void h_log(ferry_host* h, ferry_log_level level, const char* message) {
  try {
    h->impl->log(h, level, message ? message : "");
  } catch (...) {
  }
}

ferry_bool h_log_enabled(ferry_host*, ferry_log_level level) { return level >= FERRY_LOG_DEBUG; }

void h_report_fault(ferry_host* h, ferry_status status, const char* message) {
  try {
    auto* impl = h->impl;
    impl->log(h, FERRY_LOG_ERROR, std::string("FAULT ") + ferry_status_name(status) + ": " + (message ? message : ""));
    {
      std::lock_guard g(impl->obs_m);
      impl->faults.push_back({h->name, status, message ? message : ""});
    }
    impl->faulted = true;
    impl->wake_waiters();
  } catch (...) {
  }
}

int64_t h_now_ms(ferry_host* h) {
  auto* impl = h->impl;
  if (impl->options.manual_clock) {
    return impl->options.manual_epoch_ms + static_cast<int64_t>(impl->now_ns() / 1000000);
  }
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

uint64_t h_monotonic_ns(ferry_host* h) { return h->impl->now_ns(); }

ferry_status h_timer_start(ferry_host* h, uint64_t delay_ms, uint64_t repeat_ms, ferry_timer_fn fn,
                           void* user_data, ferry_timer** out) {
  if (!fn || !out) return FERRY_E_INVALID_ARGUMENT;
  return guarded(
      [&] {
        auto* impl = h->impl;
        auto t = std::make_unique<ferry_timer>();
        t->owner = h;
        t->repeat_ns = repeat_ms * 1000000;
        t->fn = fn;
        t->user_data = user_data;
        {
          std::lock_guard g(impl->loop_m);
          t->due_ns = impl->now_ns_locked() + delay_ms * 1000000;
          *out = t.get();
          impl->timers.push_back(std::move(t));
        }
        impl->loop_cv.notify_all();
        return FERRY_OK;
      },
      FERRY_E_NO_MEMORY);
}

void h_timer_stop(ferry_host* h, ferry_timer* timer) {
  auto* impl = h->impl;
  std::lock_guard g(impl->loop_m);
  impl->timers.remove_if([timer](const std::unique_ptr<ferry_timer>& t) { return t.get() == timer; });
}

template <class T>
ferry_status typed_config(ferry_host* h, const char* key, std::initializer_list<ferry_config_type> types,
                          T&& read) {
  if (!key) return FERRY_E_INVALID_ARGUMENT;
  auto it = h->config.find(key);
  if (it == h->config.end()) return FERRY_E_NOT_FOUND;
  for (auto t : types) {
    if (it->second.type == t) {
      read(it->second);
      return FERRY_OK;
    }
  }
  return FERRY_E_INVALID_ARGUMENT;
}

ferry_status h_config_string(ferry_host* h, const char* key, const char** out) {
  return typed_config(h, key, {FERRY_CONFIG_STRING, FERRY_CONFIG_ENUM},
                      [&](const ConfigValue& v) { *out = v.text.c_str(); });
}
ferry_status h_config_int(ferry_host* h, const char* key, int64_t* out) {
  return typed_config(h, key, {FERRY_CONFIG_INT}, [&](const ConfigValue& v) { *out = v.i; });
}
ferry_status h_config_bool(ferry_host* h, const char* key, ferry_bool* out) {
  return typed_config(h, key, {FERRY_CONFIG_BOOL}, [&](const ConfigValue& v) { *out = v.b ? 1 : 0; });
}
ferry_status h_config_double(ferry_host* h, const char* key, double* out) {
  return typed_config(h, key, {FERRY_CONFIG_DOUBLE}, [&](const ConfigValue& v) { *out = v.d; });
}
ferry_status h_config_duration_ms(ferry_host* h, const char* key, int64_t* out) {
  return typed_config(h, key, {FERRY_CONFIG_DURATION}, [&](const ConfigValue& v) { *out = v.i; });
}
ferry_status h_config_size_bytes(ferry_host* h, const char* key, uint64_t* out) {
  return typed_config(h, key, {FERRY_CONFIG_SIZE}, [&](const ConfigValue& v) { *out = v.u; });
}
ferry_status h_config_list_item(ferry_host* h, const char* key, size_t index, const char** out) {
  if (!key) return FERRY_E_INVALID_ARGUMENT;
  auto it = h->config.find(key);
  if (it == h->config.end()) return FERRY_E_NOT_FOUND;
  if (it->second.type != FERRY_CONFIG_STRING_LIST) return FERRY_E_INVALID_ARGUMENT;
  if (index >= it->second.items.size()) return FERRY_E_OUT_OF_RANGE;
  *out = it->second.items[index].c_str();
  return FERRY_OK;
}

ferry_status h_kernel_info(ferry_host* h, ferry_kernel_info* out) {
  if (!out || out->struct_size < sizeof(uint32_t)) return FERRY_E_INVALID_ARGUMENT;
  ferry_kernel_info info = FERRY_STRUCT_INIT(ferry_kernel_info);
  info.instance_name = h->name.c_str();
  info.data_dir = h->impl->data_dir.c_str();
  info.listen_address = h->listen_address.c_str();
  info.advertised_address = h->listen_address.c_str();
  info.cluster_name = "FerryTestCluster";
  info.broker_name = "broker-test";
  info.broker_id = 0;
  info.core_enabled = 0;
  info.max_frame_bytes = 16u << 20;
  uint32_t caller_size = out->struct_size;
  std::memcpy(out, &info, std::min<size_t>(caller_size, sizeof(info)));
  out->struct_size = caller_size;
  return FERRY_OK;
}

ferry_status h_metric_register(ferry_host* h, const char* name, const char*, ferry_metric_type,
                               const char*, ferry_metric** out) {
  if (!name || !out) return FERRY_E_INVALID_ARGUMENT;
  return guarded(
      [&] {
        auto m = std::make_unique<ferry_metric>();
        m->owner = h;
        m->name = name;
        std::lock_guard g(h->impl->inst_m);
        *out = m.get();
        h->impl->metrics.push_back(std::move(m));
        return FERRY_OK;
      },
      FERRY_E_NO_MEMORY);
}

void h_metric_add(ferry_metric* m, double delta) {
  if (!m) return;
  double cur = m->value.load();
  while (!m->value.compare_exchange_weak(cur, cur + delta)) {
  }
}
void h_metric_set(ferry_metric* m, double value) {
  if (m) m->value.store(value);
}
void h_metric_observe(ferry_metric* m, double value) {
  if (m) m->value.store(value);
}

ferry_status h_service_find(ferry_host* h, uint32_t kind, const char* instance_name,
                            ferry_service* out) {
  if (!out || out->struct_size < sizeof(uint32_t)) return FERRY_E_INVALID_ARGUMENT;
  auto* impl = h->impl;
  std::lock_guard g(impl->inst_m);
  const FakeHost::Impl::Service* found = nullptr;
  for (const auto& s : impl->services) {
    if (s.kind != kind) continue;
    if (instance_name && s.host->name != instance_name) continue;
    if (found) return FERRY_E_INVALID_ARGUMENT;  // several and no name given
    found = &s;
  }
  if (!found) return FERRY_E_NOT_FOUND;
  ferry_service svc = FERRY_STRUCT_INIT(ferry_service);
  svc.kind = found->kind;
  svc.instance_name = found->host->name.c_str();
  svc.ops = found->ops;
  svc.instance = found->instance;
  uint32_t caller_size = out->struct_size;
  std::memcpy(out, &svc, std::min<size_t>(caller_size, sizeof(svc)));
  out->struct_size = caller_size;
  return FERRY_OK;
}

void h_watermark_advance(ferry_host* h, ferry_watermark which, uint64_t offset) {
  auto* impl = h->impl;
  if (which == FERRY_WATERMARK_DURABLE) atomic_max(impl->durable, offset);
  else if (which == FERRY_WATERMARK_REPLICATED) atomic_max(impl->replicated, offset);
  else return;  // WRITE and VISIBLE are read only for plugins
  impl->wake_waiters();
  impl->notify_visible();
}

uint64_t h_watermark_get(ferry_host* h, ferry_watermark which) { return h->impl->get(which); }

ferry_status h_post(ferry_host* h, ferry_task_fn fn, void* user_data) {
  if (!fn) return FERRY_E_INVALID_ARGUMENT;
  return guarded([&] { return h->impl->post([fn, user_data] { fn(user_data); }); }, FERRY_E_NO_MEMORY);
}

ferry_status h_queue_work(ferry_host* h, ferry_task_fn work, ferry_task_fn done, void* user_data) {
  if (!work) return FERRY_E_INVALID_ARGUMENT;
  return guarded(
      [&] {
        auto* impl = h->impl;
        {
          std::lock_guard g(impl->work_m);
          if (impl->work_closed) return FERRY_E_SHUTTING_DOWN;
          impl->work.emplace_back([work, user_data] { work(user_data); },
                                  [done, user_data] {
                                    if (done) done(user_data);
                                  });
        }
        impl->work_cv.notify_all();
        return FERRY_OK;
      },
      FERRY_E_NO_MEMORY);
}

// ---- transport and core: not in the fake ----
ferry_status h_handler_register(ferry_host*, uint32_t, ferry_request_fn, void*) { return FERRY_E_NOT_SUPPORTED; }
ferry_slice h_request_slice(ferry_request*) { return ferry_slice{nullptr, 0}; }
uint32_t h_request_code(ferry_request*) { return 0; }
uint64_t h_request_conn_id(ferry_request*) { return 0; }
const char* h_request_peer(ferry_request*) { return ""; }
ferry_bool h_request_is_oneway(ferry_request*) { return 0; }
void h_respond(ferry_request*, ferry_status, const char*, ferry_slice, ferry_slice) {}
ferry_status h_conn_open(ferry_host*, const char*, ferry_conn_event_fn, void*, ferry_conn**) {
  return FERRY_E_NOT_SUPPORTED;
}
ferry_status h_conn_request(ferry_host*, ferry_conn*, uint32_t, ferry_slice, ferry_slice, uint32_t,
                            ferry_bool, ferry_response_fn, void*) {
  return FERRY_E_NOT_SUPPORTED;
}
void h_conn_close(ferry_host*, ferry_conn*) {}
ferry_status h_listen(ferry_host*, const char*, ferry_request_fn, ferry_conn_event_fn, void*,
                      ferry_listener**) {
  return FERRY_E_NOT_SUPPORTED;
}
void h_listen_close(ferry_host*, ferry_listener*) {}
ferry_status h_client_request(ferry_host*, uint64_t, uint32_t, ferry_slice, ferry_slice, uint32_t,
                              ferry_bool, ferry_response_fn, void*) {
  return FERRY_E_NOT_SUPPORTED;
}
ferry_status h_producer_conn(ferry_host*, ferry_slice, uint64_t*) { return FERRY_E_NOT_SUPPORTED; }
ferry_status h_topic_get(ferry_host*, ferry_slice, ferry_topic_info*) { return FERRY_E_NOT_SUPPORTED; }
ferry_status h_topic_foreach(ferry_host*, ferry_topic_visit_fn, void*) { return FERRY_E_NOT_SUPPORTED; }
ferry_status h_put_message(ferry_host*, const ferry_message*, ferry_put_fn, void*) {
  return FERRY_E_NOT_SUPPORTED;
}
ferry_status h_hook_pre_append(ferry_host*, const char*, ferry_pre_append_fn, void*) {
  return FERRY_E_NOT_SUPPORTED;
}
const ferry_message* h_edit_message(ferry_message_edit*) { return nullptr; }
ferry_bool h_edit_get_property(ferry_message_edit*, const char*, ferry_slice*) { return 0; }
ferry_status h_edit_set_property(ferry_message_edit*, const char*, ferry_slice) { return FERRY_E_NOT_SUPPORTED; }
ferry_status h_edit_remove_property(ferry_message_edit*, const char*) { return FERRY_E_NOT_SUPPORTED; }
ferry_status h_edit_set_topic(ferry_message_edit*, ferry_slice) { return FERRY_E_NOT_SUPPORTED; }
ferry_status h_edit_set_queue(ferry_message_edit*, int32_t) { return FERRY_E_NOT_SUPPORTED; }
ferry_status h_edit_set_sys_flag(ferry_message_edit*, int32_t) { return FERRY_E_NOT_SUPPORTED; }
ferry_error* h_error_create() {
  try {
    // Owned by the plugin until error_destroy takes it back.
    return std::make_unique<ferry_error>().release();
  } catch (...) {
    return nullptr;
  }
}
ferry_status h_error_get(const ferry_error* err, const char** message) {
  if (!err) return FERRY_E_INVALID_ARGUMENT;
  if (message) *message = err->message.c_str();
  return err->status;
}
void h_error_destroy(ferry_error* err) { std::unique_ptr<ferry_error> owned(err); }

}  // namespace

void FakeHost::Impl::fill_api() {
  api.struct_size = sizeof(ferry_host_api);
  api.abi_major = FERRY_ABI_MAJOR;
  api.abi_minor = FERRY_ABI_MINOR;
  api.set_error = h_set_error;
  api.log = h_log;
  api.log_enabled = h_log_enabled;
  api.report_fault = h_report_fault;
  api.now_ms = h_now_ms;
  api.monotonic_ns = h_monotonic_ns;
  api.timer_start = h_timer_start;
  api.timer_stop = h_timer_stop;
  api.config_string = h_config_string;
  api.config_int = h_config_int;
  api.config_bool = h_config_bool;
  api.config_double = h_config_double;
  api.config_duration_ms = h_config_duration_ms;
  api.config_size_bytes = h_config_size_bytes;
  api.config_list_item = h_config_list_item;
  api.kernel_info = h_kernel_info;
  api.metric_register = h_metric_register;
  api.metric_add = h_metric_add;
  api.metric_set = h_metric_set;
  api.metric_observe = h_metric_observe;
  api.service_find = h_service_find;
  api.watermark_advance = h_watermark_advance;
  api.watermark_get = h_watermark_get;
  api.post = h_post;
  api.queue_work = h_queue_work;
  api.handler_register = h_handler_register;
  api.request_payload = h_request_slice;
  api.request_attachment = h_request_slice;
  api.request_code = h_request_code;
  api.request_conn_id = h_request_conn_id;
  api.request_peer = h_request_peer;
  api.request_is_oneway = h_request_is_oneway;
  api.respond = h_respond;
  api.conn_open = h_conn_open;
  api.conn_request = h_conn_request;
  api.conn_close = h_conn_close;
  api.listen = h_listen;
  api.listen_close = h_listen_close;
  api.client_request = h_client_request;
  api.producer_conn = h_producer_conn;
  api.topic_get = h_topic_get;
  api.topic_foreach = h_topic_foreach;
  api.put_message = h_put_message;
  api.hook_pre_append = h_hook_pre_append;
  api.edit_message = h_edit_message;
  api.edit_get_property = h_edit_get_property;
  api.edit_set_property = h_edit_set_property;
  api.edit_remove_property = h_edit_remove_property;
  api.edit_set_topic = h_edit_set_topic;
  api.edit_set_queue = h_edit_set_queue;
  api.edit_set_sys_flag = h_edit_set_sys_flag;
  api.error_create = h_error_create;
  api.error_get = h_error_get;
  api.error_destroy = h_error_destroy;
}

// ---- FakeHost ----

FakeHost::FakeHost() : FakeHost(Options{}) {}
FakeHost::FakeHost(Options options) : impl_(std::make_unique<Impl>(std::move(options))) {}
FakeHost::~FakeHost() = default;

const ferry_host_api* FakeHost::api() const { return &impl_->api; }

ferry_host* FakeHost::add_instance(const std::string& name, const ferry_plugin_desc* desc,
                                   const ConfigMap& config) {
  auto h = std::make_unique<ferry_host>();
  h->impl = impl_.get();
  h->name = name;
  if (!desc || !desc->config_keys || desc->config_key_count == 0) {
    if (desc) {
      for (const auto& [k, v] : config) {
        (void)v;
        throw std::invalid_argument("config key '" + k + "' is unknown (" + name + " declares no keys)");
      }
    }
    for (const auto& [k, v] : config) h->config[k] = parse_value(k, FERRY_CONFIG_STRING, v, nullptr);
  } else {
    std::string valid;
    for (uint32_t i = 0; i < desc->config_key_count; ++i) {
      valid += (valid.empty() ? "" : ", ") + std::string(key_at(desc, i)->name);
    }
    for (const auto& [k, v] : config) {
      (void)v;
      bool known = false;
      for (uint32_t i = 0; i < desc->config_key_count; ++i) known |= k == key_at(desc, i)->name;
      if (!known) throw std::invalid_argument("config key '" + k + "' is unknown; valid keys: " + valid);
    }
    for (uint32_t i = 0; i < desc->config_key_count; ++i) {
      const ferry_config_key* key = key_at(desc, i);
      auto it = config.find(key->name);
      const char* text = it != config.end() ? it->second.c_str() : key->default_value;
      if (!text) throw std::invalid_argument("config key '" + std::string(key->name) + "' is required");
      ConfigValue v = parse_value(key->name, key->type, text, key->enum_values);
      check_range(key->name, v, key->min_value, key->max_value);
      h->config[key->name] = std::move(v);
    }
  }
  ferry_host* raw = h.get();
  std::lock_guard g(impl_->inst_m);
  impl_->instances.push_back(std::move(h));
  return raw;
}

void FakeHost::remove_instance(ferry_host* h) {
  {
    std::lock_guard g(impl_->loop_m);
    impl_->timers.remove_if([h](const std::unique_ptr<ferry_timer>& t) { return t->owner == h; });
  }
  std::lock_guard g(impl_->inst_m);
  auto& s = impl_->services;
  s.erase(std::remove_if(s.begin(), s.end(), [h](const Impl::Service& x) { return x.host == h; }), s.end());
  impl_->metrics.remove_if([h](const std::unique_ptr<ferry_metric>& m) { return m->owner == h; });
  impl_->instances.remove_if([h](const std::unique_ptr<ferry_host>& x) { return x.get() == h; });
}

void FakeHost::register_service(ferry_host* h, uint32_t kind, const void* ops, void* instance) {
  {
    std::lock_guard g(impl_->inst_m);
    impl_->services.push_back({h, kind, ops, instance});
  }
  if (kind == FERRY_KIND_REPLICATION) impl_->replication_configured = true;
  if (kind == FERRY_KIND_FLUSH && ops) {
    const auto* fops = static_cast<const ferry_flush_ops*>(ops);
    ferry_flush_info info = FERRY_STRUCT_INIT(ferry_flush_info);
    if (fops->info && fops->info(instance, &info) == FERRY_OK) {
      impl_->ack_timeout_ms = info.ack_timeout_ms;
      impl_->flush_mode = info.mode;
    }
  }
}

void FakeHost::unregister_service(ferry_host* h) {
  std::lock_guard g(impl_->inst_m);
  auto& s = impl_->services;
  s.erase(std::remove_if(s.begin(), s.end(), [h](const Impl::Service& x) { return x.host == h; }), s.end());
}

const std::string& FakeHost::instance_name(ferry_host* h) const { return h->name; }

bool FakeHost::on_loop_thread() const { return std::this_thread::get_id() == impl_->loop_id; }

void FakeHost::run_on_loop(const std::function<void()>& fn) {
  if (on_loop_thread()) return fn();
  auto done = std::make_shared<std::promise<void>>();
  auto fut = done->get_future();
  ferry_status st = impl_->post([fn, done] {
    try {
      fn();
      done->set_value();
    } catch (...) {
      done->set_exception(std::current_exception());
    }
  });
  if (st != FERRY_OK) return fn();  // loop closed: run inline
  fut.get();
}

bool FakeHost::manual_clock() const { return impl_->options.manual_clock; }

void FakeHost::advance_clock(std::chrono::milliseconds by) {
  if (!impl_->options.manual_clock) throw std::logic_error("advance_clock needs Options::manual_clock");
  {
    std::lock_guard g(impl_->loop_m);
    impl_->manual_ns += static_cast<uint64_t>(by.count()) * 1000000;
  }
  impl_->loop_cv.notify_all();
  run_on_loop([] {});  // the timers made due fire before this barrier runs
}

void FakeHost::publish_write(uint64_t write_offset) {
  atomic_max(impl_->write, write_offset);
  impl_->wake_waiters();
  impl_->notify_visible();
  // Coalesced: at most one on_appended pending, carrying the latest WRITE.
  if (impl_->on_appended_pending.exchange(true)) return;
  Impl* impl = impl_.get();
  ferry_status st = impl->post([impl] {
    impl->on_appended_pending = false;
    uint64_t w = impl->write.load();
    if (auto f = impl->flush_service()) {
      const auto* ops = static_cast<const ferry_flush_ops*>(f->ops);
      if (ops && ops->on_appended) ops->on_appended(f->instance, w);
    }
  });
  if (st != FERRY_OK) impl->on_appended_pending = false;
}

uint64_t FakeHost::watermark(ferry_watermark which) const { return impl_->get(which); }

bool FakeHost::wait_watermark(ferry_watermark which, uint64_t at_least, std::chrono::milliseconds timeout) {
  std::unique_lock l(impl_->wm_m);
  return impl_->wm_cv.wait_for(l, timeout, [&] { return watermark(which) >= at_least; });
}

ferry_status FakeHost::wait_ack(uint64_t record_end, std::chrono::milliseconds max_wait) {
  bool sync = impl_->flush_mode.load() == FERRY_FLUSH_SYNC;
  auto timeout = sync ? std::chrono::milliseconds(impl_->ack_timeout_ms.load()) : max_wait;
  std::unique_lock l(impl_->wm_m);
  bool done = impl_->wm_cv.wait_for(l, timeout, [&] {
    return impl_->ack_watermark() >= record_end || impl_->faulted.load();
  });
  if (impl_->ack_watermark() >= record_end) return FERRY_OK;
  if (impl_->faulted.load()) {
    std::lock_guard g(impl_->obs_m);
    return impl_->faults.empty() ? FERRY_E_READ_ONLY : impl_->faults.front().status;
  }
  (void)done;
  return sync ? FERRY_E_FLUSH_TIMEOUT : FERRY_E_TIMEOUT;
}

ferry_flush_info FakeHost::flush_info() const {
  ferry_flush_info info = FERRY_STRUCT_INIT(ferry_flush_info);
  info.mode = static_cast<ferry_flush_mode>(impl_->flush_mode.load());
  info.ack_timeout_ms = impl_->ack_timeout_ms.load();
  return info;
}

std::vector<Fault> FakeHost::faults() const {
  std::lock_guard g(impl_->obs_m);
  return impl_->faults;
}
bool FakeHost::read_only() const { return impl_->faulted.load(); }

std::vector<LogLine> FakeHost::log_lines() const {
  std::lock_guard g(impl_->obs_m);
  return impl_->logs;
}

std::string FakeHost::log_text() const {
  std::string out;
  for (const auto& l : log_lines()) {
    out += std::string("[") + level_name(l.level) + "] " + l.instance + ": " + l.text + "\n";
  }
  return out;
}

bool FakeHost::logged(const std::string& needle) const {
  std::lock_guard g(impl_->obs_m);
  for (const auto& l : impl_->logs) {
    if (l.text.find(needle) != std::string::npos) return true;
  }
  return false;
}

std::optional<double> FakeHost::metric_value(const std::string& name) const {
  std::lock_guard g(impl_->inst_m);
  for (const auto& m : impl_->metrics) {
    if (m->name == name) return m->value.load();
  }
  return std::nullopt;
}

const std::string& FakeHost::data_dir() const { return impl_->data_dir; }

// ---- PluginHandle ----

std::string PluginHandle::library_path(const std::string& kind, const std::string& name) {
  return plugin_dir() + "/ferry_" + kind + "_" + name + ".so";
}

PluginHandle::PluginHandle(FakeHost& host, const std::string& kind, const std::string& name)
    : PluginHandle(host, library_path(kind, name)) {
  if (desc_->name != name || std::string(ferry_kind_name(desc_->kind)) != kind) {
    std::string got = std::string(ferry_kind_name(desc_->kind)) + "/" + (desc_->name ? desc_->name : "?");
    ::dlclose(lib_);
    lib_ = nullptr;
    throw std::runtime_error("plugin " + kind + "/" + name + " declares itself " + got);
  }
}

namespace {
// The fingerprint and lifecycle checks the kernel makes; empty when fine.
std::string check_descriptor(const ferry_plugin_desc* d, uint32_t expected_kind) {
  if (!d) return "entry returned NULL";
  if (d->struct_size < FERRY_STRUCT_SIZE(ferry_plugin_desc, plugin_version)) return "descriptor too small";
  if (d->magic != FERRY_PLUGIN_MAGIC) return "bad magic";
  if (d->abi_major != FERRY_ABI_MAJOR) {
    return "ABI major " + std::to_string(d->abi_major) + ", host has " + std::to_string(FERRY_ABI_MAJOR);
  }
  if (d->pointer_size != sizeof(void*)) return "pointer size mismatch";
  if (d->struct_size < FERRY_STRUCT_SIZE(ferry_plugin_desc, ops)) return "descriptor lacks lifecycle fields";
  if (expected_kind && d->kind != expected_kind) {
    return std::string("kind ") + ferry_kind_name(d->kind) + ", expected " + ferry_kind_name(expected_kind);
  }
  if (!d->create || !d->destroy) return "create/destroy missing";
  return {};
}
}  // namespace

PluginHandle::PluginHandle(FakeHost& host, const ferry_plugin_desc* linked) : host_(host) {
  std::string why = check_descriptor(linked, 0);
  if (!why.empty()) throw std::runtime_error("linked plugin: " + why);
  desc_ = linked;
}

PluginHandle::PluginHandle(FakeHost& host, const std::string& path, uint32_t expected_kind) : host_(host) {
  lib_ = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!lib_) throw std::runtime_error(std::string("dlopen: ") + ::dlerror());
  auto fail = [&](const std::string& why) {
    ::dlclose(lib_);
    lib_ = nullptr;
    return std::runtime_error(path + ": " + why);
  };
  void* sym = ::dlsym(lib_, FERRY_PLUGIN_ENTRY_SYMBOL);
  if (!sym) throw fail("no symbol " FERRY_PLUGIN_ENTRY_SYMBOL);
  auto entry = reinterpret_cast<ferry_plugin_entry_fn>(sym);
  const ferry_plugin_desc* d = entry();
  std::string why = check_descriptor(d, expected_kind);
  if (!why.empty()) throw fail(why);
  desc_ = d;
}

PluginHandle::~PluginHandle() {
  try {
    if (started_) stop();
    if (created_) destroy();
  } catch (...) {
  }
  if (lib_) ::dlclose(lib_);
}

ferry_status PluginHandle::create(const std::string& instance_name, const ConfigMap& config, ferry_error* err) {
  return create_with(desc_->create, instance_name, config, err);
}

ferry_status PluginHandle::create_with(const CreateFn& create_fn, const std::string& instance_name,
                                       const ConfigMap& config, ferry_error* err) {
  if (created_) throw std::logic_error("PluginHandle::create twice");
  ferry_error local;
  ferry_error* e = err ? err : &local;
  host_handle_ = host_.add_instance(instance_name, desc_, config);
  ferry_status st = FERRY_OK;
  host_.run_on_loop([&] { st = create_fn(host_.api(), host_handle_, &instance_, e); });
  if (st != FERRY_OK) {
    host_.remove_instance(host_handle_);
    host_handle_ = nullptr;
    instance_ = nullptr;
    return st;
  }
  created_ = true;
  raw_ops_ = desc_->ops ? desc_->ops(instance_) : nullptr;
  host_.register_service(host_handle_, desc_->kind, raw_ops_, instance_);
  return FERRY_OK;
}

ferry_status PluginHandle::start(ferry_error* err) {
  if (!created_) throw std::logic_error("PluginHandle::start before create");
  ferry_error local;
  ferry_error* e = err ? err : &local;
  ferry_status st = FERRY_OK;
  if (desc_->start) host_.run_on_loop([&] { st = desc_->start(instance_, e); });
  started_ = st == FERRY_OK;
  return st;
}

void PluginHandle::stop() {
  if (!started_) return;
  started_ = false;
  if (desc_->stop) host_.run_on_loop([&] { desc_->stop(instance_); });
}

void PluginHandle::destroy() {
  if (!created_) return;
  if (started_) stop();
  created_ = false;
  // Unfindable first: a kernel notification already posted (on_appended,
  // on_visible) then runs before destroy on the loop, never after it.
  host_.unregister_service(host_handle_);
  host_.run_on_loop([&] { desc_->destroy(instance_); });
  host_.remove_instance(host_handle_);
  host_handle_ = nullptr;
  instance_ = nullptr;
  raw_ops_ = nullptr;
}

void PluginHandle::create_and_start(const std::string& instance_name, const ConfigMap& config) {
  ferry_error err;
  ferry_status st = create(instance_name, config, &err);
  if (st != FERRY_OK) {
    throw std::runtime_error("create " + instance_name + ": " + ferry_status_name(st) + ": " + err.message);
  }
  st = start(&err);
  if (st != FERRY_OK) {
    throw std::runtime_error("start " + instance_name + ": " + ferry_status_name(st) + ": " + err.message);
  }
}

}  // namespace ferry::test
