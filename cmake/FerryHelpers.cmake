# `ferry_plugins` builds every plugin (scripts/run-standalone.sh builds it with ferryd).
add_custom_target(ferry_plugins)

# ferry_add_plugin(<kind> <name> SOURCES ... [LIBS ...])
# Builds ferry_<kind>_<name>.so into lib/ferry/plugins (build and install tree alike).
function(ferry_add_plugin kind name)
  cmake_parse_arguments(P "" "" "SOURCES;LIBS" ${ARGN})
  set(target ferry_${kind}_${name})
  add_library(${target} MODULE ${P_SOURCES})
  set_target_properties(${target} PROPERTIES PREFIX ""
    LIBRARY_OUTPUT_DIRECTORY ${FERRY_PLUGIN_OUTPUT_DIR})
  target_link_libraries(${target} PRIVATE ferry::abi ferry_warnings ${P_LIBS})
  # One exported symbol, whatever the plugin's C++ instantiates.
  target_link_options(${target} PRIVATE
    -Wl,--version-script=${PROJECT_SOURCE_DIR}/cmake/ferry_plugin.map)
  # Sanitizer runtimes live in the executable (clang), so a sanitized plugin
  # has undefined __asan_* symbols until it is loaded.
  if(NOT FERRY_SANITIZE)
    target_link_options(${target} PRIVATE -Wl,--no-undefined)
  endif()
  set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS ${PROJECT_SOURCE_DIR}/cmake/ferry_plugin.map)
  install(TARGETS ${target} LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}/ferry/plugins)
  add_dependencies(ferry_plugins ${target})
endfunction()

# ferry_add_test(<name> LABELS <label...> SOURCES ... [LIBS ...] [TIMEOUT s])
# One GoogleTest binary; its cases are discovered at test time (not build time).
function(ferry_add_test name)
  cmake_parse_arguments(T "" "TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE GTest::gtest_main GTest::gmock ferry_warnings ${T_LIBS})
  gtest_discover_tests(${name} DISCOVERY_MODE PRE_TEST
    PROPERTIES LABELS "${T_LABELS}" TIMEOUT ${T_TIMEOUT}
    ENVIRONMENT "FERRY_BUILD_DIR=${CMAKE_BINARY_DIR};FERRY_SOURCE_DIR=${CMAKE_SOURCE_DIR}")
endfunction()
include(GoogleTest)

# ferry_add_fuzz(<name> SOURCES ... LIBS ... [CORPUS dir])
# A libFuzzer target (clang only; a no-op with other compilers) and its ctest
# entry, label `fuzz`: a bounded run (200,000 inputs, fixed seed). New inputs
# go to a work dir in the build tree, never into the committed seed corpus.
function(ferry_add_fuzz name)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    return()
  endif()
  cmake_parse_arguments(F "" "CORPUS" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${F_SOURCES})
  target_compile_options(${name} PRIVATE -fsanitize=fuzzer)
  target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  target_link_libraries(${name} PRIVATE ${F_LIBS} ferry_warnings)
  set(work ${CMAKE_CURRENT_BINARY_DIR}/${name}_work)
  file(MAKE_DIRECTORY ${work})
  add_test(NAME ${name} COMMAND ${name} -runs=200000 -max_len=4096 -seed=1 ${work} ${F_CORPUS})
  set_tests_properties(${name} PROPERTIES LABELS fuzz TIMEOUT 300)
endfunction()
