// ferry_storage_memory: descriptor, config and C entry points over
// MemoryStore. Every entry catches everything.
#include <ferry/host.h>
#include <ferry/plugin.h>

#include <memory>
#include <string>
#include <utility>

#include "ferry_common/entry_guard.h"
#include "ferry_common/store_entries.h"
#include "ferry_common/store_host.h"
#include "memory_store.h"

namespace ferry::memstore {
namespace {

const ferry_config_key kConfig[] = {
    FERRY_CONFIG_KEY("chunk_size", FERRY_CONFIG_SIZE, "64MiB", "64KiB", "4GiB", nullptr,
                     "Size of each in-memory log chunk (records never span chunks)."),
    FERRY_CONFIG_KEY("max_bytes", FERRY_CONFIG_SIZE, "1GiB", "64KiB", nullptr, nullptr,
                     "Memory for the log; the oldest chunks are dropped beyond it."),
    FERRY_CONFIG_KEY("max_message_size", FERRY_CONFIG_SIZE, "4MiB", "1KiB", "1GiB", nullptr,
                     "Largest record accepted (capped below chunk_size)."),
    FERRY_CONFIG_KEY("dispatch_poll_interval", FERRY_CONFIG_DURATION, "1ms", "1ms", "1s",
                     nullptr, "Dispatcher's wait for the VISIBLE watermark when not woken."),
    FERRY_CONFIG_KEY("store_host", FERRY_CONFIG_STRING, "", nullptr, nullptr, nullptr,
                     "ip:port written as STOREHOST; empty = the kernel's advertised address."),
};

struct Instance {
  const ferry_host_api* api = nullptr;
  std::unique_ptr<MemoryStore> store;
};
Instance* I(void* p) { return static_cast<Instance*>(p); }
using Entries = common::StoreEntries<Instance>;
using common::parse_store_host;
using common::sv;

template <class F>
ferry_status guard(void* inst, ferry_error* err, F&& f) {
  return common::guard(I(inst), err, std::forward<F>(f));
}

ferry_status op_sync(void* inst, uint64_t upto, uint64_t* synced, ferry_error*) {
  // Nothing is ever durable beyond the process; "synced" is what was written.
  *synced = std::min(upto, I(inst)->store->write_offset());
  return FERRY_OK;
}
ferry_status op_read_queue(void* inst, const ferry_read_request* req, ferry_read_result** out,
                           ferry_error* err) {
  return guard(inst, err, [&] { return I(inst)->store->read_queue(*req, out); });
}
ferry_status op_queue_range(void* inst, ferry_slice topic, int32_t qid, uint64_t* min,
                            uint64_t* max, ferry_error* err) {
  return guard(inst, err, [&] {
    I(inst)->store->queue_range(sv(topic), qid, min, max);
    return FERRY_OK;
  });
}
ferry_status op_offset_for_time(void* inst, ferry_slice topic, int32_t qid, int64_t ts,
                                uint64_t* qoff, ferry_error* err) {
  return guard(inst, err, [&] {
    *qoff = I(inst)->store->offset_for_time(sv(topic), qid, ts);
    return FERRY_OK;
  });
}
ferry_status op_query_key(void* inst, ferry_slice topic, ferry_slice key, int64_t b, int64_t e,
                          uint32_t max_count, ferry_read_result** out, ferry_error* err) {
  return guard(inst, err, [&] { return I(inst)->store->query_key(sv(topic), sv(key), b, e, max_count, out); });
}
ferry_status op_delete_topic(void* inst, ferry_slice topic, ferry_error* err) {
  return guard(inst, err, [&] {
    I(inst)->store->delete_topic(sv(topic));
    return FERRY_OK;
  });
}
const ferry_storage_ops kOps = {
    sizeof(ferry_storage_ops), Entries::append,  op_sync,           Entries::write_offset,
    op_read_queue,             Entries::read_at, Entries::read_log, Entries::append_raw,
    op_queue_range,            op_offset_for_time, op_query_key,    op_delete_topic,
    Entries::stats,            Entries::set_dispatch_listener, Entries::on_visible,
    nullptr,  // end_turn: appends are in memory when append returns
};

ferry_status p_create(const ferry_host_api* api, ferry_host* h, void** instance, ferry_error* err) {
  try {
    Options o;
    uint64_t sz = 0;
    int64_t ms = 0;
    const char* s = nullptr;
    if (api->config_size_bytes(h, "chunk_size", &sz) != FERRY_OK) return api->set_error(err, FERRY_E_CONFIG, "chunk_size");
    o.chunk_size = sz;
    if (api->config_size_bytes(h, "max_bytes", &sz) != FERRY_OK) return api->set_error(err, FERRY_E_CONFIG, "max_bytes");
    o.max_bytes = sz;
    if (api->config_size_bytes(h, "max_message_size", &sz) != FERRY_OK) return api->set_error(err, FERRY_E_CONFIG, "max_message_size");
    o.max_message_size = static_cast<uint32_t>(std::min<uint64_t>({sz, o.chunk_size / 2, UINT32_MAX}));
    if (api->config_duration_ms(h, "dispatch_poll_interval", &ms) != FERRY_OK) return api->set_error(err, FERRY_E_CONFIG, "dispatch_poll_interval");
    o.dispatch_poll_ms = ms;
    std::string host;
    if (api->config_string(h, "store_host", &s) == FERRY_OK && s) host = s;
    if (!host.empty() && !parse_store_host(host, &o.store_host, &o.store_port))
      return api->set_error(err, FERRY_E_CONFIG, ("store_host \"" + host + "\" is not ip:port").c_str());
    if (host.empty()) {
      ferry_kernel_info info = FERRY_STRUCT_INIT(ferry_kernel_info);
      if (api->kernel_info(h, &info) == FERRY_OK && info.advertised_address)
        parse_store_host(info.advertised_address, &o.store_host, &o.store_port);
    }
    Env env;
    env.now_ms = [api, h] { return api->now_ms(h); };
    env.visible = [api, h] { return api->watermark_get(h, FERRY_WATERMARK_VISIBLE); };
    auto inst = std::make_unique<Instance>();
    inst->api = api;
    inst->store = std::make_unique<MemoryStore>(o, env);
    *instance = inst.release();
    return FERRY_OK;
  } catch (const std::exception& e) {
    return api->set_error(err, FERRY_E_PLUGIN_INIT, e.what());
  } catch (...) {
    return api->set_error(err, FERRY_E_PLUGIN_INIT, "unknown exception");
  }
}
const void* p_ops(void*) { return &kOps; }

const ferry_plugin_desc kDesc = {
    FERRY_PLUGIN_FINGERPRINT(FERRY_KIND_STORAGE, "memory", "0.1.0"),
    "In-memory commit log, consume queues and key index (nothing survives a restart)",
    kConfig, sizeof(ferry_config_key), sizeof(kConfig) / sizeof(kConfig[0]),
    nullptr, sizeof(ferry_requirement), 0,
    p_create, Entries::start, Entries::stop, Entries::destroy, p_ops,
};

}  // namespace
}  // namespace ferry::memstore

FERRY_PLUGIN_DEFINE(ferry::memstore::kDesc)
