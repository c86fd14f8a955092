#pragma once
// GET /metrics from a broker's metrics server on 127.0.0.1:port, for tests
// that read counters the way a Prometheus scraper would.
#include <string>

namespace ferry::test {

// The whole HTTP answer (headers included), or "" when nothing answered.
// Connection: close; every wait bounded (5 s).
std::string scrape_metrics(int port);

// Sum of every series of counter `name` (any labels) in a scrape's text;
// -1 when no series of it is there.
double metric_sum(const std::string& text, const std::string& name);

}  // namespace ferry::test
