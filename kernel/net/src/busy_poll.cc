#include "ferry/net/busy_poll.h"

#include <poll.h>

namespace ferry::net {
namespace {

// A spin of at most window_ns after the last descriptor event: 0 when the
// loop is no longer alive. A ready descriptor runs one non-blocking turn and
// restarts the window; a due timer or pending callbacks (write completions)
// run one too but do not restart it, so a repeating timer shorter than the
// window cannot keep an idle loop polling. No sched_yield() or pause
// between polls: on this 2-vCPU VM a yield per empty poll measured ~20 %
// fewer workload-1 sends (docs/benchmarks.md, session 14 poll); the poll()
// syscall itself already gives the kernel a chance to switch.
int spin(uv_loop_t* loop, uint64_t window_ns) {
  pollfd p{uv_backend_fd(loop), POLLIN, 0};
  uint64_t until = uv_hrtime() + window_ns;
  for (;;) {
    uv_update_time(loop);
    p.revents = 0;
    const bool ready = ::poll(&p, 1, 0) > 0;
    if (ready || uv_backend_timeout(loop) == 0) {
      if (uv_run(loop, UV_RUN_NOWAIT) == 0) return 0;
      if (ready) until = uv_hrtime() + window_ns;
      continue;
    }
    if (uv_hrtime() >= until) return 1;
  }
}

}  // namespace

int run_loop(uv_loop_t* loop, uint32_t busy_poll_us) {
  if (busy_poll_us == 0) return uv_run(loop, UV_RUN_DEFAULT);
  const uint64_t window_ns = static_cast<uint64_t>(busy_poll_us) * 1000;
  for (;;) {
    // The turn's epoll timeout as uv_run will compute it: a turn that ends
    // sooner was woken by a descriptor, not by its timer (epoll_wait never
    // returns before its timeout otherwise); -1 = no timer, only a
    // descriptor ends the wait. 0 = it does not wait (a due timer, pending
    // callbacks): no window opens after it.
    uv_update_time(loop);
    const int timeout_ms = uv_backend_timeout(loop);
    const uint64_t before = uv_hrtime();
    if (uv_run(loop, UV_RUN_ONCE) == 0) return 0;
    const bool woken = timeout_ms < 0 || (timeout_ms > 0 && uv_hrtime() - before <
                                                                 static_cast<uint64_t>(timeout_ms) * 1'000'000);
    if (woken && spin(loop, window_ns) == 0) return 0;
  }
}

}  // namespace ferry::net
