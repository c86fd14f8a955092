#pragma once
// The storage instance a flush plugin syncs, found through the host's
// service lookup (flush plugins declare FERRY_REQUIRE(FERRY_KIND_STORAGE)).
#include <ferry/host.h>
#include <ferry/storage.h>

namespace ferry::flush {

struct StorageLink {
  const ferry_storage_ops* ops = nullptr;
  void* instance = nullptr;
};

// Find the one storage instance; checks that its ops table has sync and
// write_offset. On failure returns the status with err filled.
ferry_status find_storage(const ferry_host_api* api, ferry_host* host, StorageLink* out,
                          ferry_error* err);

}  // namespace ferry::flush
