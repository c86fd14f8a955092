#pragma once
// The baseline: a plain-socket, single-threaded epoll server and client doing
// the same exchange as the Ferry run (same frame size, same windows, same
// thread layout: one server thread, one client thread), with nothing but
// read/write/parse — the cost floor of the exchange on this machine.
#include <cstddef>

#include "bench_common.h"

namespace ferry::net::bench {

// frame_bytes: size of each request and answer frame on the wire.
RunResult run_plain(const Scenario& s, size_t frame_bytes, double seconds);

}  // namespace ferry::net::bench
