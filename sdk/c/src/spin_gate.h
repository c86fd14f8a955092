#pragma once
// SpinGate: whether a sync send's caller spins (non-blocking reads) for its
// answer on the direct lane before the blocking read, and for how long.
//
// Spinning saves the caller's cross-CPU wake-up when the answer comes
// within the window (on this 2-core VM that wake-up is half of a one-at-a-
// time sync send's time: docs/benchmarks.md, "Session 14 (poll)",
// "Session 20 (spin)"), and wastes the whole window when it comes later —
// e.g. a broker that answers after an fsync (~ms). So the gate keeps a
// cheap estimate per lane: an exponentially weighted share of recent
// answers that arrived inside the window (a spin that caught it, or a
// blocking read that returned within it). It spins while that share is at
// least a half; below, the caller blocks at once, and one send in
// `probe_every` still spins so that answers turning quick again are seen
// (a probe that catches its answer turns spinning back on; the gap doubles
// after each probe that missed, up to kProbeMax, so a slow broker costs
// one window per kProbeMax sends).
//
// No clock, no allocation: the caller measures. Not thread-safe: one per
// lane, used under the lane's mutex.
#include <algorithm>
#include <cstdint>

namespace ferry::sdk {

class SpinGate {
 public:
  static constexpr uint32_t kOne = 256;        // the share in 1/256ths
  static constexpr uint32_t kOn = kOne / 2;    // spin while share >= a half
  static constexpr uint32_t kProbeMin = 16;    // sends between probes while off
  static constexpr uint32_t kProbeMax = 1024;

  // window_us = 0: never spin. adaptive = false: always spin window_us
  // (busy_poll_us, set by the user: a fixed window as before).
  SpinGate(uint32_t window_us, bool adaptive) : window_us_(window_us), adaptive_(adaptive) {}

  // The spin window for the next answer, µs (0 = block at once).
  uint32_t next_window() {
    probing_ = false;
    if (window_us_ == 0 || !adaptive_ || share_ >= kOn) return window_us_;
    if (++skipped_ < probe_every_) return 0;
    skipped_ = 0;
    probing_ = true;
    return window_us_;
  }

  // The answer to the send next_window() was asked for arrived (was read)
  // elapsed_us after its request was written. Not called for a send that
  // got no answer (lost, timed out): that says nothing about the broker's
  // pace.
  void record(uint64_t elapsed_us) {
    if (!adaptive_ || window_us_ == 0) return;
    bool hit = elapsed_us <= window_us_;
    share_ = hit ? share_ + ((kOne - share_) >> 2) : share_ - (share_ >> 2);
    if (probing_) {
      // A probe that caught its answer turns spinning back on at once (the
      // blocking reads in between, slowed by their own wake-up, rarely
      // land inside the window); one that missed waits twice as long.
      if (hit) share_ = std::max(share_, kOn);
      probe_every_ = hit ? kProbeMin : std::min(probe_every_ * 2, kProbeMax);
    }
    probing_ = false;
  }

  uint32_t window_us() const { return window_us_; }
  uint32_t share() const { return share_; }
  bool spinning() const { return window_us_ > 0 && (!adaptive_ || share_ >= kOn); }
  uint32_t probe_every() const { return probe_every_; }

 private:
  uint32_t window_us_;
  bool adaptive_;
  uint32_t share_ = kOne;  // start spinning: most brokers answer a sync send quickly
  uint32_t skipped_ = 0;   // sends without a spin since the last probe
  uint32_t probe_every_ = kProbeMin;
  bool probing_ = false;
};

}  // namespace ferry::sdk
