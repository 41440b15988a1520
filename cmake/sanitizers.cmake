# EDDY_SANITIZE instruments everything built in this tree (library, apps,
# tests) with ASan + UBSan; UBSan findings abort so that a test fails.
if(EDDY_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()

# EDDY_TSAN instruments the tree with ThreadSanitizer instead (it cannot be
# combined with ASan). The `tsan` preset runs the tests that cross threads:
# TcpServer's workers, post(), stats() read from other threads.
option(EDDY_TSAN "Build with ThreadSanitizer" OFF)
if(EDDY_TSAN)
  if(EDDY_SANITIZE)
    message(FATAL_ERROR "EDDY_TSAN and EDDY_SANITIZE cannot be combined: ThreadSanitizer excludes AddressSanitizer")
  endif()
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
endif()
