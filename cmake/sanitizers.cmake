# EDDY_SANITIZE instruments everything built in this tree (library, apps,
# tests) with ASan + UBSan; UBSan findings abort so that a test fails.
if(EDDY_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
