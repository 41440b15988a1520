#!/usr/bin/env bash
# Usage: check_install.sh BUILD_DIR SOURCE_DIR CXX [CC]
#
# Installs BUILD_DIR into a temporary prefix inside it, then builds and runs
# tests/install/consumer against that prefix twice: with CMake
# (find_package(eddy CONFIG)) and with pkg-config (eddy.pc). Each run must
# print "eddy consumer OK: backend=<epoll|poll> version=<project version>".
# With CC, and when the compat layer was built, it also builds the C program
# tests/install/consumer/event_consumer.c with
# `CC prog.c $(pkg-config --cflags --libs eddy-event)`.
set -euo pipefail

if [[ $# -lt 3 || $# -gt 4 ]]; then
  echo "usage: $0 BUILD_DIR SOURCE_DIR CXX [CC]" >&2
  exit 2
fi
build_dir=$1
source_dir=$2
cxx=$3
cc=${4:-}

version=$(sed -n 's/^project(eddy VERSION \([0-9][0-9.]*\).*/\1/p' "$source_dir/CMakeLists.txt")
if [[ -z $version ]]; then
  echo "cannot read the project version from $source_dir/CMakeLists.txt" >&2
  exit 1
fi
expected="^eddy consumer OK: backend=(epoll|poll) version=${version//./\\.}\$"

work=$(mktemp -d "$build_dir/install-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix

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

echo "== cmake --install $build_dir --prefix $prefix"
cmake --install "$build_dir" --prefix "$prefix"

echo "== consumer with find_package(eddy CONFIG)"
cmake -S "$source_dir/tests/install/consumer" -B "$work/cmake-build" -G Ninja \
  -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release
found_dir=$(sed -n 's/^eddy_DIR:PATH=//p' "$work/cmake-build/CMakeCache.txt")
if [[ $found_dir != "$prefix"/* ]]; then
  echo "FAIL (cmake): find_package found eddy in '$found_dir', not under $prefix" >&2
  exit 1
fi
cmake --build "$work/cmake-build"
check_output cmake "$work/cmake-build/consumer"

echo "== consumer with pkg-config"
pc_file=$(find "$prefix" -name eddy.pc -path '*/pkgconfig/*' | head -n 1)
if [[ -z $pc_file ]]; then
  echo "FAIL (pkg-config): no eddy.pc under $prefix" >&2
  exit 1
fi
pc_dir=$(dirname "$pc_file")
# PKG_CONFIG_LIBDIR as well, so that no eddy.pc outside the prefix is seen.
export PKG_CONFIG_PATH=$pc_dir PKG_CONFIG_LIBDIR=$pc_dir
pc_flags=$(pkg-config --cflags --libs eddy)
pc_libdir=$(pkg-config --variable=libdir eddy)
echo "pkg-config --cflags --libs eddy: $pc_flags"
# shellcheck disable=SC2086 # the flags are meant to be split into words
"$cxx" -std=c++20 "$source_dir/tests/install/consumer/main.cpp" $pc_flags -o "$work/pkg-config-consumer"
# pkg-config adds no run path: a shared libeddy in this prefix is found the
# way a user would point the loader at it.
check_output pkg-config env "LD_LIBRARY_PATH=$pc_libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
  "$work/pkg-config-consumer"

if [[ -n $cc && -f $pc_dir/eddy-event.pc ]]; then
  echo "== libevent-style C consumer with pkg-config eddy-event"
  event_flags=$(pkg-config --cflags --libs eddy-event)
  echo "pkg-config --cflags --libs eddy-event: $event_flags"
  # shellcheck disable=SC2086 # the flags are meant to be split into words
  "$cc" "$source_dir/tests/install/consumer/event_consumer.c" $event_flags -o "$work/event-consumer"
  output=$(env "LD_LIBRARY_PATH=$pc_libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$work/event-consumer")
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
fi
