// ferry_flush_async: RocketMQ's FlushRealTimeService. A loop timer fires
// every `interval`; it asks the flusher thread for a sync when at least
// `min_dirty_pages` pages were written since the last one, and every
// `full_interval` whatever the count. Acks and visibility use the WRITE
// watermark (info() says ASYNC); DURABLE trails it as syncs complete.
#include <ferry/flush.h>
#include <ferry/host.h>
#include <ferry/plugin.h>

#include <memory>
#include <new>

#include "flush_glue.h"

namespace {

using ferry::flush::FlushCommon;

// The unit min_dirty_pages counts (RocketMQ's OS_PAGE_SIZE).
constexpr uint64_t kPageBytes = 4096;

struct AsyncFlush : FlushCommon {
  uint64_t interval_ms = 0;
  uint64_t min_dirty_pages = 0;
  uint64_t full_interval_ns = 0;
  uint64_t last_full_ns = 0;
  ferry_timer* timer = nullptr;
};

const ferry_config_key kKeys[] = {
    FERRY_CONFIG_KEY("interval", FERRY_CONFIG_DURATION, "500ms", "1ms", "1h", nullptr,
                     "How often the flusher checks for dirty pages."),
    FERRY_CONFIG_KEY("min_dirty_pages", FERRY_CONFIG_INT, "4", "0", "1048576", nullptr,
                     "Sync only when at least this many 4 KiB pages were written since the last sync "
                     "(0: whenever anything was written)."),
    FERRY_CONFIG_KEY("full_interval", FERRY_CONFIG_DURATION, "10s", "1ms", "24h", nullptr,
                     "Sync everything written at least this often, however few pages are dirty."),
};

// [loop] Decides; never blocks: the sync itself runs on the flusher thread.
void async_tick(void* user_data) {
  auto* self = static_cast<AsyncFlush*>(user_data);
  if (self->flusher->faulted()) return;
  uint64_t written = self->storage.ops->write_offset(self->storage.instance);
  uint64_t durable = self->flusher->durable();
  uint64_t now = self->api->monotonic_ns(self->host);
  bool full_due = now - self->last_full_ns >= self->full_interval_ns;
  uint64_t dirty_pages = written / kPageBytes - durable / kPageBytes;
  if (full_due) self->last_full_ns = now;
  if (written > durable && (full_due || dirty_pages >= self->min_dirty_pages)) {
    self->flusher->request(written);
  }
}

ferry_status async_create(const ferry_host_api* api, ferry_host* host, void** instance, ferry_error* err) {
  try {
    int64_t interval_ms = 0, full_ms = 0, min_pages = 0;
    if (api->config_duration_ms(host, "interval", &interval_ms) != FERRY_OK ||
        api->config_duration_ms(host, "full_interval", &full_ms) != FERRY_OK ||
        api->config_int(host, "min_dirty_pages", &min_pages) != FERRY_OK) {
      return api->set_error(err, FERRY_E_CONFIG, "flush.async: cannot read interval/full_interval/min_dirty_pages");
    }
    auto self = std::make_unique<AsyncFlush>();
    self->interval_ms = static_cast<uint64_t>(interval_ms);
    self->min_dirty_pages = static_cast<uint64_t>(min_pages);
    self->full_interval_ns = static_cast<uint64_t>(full_ms) * 1000000u;
    ferry_status st = ferry::flush::init_common(api, host, "flush.async", "async", 0, self.get(), err);
    if (st != FERRY_OK) return st;
    *instance = self.release();
    return FERRY_OK;
  } catch (const std::bad_alloc&) {
    return api->set_error(err, FERRY_E_NO_MEMORY, "flush.async: out of memory");
  } catch (...) {
    return api->set_error(err, FERRY_E_PLUGIN_INIT, "flush.async: create failed");
  }
}

ferry_status async_start(void* instance, ferry_error* err) {
  auto* self = static_cast<AsyncFlush*>(instance);
  try {
    self->flusher->start();
    self->last_full_ns = self->api->monotonic_ns(self->host);
    ferry_status st = self->api->timer_start(self->host, self->interval_ms, self->interval_ms, async_tick,
                                             self, &self->timer);
    if (st != FERRY_OK) {
      self->flusher->stop();
      return self->api->set_error(err, st, "flush.async: cannot start the interval timer");
    }
    return FERRY_OK;
  } catch (...) {
    return self->api->set_error(err, FERRY_E_PLUGIN_INIT, "flush.async: cannot start the flusher thread");
  }
}

void async_stop(void* instance) {
  auto* self = static_cast<AsyncFlush*>(instance);
  if (self->timer) self->api->timer_stop(self->host, self->timer);
  self->timer = nullptr;
  ferry::flush::stop_common(*self);
}

void async_destroy(void* instance) { delete static_cast<AsyncFlush*>(instance); }

// Acks never wait for DURABLE.
ferry_status async_info(void*, ferry_flush_info* out) { return ferry::flush::fill_info(out, FERRY_FLUSH_ASYNC, 0); }

// The timer reads the storage's write offset itself; appends need no wake-up.
void async_on_appended(void*, uint64_t) {}

ferry_status async_flush_all(void* instance, ferry_error* err) {
  return ferry::flush::flush_all_common(*static_cast<AsyncFlush*>(instance), err);
}

const ferry_flush_ops kOps = {
    (uint32_t)sizeof(ferry_flush_ops),
    async_info,
    async_on_appended,
    async_flush_all,
};

const void* async_ops(void*) { return &kOps; }

const ferry_plugin_desc kDesc = ferry::flush::flush_desc(
    "async",
    "interval flush: sync when enough pages are dirty, fully every full_interval; acks use WRITE",
    kKeys, async_create, async_start, async_stop, async_destroy, async_ops);

}  // namespace

FERRY_PLUGIN_DEFINE(kDesc)
