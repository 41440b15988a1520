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

configure_file(cmake/eddy.pc.in ${PROJECT_BINARY_DIR}/eddy.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/eddy.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

if(EDDY_BUILD_APPS)
  install(TARGETS eddy-echo RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
