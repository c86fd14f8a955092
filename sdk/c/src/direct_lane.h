#pragma once
// DirectLane: a blocking connection to one broker that a sync send drives
// from the caller's own thread — one write and one blocking read per send,
// as a ping-pong does. Handing a sync send to the I/O thread and back costs
// two thread wake-ups more than that, and on a 2-core VM the wake-ups, not
// the work, are what a one-at-a-time sync send spends its time on
// (docs/benchmarks.md, "Session 7 (sync)").
//
// The lane carries only requests the producer sends while it has nothing
// else in flight, so it never reorders a send against an earlier one; the
// I/O thread's connection keeps heartbeats, async sends and everything else.
//
// Not thread-safe: its owner serialises calls (one round trip at a time).
#include <ferry/net/frame.h>

#include <sys/types.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "spin_gate.h"

namespace ferry::sdk {

class DirectLane {
 public:
  // An answer is awaited with non-blocking reads for up to the gate's
  // window before the blocking read (no sleep, no wake-up when it comes in
  // time): sync_direct_spin_us, adaptive; or busy_poll_us, fixed. The
  // default gate never spins.
  explicit DirectLane(std::string addr, SpinGate gate = SpinGate(0, false))
      : addr_(std::move(addr)), gate_(gate) {}
  ~DirectLane() { close(); }
  DirectLane(const DirectLane&) = delete;
  DirectLane& operator=(const DirectLane&) = delete;

  enum class Result {
    kAnswered,  // *answer holds the response
    kNotSent,   // nothing was written (no connection): safe to send elsewhere
    kLost,      // the connection broke after the request was written: outcome unknown
    kTimedOut,  // no answer by the deadline (the lane is closed: a late answer is dropped)
  };

  // Sends one request (header + attachment in one write) and reads its
  // answer, connecting first if needed (bounded by connect_timeout_ms and
  // the deadline, both steady-clock ms). On kAnswered *answer views the
  // lane's read buffer, valid until the next call. *why says what failed.
  Result round_trip(uint32_t code, std::span<const uint8_t> payload, std::span<const uint8_t> attachment,
                    uint64_t deadline_ms, uint32_t connect_timeout_ms, net::FrameView* answer, std::string* why);

  // Connects now unless open (bounded as round_trip's connect), so the first
  // round trip does not pay for it (ferry_producer_prepare).
  bool open_now(uint64_t deadline_ms, uint32_t connect_timeout_ms, std::string* why);
  void close();
  bool open() const { return fd_ >= 0; }
  const SpinGate& gate() const { return gate_; }
  const std::string& address() const { return addr_; }

 private:
  bool connect(uint64_t deadline_ms, std::string* why);
  // A lane idle for a while may have been closed by the broker (restart):
  // check without blocking before writing to it, so a send is not lost to a
  // connection that was already gone.
  bool still_open();
  Result read_answer(uint64_t request_id, uint64_t deadline_ms, net::FrameView* answer, std::string* why);

  // One read of the answer: non-blocking until spin_until_ns (steady
  // clock; 0 = no spin), then blocking.
  ssize_t read_some(uint8_t* p, size_t n, int64_t spin_until_ns);

  std::string addr_;
  SpinGate gate_;
  int fd_ = -1;
  uint64_t next_id_ = 1;
  uint64_t last_used_ms_ = 0;
  std::vector<uint8_t> header_;  // the request's prefix + envelope
  std::vector<uint8_t> buf_;     // read buffer; answers are decoded in place
  size_t have_ = 0;              // bytes in buf_
  size_t consumed_ = 0;          // bytes of buf_ the previous answer occupied
  net::FrameDecoder decoder_;
};

}  // namespace ferry::sdk
