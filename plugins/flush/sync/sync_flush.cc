// ferry_flush_sync: group commit. The kernel calls on_appended (at most once
// per loop iteration) with the new WRITE watermark; that raises the
// flusher's target and wakes it if it sleeps. The flusher syncs everything
// written so far and advances DURABLE; the kernel acks every send whose
// record ends at or below it. Sends still waiting after `timeout` get
// FERRY_E_FLUSH_TIMEOUT from the kernel (info().ack_timeout_ms).
#include <ferry/flush.h>
#include <ferry/host.h>
#include <ferry/plugin.h>

#include <memory>
#include <new>

#include "flush_glue.h"

namespace {

using ferry::flush::FlushCommon;

struct SyncFlush : FlushCommon {
  uint32_t ack_timeout_ms = 0;
};

const ferry_config_key kKeys[] = {
    FERRY_CONFIG_KEY("timeout", FERRY_CONFIG_DURATION, "5s", "1ms", "1h", nullptr,
                     "How long a send waits for its record to be durable before it is answered "
                     "FLUSH_DISK_TIMEOUT (stored, not yet durable)."),
    FERRY_CONFIG_KEY("group_wait_us", FERRY_CONFIG_INT, "0", "0", "1000000", nullptr,
                     "After a sync, when more is already waiting, wait up to this many microseconds "
                     "for further sends before the next sync, so senders just acknowledged share it "
                     "(commit_delay). 0: the next sync starts at once."),
};

ferry_status sync_create(const ferry_host_api* api, ferry_host* host, void** instance, ferry_error* err) {
  try {
    int64_t timeout_ms = 0, group_wait_us = 0;
    if (api->config_duration_ms(host, "timeout", &timeout_ms) != FERRY_OK ||
        api->config_int(host, "group_wait_us", &group_wait_us) != FERRY_OK) {
      return api->set_error(err, FERRY_E_CONFIG, "flush.sync: cannot read timeout/group_wait_us");
    }
    auto self = std::make_unique<SyncFlush>();
    self->ack_timeout_ms = static_cast<uint32_t>(timeout_ms);
    ferry_status st = ferry::flush::init_common(api, host, "flush.sync", "sync",
                                                static_cast<uint32_t>(group_wait_us), self.get(), err);
    if (st != FERRY_OK) return st;
    *instance = self.release();
    return FERRY_OK;
  } catch (const std::bad_alloc&) {
    return api->set_error(err, FERRY_E_NO_MEMORY, "flush.sync: out of memory");
  } catch (...) {
    return api->set_error(err, FERRY_E_PLUGIN_INIT, "flush.sync: create failed");
  }
}

ferry_status sync_start(void* instance, ferry_error* err) {
  auto* self = static_cast<SyncFlush*>(instance);
  try {
    self->flusher->start();
    // What recovery found may sit only in the page cache (a process crash):
    // make it durable before anything new is acknowledged on top of it.
    uint64_t recovered = self->storage.ops->write_offset(self->storage.instance);
    if (recovered > 0) self->flusher->request(recovered);
    return FERRY_OK;
  } catch (...) {
    return self->api->set_error(err, FERRY_E_PLUGIN_INIT, "flush.sync: cannot start the flusher thread");
  }
}

void sync_stop(void* instance) { ferry::flush::stop_common(*static_cast<SyncFlush*>(instance)); }

void sync_destroy(void* instance) { delete static_cast<SyncFlush*>(instance); }

ferry_status sync_info(void* instance, ferry_flush_info* out) {
  return ferry::flush::fill_info(out, FERRY_FLUSH_SYNC, static_cast<SyncFlush*>(instance)->ack_timeout_ms);
}

void sync_on_appended(void* instance, uint64_t write_offset) {
  static_cast<SyncFlush*>(instance)->flusher->request(write_offset);
}

ferry_status sync_flush_all(void* instance, ferry_error* err) {
  return ferry::flush::flush_all_common(*static_cast<SyncFlush*>(instance), err);
}

const ferry_flush_ops kOps = {
    (uint32_t)sizeof(ferry_flush_ops),
    sync_info,
    sync_on_appended,
    sync_flush_all,
};

const void* sync_ops(void*) { return &kOps; }

const ferry_plugin_desc kDesc = ferry::flush::flush_desc(
    "sync",
    "group commit: one flusher thread syncs everything written and advances DURABLE",
    kKeys, sync_create, sync_start, sync_stop, sync_destroy, sync_ops);

}  // namespace

FERRY_PLUGIN_DEFINE(kDesc)
