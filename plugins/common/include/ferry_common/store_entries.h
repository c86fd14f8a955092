#pragma once
// The start / stop / destroy entries of a storage plugin whose instance
// (type Instance) holds `api` (the host table) and `store` (a
// std::unique_ptr to the engine, which has start() and stop()). Both storage
// plugins (memory, mmaplog) name these in their descriptor.
#include <ferry/host.h>

#include <memory>

#include "ferry_common/entry_guard.h"

namespace ferry::common {

template <class Instance>
struct StoreEntries {
  static ferry_status start(void* inst, ferry_error* err) {
    auto* self = static_cast<Instance*>(inst);
    return guard(self->api, err, [&] {
      self->store->start();
      return FERRY_OK;
    });
  }
  static void stop(void* inst) {
    try {
      static_cast<Instance*>(inst)->store->stop();
    } catch (...) {
    }
  }
  static void destroy(void* inst) {
    try {
      std::unique_ptr<Instance> owned(static_cast<Instance*>(inst));
    } catch (...) {
    }
  }
};

}  // namespace ferry::common
