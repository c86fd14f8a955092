// ferry_storage_mmaplog: descriptor, config schema and the C entry points
// over Store. Every entry catches everything: no exception crosses the ABI.
#include <cstring>
#include <new>
#include <string>
#include <utility>

#include "ferry_common/entry_guard.h"
#include "ferry_common/store_entries.h"
#include "ferry_common/store_host.h"
#include "mmaplog.h"
#include "store.h"

namespace ferry::mmaplog {

namespace {

const ferry_config_key kConfig[] = {
    FERRY_CONFIG_KEY("path", FERRY_CONFIG_STRING, "", nullptr, nullptr, nullptr,
                     "Storage directory; empty means <data_dir>/store."),
    FERRY_CONFIG_KEY("segment_size", FERRY_CONFIG_SIZE, "1GiB", "1MiB", "4GiB", nullptr,
                     "Size of each commit log segment file."),
    FERRY_CONFIG_KEY("write_mode", FERRY_CONFIG_ENUM, "pwrite", nullptr, nullptr, "mmap|pwrite",
                     "Write records through the mapping, or with pwrite (reads still map)."),
    FERRY_CONFIG_KEY("prefault_window", FERRY_CONFIG_SIZE, "4MiB", "0", "1GiB", nullptr,
                     "Bytes ahead of the write head kept faulted in (mmap path) or read ahead (pwrite_prefault); 0 disables."),
    FERRY_CONFIG_KEY("pwrite_prefault", FERRY_CONFIG_BOOL, "true", nullptr, nullptr, nullptr,
                     "pwrite path: read ahead prefault_window past the head on the pre-fault "
                     "thread, so appends copy into page-cache pages that exist."),
    FERRY_CONFIG_KEY("writeback_bytes", FERRY_CONFIG_SIZE, "1MiB", "0", "1GiB", nullptr,
                     "Start writing the log back to disk every this many bytes written "
                     "(sync_file_range), so a flush finds little left; 0 = the kernel decides."),
    FERRY_CONFIG_KEY("segment_prefill", FERRY_CONFIG_BOOL, "true", nullptr, nullptr, nullptr,
                     "pwrite path: zero-fill the next segment ahead of the roll on the pre-fault "
                     "thread (buffered, write-back started, never synced), so group syncs find its "
                     "blocks written."),
    FERRY_CONFIG_KEY("max_message_size", FERRY_CONFIG_SIZE, "4MiB", "1KiB", "1GiB", nullptr,
                     "Largest record accepted (capped below segment_size)."),
    FERRY_CONFIG_KEY("queue_file_entries", FERRY_CONFIG_INT, "300000", "16", "50000000", nullptr,
                     "Entries (20 bytes each) per consume queue file."),
    FERRY_CONFIG_KEY("max_mapped_queue_files", FERRY_CONFIG_INT, "8192", "16", "60000", nullptr,
                     "Consume queue files kept mapped at once (least recently used closed)."),
    FERRY_CONFIG_KEY("max_open_queue_files", FERRY_CONFIG_INT, "0", "0", "1000000", nullptr,
                     "Consume queue files kept open for writing (LRU); 0 = a quarter of the "
                     "descriptor limit."),
    FERRY_CONFIG_KEY("queue_buffer_bytes", FERRY_CONFIG_SIZE, "32MiB", "0", "1GiB", nullptr,
                     "Consume queue entries buffered in memory across dispatch batches "
                     "(written by a checkpoint or when a queue's fill a page); 0 = none."),
    FERRY_CONFIG_KEY("index_slots", FERRY_CONFIG_INT, "5000000", "16", "100000000", nullptr,
                     "Hash slots per index file."),
    FERRY_CONFIG_KEY("index_entries", FERRY_CONFIG_INT, "20000000", "16", "200000000", nullptr,
                     "Entries per index file before it rolls over."),
    FERRY_CONFIG_KEY("recovery_on_corruption", FERRY_CONFIG_ENUM, "refuse", nullptr, nullptr,
                     "refuse|truncate",
                     "A bad record followed by valid ones: refuse to start, or truncate there."),
    FERRY_CONFIG_KEY("file_reserved_time", FERRY_CONFIG_DURATION, "72h", "1ms", nullptr, nullptr,
                     "Segments older than this (by last write) may be deleted."),
    FERRY_CONFIG_KEY("delete_when", FERRY_CONFIG_INT, "4", "0", "23", nullptr,
                     "Local hour at which expired segments are deleted."),
    FERRY_CONFIG_KEY("disk_clean_ratio", FERRY_CONFIG_DOUBLE, "0.75", "0.01", "0.999", nullptr,
                     "Above this used fraction, expired segments are deleted at once."),
    FERRY_CONFIG_KEY("disk_max_used_ratio", FERRY_CONFIG_DOUBLE, "0.90", "0.01", "0.999",
                     nullptr, "Above this used fraction, appends are refused (reads continue)."),
    FERRY_CONFIG_KEY("checkpoint_interval", FERRY_CONFIG_DURATION, "10s", "10ms", "1h", nullptr,
                     "How often queues and index are synced and the checkpoint written "
                     "(the disk check runs every second, or this often if shorter)."),
    FERRY_CONFIG_KEY("retention_interval", FERRY_CONFIG_DURATION, "10s", "10ms", "1d", nullptr,
                     "How often retention runs."),
    FERRY_CONFIG_KEY("dispatch_poll_interval", FERRY_CONFIG_DURATION, "1ms", "1ms", "1s",
                     nullptr, "Dispatcher's wait for the VISIBLE watermark when not woken."),
    FERRY_CONFIG_KEY("hot_read_distance", FERRY_CONFIG_SIZE, "0", "0", nullptr, nullptr,
                     "Reads within this distance of the head never block; 0 = 40% of RAM."),
    FERRY_CONFIG_KEY("store_host", FERRY_CONFIG_STRING, "", nullptr, nullptr, nullptr,
                     "ip:port written as STOREHOST; empty = the kernel's advertised address."),
};

struct Instance {
  const ferry_host_api* api = nullptr;
  ferry_host* host = nullptr;
  std::unique_ptr<Store> store;
};

Instance* I(void* p) { return static_cast<Instance*>(p); }
using Entries = common::StoreEntries<Instance>;
using common::parse_store_host;
using common::sv;

ferry_status fail(const ferry_host_api* api, ferry_error* err, ferry_status st,
                  const std::string& text) {
  return api->set_error(err, st, text.c_str());
}

ferry_status read_options(const ferry_host_api* api, ferry_host* h, Options* o, ferry_error* err) {
  const char* s = nullptr;
  uint64_t sz = 0;
  int64_t iv = 0;
  double dv = 0;
  std::string bad;
  auto str = [&](const char* k) -> std::string {
    if (api->config_string(h, k, &s) != FERRY_OK || !s) { bad = k; return {}; }
    return s;
  };
  auto size = [&](const char* k) -> uint64_t {
    if (api->config_size_bytes(h, k, &sz) != FERRY_OK) bad = k;
    return sz;
  };
  auto integer = [&](const char* k) -> int64_t {
    if (api->config_int(h, k, &iv) != FERRY_OK) bad = k;
    return iv;
  };
  auto dur = [&](const char* k) -> int64_t {
    if (api->config_duration_ms(h, k, &iv) != FERRY_OK) bad = k;
    return iv;
  };
  auto dbl = [&](const char* k) -> double {
    if (api->config_double(h, k, &dv) != FERRY_OK) bad = k;
    return dv;
  };
  auto flag = [&](const char* k) -> bool {
    ferry_bool b = 0;
    if (api->config_bool(h, k, &b) != FERRY_OK) bad = k;
    return b != 0;
  };
  o->dir = str("path");
  o->segment_size = size("segment_size");
  o->write_mode = str("write_mode") == "pwrite" ? WriteMode::Pwrite : WriteMode::Mmap;
  o->prefault_window = size("prefault_window");
  o->pwrite_prefault = flag("pwrite_prefault");
  o->writeback_bytes = size("writeback_bytes");
  o->segment_prefill = flag("segment_prefill");
  o->max_message_size = static_cast<uint32_t>(std::min<uint64_t>(size("max_message_size"), UINT32_MAX));
  o->queue_file_entries = static_cast<uint32_t>(integer("queue_file_entries"));
  o->max_mapped_queue_files = static_cast<uint32_t>(integer("max_mapped_queue_files"));
  o->max_open_queue_files = static_cast<uint32_t>(integer("max_open_queue_files"));
  o->queue_buffer_bytes = size("queue_buffer_bytes");
  o->index_slots = static_cast<uint32_t>(integer("index_slots"));
  o->index_entries = static_cast<uint32_t>(integer("index_entries"));
  o->truncate_on_corruption = str("recovery_on_corruption") == "truncate";
  o->file_reserved_ms = dur("file_reserved_time");
  o->delete_hour = static_cast<int>(integer("delete_when"));
  o->disk_clean_ratio = dbl("disk_clean_ratio");
  o->disk_max_used_ratio = dbl("disk_max_used_ratio");
  o->checkpoint_interval_ms = dur("checkpoint_interval");
  o->housekeeping_interval_ms = std::min<int64_t>(1000, o->checkpoint_interval_ms);
  o->retention_interval_ms = dur("retention_interval");
  o->dispatch_poll_ms = dur("dispatch_poll_interval");
  o->hot_read_distance = size("hot_read_distance");
  std::string host = str("store_host");
  if (!bad.empty()) return fail(api, err, FERRY_E_CONFIG, "cannot read config key " + bad);

  ferry_kernel_info info = FERRY_STRUCT_INIT(ferry_kernel_info);
  bool have_info = api->kernel_info(h, &info) == FERRY_OK;
  if (o->dir.empty()) {
    if (!have_info || !info.data_dir)
      return fail(api, err, FERRY_E_CONFIG, "no storage path and no kernel data_dir");
    o->dir = std::string(info.data_dir) + "/store";
  }
  if (host.empty() && have_info && info.advertised_address) host = info.advertised_address;
  if (!host.empty() && !parse_store_host(host, &o->store_host, &o->store_port)) {
    if (api->config_string(h, "store_host", &s) == FERRY_OK && s && *s)
      return fail(api, err, FERRY_E_CONFIG, "store_host \"" + host + "\" is not ip:port");
    o->store_host.assign("\x7f\0\0\x01", 4);  // the kernel's address was not an IP
  }
  if (o->store_host.empty()) o->store_host.assign("\x7f\0\0\x01", 4);
  if (o->max_message_size + FERRY_RECORD_MIN_BLANK > o->segment_size) {
    o->max_message_size = static_cast<uint32_t>(o->segment_size / 2);
    api->log(h, FERRY_LOG_INFO,
             ("max_message_size capped to half of segment_size: " +
              std::to_string(o->max_message_size) + " bytes").c_str());
  }
  return FERRY_OK;
}

template <class F>
ferry_status guard(void* inst, ferry_error* err, F&& f) {
  return common::guard(I(inst), err, std::forward<F>(f));
}

ferry_status ret(void* inst, ferry_error* err, ferry_status st, const std::string& text) {
  return common::set_error_unless_ok(I(inst), err, st, text);
}

// ---- ops ----

ferry_status op_sync(void* inst, uint64_t upto, uint64_t* synced, ferry_error* err) {
  return guard(inst, err, [&] {
    std::string e;
    return ret(inst, err, I(inst)->store->sync(upto, synced, &e), e);
  });
}
ferry_status op_read_queue(void* inst, const ferry_read_request* req, ferry_read_result** out,
                           ferry_error* err) {
  return guard(inst, err, [&] {
    std::string e;
    return ret(inst, err, I(inst)->store->read_queue(*req, out, &e), e);
  });
}
ferry_status op_queue_range(void* inst, ferry_slice topic, int32_t qid, uint64_t* min,
                            uint64_t* max, ferry_error* err) {
  return guard(inst, err, [&] { return I(inst)->store->queue_range(sv(topic), qid, min, max); });
}
ferry_status op_offset_for_time(void* inst, ferry_slice topic, int32_t qid, int64_t ts,
                                uint64_t* qoff, ferry_error* err) {
  return guard(inst, err,
               [&] { return I(inst)->store->offset_for_time(sv(topic), qid, ts, qoff); });
}
ferry_status op_query_key(void* inst, ferry_slice topic, ferry_slice key, int64_t begin_ms,
                          int64_t end_ms, uint32_t max_count, ferry_read_result** out,
                          ferry_error* err) {
  return guard(inst, err, [&] {
    return I(inst)->store->query_key(sv(topic), sv(key), begin_ms, end_ms, max_count, out);
  });
}
ferry_status op_delete_topic(void* inst, ferry_slice topic, ferry_error* err) {
  return guard(inst, err, [&] { return I(inst)->store->delete_topic(sv(topic)); });
}
ferry_bool op_dispatch_inline(void* inst, uint64_t visible) {
  try {
    return I(inst)->store->dispatch_inline(visible) ? 1 : 0;
  } catch (...) {
    I(inst)->store->on_visible();
    return 0;
  }
}

ferry_status op_end_turn(void* inst, uint64_t* write_offset, ferry_error* err) {
  return guard(inst, err, [&] {
    std::string e;
    return ret(inst, err, I(inst)->store->end_turn(write_offset, &e), e);
  });
}

const ferry_storage_ops kOps = {
    sizeof(ferry_storage_ops), Entries::append,  op_sync,           Entries::write_offset,
    op_read_queue,             Entries::read_at, Entries::read_log, Entries::append_raw,
    op_queue_range,            op_offset_for_time, op_query_key,    op_delete_topic,
    Entries::stats,            Entries::set_dispatch_listener, Entries::on_visible, op_end_turn,
    op_dispatch_inline,
};

// ---- lifecycle ----

ferry_status do_create(const ferry_host_api* api, ferry_host* host, std::shared_ptr<Io> io,
                       void** instance, ferry_error* err) {
  try {
    auto inst = std::make_unique<Instance>();
    inst->api = api;
    inst->host = host;
    Options opt;
    if (ferry_status st = read_options(api, host, &opt, err); st != FERRY_OK) return st;
    Env env;
    env.now_ms = [api, host] { return api->now_ms(host); };
    env.visible = [api, host] { return api->watermark_get(host, FERRY_WATERMARK_VISIBLE); };
    env.log = [api, host](ferry_log_level lv, const std::string& t) { api->log(host, lv, t.c_str()); };
    std::string e;
    ferry_status st = Store::open(opt, std::move(io), std::move(env), &inst->store, &e);
    if (st != FERRY_OK) return api->set_error(err, st, e.c_str());
    *instance = inst.release();
    return FERRY_OK;
  } catch (const std::exception& ex) {
    return api->set_error(err, FERRY_E_PLUGIN_INIT, ex.what());
  } catch (...) {
    return api->set_error(err, FERRY_E_PLUGIN_INIT, "unknown exception");
  }
}

ferry_status p_create(const ferry_host_api* api, ferry_host* host, void** instance,
                      ferry_error* err) {
  return do_create(api, host, std::make_shared<PosixIo>(), instance, err);
}
const void* p_ops(void*) { return &kOps; }

const ferry_plugin_desc kDesc = {
    FERRY_PLUGIN_FINGERPRINT(FERRY_KIND_STORAGE, "mmaplog", "0.1.0"),
    "Commit log in mapped segment files, consume queues, key index, recovery, retention",
    kConfig,
    sizeof(ferry_config_key),
    sizeof(kConfig) / sizeof(kConfig[0]),
    nullptr,
    sizeof(ferry_requirement),
    0,
    p_create,
    Entries::start,
    Entries::stop,
    Entries::destroy,
    p_ops,
};

}  // namespace

const ferry_plugin_desc* descriptor() { return &kDesc; }

ferry_status create_with_io(const ferry_host_api* api, ferry_host* host, std::shared_ptr<Io> io,
                            void** instance, ferry_error* err) {
  return do_create(api, host, std::move(io), instance, err);
}

Store* store_of(void* instance) { return I(instance)->store.get(); }

void abandon_for_test(void* instance) { I(instance)->store->abandon(); }

}  // namespace ferry::mmaplog
