#pragma once
// The two runs ferry-bench makes. Each returns its exit code (docs/tools.md)
// after printing its summary.
#include "options.h"

namespace ferry::bench {

int run_produce(const Options& o);
int run_consume(const Options& o);

}  // namespace ferry::bench
