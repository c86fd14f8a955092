#pragma once
// The client key thread_policy: the scheduling policy of libferry's own
// threads (ferry-io, ferry-callback). "batch" = SCHED_BATCH: on Linux's fair
// class a waking SCHED_BATCH thread never preempts the running one (it runs
// when that one sleeps, at the tick, or on an idle CPU), so the I/O thread a
// broker's socket write wakes does not cut into the broker's loop on a
// machine whose cores client and broker share (docs/benchmarks.md,
// "Session 19 (sched)").
namespace ferry::sdk {

enum class ThreadPolicy { kNormal, kBatch };

// Sets the calling thread's policy (nice kept); 0 or the errno of a refusal.
// kNormal touches nothing.
int apply_thread_policy(ThreadPolicy p);

}  // namespace ferry::sdk
