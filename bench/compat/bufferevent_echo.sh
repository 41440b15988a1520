#!/usr/bin/env bash
# bufferevent_echo.sh [options] EDDY_SERVER LIBEVENT_SERVER EDDY_LOAD
#
# Throughput of examples/bufferevent-echo built on eddy's compat layer
# (EDDY_SERVER, eddy-bufferevent-echo) against the same source built on
# Debian's libevent (LIBEVENT_SERVER, eddy-bufferevent-echo-libevent),
# driven over loopback by eddy-load (EDDY_LOAD, e.g.
# build/release/apps/load/eddy-load). Builds nothing.
#
# Rounds alternate (eddy, libevent, eddy, libevent, ...) so that drift in
# the machine's speed affects both alike; every round starts a fresh server,
# pinned to one CPU, with eddy-load pinned to another. Workloads:
#   W1  50 connections, 64 B messages, depth 1 (ping-pong)
#   W2  50 connections, 64 B messages, depth 16
#   W3  10 connections, 16 KiB messages, depth 4
# Reports each round, then per workload the medians of messages/s, MB/s and
# the server's CPU time per message, and the ratios eddy/libevent (above 1
# is better for eddy in messages/s and MB/s, worse in CPU per message).
#
# Options:
#   --rounds N       rounds per side (default 5)
#   --duration S     seconds measured per run (default 5)
#   --warmup S       seconds of load before measuring (default 1)
#   --server-cpu N   CPU for the server (default 0)
#   --client-cpu N   CPU for eddy-load (default 1)
#
# Not part of ctest: timings need a quiet machine. To check the script
# itself, pass the libevent build as both servers: the ratios should then be
# near 1.
set -u

rounds=5
duration=5
warmup=1
server_cpu=0
client_cpu=1
readonly workloads=("W1 -c 50 -s 64 -d 1" "W2 -c 50 -s 64 -d 16" "W3 -c 10 -s 16384 -d 4")

usage() {
  sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
  exit 2
}
die() {
  echo "bufferevent_echo.sh: $*" >&2
  exit 1
}

while [[ $# -gt 0 ]]; do
  case $1 in
    --rounds) rounds=${2:?}; shift 2 ;;
    --duration) duration=${2:?}; shift 2 ;;
    --warmup) warmup=${2:?}; shift 2 ;;
    --server-cpu) server_cpu=${2:?}; shift 2 ;;
    --client-cpu) client_cpu=${2:?}; shift 2 ;;
    -h | --help) usage ;;
    -*) echo "bufferevent_echo.sh: unknown option $1" >&2; usage ;;
    *) break ;;
  esac
done
[[ $# -eq 3 ]] || usage
declare -A server_bin
for i in 1 2 3; do
  [[ -x ${!i} ]] || die "not an executable: ${!i}"
done
server_bin[eddy]=$(realpath "$1")
server_bin[libevent]=$(realpath "$2")
load=$(realpath "$3")
command -v taskset >/dev/null || die "taskset is not installed (util-linux)"
cpus=$(nproc)
((server_cpu < cpus && client_cpu < cpus)) || die "CPUs $server_cpu and $client_cpu needed, this machine has $cpus"
((server_cpu != client_cpu)) || echo "bufferevent_echo.sh: warning: server and client share CPU $server_cpu" >&2

work=$(mktemp -d "${TMPDIR:-/tmp}/bufferevent_echo_bench.XXXXXX") || die "mktemp"
server_pid=
stop_server() {
  if [[ -n $server_pid ]]; then
    kill -TERM "$server_pid" 2>/dev/null
    for _ in $(seq 50); do
      kill -0 "$server_pid" 2>/dev/null || break
      [[ $(awk '{ print $3 }' "/proc/$server_pid/stat" 2>/dev/null) == Z ]] && break
      sleep 0.1
    done
    kill -KILL "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
    server_pid=
  fi
}
trap 'stop_server; rm -rf "$work"' EXIT
trap 'exit 1' INT TERM HUP

# shellcheck source=../../tests/support/listen_port.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../tests/support/listen_port.sh"

# Starts the `side` server on a free loopback port; sets server_pid and port.
start_server() {
  local side=$1
  for _ in 1 2 3 4 5; do
    port=$(listen_port_candidate) || break
    # Emptied here, not only by the child's redirection, which may come
    # after the first look below and leave it the last round's line.
    : >"$work/server.log"
    taskset -c "$server_cpu" "${server_bin[$side]}" --bind 127.0.0.1 --port "$port" >"$work/server.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 100); do
      if grep -q "listening on" "$work/server.log"; then
        # The CPU time eddy-load reads must be the server's, not taskset's.
        [[ $(realpath "/proc/$server_pid/exe") == "${server_bin[$side]}" ]] ||
          die "pid $server_pid is not ${server_bin[$side]}"
        return 0
      fi
      kill -0 "$server_pid" 2>/dev/null || break
      sleep 0.1
    done
    stop_server
  done
  cat "$work/server.log" >&2
  die "the $side server did not start"
}

# Runs eddy-load with `args`; prints "msgs/s MB/s server-us/msg".
run_load() {
  local limit
  limit=$(awk -v d="$duration" -v w="$warmup" 'BEGIN { printf "%d", d + w + 60 }')
  timeout "$limit" taskset -c "$client_cpu" "$load" --port "$port" "$@" \
    --duration "$duration" --warmup "$warmup" --server-pid "$server_pid" --json >"$work/load.json" 2>"$work/load.err" ||
    die "eddy-load $* failed: $(tail -3 "$work/load.err")"
  local conns open errors
  conns=$(json_number connections)
  open=$(json_number open_connections)
  errors=$(grep -o '"errors":{[^}]*}' "$work/load.json" | grep -o ':[0-9]*' | awk -F: '{ s += $2 } END { print s + 0 }')
  [[ -n $conns && $open == "$conns" && $errors == 0 ]] ||
    die "eddy-load: $open of $conns connections open, $errors errors: $(cat "$work/load.json")"
  echo "$(json_number msgs_per_sec) $(json_number mb_per_sec) $(json_number server_cpu_us_per_msg)"
}

# A top-level number from eddy-load's one-line JSON report.
json_number() { grep -o "\"$1\":[0-9.e+-]*" "$work/load.json" | head -1 | cut -d: -f2; }

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }'; }

echo "eddy:     ${server_bin[eddy]}"
echo "libevent: ${server_bin[libevent]}"
echo "eddy-load: $load; server on CPU $server_cpu, eddy-load on CPU $client_cpu;" \
  "$rounds rounds per side, ${warmup}s warmup + ${duration}s each"
for workload in "${workloads[@]}"; do
  read -r name args <<<"$workload"
  echo
  echo "$name: eddy-load $args"
  printf '%-6s %-9s %12s %10s %14s\n' round side "msgs/s" "MB/s" "server us/msg"
  for side in eddy libevent; do : >"$work/$side.rows"; done
  for round in $(seq "$rounds"); do
    for side in eddy libevent; do
      start_server "$side"
      # shellcheck disable=SC2086 # args holds several options
      row=$(run_load $args) || exit 1
      stop_server
      echo "$row" >>"$work/$side.rows"
      read -r rate mbps cpu <<<"$row"
      printf '%-6s %-9s %12s %10s %14s\n' "$round" "$side" "$rate" "$mbps" "$cpu"
    done
  done
  declare -A med=()
  for side in eddy libevent; do
    for col in 1 2 3; do
      med[$side.$col]=$(cut -d' ' -f"$col" "$work/$side.rows" | median)
    done
    printf 'median %-9s %12s msgs/s %10s MB/s %10s us/msg\n' "$side" "${med[$side.1]}" "${med[$side.2]}" "${med[$side.3]}"
  done
  printf 'eddy/libevent    %12s        %10s      %10s\n' "$(ratio "${med[eddy.1]}" "${med[libevent.1]}")" \
    "$(ratio "${med[eddy.2]}" "${med[libevent.2]}")" "$(ratio "${med[eddy.3]}" "${med[libevent.3]}")"
done
