#pragma once
// GET /metrics from a broker's metrics server on 127.0.0.1:port, for tests
// that read counters the way a Prometheus scraper would.
#include <string>

namespace ferry::test {

// The whole HTTP answer (headers included), or "" when nothing answered.
// Connection: close; every wait bounded (5 s).
std::string scrape_metrics(int port);

}  // namespace ferry::test
