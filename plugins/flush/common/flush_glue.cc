#include "flush_glue.h"

#include <string>

namespace ferry::flush {

ferry_status init_common(const ferry_host_api* api, ferry_host* host, const char* name,
                         const char* mode, uint32_t group_wait_us, FlushCommon* out, ferry_error* err) {
  out->api = api;
  out->host = host;
  out->name = name;
  ferry_status st = find_storage(api, host, &out->storage, err);
  if (st != FERRY_OK) return st;
  std::string labels = std::string("mode=") + mode;
  Flusher::Metrics metrics;
  api->metric_register(host, "ferry_flush_syncs_total", "storage syncs by the flush plugin",
                       FERRY_METRIC_COUNTER, labels.c_str(), &metrics.syncs);
  api->metric_register(host, "ferry_flush_sync_micros", "duration of one storage sync",
                       FERRY_METRIC_HISTOGRAM, labels.c_str(), &metrics.sync_micros);
  out->flusher = std::make_unique<Flusher>(api, host, out->storage, metrics, group_wait_us);
  return FERRY_OK;
}

void stop_common(FlushCommon& c) noexcept {
  try {
    c.flusher->flush_all();
    c.flusher->stop();
  } catch (...) {
  }
}

ferry_status flush_all_common(FlushCommon& c, ferry_error* err) noexcept {
  try {
    ferry_status st = c.flusher->flush_all();
    if (st != FERRY_OK) {
      std::string text = std::string(c.name) + ": flush_all failed (see the fault report)";
      return c.api->set_error(err, st, text.c_str());
    }
    return FERRY_OK;
  } catch (...) {
    return c.api->set_error(err, FERRY_E_INTERNAL, "flush: flush_all failed");
  }
}

ferry_status fill_info(ferry_flush_info* out, ferry_flush_mode mode, uint32_t ack_timeout_ms) {
  if (!out || !FERRY_HAS_FIELD(ferry_flush_info, out->struct_size, ack_timeout_ms)) {
    return FERRY_E_INVALID_ARGUMENT;
  }
  out->mode = mode;
  out->ack_timeout_ms = ack_timeout_ms;
  return FERRY_OK;
}

}  // namespace ferry::flush
