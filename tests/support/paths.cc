#include "ferry_test/paths.h"

#include <cstdlib>

namespace ferry::test {

std::string build_dir() {
  const char* e = std::getenv("FERRY_BUILD_DIR");
  return e && *e ? e : FERRY_BUILD_DIR_DEFAULT;
}

std::string source_dir() {
  const char* e = std::getenv("FERRY_SOURCE_DIR");
  return e && *e ? e : FERRY_SOURCE_DIR_DEFAULT;
}

}  // namespace ferry::test
