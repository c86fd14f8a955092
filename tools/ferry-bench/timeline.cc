#include "timeline.h"

#include <algorithm>
#include <cstdio>

namespace ferry::bench {

void Timeline::enable(size_t capacity) {
  rows_ = std::make_unique<Row[]>(capacity);
  cap_ = capacity;
}

bool Timeline::write(const std::string& path, uint64_t* dropped) const {
  size_t n = n_.load();
  *dropped = n > cap_ ? n - cap_ : 0;
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (!f) return false;
  std::fprintf(f, "send_ns,recv_ns\n");
  for (size_t i = 0, end = std::min(n, cap_); i < end; ++i)
    std::fprintf(f, "%llu,%llu\n", static_cast<unsigned long long>(rows_[i].sent_ns),
                 static_cast<unsigned long long>(rows_[i].recv_ns));
  return std::fclose(f) == 0;
}

}  // namespace ferry::bench
