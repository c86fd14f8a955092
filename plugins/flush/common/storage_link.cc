#include "storage_link.h"

#include <string>

namespace ferry::flush {

ferry_status find_storage(const ferry_host_api* api, ferry_host* host, StorageLink* out,
                          ferry_error* err) {
  ferry_service svc = FERRY_STRUCT_INIT(ferry_service);
  ferry_status st = api->service_find(host, FERRY_KIND_STORAGE, nullptr, &svc);
  if (st != FERRY_OK) {
    std::string text = std::string("flush: no storage instance to sync (") + ferry_status_name(st) +
                       "); configure exactly one storage plugin";
    return api->set_error(err, FERRY_E_DEPENDENCY, text.c_str());
  }
  const auto* ops = static_cast<const ferry_storage_ops*>(svc.ops);
  if (!ops || !FERRY_HAS_FIELD(ferry_storage_ops, ops->struct_size, write_offset) || !ops->sync ||
      !ops->write_offset) {
    std::string text = std::string("flush: storage instance '") +
                       (svc.instance_name ? svc.instance_name : "?") + "' has no sync/write_offset op";
    return api->set_error(err, FERRY_E_DEPENDENCY, text.c_str());
  }
  out->ops = ops;
  out->instance = svc.instance;
  return FERRY_OK;
}

}  // namespace ferry::flush
