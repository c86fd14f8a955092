// ferry_routing_namesrv.so loaded through the fake host: descriptor, config
// schema, and create/start/stop per mode. The fake host answers handlers and
// connections with FERRY_E_NOT_SUPPORTED (no transport): start must then
// fail cleanly, naming what it could not do, and the instance must still be
// destroyable. mode_flow_test covers what start does with a host that has
// them.
#include <gtest/gtest.h>

#include <cstring>
#include <stdexcept>
#include <string>

#include "ferry/routing.h"
#include "ferry_test/fake_host.h"

namespace ferry::test {
namespace {

const ferry_config_key* find_key(const ferry_plugin_desc* d, const char* name) {
  for (uint32_t i = 0; i < d->config_key_count; ++i) {
    auto* k = reinterpret_cast<const ferry_config_key*>(
        reinterpret_cast<const char*>(d->config_keys) + static_cast<size_t>(i) * d->config_key_size);
    if (std::strcmp(k->name, name) == 0) return k;
  }
  return nullptr;
}

ferry_routing_info info(const PluginHandle& p) {
  ferry_routing_info out = FERRY_STRUCT_INIT(ferry_routing_info);
  EXPECT_EQ(p.ops<ferry_routing_ops>()->info(p.instance(), &out), FERRY_OK);
  return out;
}

TEST(NamesrvPlugin, DescriptorAndSchema) {
  FakeHost host;
  PluginHandle p(host, "routing", "namesrv");
  const ferry_plugin_desc* d = p.desc();
  EXPECT_EQ(d->kind, FERRY_KIND_ROUTING);
  EXPECT_STREQ(d->name, "namesrv");
  const ferry_config_key* mode = find_key(d, "mode");
  ASSERT_NE(mode, nullptr);
  EXPECT_EQ(mode->type, FERRY_CONFIG_ENUM);
  EXPECT_EQ(mode->default_value, nullptr);  // required
  EXPECT_STREQ(mode->enum_values, "registry|registration");
  struct Want {
    const char* name;
    ferry_config_type type;
    const char* def;
  } want[] = {{"broker_expiry", FERRY_CONFIG_DURATION, "120s"},
              {"name_servers", FERRY_CONFIG_STRING_LIST, ""},
              {"register_interval", FERRY_CONFIG_DURATION, "30s"},
              {"timeout", FERRY_CONFIG_DURATION, "3s"},
              {"change_debounce", FERRY_CONFIG_DURATION, "500ms"},
              {"chunk_bytes", FERRY_CONFIG_SIZE, "1MiB"},
              {"ha_address", FERRY_CONFIG_STRING, ""}};
  for (const Want& w : want) {
    const ferry_config_key* k = find_key(d, w.name);
    ASSERT_NE(k, nullptr) << w.name;
    EXPECT_EQ(k->type, w.type) << w.name;
    EXPECT_STREQ(k->default_value, w.def) << w.name;
    EXPECT_NE(k->description, nullptr) << w.name;
  }
  EXPECT_EQ(d->config_key_count, 8u);
}

TEST(NamesrvPlugin, ConfigErrorsAreRefusedBeforeCreate) {
  FakeHost host;
  PluginHandle p(host, "routing", "namesrv");
  EXPECT_THROW(p.create("ns", {}), std::invalid_argument);  // mode is required
  EXPECT_THROW(p.create("ns", {{"mode", "gateway"}}), std::invalid_argument);
  EXPECT_THROW(p.create("ns", {{"mode", "registry"}, {"broker_expiry", "10ms"}}),
               std::invalid_argument);  // below the 100ms minimum
  EXPECT_THROW(p.create("ns", {{"mode", "registry"}, {"expiry", "1s"}}), std::invalid_argument);
}

TEST(NamesrvPlugin, RegistrationWithoutNameServersFailsCreate) {
  FakeHost host;
  PluginHandle p(host, "routing", "namesrv");
  ferry_error err;
  EXPECT_EQ(p.create("reg", {{"mode", "registration"}}, &err), FERRY_E_CONFIG);
  EXPECT_NE(err.message.find("name_servers"), std::string::npos) << err.message;
}

TEST(NamesrvPlugin, RegistryCreatesAndStartNamesTheMissingHandler) {
  FakeHost host;
  PluginHandle p(host, "routing", "namesrv");
  ferry_error err;
  ASSERT_EQ(p.create("ns", {{"mode", "registry"}, {"broker_expiry", "2s"}}, &err), FERRY_OK)
      << err.message;
  ferry_routing_info i = info(p);
  EXPECT_EQ(i.mode, FERRY_ROUTING_REGISTRY);
  EXPECT_EQ(i.brokers_known, 0u);
  EXPECT_EQ(i.topics_known, 0u);
  // No transport in the fake host: start refuses, saying what is missing.
  EXPECT_EQ(p.start(&err), FERRY_E_NOT_SUPPORTED);
  EXPECT_NE(err.message.find("10100"), std::string::npos) << err.message;
  p.destroy();
}

TEST(NamesrvPlugin, RegistrationCreatesWithTheKernelIdentity) {
  FakeHost host;
  PluginHandle p(host, "routing", "namesrv");
  ferry_error err;
  ASSERT_EQ(p.create("reg",
                     {{"mode", "registration"},
                      {"name_servers", "127.0.0.1:9876, 127.0.0.1:9877"},
                      {"register_interval", "1s"},
                      {"chunk_bytes", "64KiB"}},
                     &err),
            FERRY_OK)
      << err.message;
  ferry_routing_info i = info(p);
  EXPECT_EQ(i.mode, FERRY_ROUTING_REGISTRATION);
  EXPECT_EQ(i.name_servers, 2u);
  EXPECT_EQ(i.name_servers_registered, 0u);
  // on_topics_changed before start is harmless.
  host.run_on_loop([&] { p.ops<ferry_routing_ops>()->on_topics_changed(p.instance()); });
  EXPECT_EQ(p.start(&err), FERRY_E_NOT_SUPPORTED);
  EXPECT_NE(err.message.find("127.0.0.1:9876"), std::string::npos) << err.message;
  p.destroy();
}

TEST(NamesrvPlugin, TwoInstancesOfOneLibrary) {
  // The standalone assembly: registry and registration side by side.
  FakeHost host;
  PluginHandle registry(host, "routing", "namesrv");
  PluginHandle registration(host, "routing", "namesrv");
  ferry_error err;
  ASSERT_EQ(registry.create("namesrv", {{"mode", "registry"}}, &err), FERRY_OK) << err.message;
  ASSERT_EQ(registration.create("registration",
                                {{"mode", "registration"}, {"name_servers", "127.0.0.1:9876"}},
                                &err),
            FERRY_OK)
      << err.message;
  EXPECT_EQ(info(registry).mode, FERRY_ROUTING_REGISTRY);
  EXPECT_EQ(info(registration).mode, FERRY_ROUTING_REGISTRATION);
  // info() refuses a struct too small to hold its counters.
  ferry_routing_info tiny = FERRY_STRUCT_INIT(ferry_routing_info);
  tiny.struct_size = 4;
  EXPECT_EQ(registry.ops<ferry_routing_ops>()->info(registry.instance(), &tiny),
            FERRY_E_INVALID_ARGUMENT);
}

}  // namespace
}  // namespace ferry::test
