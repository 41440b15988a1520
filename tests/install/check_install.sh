#!/usr/bin/env bash
# Usage: check_install.sh [--compat] TEMP_DIR SOURCE_DIR CXX CC
#
# Does what README.md tells a user who wants only the library, in a build of
# its own under TEMP_DIR (it uses nothing another build produced):
#  1. configures SOURCE_DIR with the `lib` preset (tests, benchmarks,
#     programs and compat off), GoogleTest, Google Benchmark and CLI11
#     hidden from find_package (a REQUIRED find of one fails the configure),
#     and fails if the configure looked for any of them, for libevent or for
#     pkg-config: a library user has none of them;
#  2. builds it, installs it into a fresh prefix, and checks that the prefix
#     holds exactly the library, its headers, its CMake package and eddy.pc;
#  3. builds tests/install/consumer against the prefix with CMake
#     (find_package(eddy CONFIG)) and with pkg-config (eddy.pc); each
#     consumer must print "eddy consumer OK: backend=<epoll|poll>
#     version=<project version>".
# With --compat it then turns EDDY_BUILD_COMPAT on in the same build, checks
# the configure again, installs into a second prefix, checks that exactly
# the compat layer's files were added, and builds and runs
# tests/install/consumer/event_consumer.c with
# `CC prog.c $(pkg-config --cflags --libs eddy-event)`.
set -euo pipefail

compat=false
if [[ ${1:-} == --compat ]]; then
  compat=true
  shift
fi
if [[ $# -ne 4 ]]; then
  echo "usage: $0 [--compat] TEMP_DIR SOURCE_DIR CXX CC" >&2
  exit 2
fi
temp_dir=$1
source_dir=$2
cxx=$3
cc=$4

version=$(sed -n 's/^project(eddy VERSION \([0-9][0-9.]*\).*/\1/p' "$source_dir/CMakeLists.txt")
if [[ -z $version ]]; then
  echo "cannot read the project version from $source_dir/CMakeLists.txt" >&2
  exit 1
fi
expected="^eddy consumer OK: backend=(epoll|poll) version=${version//./\\.}\$"

mkdir -p "$temp_dir"
work=$(mktemp -d "$temp_dir/install-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
build=$work/build
# The preset's generator is Ninja; a machine without it still has make.
generator=Ninja
command -v ninja >/dev/null || generator="Unix Makefiles"

# check_configure: fails if the configure of $build looked for a package
# that only the tests, benchmarks or programs need (find_package and
# pkg_check_modules leave their results in the cache, found or not).
check_configure() {
  local looked
  looked=$(grep -iE '^[a-z0-9_]*(gtest|gmock|benchmark|cli11|libevent|pkg_config)[a-z0-9_]*:' \
    "$build/CMakeCache.txt" | grep -v '^CMAKE_DISABLE_FIND_PACKAGE_' || true)
  if [[ -n $looked ]]; then
    echo "FAIL (configure): a library-only configure looked for packages it does not need:" >&2
    echo "$looked" >&2
    return 1
  fi
}

# cache_value NAME: the value of NAME in $build's cache.
cache_value() {
  sed -n "s/^$1:[A-Z]*=//p" "$build/CMakeCache.txt"
}

# expected_files WITH_COMPAT: what an install must hold, one path a line,
# relative to the prefix.
expected_files() {
  local libdir includedir file
  libdir=$(cache_value CMAKE_INSTALL_LIBDIR)
  includedir=$(cache_value CMAKE_INSTALL_INCLUDEDIR)
  echo "$libdir/libeddy.a"
  (cd "$source_dir/include" && find eddy -name '*.hpp') | sed "s|^|$includedir/|"
  echo "$includedir/eddy/version.hpp"
  for file in eddyConfig.cmake eddyConfigVersion.cmake eddyTargets.cmake eddyTargets-release.cmake; do
    echo "$libdir/cmake/eddy/$file"
  done
  echo "$libdir/pkgconfig/eddy.pc"
  if [[ $1 == true ]]; then
    (cd "$source_dir/compat/include" && find . -type f) | sed "s|^\./|$includedir/eddy-event/|"
    for file in libeddy_event.a libeddy_event.so libeddy_event.so.0 "libeddy_event.so.$version" \
      pkgconfig/eddy-event.pc eddy/libevent-dropin/libevent-2.1.so.7 eddy/libevent-dropin/libevent_core-2.1.so.7 \
      eddy/libevent-dropin/libevent_extra-2.1.so.7 eddy/libevent-dropin/libevent_pthreads-2.1.so.7; do
      echo "$libdir/$file"
    done
  fi
}

# check_contents PREFIX WITH_COMPAT: PREFIX holds exactly the expected files.
check_contents() {
  local difference
  if ! difference=$(diff <(expected_files "$2" | sort) <(cd "$1" && find . -type f -o -type l | sed 's|^\./||' | sort)); then
    echo "FAIL (contents): $1 differs from what it should hold ('<' missing, '>' unexpected):" >&2
    echo "$difference" >&2
    return 1
  fi
  echo "ok (contents): $1 holds the $(expected_files "$2" | wc -l) files it should"
}

# check_output WHAT COMMAND...: runs a built consumer and checks the line it
# prints.
check_output() {
  local what=$1 output status=0
  shift
  output=$("$@") || status=$?
  if [[ $status -ne 0 ]]; then
    echo "FAIL ($what): '$*' exited with status $status; it printed: $output" >&2
    return 1
  fi
  if ! grep -Eq "$expected" <<<"$output"; then
    echo "FAIL ($what): expected a line matching '$expected', got: $output" >&2
    return 1
  fi
  echo "ok ($what): $output"
}

echo "== library-only configure and build ($generator)"
cmake -S "$source_dir" --preset lib -B "$build" -G "$generator" --no-warn-unused-cli \
  -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_C_COMPILER="$cc" \
  -DCMAKE_DISABLE_FIND_PACKAGE_GTest=ON -DCMAKE_DISABLE_FIND_PACKAGE_benchmark=ON \
  -DCMAKE_DISABLE_FIND_PACKAGE_CLI11=ON
check_configure
cmake --build "$build" -j 2
prefix=$work/prefix
cmake --install "$build" --prefix "$prefix"
check_contents "$prefix" false

echo "== consumer with find_package(eddy CONFIG)"
cmake -S "$source_dir/tests/install/consumer" -B "$work/cmake-build" -G "$generator" \
  -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release
found_dir=$(sed -n 's/^eddy_DIR:PATH=//p' "$work/cmake-build/CMakeCache.txt")
if [[ $found_dir != "$prefix"/* ]]; then
  echo "FAIL (cmake): find_package found eddy in '$found_dir', not under $prefix" >&2
  exit 1
fi
cmake --build "$work/cmake-build"
check_output cmake "$work/cmake-build/consumer"

echo "== consumer with pkg-config"
pc_dir=$prefix/$(cache_value CMAKE_INSTALL_LIBDIR)/pkgconfig
# PKG_CONFIG_LIBDIR as well, so that no eddy.pc outside the prefix is seen.
export PKG_CONFIG_PATH=$pc_dir PKG_CONFIG_LIBDIR=$pc_dir
pc_flags=$(pkg-config --cflags --libs eddy)
echo "pkg-config --cflags --libs eddy: $pc_flags"
# shellcheck disable=SC2086 # the flags are meant to be split into words
"$cxx" -std=c++20 "$source_dir/tests/install/consumer/main.cpp" $pc_flags -o "$work/pkg-config-consumer"
check_output pkg-config "$work/pkg-config-consumer"

if [[ $compat == false ]]; then
  exit 0
fi

echo "== library and compat layer: configure, build, install"
cmake "$build" -DEDDY_BUILD_COMPAT=ON
check_configure
cmake --build "$build" -j 2
prefix=$work/prefix-compat
cmake --install "$build" --prefix "$prefix"
check_contents "$prefix" true

echo "== libevent-style C consumer with pkg-config eddy-event"
pc_libdir=$prefix/$(cache_value CMAKE_INSTALL_LIBDIR)
export PKG_CONFIG_PATH=$pc_libdir/pkgconfig PKG_CONFIG_LIBDIR=$pc_libdir/pkgconfig
event_flags=$(pkg-config --cflags --libs eddy-event)
echo "pkg-config --cflags --libs eddy-event: $event_flags"
# shellcheck disable=SC2086 # the flags are meant to be split into words
"$cc" "$source_dir/tests/install/consumer/event_consumer.c" $event_flags -o "$work/event-consumer"
# pkg-config adds no run path: the shared libeddy_event is found the way a
# user would point the loader at it.
output=$(env "LD_LIBRARY_PATH=$pc_libdir" "$work/event-consumer")
if ! grep -Eq '^eddy-event consumer OK: method=(epoll|poll)$' <<<"$output"; then
  echo "FAIL (eddy-event): got: $output" >&2
  exit 1
fi
loaded=$(env "LD_LIBRARY_PATH=$pc_libdir" ldd "$work/event-consumer" | awk '/libeddy_event/ {print $3}')
if [[ -z $loaded || $(readlink -f "$(dirname "$loaded")") != $(readlink -f "$pc_libdir") ]]; then
  echo "FAIL (eddy-event): the consumer loads '$loaded', not the libeddy_event of $pc_libdir" >&2
  exit 1
fi
echo "ok (eddy-event): $output"
