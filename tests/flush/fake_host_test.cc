// The fake host itself: parsers, schema checks, loop order, manual clock,
// the watermark rule, plugin loading checks.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "ferry_test/fake_host.h"

namespace ferry::test {
namespace {

using namespace std::chrono_literals;

TEST(FakeHostParse, Sizes) {
  EXPECT_EQ(parse_size("1GiB"), 1ull << 30);
  EXPECT_EQ(parse_size("64KiB"), 64ull << 10);
  EXPECT_EQ(parse_size("4096"), 4096u);
  EXPECT_EQ(parse_size(" 4 MiB "), 4ull << 20);
  EXPECT_EQ(parse_size("1kB"), 1000u);
  EXPECT_FALSE(parse_size("1 gigabyte"));
  EXPECT_FALSE(parse_size("GiB"));
  EXPECT_FALSE(parse_size("-1"));
  EXPECT_FALSE(parse_size("99999999999999999999"));
  EXPECT_FALSE(parse_size("20000000TiB"));
}

TEST(FakeHostParse, Durations) {
  EXPECT_EQ(parse_duration_ms("500ms"), 500);
  EXPECT_EQ(parse_duration_ms("30s"), 30000);
  EXPECT_EQ(parse_duration_ms("2m"), 120000);
  EXPECT_EQ(parse_duration_ms("2h"), 7200000);
  EXPECT_EQ(parse_duration_ms("1d"), 86400000);
  EXPECT_EQ(parse_duration_ms("250"), 250);
  EXPECT_FALSE(parse_duration_ms("5 parsecs"));
  EXPECT_FALSE(parse_duration_ms("s"));
}

const ferry_config_key kKeys[] = {
    FERRY_CONFIG_KEY("size", FERRY_CONFIG_SIZE, "1MiB", "4KiB", "1GiB", nullptr, "a size"),
    FERRY_CONFIG_KEY("wait", FERRY_CONFIG_DURATION, "1s", nullptr, nullptr, nullptr, "a duration"),
    FERRY_CONFIG_KEY("mode", FERRY_CONFIG_ENUM, "a", nullptr, nullptr, "a|b", "an enum"),
    FERRY_CONFIG_KEY("on", FERRY_CONFIG_BOOL, "false", nullptr, nullptr, nullptr, "a bool"),
    FERRY_CONFIG_KEY("names", FERRY_CONFIG_STRING_LIST, "x, y", nullptr, nullptr, nullptr, "a list"),
    FERRY_CONFIG_KEY("must", FERRY_CONFIG_INT, nullptr, "0", "10", nullptr, "required"),
};

ferry_plugin_desc desc_with_keys() {
  ferry_plugin_desc d{};
  d.struct_size = sizeof(d);
  d.config_keys = kKeys;
  d.config_key_size = sizeof(ferry_config_key);
  d.config_key_count = sizeof(kKeys) / sizeof(kKeys[0]);
  return d;
}

TEST(FakeHostConfig, DefaultsTypesAndErrors) {
  FakeHost host;
  auto d = desc_with_keys();
  ferry_host* h = host.add_instance("p", &d, {{"must", "3"}, {"mode", "b"}, {"on", "true"}});
  const ferry_host_api* api = host.api();
  uint64_t size = 0;
  EXPECT_EQ(api->config_size_bytes(h, "size", &size), FERRY_OK);
  EXPECT_EQ(size, 1u << 20);
  int64_t ms = 0;
  EXPECT_EQ(api->config_duration_ms(h, "wait", &ms), FERRY_OK);
  EXPECT_EQ(ms, 1000);
  const char* s = nullptr;
  EXPECT_EQ(api->config_string(h, "mode", &s), FERRY_OK);
  EXPECT_STREQ(s, "b");
  ferry_bool on = 0;
  EXPECT_EQ(api->config_bool(h, "on", &on), FERRY_OK);
  EXPECT_EQ(on, 1);
  EXPECT_EQ(api->config_list_item(h, "names", 1, &s), FERRY_OK);
  EXPECT_STREQ(s, "y");
  EXPECT_EQ(api->config_list_item(h, "names", 2, &s), FERRY_E_OUT_OF_RANGE);
  EXPECT_EQ(api->config_int(h, "size", &ms), FERRY_E_INVALID_ARGUMENT);
  EXPECT_EQ(api->config_int(h, "nope", &ms), FERRY_E_NOT_FOUND);

  EXPECT_THROW(host.add_instance("p", &d, {}), std::invalid_argument);  // "must" missing
  EXPECT_THROW(host.add_instance("p", &d, {{"must", "1"}, {"extra", "1"}}), std::invalid_argument);
  EXPECT_THROW(host.add_instance("p", &d, {{"must", "11"}}), std::invalid_argument);
  EXPECT_THROW(host.add_instance("p", &d, {{"must", "1"}, {"size", "1KiB"}}), std::invalid_argument);
  EXPECT_THROW(host.add_instance("p", &d, {{"must", "1"}, {"mode", "c"}}), std::invalid_argument);
  EXPECT_THROW(host.add_instance("p", &d, {{"must", "1"}, {"on", "yes"}}), std::invalid_argument);
}

TEST(FakeHostLoop, PostsRunInOrderOnTheLoopThread) {
  FakeHost host;
  ferry_host* h = host.add_instance("p", nullptr, {});
  struct Ctx {
    FakeHost* host;
    std::vector<int> seen;
    std::atomic<int> off_loop{0};
  } ctx{&host, {}, {0}};
  struct Item {
    Ctx* ctx;
    int n;
  };
  std::vector<Item> items;
  for (int i = 0; i < 100; ++i) items.push_back({&ctx, i});
  for (auto& it : items) {
    ASSERT_EQ(host.api()->post(h, [](void* p) {
      auto* item = static_cast<Item*>(p);
      if (!item->ctx->host->on_loop_thread()) item->ctx->off_loop++;
      item->ctx->seen.push_back(item->n);
    }, &it), FERRY_OK);
  }
  host.run_on_loop([] {});
  ASSERT_EQ(ctx.seen.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(ctx.seen[static_cast<size_t>(i)], i);
  EXPECT_EQ(ctx.off_loop.load(), 0);
}

TEST(FakeHostClock, ManualTimersFollowTheClock) {
  FakeHost::Options o;
  o.manual_clock = true;
  FakeHost host(o);
  ferry_host* h = host.add_instance("p", nullptr, {});
  std::atomic<int> fired{0};
  ferry_timer* t = nullptr;
  host.run_on_loop([&] {
    ASSERT_EQ(host.api()->timer_start(h, 100, 100, [](void* p) { (*static_cast<std::atomic<int>*>(p))++; },
                                      &fired, &t), FERRY_OK);
  });
  int64_t t0 = host.api()->now_ms(h);
  host.advance_clock(99ms);
  EXPECT_EQ(fired.load(), 0);
  host.advance_clock(1ms);
  EXPECT_EQ(fired.load(), 1);
  host.advance_clock(100ms);
  EXPECT_EQ(fired.load(), 2);
  EXPECT_EQ(host.api()->now_ms(h) - t0, 200);
  host.run_on_loop([&] { host.api()->timer_stop(h, t); });
  host.advance_clock(1000ms);
  EXPECT_EQ(fired.load(), 2);
}

TEST(FakeHostWatermarks, VisibleFollowsWriteWithoutFlushPlugin) {
  FakeHost host;
  ferry_host* h = host.add_instance("p", nullptr, {});
  host.publish_write(100);
  EXPECT_EQ(host.watermark(FERRY_WATERMARK_VISIBLE), 100u);
  host.api()->watermark_advance(h, FERRY_WATERMARK_DURABLE, 50);
  host.api()->watermark_advance(h, FERRY_WATERMARK_DURABLE, 40);  // monotonic
  EXPECT_EQ(host.watermark(FERRY_WATERMARK_DURABLE), 50u);
  EXPECT_EQ(host.wait_ack(100), FERRY_OK);
}

ferry_status sync_info(void*, ferry_flush_info* out) {
  out->mode = FERRY_FLUSH_SYNC;
  out->ack_timeout_ms = 100;
  return FERRY_OK;
}

TEST(FakeHostWatermarks, SyncFlushAndReplicationBothGateVisibility) {
  FakeHost host;
  ferry_host* fh = host.add_instance("flush", nullptr, {});
  ferry_flush_ops fops{};
  fops.struct_size = sizeof(fops);
  fops.info = sync_info;
  fops.on_appended = [](void*, uint64_t) {};
  host.register_service(fh, FERRY_KIND_FLUSH, &fops, nullptr);
  ferry_host* rh = host.add_instance("ha", nullptr, {});
  host.register_service(rh, FERRY_KIND_REPLICATION, nullptr, nullptr);

  host.publish_write(100);
  EXPECT_EQ(host.watermark(FERRY_WATERMARK_VISIBLE), 0u);
  host.api()->watermark_advance(fh, FERRY_WATERMARK_DURABLE, 100);
  EXPECT_EQ(host.watermark(FERRY_WATERMARK_VISIBLE), 0u);
  EXPECT_EQ(host.wait_ack(100), FERRY_E_FLUSH_TIMEOUT);
  host.api()->watermark_advance(rh, FERRY_WATERMARK_REPLICATED, 80);
  EXPECT_EQ(host.watermark(FERRY_WATERMARK_VISIBLE), 80u);
  host.api()->watermark_advance(rh, FERRY_WATERMARK_REPLICATED, 100);
  EXPECT_EQ(host.wait_ack(100), FERRY_OK);
}

TEST(FakeHostPlugins, LoadsFlushPluginsAndChecksKind) {
  FakeHost host;
  PluginHandle sync(host, "flush", "sync");
  EXPECT_STREQ(sync.desc()->name, "sync");
  EXPECT_EQ(sync.desc()->kind, FERRY_KIND_FLUSH);
  ASSERT_EQ(sync.desc()->requirement_count, 1u);
  EXPECT_EQ(sync.desc()->requirements[0].kind, static_cast<uint32_t>(FERRY_KIND_STORAGE));
  EXPECT_THROW(PluginHandle(host, PluginHandle::library_path("flush", "sync"), FERRY_KIND_STORAGE),
               std::runtime_error);
  EXPECT_THROW(PluginHandle(host, "flush", "no_such_plugin"), std::runtime_error);
}

}  // namespace
}  // namespace ferry::test
