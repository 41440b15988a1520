# shellcheck shell=bash
# Sourced by run.sh: runs regress's tests, each in a process of its own.
#
# tinytest (libevent's test/tinytest.c) runs the tests named on its command
# line; most fork again per test (TT_FORK), so a crash is reported as a
# failure by the parent. Its exit status is 0 for passed and skipped alike:
# its closing line tells them apart ("1 tests ok.  (0 skipped)", "0 tests
# ok.  (1 skipped)"; a test that is off by default says "DISABLED" and
# counts as skipped, as in libevent's own runs). timeout(1) ends a test that
# hangs; a test that calls a function the loader cannot find fails with
# "symbol lookup error: ... undefined symbol: NAME", noted in the results.

# way_env WAY: the environment a way's binary runs in, as NAME=VALUE words.
declare -A way_env way_bin

# list_tests WAY: the tests WAY's binary has, one a line, --only applied.
list_tests() {
  local way=$1
  env ${way_env[$way]} timeout 20 "${way_bin[$way]}" --list-tests |
    sed -n 's/^    \([^ ]*\).*/\1/p' | { grep -E "^${only:+$only/}" || true; }
}

# run_one DIR TEST: runs TEST alone, leaving DIR/TEST.out and DIR/TEST.rc.
# Run by xargs, so it gets its settings from the environment.
run_one() {
  local dir=$1 name=$2 base rc=0
  base=$dir/${name//\//_}
  # In a subshell, so that the shell's "Segmentation fault" goes to the file.
  (env $RUN_ENV timeout -k 5 "$RUN_TIMEOUT" "$RUN_BIN" "$name") >"$base.out" 2>&1 || rc=$?
  echo "$rc" >"$base.rc"
}
export -f run_one

# outcome BASE: pass, skip, timeout or fail, then a tab and a note.
outcome() {
  local base=$1 rc note
  rc=$(cat "$base.rc")
  if [ "$rc" = 0 ] && grep -q '^1 tests ok\.' "$base.out"; then
    printf 'pass\t\n'
  elif [ "$rc" = 0 ] && grep -q '^0 tests ok\.' "$base.out"; then
    printf 'skip\t\n'
  elif [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
    printf 'timeout\tkilled after %s s\n' "$timeout"
  else
    note=$(grep -m1 -o -E 'undefined symbol: [A-Za-z0-9_]+|ThreadSanitizer: [a-z -]+|FAIL .*|\[Lost connection!\]|No such test' "$base.out" || true)
    note=${note//$tree\//}
    printf 'fail\t%s\n' "${note:-exit status $rc}"
  fi
}

# run_way WAY TESTS OUT: runs the tests listed in file TESTS on WAY,
# $jobs at a time; writes "WAY<tab>TEST<tab>OUTCOME<tab>NOTE" lines to OUT.
run_way() {
  local way=$1 tests=$2 out=$3 dir=$work/runs/$1 name
  rm -rf "$dir"
  mkdir -p "$dir"
  # Variables that steer libevent (EVENT_NOEPOLL, EVENT_DEBUG_MODE, ...)
  # would make the ways differ from what expected-passes.txt records, and
  # LD_BIND_NOW would stop a binary that lacks one symbol from starting.
  RUN_ENV="${way_env[$way]}" RUN_BIN="${way_bin[$way]}" RUN_TIMEOUT=$timeout \
    xargs -a "$tests" -r -P "$jobs" -n 1 env $(compgen -e | grep -E '^(EVENT_.*|LD_BIND_NOW)$' | sed 's/^/-u /') \
    bash -c 'run_one "$0" "$1"' "$dir" 2>"$dir/shell.log"
  while read -r name; do
    printf '%s\t%s\t%s\n' "$way" "$name" "$(outcome "$dir/${name//\//_}")"
  done <"$tests" >"$out"
}

# libevent_objects WAY: the libevent objects WAY's binary would load, as
# "SONAME => PATH" lines (the loader's own answer, LD_TRACE_LOADED_OBJECTS).
libevent_objects() {
  local way=$1
  env ${way_env[$way]} LD_TRACE_LOADED_OBJECTS=1 "${way_bin[$way]}" |
    awk '$1 ~ /^libevent|^libeddy/ { print $1, $2, $3 }'
}

# check_objects WAY DIR...: dies unless every libevent object WAY loads lies
# in one of the DIRs: a run that mixes libevent's objects and eddy's means
# nothing.
check_objects() {
  local way=$1 soname arrow path d ok
  shift
  while read -r soname arrow path; do
    ok=0
    for d in "$@"; do
      [ "$(dirname "$path")" = "$d" ] && ok=1
    done
    [ $ok = 1 ] || die "$way: $soname would load from $path, outside ${*}"
  done < <(libevent_objects "$way")
}
