// SpinGate (sdk/c/src/spin_gate.h): a direct lane spins for its answer
// while recent answers came inside the window, blocks at once after a run
// of late ones (a broker that answers after an fsync), probes now and then
// with a gap that doubles while probes miss, and spins again once a probe
// catches its answer. busy_poll_us's fixed window and 0 (off) never adapt.
#include <gtest/gtest.h>

#include "../../sdk/c/src/spin_gate.h"

namespace ferry::sdk::test {
namespace {

constexpr uint32_t kWindow = 50;
constexpr uint64_t kQuick = 20;    // µs: inside the window
constexpr uint64_t kLate = 2000;   // µs: an fsync later

// Sends until the gate spins again; returns how many sends that took
// (each answered late unless it was the probe, answered as `probe_answer`).
int sends_until_probe(SpinGate& g, uint64_t probe_answer, int limit = 5000) {
  for (int i = 1; i <= limit; ++i) {
    uint32_t w = g.next_window();
    g.record(w > 0 ? probe_answer : kLate);
    if (w > 0) return i;
  }
  return -1;
}

TEST(SdkSpinGate, QuickAnswersKeepItSpinning) {
  SpinGate g(kWindow, true);
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(kWindow, g.next_window()) << "send " << i;
    g.record(kQuick);
  }
  // An occasional late answer (a page fault, a preemption) does not stop it.
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(kWindow, g.next_window()) << "send " << i;
    g.record(i % 4 == 0 ? kLate : kQuick);
  }
}

TEST(SdkSpinGate, LateAnswersStopTheSpinWithinAFewSends) {
  SpinGate g(kWindow, true);
  int spun = 0;
  for (int i = 0; i < 10; ++i) {
    if (g.next_window() > 0) ++spun;
    g.record(kLate);
  }
  EXPECT_LE(spun, 3) << "a sync-flush broker's late answers must stop the spin";
  EXPECT_FALSE(g.spinning());
  // An answer exactly at the window's end counts as inside it.
  SpinGate edge(kWindow, true);
  for (int i = 0; i < 50; ++i) {
    ASSERT_EQ(kWindow, edge.next_window());
    edge.record(kWindow);
  }
}

TEST(SdkSpinGate, ProbesBackOffWhileTheyMissAndAQuickProbeResumes) {
  SpinGate g(kWindow, true);
  for (int i = 0; i < 10; ++i) {
    g.next_window();
    g.record(kLate);
  }
  ASSERT_FALSE(g.spinning());
  // Off: one send in 16 probes (counted from the last spin), then 32, 64,
  // ... up to 1024.
  EXPECT_LE(sends_until_probe(g, kLate), static_cast<int>(SpinGate::kProbeMin));
  EXPECT_EQ(static_cast<int>(2 * SpinGate::kProbeMin), sends_until_probe(g, kLate));
  EXPECT_EQ(static_cast<int>(4 * SpinGate::kProbeMin), sends_until_probe(g, kLate));
  for (int i = 0; i < 10; ++i) sends_until_probe(g, kLate);
  EXPECT_EQ(SpinGate::kProbeMax, g.probe_every());
  EXPECT_EQ(static_cast<int>(SpinGate::kProbeMax), sends_until_probe(g, kLate));
  // Answers are quick again: the next probe catches one and the gate spins
  // from then on, with the probe gap back at its minimum.
  EXPECT_EQ(static_cast<int>(SpinGate::kProbeMax), sends_until_probe(g, kQuick));
  EXPECT_TRUE(g.spinning());
  EXPECT_EQ(SpinGate::kProbeMin, g.probe_every());
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(kWindow, g.next_window()) << "send " << i;
    g.record(kQuick);
  }
}

TEST(SdkSpinGate, BlockingReadsInsideTheWindowTurnItBackOn) {
  SpinGate g(kWindow, true);
  for (int i = 0; i < 10; ++i) {
    g.next_window();
    g.record(kLate);
  }
  ASSERT_FALSE(g.spinning());
  // Answers that a blocking read returned within the window (wake-up
  // included) were quick: a few of them and the gate spins again.
  int sends = 0;
  while (!g.spinning() && sends < 10) {
    g.next_window();
    g.record(kQuick);
    ++sends;
  }
  EXPECT_TRUE(g.spinning());
  EXPECT_LE(sends, 5);
}

TEST(SdkSpinGate, FixedWindowAndOffNeverAdapt) {
  SpinGate fixed(200, false);  // busy_poll_us=200
  SpinGate off(0, true);       // sync_direct_spin_us=0
  for (int i = 0; i < 2000; ++i) {
    ASSERT_EQ(200u, fixed.next_window());
    fixed.record(kLate);
    ASSERT_EQ(0u, off.next_window());
    off.record(kQuick);
  }
  EXPECT_TRUE(fixed.spinning());
  EXPECT_FALSE(off.spinning());
}

}  // namespace
}  // namespace ferry::sdk::test
