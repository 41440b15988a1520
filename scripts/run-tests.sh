#!/usr/bin/env bash
# Installs what is missing, then builds and runs the whole test suite twice:
# in the release build and in the ASan+UBSan build. Each run covers both
# backends (every loop and network test is registered once per backend).
# After the release build's tests, libevent's own regression suite runs on
# eddy (compat/conformance/run.sh; EDDY_CONFORMANCE=0 skips it), and
# eddy-echo's instructions per message are held to a ceiling
# (bench/instructions/ceiling.sh). Then the tests that cross threads run
# under ThreadSanitizer (EDDY_TSAN=0 skips them), and the libFuzzer fuzzers
# for EDDY_FUZZ_SECONDS each (default 30; 0 skips them;
# docs/reliability.md). Extra arguments go to ctest, e.g.
# scripts/run-tests.sh -R Timer
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

eddy_install_packages
jobs=$(nproc)
for preset in release asan; do
  echo "== $preset build ==" >&2
  eddy_configure "$preset"
  cmake --build --preset "$preset" -j "$jobs"
  (cd "$eddy_root" && ctest --preset "$preset" -j "$jobs" "$@")
  # libevent's own test/regress on the release build's drop-in and compat
  # headers (docs/compat.md); EDDY_CONFORMANCE=0 leaves it out.
  if [ "$preset" = release ] && [ "${EDDY_CONFORMANCE:-1}" != 0 ]; then
    "$eddy_root/compat/conformance/run.sh" "$eddy_root/build/release"
  fi
  # eddy-echo's instructions per message against the committed ceiling
  # (bench/instructions/ceiling.txt): counts are exact, unlike times.
  if [ "$preset" = release ]; then
    "$eddy_root/bench/instructions/ceiling.sh" "$eddy_root/build/release"
  fi
done
# ThreadSanitizer: the tests that cross threads (the tsan preset's filter),
# built alone (target eddy_thread_tests), then libevent's own thread group
# compiled with ThreadSanitizer against that build. Extra arguments are for
# the full runs above, not this one. EDDY_TSAN=0 leaves it out.
if [ "${EDDY_TSAN:-1}" != 0 ]; then
  echo "== tsan build (tests that cross threads) ==" >&2
  eddy_configure tsan
  cmake --build --preset tsan -j "$jobs" --target eddy_thread_tests
  (cd "$eddy_root" && ctest --preset tsan -j "$jobs")
  if [ "${EDDY_CONFORMANCE:-1}" != 0 ]; then
    "$eddy_root/compat/conformance/run.sh" "$eddy_root/build/tsan" --tsan
  fi
fi
fuzz_seconds=${EDDY_FUZZ_SECONDS:-30}
if [ "$fuzz_seconds" != 0 ]; then
  "$eddy_root/scripts/run-fuzzers.sh" "$fuzz_seconds"
fi
echo "eddy: all tests passed (release and asan, epoll and poll; tsan for the tests that cross threads; fuzzers ${fuzz_seconds} s each)" >&2
