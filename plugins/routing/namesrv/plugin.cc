// The ABI glue: descriptor, config schema, and the extern "C" entries that
// build a registry or a registration instance from `mode`. Every entry
// catches everything: no exception crosses into the kernel.
#include <memory>
#include <new>
#include <string>

#include "ferry/host.h"
#include "ferry/plugin.h"
#include "ferry/routing.h"
#include "host_ref.h"
#include "instance.h"
#include "registration_mode.h"
#include "registry_mode.h"

namespace ferry::namesrv {
namespace {

const ferry_config_key kKeys[] = {
    FERRY_CONFIG_KEY("mode", FERRY_CONFIG_ENUM, nullptr, nullptr, nullptr,
                     "registry|registration",
                     "registry: serve as a name server; registration: register this broker "
                     "with the name servers"),
    FERRY_CONFIG_KEY("broker_expiry", FERRY_CONFIG_DURATION, "120s", "100ms", nullptr, nullptr,
                     "registry: a broker silent this long is removed with its routes"),
    FERRY_CONFIG_KEY("name_servers", FERRY_CONFIG_STRING_LIST, "", nullptr, nullptr, nullptr,
                     "registration: \"host:port\" of every name server (each gets every "
                     "registration)"),
    FERRY_CONFIG_KEY("register_interval", FERRY_CONFIG_DURATION, "30s", "100ms", nullptr, nullptr,
                     "registration: how often the broker re-registers (heartbeat)"),
    FERRY_CONFIG_KEY("timeout", FERRY_CONFIG_DURATION, "3s", "10ms", "10min", nullptr,
                     "registration: how long one registration request waits for its answer"),
    FERRY_CONFIG_KEY("change_debounce", FERRY_CONFIG_DURATION, "500ms", "1ms", "1min", nullptr,
                     "registration: delay after a topic change before re-registering, so a "
                     "burst of changes makes one round"),
    FERRY_CONFIG_KEY("chunk_bytes", FERRY_CONFIG_SIZE, "1MiB", "4KiB", nullptr, nullptr,
                     "registration: target size of one registration chunk (always kept under "
                     "the frame limit)"),
    FERRY_CONFIG_KEY("ha_address", FERRY_CONFIG_STRING, "", nullptr, nullptr, nullptr,
                     "registration: \"host:port\" slaves replicate from, advertised to the name "
                     "servers; empty when none"),
};

// Registration reads the topic table: start after storage when there is one
// (a name server has none).
const ferry_requirement kRequirements[] = {FERRY_REQUIRE_OPTIONAL(FERRY_KIND_STORAGE)};

// The loaded instance: the mode's object behind the ABI's void *.
struct Plugin {
  HostRef host;
  std::unique_ptr<Instance> impl;
};

Outcome make_registry(const HostRef& h, const ferry_kernel_info& ki,
                      std::unique_ptr<Instance>* out) {
  RegistryConfig c;
  if (Outcome o = h.duration_ms("broker_expiry", &c.broker_expiry_ms); !o.ok()) return o;
  if (ki.max_frame_bytes != 0) c.max_frame_bytes = ki.max_frame_bytes;
  *out = std::make_unique<RegistryMode>(h, c);
  return {};
}

Outcome make_registration(const HostRef& h, const ferry_kernel_info& ki,
                          std::unique_ptr<Instance>* out) {
  RegistrationConfig c;
  if (Outcome o = h.list("name_servers", &c.name_servers); !o.ok()) return o;
  std::erase_if(c.name_servers, [](const std::string& s) { return s.empty(); });
  if (c.name_servers.empty())
    return Outcome::fail(FERRY_E_CONFIG,
                         "mode = \"registration\" needs name_servers = [\"host:port\", ...]");
  if (Outcome o = h.duration_ms("register_interval", &c.register_interval_ms); !o.ok()) return o;
  if (Outcome o = h.duration_ms("timeout", &c.timeout_ms); !o.ok()) return o;
  if (Outcome o = h.duration_ms("change_debounce", &c.change_debounce_ms); !o.ok()) return o;
  if (Outcome o = h.size_bytes("chunk_bytes", &c.chunk_bytes); !o.ok()) return o;
  if (Outcome o = h.string("ha_address", &c.broker.ha_address); !o.ok()) return o;
  c.broker.cluster = ki.cluster_name ? ki.cluster_name : "";
  c.broker.broker_name = ki.broker_name ? ki.broker_name : "";
  c.broker.broker_id = ki.broker_id;
  const char* addr = ki.advertised_address && *ki.advertised_address ? ki.advertised_address
                                                                      : ki.listen_address;
  c.broker.address = addr ? addr : "";
  if (c.broker.cluster.empty() || c.broker.broker_name.empty() || c.broker.address.empty())
    return Outcome::fail(FERRY_E_CONFIG,
                         "registration needs the broker's cluster name, broker name and "
                         "advertised address from the kernel config");
  if (ki.max_frame_bytes != 0) c.max_frame_bytes = ki.max_frame_bytes;
  *out = std::make_unique<RegistrationMode>(h, std::move(c));
  return {};
}

ferry_status plugin_create(const ferry_host_api* api, ferry_host* host, void** instance,
                           ferry_error* err) {
  try {
    HostRef h{api, host};
    std::string mode;
    if (Outcome o = h.string("mode", &mode); !o.ok())
      return api->set_error(err, o.status, o.message.c_str());
    ferry_kernel_info ki = FERRY_STRUCT_INIT(ferry_kernel_info);
    if (ferry_status s = api->kernel_info(host, &ki); s != FERRY_OK)
      return api->set_error(err, s, "namesrv: kernel_info failed");
    auto plugin = std::make_unique<Plugin>();
    plugin->host = h;
    Outcome o;
    if (mode == "registry") {
      o = make_registry(h, ki, &plugin->impl);
    } else if (mode == "registration") {
      o = make_registration(h, ki, &plugin->impl);
    } else {
      o = Outcome::fail(FERRY_E_CONFIG,
                        "mode must be \"registry\" or \"registration\", not \"" + mode + "\"");
    }
    if (!o.ok()) return api->set_error(err, o.status, ("namesrv: " + o.message).c_str());
    *instance = plugin.release();
    return FERRY_OK;
  } catch (const std::bad_alloc&) {
    return api->set_error(err, FERRY_E_NO_MEMORY, "namesrv: out of memory");
  } catch (...) {
    return api->set_error(err, FERRY_E_INTERNAL, "namesrv: create failed");
  }
}

ferry_status plugin_start(void* instance, ferry_error* err) {
  auto* p = static_cast<Plugin*>(instance);
  try {
    Outcome o = p->impl->start();
    if (!o.ok()) return p->host.api->set_error(err, o.status, ("namesrv: " + o.message).c_str());
    return FERRY_OK;
  } catch (const std::bad_alloc&) {
    return p->host.api->set_error(err, FERRY_E_NO_MEMORY, "namesrv: out of memory");
  } catch (...) {
    return p->host.api->set_error(err, FERRY_E_INTERNAL, "namesrv: start failed");
  }
}

void plugin_stop(void* instance) {
  try {
    static_cast<Plugin*>(instance)->impl->stop();
  } catch (...) {
    // Stopping is best effort past this point; destroy still runs.
  }
}

void plugin_destroy(void* instance) {
  try {
    std::unique_ptr<Plugin>(static_cast<Plugin*>(instance)).reset();
  } catch (...) {
  }
}

ferry_status routing_info(void* instance, ferry_routing_info* out) {
  if (!out || out->struct_size < FERRY_STRUCT_SIZE(ferry_routing_info, name_servers_registered))
    return FERRY_E_INVALID_ARGUMENT;
  try {
    static_cast<Plugin*>(instance)->impl->info(out);
    return FERRY_OK;
  } catch (...) {
    return FERRY_E_INTERNAL;
  }
}

void routing_on_topics_changed(void* instance) {
  try {
    static_cast<Plugin*>(instance)->impl->on_topics_changed();
  } catch (...) {
    // The periodic registration catches up.
  }
}

const ferry_routing_ops kOps = {
    static_cast<uint32_t>(sizeof(ferry_routing_ops)),
    &routing_info,
    &routing_on_topics_changed,
};

const void* plugin_ops(void*) { return &kOps; }

}  // namespace
}  // namespace ferry::namesrv

namespace {

const ferry_plugin_desc kDesc = {
    FERRY_PLUGIN_FINGERPRINT(FERRY_KIND_ROUTING, "namesrv", "0.1.0"),
    "name server routing: registry mode (a name server) or registration mode (a broker)",
    ferry::namesrv::kKeys,
    static_cast<uint32_t>(sizeof(ferry_config_key)),
    static_cast<uint32_t>(sizeof(ferry::namesrv::kKeys) / sizeof(ferry::namesrv::kKeys[0])),
    ferry::namesrv::kRequirements,
    static_cast<uint32_t>(sizeof(ferry_requirement)),
    1,
    &ferry::namesrv::plugin_create,
    &ferry::namesrv::plugin_start,
    &ferry::namesrv::plugin_stop,
    &ferry::namesrv::plugin_destroy,
    &ferry::namesrv::plugin_ops,
};

}  // namespace

FERRY_PLUGIN_DEFINE(kDesc)
