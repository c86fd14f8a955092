// libFuzzer target for the /metrics request-head parser: any bytes, any
// limit, never a crash, an out-of-bounds read or a view outside the input;
// an accepted head always lies within the input and the limit.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "http/http_request.h"

namespace {

bool inside(std::string_view part, std::string_view whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  // The first byte picks the limit, so small limits get exercised too.
  size_t limit = 16 + static_cast<size_t>(data[0]) * 32;
  std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  ferry::http::Request r;
  std::string why;
  auto s = ferry::http::parse_request(in, limit, &r, &why);
  if (s == ferry::http::ParseStatus::kOk) {
    if (r.head_bytes > in.size() || r.head_bytes > limit) std::abort();
    if (!inside(r.method, in) || !inside(r.target, in) || !inside(r.path, in)) std::abort();
    if (r.target.empty() || r.target.front() != '/') std::abort();
  } else if (s != ferry::http::ParseStatus::kIncomplete && why.empty()) {
    std::abort();  // every refusal says why
  }
  return 0;
}
