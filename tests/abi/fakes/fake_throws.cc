// A C++ plugin whose start() throws. Its extern "C" guard — the pattern every
// C++ plugin uses — catches the exception and reports it through set_error,
// so nothing crosses the ABI.
#include <ferry/ferry.h>

#include <memory>
#include <stdexcept>
#include <string>

namespace {

struct Instance {
  const ferry_host_api* api;
  ferry_host* host;
};

// The guard: any exception becomes FERRY_E_INTERNAL with its text.
template <class F>
ferry_status guard(const ferry_host_api* api, ferry_error* err, const char* what, F&& fn) noexcept {
  try {
    return fn();
  } catch (const std::exception& e) {
    return api->set_error(err, FERRY_E_INTERNAL, (std::string(what) + " threw: " + e.what()).c_str());
  } catch (...) {
    return api->set_error(err, FERRY_E_INTERNAL, (std::string(what) + " threw").c_str());
  }
}

ferry_status create(const ferry_host_api* api, ferry_host* host, void** out, ferry_error* err) {
  return guard(api, err, "create", [&] {
    auto inst = std::make_unique<Instance>(Instance{api, host});
    api->log(host, FERRY_LOG_INFO, "create");
    *out = inst.release();
    return FERRY_OK;
  });
}

ferry_status start(void* p, ferry_error* err) {
  auto* inst = static_cast<Instance*>(p);
  return guard(inst->api, err, "start", [&]() -> ferry_status {
    inst->api->log(inst->host, FERRY_LOG_INFO, "start");
    throw std::runtime_error("boom");
  });
}

void stop(void* p) {
  auto* inst = static_cast<Instance*>(p);
  inst->api->log(inst->host, FERRY_LOG_INFO, "stop");
}

void destroy(void* p) {
  std::unique_ptr<Instance> inst(static_cast<Instance*>(p));
  inst->api->log(inst->host, FERRY_LOG_INFO, "destroy");
}

const void* ops(void*) { return nullptr; }

const ferry_plugin_desc desc = {
    FERRY_PLUGIN_FINGERPRINT(FERRY_KIND_DELAY, "fakethrows", "0.0.1"),
    "start() throws; its guard reports it",
    nullptr, sizeof(ferry_config_key), 0,
    nullptr, sizeof(ferry_requirement), 0,
    create, start, stop, destroy, ops};

}  // namespace

FERRY_PLUGIN_DEFINE(desc)
