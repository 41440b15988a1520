#!/bin/sh
# check_determinism.sh BUILD-DIR [RUNS]
# Runs every libevent variant of the differential cases RUNS times (default
# 10) on both of libevent's backends and reports any case whose stdout or
# exit status changes between runs: a case must be deterministic for the
# comparison with eddy to mean anything.
set -u
build=${1:?usage: $0 BUILD-DIR [RUNS]}
runs=${2:-10}
dir=$build/tests/compat/diff
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
bad=0
for bin in "$dir"/diff_*_libevent; do
  name=$(basename "$bin" _libevent)
  name=${name#diff_}
  for backend in epoll poll; do
    i=0
    while [ $i -lt "$runs" ]; do
      if [ $backend = poll ]; then
        env EVENT_NOEPOLL=1 "$bin" >"$tmp/out" 2>/dev/null
      else
        env -u EVENT_NOEPOLL "$bin" >"$tmp/out" 2>/dev/null
      fi
      echo "exit status $?" >>"$tmp/out"
      if [ $i -eq 0 ]; then
        cp "$tmp/out" "$tmp/first"
      elif ! cmp -s "$tmp/first" "$tmp/out"; then
        echo "NOT DETERMINISTIC: $name ($backend), run $i:"
        diff -u "$tmp/first" "$tmp/out"
        bad=1
      fi
      i=$((i + 1))
    done
    echo "$name ($backend): $runs runs, $(tail -n 1 "$tmp/first")"
  done
done
exit $bad
