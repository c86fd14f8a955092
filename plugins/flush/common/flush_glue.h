#pragma once
// What the sync and async flush plugins share besides the Flusher: finding
// the storage, registering the metrics, and the bodies of their stop and
// flush_all ops. Each plugin keeps only what differs (its config, info()
// and when it asks for a sync).
#include <ferry/flush.h>
#include <ferry/host.h>

#include <cstdint>
#include <memory>

#include "flusher.h"
#include "storage_link.h"

namespace ferry::flush {

struct FlushCommon {
  const ferry_host_api* api = nullptr;
  ferry_host* host = nullptr;
  const char* name = "";  // "flush.sync" / "flush.async", for error texts
  StorageLink storage;
  std::unique_ptr<Flusher> flusher;
};

// Find the storage, register ferry_flush_syncs_total and
// ferry_flush_sync_micros labelled mode=<mode>, build the (not yet started)
// flusher. On failure returns the status with err filled. May throw
// std::bad_alloc (callers are create() entries with a catch-all).
ferry_status init_common(const ferry_host_api* api, ferry_host* host, const char* name,
                         const char* mode, uint32_t group_wait_us, FlushCommon* out, ferry_error* err);

// stop(): sync everything written, then join the flusher. Never throws.
void stop_common(FlushCommon& c) noexcept;

// flush_all(): sync everything written and wait; the fault status if the
// flusher has faulted. Never throws.
ferry_status flush_all_common(FlushCommon& c, ferry_error* err) noexcept;

// info(): checks `out` is large enough, fills mode and ack_timeout_ms.
ferry_status fill_info(ferry_flush_info* out, ferry_flush_mode mode, uint32_t ack_timeout_ms);

}  // namespace ferry::flush
