# Warning flags for eddy's own targets (not for consumers of the library).
add_library(eddy_warnings INTERFACE)
target_compile_options(eddy_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wcast-align -Wunused -Wconversion
  -Wsign-conversion -Wnull-dereference -Wdouble-promotion -Wformat=2
  -Wimplicit-fallthrough
  # C++ only: the compat layer and its tests have C sources too.
  $<$<COMPILE_LANGUAGE:CXX>:-Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual>)
# GCC 12 at -O3 reports -Wrestrict for ordinary std::string concatenation
# ("a" + std::string), a false positive (GCC bug 105651): off for GCC < 13.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  target_compile_options(eddy_warnings INTERFACE -Wno-restrict)
endif()
if(EDDY_WERROR)
  target_compile_options(eddy_warnings INTERFACE -Werror)
endif()
