#!/usr/bin/env bash
# Usage: three_libraries.sh DROPIN_DIR PROGRAM
# Runs PROGRAM (three_libraries.c, linked against Debian's libevent_core,
# libevent_extra and libevent_pthreads) on eddy's drop-ins and checks that
# each of its libevent symbols resolved to eddy's libevent_core-2.1.so.7 and
# that its timer fired. 77 (skipped) when the drop-ins are not built.
set -euo pipefail
dropin_dir=$1 program=$2
core=$dropin_dir/libevent_core-2.1.so.7
for lib in "$core" "$dropin_dir/libevent_extra-2.1.so.7" "$dropin_dir/libevent_pthreads-2.1.so.7"; do
  [ -f "$lib" ] || { echo "no $lib: skipped"; exit 77; }
done
output=$(LD_LIBRARY_PATH=$dropin_dir timeout 20 "$program")
echo "$output"
status=0
while read -r symbol origin; do
  [ "$symbol" = timer ] && continue
  if [ "$(readlink -f "$origin")" != "$(readlink -f "$core")" ]; then
    echo "FAIL: $symbol came from $origin, not eddy's $core"
    status=1
  fi
done <<<"$output"
grep -qx "timer fired" <<<"$output" || { echo "FAIL: the timer did not fire"; status=1; }
exit $status
