#pragma once
// What the sync and async flush plugins share besides the Flusher: finding
// the storage, registering the metrics, and the bodies of their stop and
// flush_all ops, and the shape of their descriptor. Each plugin keeps only
// what differs (its config, info() and when it asks for a sync).
#include <ferry/flush.h>
#include <ferry/host.h>
#include <ferry/plugin.h>

#include <cstddef>
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

// Every flush plugin requires one storage instance.
inline constexpr ferry_requirement kRequiresStorage[] = {FERRY_REQUIRE(FERRY_KIND_STORAGE)};

// The descriptor of flush plugin `name` (ferry_flush_<name>.so, version
// 0.1.0): its config `keys`, kRequiresStorage, and its entries.
template <size_t N>
constexpr ferry_plugin_desc flush_desc(const char* name, const char* description,
                                       const ferry_config_key (&keys)[N],
                                       decltype(ferry_plugin_desc::create) create,
                                       decltype(ferry_plugin_desc::start) start,
                                       decltype(ferry_plugin_desc::stop) stop,
                                       decltype(ferry_plugin_desc::destroy) destroy,
                                       decltype(ferry_plugin_desc::ops) ops) {
  return ferry_plugin_desc{
      FERRY_PLUGIN_FINGERPRINT(FERRY_KIND_FLUSH, name, "0.1.0"),
      description,
      keys,
      (uint32_t)sizeof(ferry_config_key),
      (uint32_t)N,
      kRequiresStorage,
      (uint32_t)sizeof(ferry_requirement),
      (uint32_t)(sizeof(kRequiresStorage) / sizeof(kRequiresStorage[0])),
      create,
      start,
      stop,
      destroy,
      ops,
  };
}

}  // namespace ferry::flush
