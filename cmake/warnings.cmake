# Warning flags for eddy's own targets (not for consumers of the library).
add_library(eddy_warnings INTERFACE)
target_compile_options(eddy_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast
  -Wcast-align -Wunused -Woverloaded-virtual -Wconversion -Wsign-conversion
  -Wnull-dereference -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough)
if(EDDY_WERROR)
  target_compile_options(eddy_warnings INTERFACE -Werror)
endif()
