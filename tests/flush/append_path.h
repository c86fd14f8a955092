#pragma once
// The kernel's send path, for plugin tests: append under one writer lock
// (the loop's single-writer rule), publish WRITE (which wakes the flush
// plugin), then wait for the ack rule of the fake host.
//
// TestMessage builds messages whose bytes are a pure function of a sequence
// number, so a verifier can tell after a crash whether a record read back is
// byte-identical to what was sent.
#include <ferry/message.h>
#include <ferry/storage.h>

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "ferry_test/fake_host.h"

namespace ferry::test {

class TestMessage {
 public:
  static constexpr const char* kTopic = "FlushCrashTopic";
  // queue_id = seq % queues; body of body_bytes derived from seq.
  TestMessage(uint64_t seq, size_t body_bytes, int32_t queues = 4);
  const ferry_message& view() const { return msg_; }
  uint64_t seq() const { return seq_; }
  static std::vector<unsigned char> expected_body(uint64_t seq, size_t body_bytes);
  // The seq a body was built from, when it is one of ours.
  static std::optional<uint64_t> seq_of(const void* body, size_t len);

 private:
  uint64_t seq_;
  std::vector<unsigned char> body_;
  std::string props_;
  unsigned char host_[4] = {127, 0, 0, 1};
  ferry_message msg_{};
};

struct Sent {
  ferry_status status = FERRY_E_INTERNAL;  // append's, then the ack's
  ferry_append_result result{};
  uint64_t end = 0;  // record end offset (what the ack waits for)
  std::string error;
};

class AppendPath {
 public:
  AppendPath(FakeHost& host, const ferry_storage_ops* ops, void* storage);
  // Append without waiting for the ack. publish = false leaves publishing
  // WRITE to the caller: a loop that appends several sends in one pass
  // publishes once after them, as the kernel posts one on_appended per
  // loop iteration.
  Sent append(const ferry_message& msg, bool publish = true);
  // Append and wait for the ack.
  Sent send(const ferry_message& msg);
  // End the loop turn as the kernel does (storage end_turn, when the storage
  // has it): write what the storage staged, publish the WRITE it returns.
  // The first call lets the storage stage across appends. Returns that WRITE
  // (the storage's write_offset without end_turn).
  uint64_t end_turn(bool publish = true);
  // end_turns: every append(publish = true) ends its own turn (end_turn
  // after it) — a loop turn of one append, with staging on.
  void set_end_turns(bool on) { end_turns_ = on; }

 private:
  FakeHost& host_;
  const ferry_storage_ops* ops_;
  void* storage_;
  std::mutex writer_;
  bool end_turns_ = false;
};

}  // namespace ferry::test
