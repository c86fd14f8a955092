#pragma once
// The C entries of a storage plugin that only forward to its engine: start /
// stop / destroy, and the storage ops whose engine call is the same in both
// engines (memory, mmaplog). Instance holds `api` (the host table) and
// `store` (a std::unique_ptr to the engine). Every entry catches everything.
// append is the send hot path: its body is the one each plugin wrote by hand
// (inlined into the plugin, no extra call).
#include <ferry/host.h>
#include <ferry/storage.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "ferry_common/entry_guard.h"

namespace ferry::common {

template <class Instance>
struct StoreEntries {
  static Instance* of(void* inst) { return static_cast<Instance*>(inst); }

  // ---- lifecycle ----
  static ferry_status start(void* inst, ferry_error* err) {
    auto* self = static_cast<Instance*>(inst);
    return guard(self, err, [&] {
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

  // ---- ops ----
  static ferry_status append(void* inst, const ferry_message* const* msgs, size_t n,
                             ferry_append_result* results, size_t* appended,
                             uint64_t* write_offset, ferry_error* err) {
    *appended = 0;
    return guard(of(inst), err, [&] {
      std::string e;
      return set_error_unless_ok(
          of(inst), err,
          of(inst)->store->append(msgs, n, results, appended, write_offset, &e), e);
    });
  }
  static uint64_t write_offset(void* inst) { return of(inst)->store->write_offset(); }
  static ferry_status read_at(void* inst, uint64_t off, ferry_read_result** out,
                              ferry_error* err) {
    return guard(of(inst), err, [&] {
      std::string e;
      return set_error_unless_ok(of(inst), err, of(inst)->store->read_at(off, out, &e), e);
    });
  }
  static ferry_status read_log(void* inst, uint64_t off, uint32_t max_bytes,
                               ferry_read_result** out, ferry_error* err) {
    return guard(of(inst), err, [&] {
      std::string e;
      return set_error_unless_ok(of(inst), err,
                                 of(inst)->store->read_log(off, max_bytes, out, &e), e);
    });
  }
  static ferry_status append_raw(void* inst, uint64_t off, ferry_slice bytes,
                                 uint64_t* write_offset, ferry_error* err) {
    return guard(of(inst), err, [&] {
      std::string e;
      return set_error_unless_ok(of(inst), err,
                                 of(inst)->store->append_raw(off, bytes, write_offset, &e), e);
    });
  }
  static ferry_status stats(void* inst, ferry_storage_stats* out) {
    try {
      of(inst)->store->stats(out);
      return FERRY_OK;
    } catch (...) {
      return FERRY_E_INTERNAL;
    }
  }
  static void set_dispatch_listener(void* inst, ferry_dispatch_fn fn, void* user_data) {
    of(inst)->store->set_dispatch_listener(fn, user_data);
  }
  static void on_visible(void* inst, uint64_t) {
    try {
      of(inst)->store->on_visible();
    } catch (...) {
    }
  }
};

}  // namespace ferry::common
