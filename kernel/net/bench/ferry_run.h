#pragma once
// The Ferry side of the benchmark: a Server on one loop thread answering
// every request at once with its payload, Clients on another loop thread
// keeping `window` requests in flight per connection.
#include <cstddef>

#include "bench_common.h"

namespace ferry::net::bench {

// payload_bytes: request payload (answers echo it). Returns the run; sets
// *frame_bytes to the request frame's size on the wire.
RunResult run_ferry(const Scenario& s, size_t payload_bytes, double seconds, size_t* frame_bytes);

}  // namespace ferry::net::bench
