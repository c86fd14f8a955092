#include "host/instance.h"
#include "host/seams.h"

namespace ferry::host {
namespace {

ferry_status missing(ferry_host* h, const char* function, bool net) {
  if (h != nullptr) h->logger.warn(missing_subsystem_text(function, net));
  return FERRY_E_NOT_SUPPORTED;
}

}  // namespace

std::string missing_subsystem_text(const char* function, bool net) {
  return std::string(function) + ": not supported yet: " +
         (net ? "the transport (kernel/net) is not attached to this ferryd"
              : "the messaging core (kernel/core) is not attached to this ferryd");
}

ferry_status UnavailableNet::handler_register(ferry_host* h, uint32_t, ferry_request_fn, void*) {
  return missing(h, "handler_register", true);
}
ferry_status UnavailableNet::conn_open(ferry_host* h, const char*, ferry_conn_event_fn, void*,
                                       ferry_conn**) {
  return missing(h, "conn_open", true);
}
ferry_status UnavailableNet::conn_request(ferry_host* h, ferry_conn*, uint32_t, ferry_slice,
                                          ferry_slice, uint32_t, bool, ferry_response_fn, void*) {
  return missing(h, "conn_request", true);
}
ferry_status UnavailableNet::listen(ferry_host* h, const char*, ferry_request_fn,
                                    ferry_conn_event_fn, void*, ferry_listener**) {
  return missing(h, "listen", true);
}
ferry_status UnavailableNet::client_request(ferry_host* h, uint64_t, uint32_t, ferry_slice,
                                            ferry_slice, uint32_t, bool, ferry_response_fn,
                                            void*) {
  return missing(h, "client_request", true);
}

ferry_status UnavailableCore::producer_conn(ferry_host* h, ferry_slice, uint64_t*) {
  return missing(h, "producer_conn", false);
}
ferry_status UnavailableCore::topic_get(ferry_host* h, ferry_slice, ferry_topic_info*) {
  return missing(h, "topic_get", false);
}
ferry_status UnavailableCore::topic_foreach(ferry_host* h, ferry_topic_visit_fn, void*) {
  return missing(h, "topic_foreach", false);
}
ferry_status UnavailableCore::put_message(ferry_host* h, const ferry_message*, ferry_put_fn,
                                          void*) {
  return missing(h, "put_message", false);
}
ferry_status UnavailableCore::hook_pre_append(ferry_host* h, const char*, ferry_pre_append_fn,
                                              void*) {
  return missing(h, "hook_pre_append", false);
}

}  // namespace ferry::host
