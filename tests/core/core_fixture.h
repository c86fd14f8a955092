#pragma once
// A Core over the test storage, the real tag filter plugin (loaded as .so
// into a FakeHost), a hand-driven FakeEnv and an optional fake flush plugin
// whose mode and ack timeout the test picks.
#include <ferry/flush.h>
#include <ferry_test/fake_host.h>
#include <ferry_test/temp_dir.h>
#include <gtest/gtest.h>

#include <memory>
#include <optional>

#include "client_wire.h"
#include "core/core.h"
#include "fake_env.h"
#include "test_storage.h"

namespace ferry::core::test {

struct FakeFlush {
  ferry_flush_ops ops;
  ferry_flush_mode mode = FERRY_FLUSH_SYNC;
  uint32_t ack_timeout_ms = 3000;
  FakeFlush() {
    ops = FERRY_STRUCT_INIT(ferry_flush_ops);
    ops.info = [](void* inst, ferry_flush_info* out) {
      auto* self = static_cast<FakeFlush*>(inst);
      out->mode = self->mode;
      out->ack_timeout_ms = self->ack_timeout_ms;
      return FERRY_OK;
    };
  }
};

class CoreFixture : public ::testing::Test {
 protected:
  using Answer = FakeRequest::Answer;

  void SetUp() override {
    // Topic changes written at once (on a worker: replies after run_loop),
    // so admin replies need no clock advance; tests of the group-commit
    // window set a delay (topics_test.cc).
    config_.topic_persist_delay_ms = 0;
    tag_ = std::make_unique<ferry::test::PluginHandle>(host_, "filter", "tag");
    tag_->create_and_start("tag");
  }
  void TearDown() override {
    core_.reset();
    tag_.reset();
  }

  // Build and open the core (call after adjusting config_ / flush_).
  void make_core(bool with_flush = false) {
    PluginSet p;
    p.storage = storage_.ops();
    p.storage_inst = storage_.inst();
    if (with_flush) {
      p.flush = &flush_.ops;
      p.flush_inst = &flush_;
    }
    p.filters.push_back({tag_->ops<ferry_filter_ops>(), tag_->instance()});
    core_ = std::make_unique<Core>(env_, std::move(p), config_);
    std::string why;
    ASSERT_EQ(core_->open(&why), FERRY_OK) << why;
    core_->start();
  }

  std::shared_ptr<Answer> call(uint32_t code, std::string payload, std::string attachment = {},
                               uint64_t conn = 1) {
    auto req = std::make_unique<FakeRequest>(code, std::move(payload), std::move(attachment), conn);
    auto a = req->answer();
    core_->handle(std::move(req));
    return a;
  }

  std::shared_ptr<Answer> send(const std::string& topic, const std::vector<Msg>& msgs) {
    auto [p, att] = send_request(topic, msgs);
    return call(msgs.size() == 1 ? FERRY_CODE_SEND_MESSAGE : FERRY_CODE_SEND_BATCH, p, att);
  }

  void create_topic(const std::string& name, uint32_t queues = 4) {
    auto a = call(FERRY_CODE_TOPIC_CREATE, topic_create(name, queues, queues));
    env_.run_loop();  // the topic-table write's completion (the write runs on a worker)
    ASSERT_TRUE(a->answered);
    ASSERT_EQ(a->status, FERRY_OK) << a->message;
  }

  ferry::test::TempDir dir_{"ferry-core"};
  ferry::test::FakeHost host_;
  std::unique_ptr<ferry::test::PluginHandle> tag_;
  FakeEnv env_{dir_.str()};
  TestStorage storage_;
  FakeFlush flush_;
  CoreConfig config_;
  std::unique_ptr<Core> core_;
};

// Body of each record in a pull/query answer's attachment.
inline std::vector<std::string> bodies(const FakeRequest::Answer& a) {
  std::vector<std::string> out;
  for (const auto& rec : a.attachment) {
    ferry_record_view v;
    if (ferry_record_decode(rec.data(), rec.size(), &v) != FERRY_OK) {
      out.push_back("<corrupt>");
      continue;
    }
    out.emplace_back(static_cast<const char*>(v.body.data), v.body.len);
  }
  return out;
}

}  // namespace ferry::core::test
