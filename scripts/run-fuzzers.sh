#!/usr/bin/env bash
# Builds the libFuzzer fuzzers (tests/fuzz/) with Clang, ASan and UBSan in
# build/fuzz, runs each for SECONDS (default 60), and prints one line per
# fuzzer: executions, executions per second, corpus size, and "ok" or the
# file that crashed it. Exits non-zero if any fuzzer crashed, leaked or
# timed out (an input running over 10 s), with the commands that reproduce
# it.
#
# Each fuzzer starts from a copy of its seed corpus tests/fuzz/corpus/NAME
# in build/fuzz/corpus-work/NAME and keeps what it finds there across runs;
# nothing is written into tests/. A crash worth keeping becomes a
# regression test by adding the (minimized) input to tests/fuzz/corpus/NAME:
# the Fuzz.NAME.replay test of every build replays that directory.
#
#   scripts/run-fuzzers.sh         # 60 s each
#   scripts/run-fuzzers.sh 600     # a longer session
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

seconds=${1:-60}
if ! [[ $seconds =~ ^[0-9]+$ ]] || [ "$seconds" -eq 0 ]; then
  echo "usage: $0 [SECONDS]   (seconds per fuzzer, default 60)" >&2
  exit 2
fi
fuzzers=(buffer_fuzzer tcp_connection_fuzzer compat_event_fuzzer evbuffer_fuzzer)
build=$eddy_root/build/fuzz

eddy_install_packages
start=$SECONDS
if [ ! -f "$build/build.ninja" ]; then
  echo "== configuring $build (clang, libFuzzer, ASan+UBSan) ==" >&2
  CC=clang CXX=clang++ cmake -S "$eddy_root" -B "$build" -G Ninja \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEDDY_BUILD_FUZZERS=ON -DEDDY_BUILD_TESTS=ON \
    -DEDDY_BUILD_BENCH=OFF -DEDDY_BUILD_APPS=OFF >/dev/null
fi
echo "== building ${fuzzers[*]} ==" >&2
cmake --build "$build" -j "$(nproc)" --target "${fuzzers[@]}"
echo "== built in $((SECONDS - start)) s; fuzzing ${seconds} s each ==" >&2

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
failed=()
summary=()
for name in "${fuzzers[@]}"; do
  work=$build/corpus-work/$name
  artifacts=$build/artifacts/$name
  log=$build/logs/$name.log
  mkdir -p "$work" "$artifacts" "$(dirname "$log")"
  cp -n "$eddy_root/tests/fuzz/corpus/$name"/* "$work"/ 2>/dev/null || true
  # Artifacts of an earlier run would read as this run's crash.
  rm -f "$artifacts"/crash-* "$artifacts"/leak-* "$artifacts"/timeout-* "$artifacts"/oom-*
  echo "-- $name: ${seconds} s, log in ${log#"$eddy_root"/}" >&2
  rc=0
  "$build/tests/fuzz/$name" -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$artifacts/" "$work" >"$log" 2>&1 || rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  if [ -z "$runs" ]; then
    runs=$(sed -n 's/^Done \([0-9]*\) runs in .*/\1/p' "$log" | tail -1)
  fi
  secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
  per_second=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  if [ -n "$runs" ] && [ -n "$secs" ] && [ "$secs" -gt 0 ]; then
    per_second=$((runs / secs))
  fi
  corpus=$(find "$work" -maxdepth 1 -type f | wc -l)
  artifact=$(find "$artifacts" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | head -1)
  if [ "$rc" -eq 0 ] && [ -z "$artifact" ]; then
    result=ok
  else
    result=${artifact:-"exit status $rc (see $log)"}
    failed+=("$name")
    {
      echo "!! $name failed: $result"
      grep -m 3 -E 'ERROR: |fuzz check failed|runtime error:|SUMMARY:' "$log" || true
      if [ -n "$artifact" ]; then
        echo "   reproduce:  $build/tests/fuzz/$name $artifact"
        echo "   without libFuzzer:  cmake --build $build --target ${name}_replay && $build/tests/fuzz/${name}_replay $artifact"
        echo "   minimize:   $build/tests/fuzz/$name -minimize_crash=1 -runs=10000 -artifact_prefix=$artifacts/min- $artifact"
      fi
    } >&2
  fi
  summary+=("$(printf '%-24s %10s execs %8s execs/s %6s corpus  %s' "$name" "${runs:-?}" "${per_second:-?}" "$corpus" "$result")")
done

echo "== fuzzing summary (${seconds} s each, $((SECONDS - start)) s in all) =="
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -ne 0 ]; then
  echo "eddy: fuzzers failed: ${failed[*]}" >&2
  exit 1
fi
