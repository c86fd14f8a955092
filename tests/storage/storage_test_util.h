#pragma once
// Helpers for storage tests: messages that own their bytes, a storage plugin
// instance on a FakeHost, appends that publish WRITE as the kernel does.
#include <ferry/record.h>
#include <ferry/storage.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "ferry_common/properties.h"
#include "ferry_test/child_process.h"
#include "ferry_test/fake_host.h"

namespace ferry::storage_test {

struct OwnedMessage {
  std::string topic;
  std::string body;
  std::string props;
  std::string born_host{"\x7f\x00\x00\x01", 4};
  ferry_message msg{};

  OwnedMessage(std::string t, int32_t qid, std::string b,
               std::vector<std::pair<std::string, std::string>> properties = {})
      : topic(std::move(t)), body(std::move(b)) {
    common::PropertiesBuilder pb;
    for (auto& [k, v] : properties) EXPECT_TRUE(pb.add(k, v));
    props = pb.str();
    msg = FERRY_STRUCT_INIT(ferry_message);
    msg.queue_id = qid;
    msg.born_timestamp_ms = 1'700'000'000'000;
    msg.born_port = 5555;
    fix();
  }
  OwnedMessage(const OwnedMessage& o) : topic(o.topic), body(o.body), props(o.props),
                                        born_host(o.born_host), msg(o.msg) { fix(); }
  void fix() {
    msg.topic = {topic.data(), topic.size()};
    msg.body = {body.data(), body.size()};
    msg.properties = {props.data(), props.size()};
    msg.born_host = {born_host.data(), born_host.size()};
  }
};

inline std::string str(ferry_slice s) {
  return std::string(static_cast<const char*>(s.data), s.len);
}
inline ferry_slice sl(const std::string& s) { return ferry_slice{s.data(), s.size()}; }

inline ferry_record_view decode(ferry_slice rec) {
  ferry_record_view v;
  EXPECT_EQ(ferry_record_decode(rec.data, rec.len, &v), FERRY_OK);
  return v;
}

// A read result released at scope exit.
struct Result {
  ferry_read_result* r = nullptr;
  ~Result() {
    if (r) r->release(r);
  }
  ferry_read_result* operator->() const { return r; }
  std::vector<std::string> bodies() const {
    std::vector<std::string> out;
    for (size_t i = 0; i < r->count; ++i) out.push_back(str(decode(r->records[i]).body));
    return out;
  }
};

// The config a test instance of each storage plugin needs.
inline test::ConfigMap base_config(const std::string& plugin) {
  if (plugin == "mmaplog")
    return {{"segment_size", "4MiB"}, {"queue_file_entries", "1000"}, {"index_slots", "1024"},
            {"index_entries", "4096"}, {"max_mapped_queue_files", "64"},
            {"checkpoint_interval", "50ms"}};
  return {{"chunk_size", "1MiB"}, {"max_bytes", "64MiB"}};
}

// One storage instance loaded from its .so.
class StorageInstance {
 public:
  StorageInstance(test::FakeHost& host, const std::string& plugin, test::ConfigMap extra = {},
                  const std::string& name = "store")
      : host_(host), handle_(std::make_unique<test::PluginHandle>(host, "storage", plugin)) {
    test::ConfigMap cfg = base_config(plugin);
    for (auto& [k, v] : extra) cfg[k] = v;
    ferry_error err;
    create_status = handle_->create(name, cfg, &err);
    create_error = err.message;
    if (create_status != FERRY_OK) return;
    ops = handle_->ops<ferry_storage_ops>();
    inst = handle_->instance();
  }
  bool ok() const { return create_status == FERRY_OK; }
  void start() {
    ferry_error err;
    ASSERT_EQ(handle_->start(&err), FERRY_OK) << err.message;
  }
  void close() { handle_.reset(); }

  // Append and publish WRITE (what the kernel does after append).
  ferry_status append(const std::vector<OwnedMessage>& msgs, std::vector<ferry_append_result>* res,
                      size_t* appended = nullptr, std::string* error = nullptr) {
    std::vector<const ferry_message*> ptrs;
    for (auto& m : msgs) ptrs.push_back(&m.msg);
    res->assign(msgs.size(), FERRY_STRUCT_INIT(ferry_append_result));
    size_t n = 0;
    uint64_t wo = 0;
    ferry_error err;
    ferry_status st = ops->append(inst, ptrs.data(), ptrs.size(), res->data(), &n, &wo, &err);
    if (appended) *appended = n;
    if (error) *error = err.message;
    if (n) host_.publish_write(wo);
    return st;
  }
  std::vector<ferry_append_result> append_ok(const std::vector<OwnedMessage>& msgs) {
    std::vector<ferry_append_result> res;
    std::string e;
    EXPECT_EQ(append(msgs, &res, nullptr, &e), FERRY_OK) << e;
    return res;
  }
  uint64_t max_offset(const std::string& topic, int32_t qid) {
    uint64_t mn = 0, mx = 0;
    ferry_error err;
    EXPECT_EQ(ops->queue_range(inst, sl(topic), qid, &mn, &mx, &err), FERRY_OK);
    return mx;
  }
  bool wait_dispatched(const std::string& topic, int32_t qid, uint64_t n,
                       std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    return test::wait_until([&] { return max_offset(topic, qid) >= n; }, timeout,
                            std::chrono::milliseconds(1));
  }
  Result read(const std::string& topic, int32_t qid, uint64_t off, uint32_t max_count = 32,
              uint32_t max_bytes = 1u << 20, const ferry_read_filter* filter = nullptr) {
    ferry_read_request req = FERRY_STRUCT_INIT(ferry_read_request);
    req.topic = sl(topic);
    req.queue_id = qid;
    req.queue_offset = off;
    req.max_count = max_count;
    req.max_bytes = max_bytes;
    req.filter = filter;
    req.flags = FERRY_READ_MAY_BLOCK;
    Result r;
    ferry_error err;
    EXPECT_EQ(ops->read_queue(inst, &req, &r.r, &err), FERRY_OK) << err.message;
    return r;
  }

  ferry_status create_status = FERRY_E_INTERNAL;
  std::string create_error;
  const ferry_storage_ops* ops = nullptr;
  void* inst = nullptr;
  test::PluginHandle& handle() { return *handle_; }

 private:
  test::FakeHost& host_;
  std::unique_ptr<test::PluginHandle> handle_;
};

}  // namespace ferry::storage_test
