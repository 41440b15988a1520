#!/usr/bin/env bash
# memcached_dropin.sh DROPIN_DIR THREADS
#
# Runs Debian's memcached, unmodified and linked against Debian's libevent,
# on the libevent-2.1.so.7 found in DROPIN_DIR (through LD_LIBRARY_PATH),
# and checks that it behaves: memccapable's protocol tests all pass, a short
# memcslap load completes with every key found, and SIGTERM stops it in
# time. memcached inherits EDDY_BACKEND, so ctest runs this once per
# backend.
#
# Exit status: 0 passed, 1 failed, 77 skipped (a tool or the drop-in is
# missing), 2 usage error.
#
# Environment (set by ctest, all optional):
#   EDDY_DROPIN_SANITIZE=ON  the drop-in is built with ASan and UBSan: their
#                            runtimes are preloaded into memcached, which is
#                            not instrumented itself
#   EDDY_DROPIN_CC           the compiler the drop-in was built with, asked
#                            where those runtimes are (default: cc)
set -u

readonly memcached=/usr/bin/memcached
readonly start_timeout_s=20 # generous: under ASan the start is slower
readonly stop_timeout_s=10
readonly capable_timeout_s=60
readonly slap_timeout_s=60

say() { printf 'memcached_dropin: %s\n' "$*"; }
fail() {
  say "FAIL: $*"
  exit 1
}
skip() {
  say "SKIP: $*"
  exit 77
}

if [[ $# -ne 2 || ! $2 =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: $0 DROPIN_DIR THREADS" >&2
  exit 2
fi
dropin_dir=$1
threads=$2

[[ -x $memcached ]] || skip "$memcached is not installed (Debian package memcached)"
for tool in memccapable memcslap; do
  command -v "$tool" >/dev/null || skip "$tool is not installed (Debian package libmemcached-tools)"
done
[[ -e $dropin_dir/libevent-2.1.so.7 ]] ||
  skip "no libevent-2.1.so.7 in '$dropin_dir' (is the drop-in built? target eddy_event_dropin)"
dropin_dir=$(realpath "$dropin_dir")

# shellcheck source=../../support/listen_port.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../support/listen_port.sh"

work=$(mktemp -d "${TMPDIR:-/tmp}/memcached_dropin.XXXXXX") || fail "mktemp"
server_pid=
cleanup() {
  # Always, whatever failed: no memcached may outlive the test.
  if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -KILL "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

show_log() {
  say "memcached output ($work/memcached.log):"
  sed 's/^/  | /' "$work/memcached.log" 2>/dev/null
}

# What memcached gets in addition to the test's own environment.
server_env=("LD_LIBRARY_PATH=$dropin_dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}")
if [[ ${EDDY_DROPIN_SANITIZE:-OFF} == ON ]]; then
  # An instrumented library in an uninstrumented program: the ASan runtime
  # has to come first in the library list, or ASan refuses to start.
  cc=${EDDY_DROPIN_CC:-cc}
  asan=$("$cc" -print-file-name=libasan.so 2>/dev/null)
  ubsan=$("$cc" -print-file-name=libubsan.so 2>/dev/null)
  [[ -e $asan && -e $ubsan ]] ||
    skip "EDDY_SANITIZE build, but '$cc' does not know where libasan.so and libubsan.so are, which memcached needs preloaded"
  server_env+=("LD_PRELOAD=$(realpath "$asan"):$(realpath "$ubsan")")
  # Leaks would be memcached's own (it frees little at exit), not the
  # drop-in's; everything else ASan and UBSan find still fails the test.
  server_env+=("ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0")
  say "sanitizer build: preloading $(realpath "$asan") and $(realpath "$ubsan")"
fi

user_args=()
if [[ $(id -u) -eq 0 ]]; then
  # memcached refuses to run as root without -u.
  if id nobody >/dev/null 2>&1; then user_args=(-u nobody); else user_args=(-u root); fi
fi

# Whether memcached has exited. kill -0 succeeds on a zombie, hence the
# state check; and bash may reap it between the two, when /proc has no
# entry for it any more. So "true" is certain, "false" is not: only ever
# used to stop waiting early, never to conclude it is still running.
exited() {
  ! kill -0 "$server_pid" 2>/dev/null || [[ $(awk '{ print $3 }' "/proc/$server_pid/stat" 2>/dev/null) == Z ]]
}

can_connect() {
  timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

# A port nobody uses right now; another process may still take it before
# memcached binds it, so a start that fails with "Address already in use"
# is retried on another one.
port=
for attempt in 1 2 3 4 5; do
  candidate=$(listen_port_candidate) || fail "no local TCP port is free below the ephemeral range"
  env "${server_env[@]}" "$memcached" -l 127.0.0.1 -p "$candidate" -U 0 -t "$threads" -m 1024 "${user_args[@]}" \
    >"$work/memcached.log" 2>&1 &
  server_pid=$!
  deadline=$((SECONDS + start_timeout_s))
  while ((SECONDS < deadline)); do
    exited && break
    if can_connect "$candidate"; then
      port=$candidate
      break
    fi
    sleep 0.1
  done
  [[ -n $port ]] && break
  if ((SECONDS >= deadline)); then
    show_log
    fail "memcached (pid $server_pid) did not accept connections on port $candidate within ${start_timeout_s}s"
  fi
  wait "$server_pid"
  status=$?
  server_pid=
  if ! grep -q "Address already in use" "$work/memcached.log"; then
    show_log
    fail "memcached exited with status $status before listening"
  fi
  say "port $candidate was taken meanwhile; trying another"
done
[[ -n $port ]] || fail "found no free port in 5 attempts"
say "memcached pid $server_pid on 127.0.0.1:$port, $threads thread(s), EDDY_BACKEND=${EDDY_BACKEND:-<unset>}"

# The drop-in must be what is mapped, not the system's libevent: a wrong
# LD_LIBRARY_PATH or a missing soname would otherwise pass silently.
expected=$(realpath "$dropin_dir/libevent-2.1.so.7")
mapped=$(awk '$6 ~ /\/libevent[^\/]*\.so/ { print $6 }' "/proc/$server_pid/maps" | sort -u)
[[ -n $mapped ]] || fail "no libevent mapped in memcached (/proc/$server_pid/maps)"
say "libevent mapped: $(echo $mapped)"
grep -qxF "$expected" <<<"$mapped" || fail "libevent-2.1.so.7 mapped is not the drop-in's ($expected)"
while read -r path; do
  found=0
  for candidate in "$dropin_dir"/*; do
    [[ $(realpath "$candidate") == "$path" ]] && found=1 && break
  done
  ((found)) || fail "memcached also maps $path, which is not from $dropin_dir"
done <<<"$mapped"

if [[ ${EDDY_DROPIN_SANITIZE:-OFF} == ON ]]; then
  grep -q '/libasan\.so' "/proc/$server_pid/maps" || fail "the ASan runtime is not mapped in memcached despite LD_PRELOAD"
fi

# memccapable: every ASCII and binary protocol test must pass. It exits 0
# even in some failure modes, so its per-test lines are checked as well.
say "memccapable -h 127.0.0.1 -p $port -t 5"
timeout "$capable_timeout_s" memccapable -h 127.0.0.1 -p "$port" -t 5 >"$work/capable.log" 2>&1
status=$?
sed 's/^/  | /' "$work/capable.log"
((status != 124)) || fail "memccapable did not finish within ${capable_timeout_s}s"
((status == 0)) || fail "memccapable exited with status $status"
grep -q '^All tests passed' "$work/capable.log" || fail "memccapable did not report 'All tests passed'"
passed=$(grep -c '\[pass\]$' "$work/capable.log")
results=$(grep -cE '\[[a-zA-Z]+\]$' "$work/capable.log")
((passed > 0 && passed == results)) || fail "memccapable: only $passed of $results tests passed"
say "memccapable: $passed of $results tests passed"

# memcslap: a short load on several connections at once. It exits 0 even
# when it could not connect, so what it reports is checked instead: the
# number of keys it got through, and no error lines.
slap() {
  local test=$1 concurrency=$2 count=$3
  shift 3
  local expected_keys=$((concurrency * count))
  say "memcslap --test=$test --concurrency=$concurrency --execute-number=$count $*"
  timeout "$slap_timeout_s" memcslap --servers="127.0.0.1:$port" --test="$test" --concurrency="$concurrency" \
    --execute-number="$count" "$@" >"$work/slap.log" 2>&1
  local status=$?
  grep -v 'NOT FOUND' "$work/slap.log" | sed 's/^/  | /'
  ((status != 124)) || fail "memcslap $test did not finish within ${slap_timeout_s}s"
  ((status == 0)) || fail "memcslap $test exited with status $status"
  local misses
  misses=$(grep -c 'NOT FOUND' "$work/slap.log")
  ((misses == 0)) || fail "memcslap $test: $misses keys not found (first: $(grep -m1 'NOT FOUND' "$work/slap.log"))"
  if grep -qiE 'error|failure|fail' "$work/slap.log"; then
    fail "memcslap $test reported errors"
  fi
  grep -qE "^Time to $test +$expected_keys keys by +$concurrency threads" "$work/slap.log" ||
    fail "memcslap $test did not report $expected_keys keys done by $concurrency threads"
}
slap set 4 10000
slap get 4 10000
slap mget 2 5000
slap get 4 5000 --binary

if exited; then
  show_log
  fail "memcached died during the load"
fi

# SIGTERM: memcached notices it on its next clock tick (a 1 s timer event
# on the loop), so this also checks that timers fire on the drop-in.
# A watchdog kills it if it overstays; `wait` then gives its real status,
# which no polling of /proc could race with.
stop_start=$(date +%s%N)
kill -TERM "$server_pid"
(
  trap 'kill "$sleeper" 2>/dev/null; exit 0' TERM
  sleep "$stop_timeout_s" &
  sleeper=$!
  wait "$sleeper"
  touch "$work/stop-timed-out"
  kill -KILL "$server_pid" 2>/dev/null
) >/dev/null 2>&1 &
watchdog=$!
wait "$server_pid"
status=$?
server_pid=
kill -TERM "$watchdog" 2>/dev/null
wait "$watchdog" 2>/dev/null
show_log
[[ ! -e $work/stop-timed-out ]] || fail "memcached still running ${stop_timeout_s}s after SIGTERM (killed)"
say "memcached exited $((($(date +%s%N) - stop_start) / 1000000)) ms after SIGTERM, status $status"
if grep -qE 'ERROR: AddressSanitizer|runtime error:|ERROR: LeakSanitizer' "$work/memcached.log"; then
  fail "a sanitizer reported an error in memcached (output above)"
fi
((status == 0)) || fail "memcached exited with status $status after SIGTERM (expected 0)"
say "PASS ($threads thread(s), EDDY_BACKEND=${EDDY_BACKEND:-<unset>})"
