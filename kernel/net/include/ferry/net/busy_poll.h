#pragma once
// run_loop: uv_run(UV_RUN_DEFAULT) with an opt-in, bounded busy-poll.
//
// On a VM whose cross-CPU wake-ups are slow, a request/answer exchange spends
// most of its time waking a thread that slept in epoll_wait. With
// busy_poll_us > 0, a loop turn that was woken by a descriptor (a socket,
// another thread's uv_async_send) is followed by polling the loop's epoll fd
// without sleeping; each ready poll runs one uv_run(UV_RUN_NOWAIT) turn and
// restarts the window, and busy_poll_us without any event sends the loop back
// to a blocking turn. A turn woken by its timer does not start a window, so
// an idle loop sleeps as before. 0 = plain uv_run(UV_RUN_DEFAULT).
//
// Timers that fall due inside a window run in it (the loop's time is updated
// on every poll) but do not extend it: a repeating timer shorter than the
// window must not keep an idle loop polling. uv_stop() ends only the current turn, not run_loop (no
// caller of ours uses it).
#include <uv.h>

#include <cstdint>

namespace ferry::net {

// Largest accepted busy_poll_us (config keys range-check against it).
inline constexpr uint32_t kMaxBusyPollUs = 10'000;

// [the loop's thread] Runs loop until it has no active handles or requests;
// returns what uv_run returns. May block.
int run_loop(uv_loop_t* loop, uint32_t busy_poll_us);

}  // namespace ferry::net
