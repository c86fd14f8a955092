#pragma once
// The mmaplog engine in-process, without a host: a temp dir, a FaultIo, a
// manual clock and VISIBLE == WRITE (async flush, no replication), so
// recovery, fault and retention tests can reopen and damage the files.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "fault_io.h"
#include "ferry_test/child_process.h"
#include "ferry_test/temp_dir.h"
#include "store.h"
#include "storage_test_util.h"

namespace ferry::storage_test {

struct Harness {
  test::TempDir tmp{"ferry-mmaplog"};
  std::shared_ptr<mmaplog::FaultIo> io = std::make_shared<mmaplog::FaultIo>();
  mmaplog::Options opt;
  // Starts at the real time: retention compares it with file mtimes.
  std::atomic<int64_t> now{std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count()};
  std::vector<std::string> logs;
  std::mutex log_mu;
  std::unique_ptr<mmaplog::Store> store;
  std::string open_error;

  Harness() {
    opt.dir = tmp.str() + "/store";
    opt.segment_size = 64 * 1024;
    opt.max_message_size = 16 * 1024;
    opt.prefault_window = 16 * 1024;
    opt.queue_file_entries = 16;
    opt.max_mapped_queue_files = 32;
    opt.index_slots = 64;
    opt.index_entries = 256;
    opt.housekeeping_interval_ms = 3'600'000;  // tests checkpoint explicitly
    opt.store_host.assign("\x0a\0\0\x01", 4);
    opt.store_port = 10911;
  }
  ~Harness() { store.reset(); }

  mmaplog::Env env() {
    mmaplog::Env e;
    e.now_ms = [this] { return now.load(); };
    e.visible = nullptr;  // VISIBLE == WRITE
    e.log = [this](ferry_log_level, const std::string& t) {
      std::lock_guard lk(log_mu);
      logs.push_back(t);
    };
    return e;
  }
  ferry_status open(bool start = true) {
    store.reset();
    ferry_status st = mmaplog::Store::open(opt, io, env(), &store, &open_error);
    if (st == FERRY_OK && start) store->start();
    return st;
  }
  void open_ok(bool start = true) { ASSERT_EQ(open(start), FERRY_OK) << open_error; }
  // Crash: no sync, no checkpoint, abort marker left.
  void crash() {
    if (store) store->abandon();
    store.reset();
  }
  void close() { store.reset(); }
  bool logged(const std::string& needle) {
    std::lock_guard lk(log_mu);
    for (auto& l : logs)
      if (l.find(needle) != std::string::npos) return true;
    return false;
  }

  ferry_status append(const std::vector<OwnedMessage>& msgs, std::vector<ferry_append_result>* res,
                      size_t* appended = nullptr, std::string* error = nullptr) {
    std::vector<const ferry_message*> ptrs;
    for (auto& m : msgs) ptrs.push_back(&m.msg);
    res->assign(msgs.size(), FERRY_STRUCT_INIT(ferry_append_result));
    size_t n = 0;
    uint64_t wo = 0;
    std::string e;
    ferry_status st = store->append(ptrs.data(), ptrs.size(), res->data(), &n, &wo, &e);
    if (appended) *appended = n;
    if (error) *error = e;
    return st;
  }
  std::vector<ferry_append_result> append_ok(const std::vector<OwnedMessage>& msgs) {
    std::vector<ferry_append_result> res;
    std::string e;
    EXPECT_EQ(append(msgs, &res, nullptr, &e), FERRY_OK) << e;
    return res;
  }
  bool wait_dispatched(uint64_t upto = UINT64_MAX) {
    if (upto == UINT64_MAX) upto = store->write_offset();
    return test::wait_until([&] { return store->dispatched_offset() >= upto; },
                            std::chrono::seconds(10), std::chrono::milliseconds(1));
  }
  Result read(const std::string& topic, int32_t qid, uint64_t off, uint32_t max_count = 1000) {
    ferry_read_request req = FERRY_STRUCT_INIT(ferry_read_request);
    req.topic = sl(topic);
    req.queue_id = qid;
    req.queue_offset = off;
    req.max_count = max_count;
    req.max_bytes = 64u << 20;
    req.flags = FERRY_READ_MAY_BLOCK;
    Result r;
    std::string e;
    EXPECT_EQ(store->read_queue(req, &r.r, &e), FERRY_OK) << e;
    return r;
  }
  std::string segment_path(uint64_t base) const {
    return opt.dir + "/commitlog/" + mmaplog::Segment::file_name(base);
  }
  // Overwrite bytes of a file in place.
  static void poke(const std::string& path, uint64_t off, const std::string& bytes) {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    ASSERT_TRUE(f.good()) << path;
    f.seekp(static_cast<std::streamoff>(off));
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  static std::string peek(const std::string& path, uint64_t off, size_t n) {
    std::ifstream f(path, std::ios::binary);
    f.seekg(static_cast<std::streamoff>(off));
    std::string s(n, '\0');
    f.read(s.data(), static_cast<std::streamsize>(n));
    return s;
  }
};

inline std::vector<OwnedMessage> messages(const std::string& topic, int32_t qid, int n,
                                          size_t body_len = 100, const std::string& prefix = "m") {
  std::vector<OwnedMessage> v;
  for (int i = 0; i < n; ++i) {
    std::string b = prefix + std::to_string(i);
    b.resize(std::max(body_len, b.size()), '.');
    v.emplace_back(topic, qid, b);
  }
  return v;
}

}  // namespace ferry::storage_test
