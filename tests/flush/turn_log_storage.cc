// ferry_storage_turnlog (test plugin, never installed): the memory storage
// (ferry_storage_memory.so, loaded from the build's plugin dir next to this
// one) with an end_turn op, logging each call as one byte to `event_log`:
// 'A' for an append that stored records, 'E' for end_turn. The log lets a
// test read, through a real ferryd, when the kernel ends the storage's turns.
#include <dlfcn.h>
#include <fcntl.h>
#include <unistd.h>

#include <ferry/host.h>
#include <ferry/plugin.h>
#include <ferry/storage.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace {

// The memory plugin's library, descriptor and our descriptor around it:
// built once by ferry_plugin_entry, read-only afterwards.
struct Inner {
  void* lib = nullptr;
  const ferry_plugin_desc* desc = nullptr;
  std::vector<ferry_config_key> keys;  // the memory plugin's keys + event_log
  ferry_plugin_desc ours{};
};

struct Instance {
  const ferry_host_api* api = nullptr;
  const ferry_plugin_desc* inner_desc = nullptr;
  const ferry_storage_ops* inner = nullptr;
  void* inner_inst = nullptr;
  int log_fd = -1;
  ferry_storage_ops ops{};
  ~Instance() {
    if (inner_inst) inner_desc->destroy(inner_inst);
    if (log_fd >= 0) ::close(log_fd);
  }
};
Instance* I(void* p) { return static_cast<Instance*>(p); }

void note(Instance* in, char c) {
  // One byte per write (O_APPEND): the test reads the order back.
  if (::write(in->log_fd, &c, 1) != 1) {
  }
}

ferry_status op_append(void* p, const ferry_message* const* m, size_t n, ferry_append_result* r,
                       size_t* appended, uint64_t* wo, ferry_error* err) {
  ferry_status s = I(p)->inner->append(I(p)->inner_inst, m, n, r, appended, wo, err);
  if (*appended > 0) note(I(p), 'A');
  return s;
}
ferry_status op_end_turn(void* p, uint64_t* wo, ferry_error*) {
  note(I(p), 'E');
  *wo = I(p)->inner->write_offset(I(p)->inner_inst);
  return FERRY_OK;
}
ferry_status op_append_raw(void* p, uint64_t off, ferry_slice b, uint64_t* wo, ferry_error* err) {
  ferry_status s = I(p)->inner->append_raw(I(p)->inner_inst, off, b, wo, err);
  if (s == FERRY_OK) note(I(p), 'A');
  return s;
}
ferry_status op_sync(void* p, uint64_t upto, uint64_t* synced, ferry_error* err) {
  return I(p)->inner->sync(I(p)->inner_inst, upto, synced, err);
}
uint64_t op_write_offset(void* p) { return I(p)->inner->write_offset(I(p)->inner_inst); }
ferry_status op_read_queue(void* p, const ferry_read_request* q, ferry_read_result** out,
                           ferry_error* err) {
  return I(p)->inner->read_queue(I(p)->inner_inst, q, out, err);
}
ferry_status op_read_at(void* p, uint64_t off, ferry_read_result** out, ferry_error* err) {
  return I(p)->inner->read_at(I(p)->inner_inst, off, out, err);
}
ferry_status op_read_log(void* p, uint64_t off, uint32_t max, ferry_read_result** out,
                         ferry_error* err) {
  return I(p)->inner->read_log(I(p)->inner_inst, off, max, out, err);
}
ferry_status op_queue_range(void* p, ferry_slice t, int32_t q, uint64_t* lo, uint64_t* hi,
                            ferry_error* err) {
  return I(p)->inner->queue_range(I(p)->inner_inst, t, q, lo, hi, err);
}
ferry_status op_offset_for_time(void* p, ferry_slice t, int32_t q, int64_t ts, uint64_t* o,
                                ferry_error* err) {
  return I(p)->inner->offset_for_time(I(p)->inner_inst, t, q, ts, o, err);
}
ferry_status op_query_key(void* p, ferry_slice t, ferry_slice k, int64_t b, int64_t e, uint32_t max,
                          ferry_read_result** out, ferry_error* err) {
  return I(p)->inner->query_key(I(p)->inner_inst, t, k, b, e, max, out, err);
}
ferry_status op_delete_topic(void* p, ferry_slice t, ferry_error* err) {
  return I(p)->inner->delete_topic(I(p)->inner_inst, t, err);
}
ferry_status op_stats(void* p, ferry_storage_stats* out) {
  return I(p)->inner->stats(I(p)->inner_inst, out);
}
void op_set_listener(void* p, ferry_dispatch_fn fn, void* ud) {
  I(p)->inner->set_dispatch_listener(I(p)->inner_inst, fn, ud);
}
void op_on_visible(void* p, uint64_t v) { I(p)->inner->on_visible(I(p)->inner_inst, v); }

const Inner* inner();

ferry_status p_create(const ferry_host_api* api, ferry_host* h, void** out, ferry_error* err) {
  try {
    auto in = std::make_unique<Instance>();
    in->api = api;
    in->inner_desc = inner()->desc;
    const char* path = nullptr;
    if (api->config_string(h, "event_log", &path) != FERRY_OK || !path || !*path)
      return api->set_error(err, FERRY_E_CONFIG, "event_log: a file path is required");
    in->log_fd = ::open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (in->log_fd < 0)
      return api->set_error(err, FERRY_E_CONFIG, (std::string("cannot open ") + path).c_str());
    ferry_status s = in->inner_desc->create(api, h, &in->inner_inst, err);
    if (s != FERRY_OK) return s;
    in->inner = static_cast<const ferry_storage_ops*>(in->inner_desc->ops(in->inner_inst));
    in->ops = ferry_storage_ops{
        sizeof(ferry_storage_ops), op_append,     op_sync,           op_write_offset,
        op_read_queue,             op_read_at,    op_read_log,       op_append_raw,
        op_queue_range,            op_offset_for_time, op_query_key, op_delete_topic,
        op_stats,                  op_set_listener, op_on_visible,   op_end_turn,
    };
    *out = in.release();
    return FERRY_OK;
  } catch (...) {
    return api->set_error(err, FERRY_E_PLUGIN_INIT, "turnlog: create failed");
  }
}
ferry_status p_start(void* p, ferry_error* err) {
  return I(p)->inner_desc->start(I(p)->inner_inst, err);
}
void p_stop(void* p) {
  if (I(p)->inner_desc->stop) I(p)->inner_desc->stop(I(p)->inner_inst);
}
void p_destroy(void* p) { std::unique_ptr<Instance> drop(I(p)); }
const void* p_ops(void* p) { return &I(p)->ops; }

const ferry_config_key kEventLog = FERRY_CONFIG_KEY(
    "event_log", FERRY_CONFIG_STRING, "", nullptr, nullptr, nullptr,
    "File that gets 'A' per storing append and 'E' per end_turn.");

// Loads ../plugins/ferry_storage_memory.so relative to this library.
std::unique_ptr<Inner> load_inner() {
  Dl_info info{};
  if (!dladdr(reinterpret_cast<void*>(&load_inner), &info) || !info.dli_fname) return nullptr;
  std::filesystem::path here(info.dli_fname);
  std::string mem = (here.parent_path() / ".." / "plugins" / "ferry_storage_memory.so").string();
  auto in = std::make_unique<Inner>();
  in->lib = dlopen(mem.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!in->lib) return nullptr;
  auto entry = reinterpret_cast<ferry_plugin_entry_fn>(dlsym(in->lib, FERRY_PLUGIN_ENTRY_SYMBOL));
  if (!entry || !(in->desc = entry())) return nullptr;
  for (uint32_t i = 0; i < in->desc->config_key_count; ++i)
    in->keys.push_back(*reinterpret_cast<const ferry_config_key*>(
        reinterpret_cast<const char*>(in->desc->config_keys) + i * in->desc->config_key_size));
  in->keys.push_back(kEventLog);
  in->ours = ferry_plugin_desc{
      FERRY_PLUGIN_FINGERPRINT(FERRY_KIND_STORAGE, "turnlog", "0.1.0"),
      "Test: the memory storage, logging appends and end_turn calls",
      in->keys.data(), sizeof(ferry_config_key), static_cast<uint32_t>(in->keys.size()),
      nullptr, sizeof(ferry_requirement), 0,
      p_create, p_start, p_stop, p_destroy, p_ops,
  };
  return in;
}

const Inner* inner() {
  static const std::unique_ptr<Inner> in = load_inner();  // the library stays loaded
  return in.get();
}

}  // namespace

extern "C" FERRY_EXPORT const ferry_plugin_desc* ferry_plugin_entry(void) {
  const Inner* in = inner();
  return in ? &in->ours : nullptr;
}
