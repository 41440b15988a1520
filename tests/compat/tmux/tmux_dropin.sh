#!/usr/bin/env bash
# tmux_dropin.sh DROPIN_DIR
#
# Runs Debian's tmux, unmodified and linked against Debian's
# libevent_core-2.1.so.7, on the libevent_core-2.1.so.7 found in DROPIN_DIR
# (through LD_LIBRARY_PATH): starts a detached session running sh on a
# private socket, checks that the tmux server maps the drop-in, types a
# command into the pane and waits for its output to show in the pane, then
# stops the server with kill-server. The server inherits EDDY_BACKEND, so
# ctest runs this once per backend.
#
# Exit status: 0 passed, 1 failed, 77 skipped (tmux or the drop-in is
# missing), 2 usage error.
#
# Environment (set by ctest, all optional):
#   EDDY_DROPIN_SANITIZE=ON  the drop-in is built with ASan and UBSan: their
#                            runtimes are preloaded into tmux, which is not
#                            instrumented itself
#   EDDY_DROPIN_CC           the compiler the drop-in was built with, asked
#                            where those runtimes are (default: cc)
set -u

readonly tmux=/usr/bin/tmux
readonly library=libevent_core-2.1.so.7
readonly start_timeout_s=10
readonly output_timeout_s=10
readonly stop_timeout_s=10

say() { printf 'tmux_dropin: %s\n' "$*"; }
fail() {
  say "FAIL: $*"
  exit 1
}
skip() {
  say "SKIP: $*"
  exit 77
}

if [[ $# -ne 1 ]]; then
  echo "usage: $0 DROPIN_DIR" >&2
  exit 2
fi
dropin_dir=$1

[[ -x $tmux ]] || skip "$tmux is not installed (Debian package tmux)"
ldd "$tmux" 2>/dev/null | grep -q "^[[:space:]]*$library " ||
  skip "$tmux is not linked against $library (ldd $tmux), so the drop-in would not replace anything"
[[ -e $dropin_dir/$library ]] || skip "no $library in '$dropin_dir' (is the drop-in built? target eddy_event_dropin)"
dropin_dir=$(realpath "$dropin_dir")

work=$(mktemp -d "${TMPDIR:-/tmp}/tmux_dropin.XXXXXX") || fail "mktemp"
mkdir -p "$work/home" "$work/tmp"
readonly socket=$work/sock
server_pid=

# Processes that are not our children: their exit is seen as the /proc
# entry going away or turning into a zombie (a container's init may never
# reap it).
gone() {
  ! kill -0 "$1" 2>/dev/null || [[ $(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) == Z ]]
}
descendants() {
  local child
  for child in $(cat "/proc/$1/task/"*/children 2>/dev/null); do
    echo "$child"
    descendants "$child"
  done
}
cleanup() {
  # Always, whatever failed: no tmux server and no pane may outlive the test.
  if [[ -z $server_pid && -S $socket ]]; then
    run_tmux kill-server >/dev/null 2>&1
  fi
  if [[ -n $server_pid ]] && ! gone "$server_pid"; then
    local stray
    stray=$(descendants "$server_pid")
    kill -KILL "$server_pid" $stray 2>/dev/null
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# Everything tmux gets: a private home and socket directory, no config, a
# known terminal, no TMUX (which would make it refuse to nest when the test
# runs inside tmux), and the drop-in first in the library path.
tmux_env=(
  -u TMUX
  "HOME=$work/home" "TMUX_TMPDIR=$work/tmp" "TMPDIR=$work/tmp" TERM=xterm SHELL=/bin/sh
  "LD_LIBRARY_PATH=$dropin_dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
)
if [[ ${EDDY_DROPIN_SANITIZE:-OFF} == ON ]]; then
  # An instrumented library in an uninstrumented program: the ASan runtime
  # has to come first in the library list, or ASan refuses to start. The
  # server daemonizes with its stderr on /dev/null, so reports go to files.
  cc=${EDDY_DROPIN_CC:-cc}
  asan=$("$cc" -print-file-name=libasan.so 2>/dev/null)
  ubsan=$("$cc" -print-file-name=libubsan.so 2>/dev/null)
  [[ -e $asan && -e $ubsan ]] ||
    skip "EDDY_SANITIZE build, but '$cc' does not know where libasan.so and libubsan.so are, which tmux needs preloaded"
  # Leaks would be tmux's own (it frees little at exit), not the drop-in's.
  tmux_env+=(
    "LD_PRELOAD=$(realpath "$asan"):$(realpath "$ubsan")"
    "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0:log_path=$work/asan"
    "UBSAN_OPTIONS=${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}print_stacktrace=1:log_path=$work/ubsan"
  )
  say "sanitizer build: preloading $(realpath "$asan") and $(realpath "$ubsan")"
fi

run_tmux() {
  timeout "$start_timeout_s" env "${tmux_env[@]}" "$tmux" -S "$socket" -f /dev/null "$@"
}

sanitizer_reports() {
  cat "$work"/asan.* "$work"/ubsan.* 2>/dev/null
}

say "tmux $("$tmux" -V | awk '{ print $2 }') on $dropin_dir/$library, EDDY_BACKEND=${EDDY_BACKEND:-<unset>}"
if ! run_tmux new-session -d -x 80 -y 24 'sh' >"$work/new.log" 2>&1; then
  sed 's/^/  | /' "$work/new.log"
  sanitizer_reports
  fail "tmux new-session failed"
fi
server_pid=$(run_tmux display-message -p '#{pid}' 2>"$work/display.log")
[[ $server_pid =~ ^[0-9]+$ ]] || fail "no server pid from display-message: '$server_pid' $(cat "$work/display.log")"
say "tmux server pid $server_pid"

# The drop-in must be what is mapped, not the system's libevent: a wrong
# LD_LIBRARY_PATH or a missing soname would otherwise pass silently.
expected=$(realpath "$dropin_dir/$library")
mapped=$(awk '$6 ~ /\/libevent[^\/]*\.so/ { print $6 }' "/proc/$server_pid/maps" | sort -u)
[[ -n $mapped ]] || fail "no libevent mapped in the tmux server (/proc/$server_pid/maps)"
say "libevent mapped: $(echo $mapped)"
grep -qxF "$expected" <<<"$mapped" || fail "the $library mapped is not the drop-in's ($expected)"
while read -r path; do
  found=0
  for candidate in "$dropin_dir"/*; do
    [[ $(realpath "$candidate") == "$path" ]] && found=1 && break
  done
  ((found)) || fail "the tmux server also maps $path, which is not from $dropin_dir"
done <<<"$mapped"
if [[ ${EDDY_DROPIN_SANITIZE:-OFF} == ON ]]; then
  grep -q '/libasan\.so' "/proc/$server_pid/maps" || fail "the ASan runtime is not mapped in the tmux server despite LD_PRELOAD"
fi

# The pane's shell computes the answer, so the text typed (which shows in
# the pane too) cannot match by itself.
run_tmux send-keys 'echo eddy-$((6*7))' Enter || fail "tmux send-keys failed"
deadline=$((SECONDS + output_timeout_s))
until run_tmux capture-pane -p >"$work/pane.txt" 2>&1 && grep -qx 'eddy-42' "$work/pane.txt"; do
  if ((SECONDS >= deadline)); then
    say "pane contents:"
    awk 'NF { last = NR } { line[NR] = $0 } END { for (i = 1; i <= last; ++i) print "  | " line[i] }' "$work/pane.txt"
    fail "the pane did not show eddy-42 within ${output_timeout_s}s"
  fi
  gone "$server_pid" && fail "the tmux server died"
  sleep 0.1
done
say "the pane shows eddy-42"

run_tmux kill-server || fail "tmux kill-server failed"
deadline=$((SECONDS + stop_timeout_s))
until gone "$server_pid"; do
  ((SECONDS < deadline)) || fail "the tmux server is still running ${stop_timeout_s}s after kill-server"
  sleep 0.1
done
server_pid=
say "the tmux server exited after kill-server"

if [[ -n $(sanitizer_reports) ]]; then
  sanitizer_reports
  fail "a sanitizer reported an error in tmux (above)"
fi
say "PASS (EDDY_BACKEND=${EDDY_BACKEND:-<unset>})"
