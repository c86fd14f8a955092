#pragma once
// set_thread_slice: ask the scheduler for a shorter time slice for the
// calling thread (Linux >= 6.12, EEVDF: sched_setattr with SCHED_OTHER and
// sched_runtime = the slice; no privilege needed). A shorter slice gives a
// waking thread an earlier virtual deadline, so on a busy machine a thread on
// the message path (ferryd's loop and dispatcher, libferry's I/O and callback
// threads) is picked sooner instead of waiting behind a CPU-bound thread's
// whole slice. Used by ferryd ([kernel] thread_slice_us, and its plugins'
// path threads through ferry_host_api.thread_on_path) and by libferry
// (client key thread_slice_us). Threads created by a sliced thread inherit
// its slice (the kernel copies the attribute at clone).
#include <cstdint>

namespace ferry::net {

// Accepted range of a custom slice, in microseconds; 0 = the kernel's default.
inline constexpr uint32_t kThreadSliceMinUs = 100;
inline constexpr uint32_t kThreadSliceMaxUs = 100'000;

// True for 0 and for kThreadSliceMinUs..kThreadSliceMaxUs (config checks).
constexpr bool thread_slice_valid(uint64_t us) {
  return us == 0 || (us >= kThreadSliceMinUs && us <= kThreadSliceMaxUs);
}

// [any; applies to the calling thread] slice_us 0 returns the thread to the
// kernel's default slice. The thread's nice value is kept. Returns 0, or the
// errno of a refusal (EINVAL / E2BIG / ENOSYS on kernels without custom
// slices, EPERM under a seccomp policy): the thread keeps running with its
// old slice, and the caller logs once. One syscall; does not block.
int set_thread_slice(uint32_t slice_us);

// The calling thread's slice in nanoseconds as /proc/thread-self/sched
// reports it (se.slice), or 0 when that file has no such line. For tests
// and diagnostics; reads a file.
uint64_t thread_slice_ns();

}  // namespace ferry::net
