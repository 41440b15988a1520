#!/usr/bin/env bash
# valgrind memcheck of eddy-echo through a mixed load (issue 7, "Leaks"):
# the server runs under memcheck while eddy-load drives ping-pong,
# pipelined and bulk traffic at it and a perl client connects, sends and
# resets, all at once for a few seconds; then SIGTERM. Passes only when
# eddy-load verified every echo, eddy-echo exited 0, and valgrind reports no
# error and nothing definitely or indirectly lost.
#
# usage: memcheck.sh EDDY_ECHO EDDY_LOAD     (ctest: faults.memcheck, label valgrind)
# exit:  0 pass, 1 fail, 77 skipped (no valgrind on PATH)
set -u

echo_bin=${1:?usage: memcheck.sh EDDY_ECHO EDDY_LOAD}
load_bin=${2:?usage: memcheck.sh EDDY_ECHO EDDY_LOAD}
load_seconds=3

if ! command -v valgrind >/dev/null 2>&1; then
  echo "memcheck: valgrind is not on PATH: skipped"
  exit 77
fi

# shellcheck source=../support/listen_port.sh
source "$(dirname "${BASH_SOURCE[0]}")/../support/listen_port.sh"

work=$(mktemp -d)
server_pid=
cleanup() {
  if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -KILL "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
  fi
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "memcheck: FAIL: $*"
  for f in "$work"/*.log "$work"/*.err "$work"/*.out; do
    [[ -s $f ]] && { echo "---- $(basename "$f")"; tail -n 40 "$f"; }
  done
  exit 1
}

# Start eddy-echo under valgrind on a free port (retry when the port was
# taken between choosing and binding it).
port=
for attempt in 1 2 3 4 5; do
  candidate=$(listen_port_candidate) || fail "no local TCP port is free below the ephemeral range"
  : >"$work/echo.err"
  valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
    --log-file="$work/valgrind.log" \
    "$echo_bin" --bind 127.0.0.1 --port "$candidate" --threads 2 --shutdown-timeout 5 \
    --backend "${EDDY_BACKEND:-epoll}" 2>"$work/echo.err" &
  server_pid=$!
  for _ in $(seq 300); do  # up to 30 s: valgrind starts slowly
    grep -q "listening on" "$work/echo.err" && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  if grep -q "listening on" "$work/echo.err"; then
    port=$candidate
    break
  fi
  wait "$server_pid" 2>/dev/null
  server_pid=
  grep -q "Address already in use" "$work/echo.err" || fail "eddy-echo did not start under valgrind"
done
[[ -n $port ]] || fail "no free port after 5 attempts"
echo "memcheck: eddy-echo under valgrind on 127.0.0.1:$port"

load() {  # load NAME ARGS...: one eddy-load run, JSON on NAME.out
  local name=$1
  shift
  "$load_bin" --port "$port" --duration "$load_seconds" --connect-timeout 10000 --json "$@" \
    >"$work/$name.out" 2>"$work/$name.err"
}

# Clients that connect, send 32 KiB without reading, and reset (SO_LINGER
# {1, 0}), so that the server meets ECONNRESET/EPIPE with output queued.
resetting_clients() {
  perl -MSocket -e '
    $SIG{PIPE} = "IGNORE";
    my ($port, $count) = @ARGV;
    my $addr = pack_sockaddr_in($port, inet_aton("127.0.0.1"));
    my $done = 0;
    for (1 .. $count) {
      socket(my $s, PF_INET, SOCK_STREAM, 0) or die "socket: $!";
      connect($s, $addr) or die "connect: $!";
      send($s, "r" x 32768, 0);
      setsockopt($s, SOL_SOCKET, SO_LINGER, pack("ii", 1, 0)) or die "setsockopt: $!";
      close($s);
      $done++;
      select(undef, undef, undef, 0.05);
    }
    print "$done\n";
  ' "$port" 40 >"$work/resets.out" 2>"$work/resets.err"
}

load pingpong -c 8 -d 1 -s 64 &
p1=$!
load pipelined -c 4 -d 16 -s 512 &
p2=$!
load bulk -c 1 -d 2 -s 1048576 &
p3=$!
resetting_clients &
p4=$!
status=0
for p in $p1 $p2 $p3 $p4; do
  wait "$p" || status=1
done
[[ $status -eq 0 ]] || fail "a load run failed"
for name in pingpong pipelined bulk; do
  grep -q '"errors":{"connect":0,"reset":0,"mismatch":0,"timeout":0}' "$work/$name.out" ||
    fail "eddy-load $name reported errors: $(cat "$work/$name.out")"
  messages=$(sed -n 's/.*"messages":\([0-9]*\).*/\1/p' "$work/$name.out")
  [[ ${messages:-0} -gt 0 ]] || fail "eddy-load $name got no echo back"
  echo "FIGURE faults.memcheck ${name}_messages=$messages"
done
echo "FIGURE faults.memcheck resetting_clients=$(cat "$work/resets.out")"

kill -TERM "$server_pid"
for _ in $(seq 300); do
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
kill -0 "$server_pid" 2>/dev/null && fail "eddy-echo still running 30 s after SIGTERM"
wait "$server_pid"
rc=$?
server_pid=
[[ $rc -eq 0 ]] || fail "eddy-echo under valgrind exited with $rc (99: valgrind found errors)"

log=$work/valgrind.log
errors=$(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$log" | tail -n 1)
[[ $errors == 0 ]] || fail "valgrind: ${errors:-no} ERROR SUMMARY"
if ! grep -q "All heap blocks were freed" "$log"; then
  grep -q "definitely lost: 0 bytes" "$log" || fail "valgrind: memory definitely lost"
  grep -q "indirectly lost: 0 bytes" "$log" || fail "valgrind: memory indirectly lost"
fi
echo "FIGURE faults.memcheck valgrind_errors=$errors"
grep -E "in use at exit|definitely lost|indirectly lost|possibly lost|All heap blocks" "$log" | sed 's/^==[0-9]*== */memcheck: /'
echo "memcheck: PASS"
