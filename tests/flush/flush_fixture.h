#pragma once
// A fake host with a CountingStorage registered as the storage service and
// one flush plugin loaded from its .so; append() does what the kernel does
// for a send: append under the single-writer lock, publish WRITE, wait for
// the ack.
#include <gtest/gtest.h>

#include <memory>
#include <mutex>
#include <string>

#include "counting_storage.h"
#include "ferry_test/child_process.h"  // wait_until
#include "ferry_test/fake_host.h"

namespace ferry::test {

class FlushFixture {
 public:
  FlushFixture(const std::string& plugin, const ConfigMap& config, FakeHost::Options options = {})
      : host_(options) {
    ferry_host* sh = host_.add_instance("store", nullptr, {});
    host_.register_service(sh, FERRY_KIND_STORAGE, storage_.ops(), storage_.instance());
    flush_ = std::make_unique<PluginHandle>(host_, "flush", plugin);
    flush_->create_and_start("flush", config);
  }
  ~FlushFixture() {
    storage_.open_gate();
    flush_.reset();
  }

  FakeHost& host() { return host_; }
  CountingStorage& storage() { return storage_; }
  PluginHandle& flush() { return *flush_; }
  const ferry_flush_ops* ops() { return flush_->ops<ferry_flush_ops>(); }

  // Append one record of `bytes`; returns its end offset (not waiting).
  uint64_t append_only(uint64_t bytes = 1024) {
    std::lock_guard g(writer_);
    uint64_t end = storage_.append(bytes);
    host_.publish_write(end);
    return end;
  }
  // Append and wait for the ack as the kernel would.
  ferry_status append(uint64_t bytes = 1024, uint64_t* end_out = nullptr) {
    uint64_t end = append_only(bytes);
    if (end_out) *end_out = end;
    return host_.wait_ack(end);
  }

 private:
  FakeHost host_;  // first: outlives the plugin handle
  CountingStorage storage_;
  std::mutex writer_;  // the loop's single-writer guarantee
  std::unique_ptr<PluginHandle> flush_;
};

}  // namespace ferry::test
