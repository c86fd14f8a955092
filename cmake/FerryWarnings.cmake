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
