# Warnings and sanitizers applied to every project target (not to dependencies).
add_library(ferry_warnings INTERFACE)
target_compile_options(ferry_warnings INTERFACE
  -Wall -Wextra -Wpedantic
  # -Wshadow=local is GCC's; clang (asan/tsan/fuzz presets) has no such option.
  $<$<COMPILE_LANG_AND_ID:CXX,GNU>:-Wshadow=local>
  $<$<COMPILE_LANG_AND_ID:C,GNU>:-Wshadow=local>
  $<$<COMPILE_LANGUAGE:CXX>:-Wnon-virtual-dtor>
  $<$<COMPILE_LANGUAGE:CXX>:-Wno-missing-field-initializers>
  $<$<BOOL:${FERRY_WERROR}>:-Werror>)
if(FERRY_SANITIZE)
  add_compile_options(-fsanitize=${FERRY_SANITIZE} -fno-omit-frame-pointer)
  add_link_options(-fsanitize=${FERRY_SANITIZE})
endif()
# The fuzz tree instruments every project source for coverage, not only the
# fuzz targets' own files: -fsanitize=fuzzer on a target covers that target's
# sources alone, so a fuzzer linking the code under test from a library saw
# only its harness's edges and could not steer into the parser at all.
option(FERRY_FUZZ_COVERAGE "Coverage-instrument all project code for libFuzzer (clang)" OFF)
if(FERRY_FUZZ_COVERAGE AND CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
