# Sourced by run-echo.sh and run-tests.sh: makes sure the Debian packages
# eddy needs are installed, then configures a CMake preset if needed.

eddy_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Everything the build, the tests and the benchmarks need, as Debian 12
# package names. libevent-dev is the oracle of the compat layer's
# differential tests; memcached and libmemcached-tools (memccapable,
# memcslap) and tmux run Debian's own programs on eddy's drop-in libevent;
# valgrind runs the memcheck fault test; clang and libclang-rt-14-dev build the
# libFuzzer fuzzers (scripts/run-fuzzers.sh); python3 is the foreign process
# with SO_REUSEPORT in the port-sharing tests (tests/apps/echo_port_test.cpp).
# dpkg-dev (dpkg-source), make and zlib1g-dev build libevent's own
# test/regress from Debian's source package (compat/conformance/run.sh;
# with zlib its bufferevent filter tests are built too, as upstream's).
eddy_packages=(cmake ninja-build g++ pkgconf libgtest-dev libgmock-dev libbenchmark-dev libcli11-dev
  libevent-dev memcached libmemcached-tools tmux valgrind clang libclang-rt-14-dev python3
  dpkg-dev make zlib1g-dev liburing-dev)

eddy_install_packages() {
  local missing=() pkg
  for pkg in "${eddy_packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q '^install ok installed$'; then
      missing+=("$pkg")
    fi
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "eddy: missing Debian packages; install them with:" >&2
    echo "  sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
  echo "eddy: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  # A fresh machine may have empty package lists; update only when needed.
  if ! apt-get install -y --no-install-recommends "${missing[@]}"; then
    apt-get update
    apt-get install -y --no-install-recommends "${missing[@]}"
  fi
}

# eddy_configure PRESET: configures build/PRESET once; later runs reuse it
# (CMake re-runs itself when a CMakeLists.txt changes).
eddy_configure() {
  local preset=$1
  if [ ! -f "$eddy_root/build/$preset/build.ninja" ]; then
    (cd "$eddy_root" && cmake --preset "$preset" >/dev/null)
  fi
}
