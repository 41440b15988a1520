include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS eddy EXPORT eddyTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY include/eddy DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} FILES_MATCHING PATTERN "*.hpp")
install(FILES ${PROJECT_BINARY_DIR}/generated/include/eddy/version.hpp DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/eddy)

set(eddy_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/eddy)
install(EXPORT eddyTargets NAMESPACE eddy:: DESTINATION ${eddy_cmake_dir})
configure_package_config_file(cmake/eddyConfig.cmake.in ${PROJECT_BINARY_DIR}/eddyConfig.cmake
  INSTALL_DESTINATION ${eddy_cmake_dir})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/eddyConfigVersion.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/eddyConfig.cmake ${PROJECT_BINARY_DIR}/eddyConfigVersion.cmake
  DESTINATION ${eddy_cmake_dir})

# eddy.pc finds its prefix from its own location (${pcfiledir}, which both
# pkg-config and pkgconf define), as eddyConfig.cmake does: the prefix given to
# `cmake --install --prefix` is only known at install time, after this file
# was generated, and the installed tree may be moved. Absolute install
# directories are written as they are.
set(eddy_pc_dir ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
if(IS_ABSOLUTE "${eddy_pc_dir}")
  set(eddy_pc_prefix "${CMAKE_INSTALL_PREFIX}")
else()
  file(RELATIVE_PATH eddy_pc_up "/prefix/${eddy_pc_dir}" "/prefix")
  string(REGEX REPLACE "/$" "" eddy_pc_up "${eddy_pc_up}")
  set(eddy_pc_prefix "\${pcfiledir}/${eddy_pc_up}")
endif()
foreach(dir LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${dir}}")
    set(eddy_pc_${dir} "${CMAKE_INSTALL_${dir}}")
  else()
    set(eddy_pc_${dir} "\${prefix}/${CMAKE_INSTALL_${dir}}")
  endif()
endforeach()
configure_file(cmake/eddy.pc.in ${PROJECT_BINARY_DIR}/eddy.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/eddy.pc DESTINATION ${eddy_pc_dir})

if(EDDY_BUILD_APPS)
  install(TARGETS eddy-echo eddy-load RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()

if(EDDY_BUILD_COMPAT)
  # The compat headers have libevent's names (event.h, event2/...): they go
  # in a directory of their own so they never shadow a real libevent's.
  install(DIRECTORY compat/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/eddy-event)
  install(TARGETS eddy_event eddy_event_shared
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
  install(TARGETS eddy_event_dropin_event eddy_event_dropin_event_core eddy_event_dropin_event_extra
                  eddy_event_dropin_event_pthreads
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}/eddy/libevent-dropin)
  configure_file(cmake/eddy-event.pc.in ${PROJECT_BINARY_DIR}/eddy-event.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/eddy-event.pc DESTINATION ${eddy_pc_dir})
endif()
