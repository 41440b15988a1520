#!/usr/bin/env bash
# memcached.sh [options] EDDY_DROPIN_DIR
#
# Throughput of Debian's memcached on Debian's libevent against the same
# binary on eddy's drop-in libevent-2.1.so.7 (LD_LIBRARY_PATH=EDDY_DROPIN_DIR),
# measured with memcslap over loopback. Rounds alternate between the two
# (libevent, eddy, libevent, eddy, ...) so that drift in the machine's speed
# affects both alike; every round starts a fresh memcached. The server is
# pinned to one CPU and memcslap to another, so that they do not compete.
#
# Reports, per memcached thread count, each round's ops/s for a set and a
# get workload (keys done / seconds, both as memcslap reports them), the
# medians, and the ratio eddy/libevent (above 1: eddy is faster).
#
# Options:
#   --rounds N        rounds per side (default 5)
#   --threads "1 4"   memcached -t values to measure (default "1 4")
#   --concurrency N   memcslap threads, one connection each (default 4)
#   --execute N       operations per memcslap thread (default 50000)
#   --server-cpu N    CPU for memcached (default 0)
#   --client-cpu N    CPU for memcslap (default 1)
#
# Not part of ctest: timings need a quiet machine. To check the script
# itself, give it a directory holding a link to the system's libevent: both
# sides are then real libevent and the ratio should be near 1.
set -u

rounds=5
thread_counts="1 4"
concurrency=4
execute=50000
server_cpu=0
client_cpu=1
readonly memcached=/usr/bin/memcached

usage() {
  sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
  exit 2
}
die() {
  echo "memcached.sh: $*" >&2
  exit 1
}

while [[ $# -gt 0 ]]; do
  case $1 in
    --rounds) rounds=${2:?}; shift 2 ;;
    --threads) thread_counts=${2:?}; shift 2 ;;
    --concurrency) concurrency=${2:?}; shift 2 ;;
    --execute) execute=${2:?}; shift 2 ;;
    --server-cpu) server_cpu=${2:?}; shift 2 ;;
    --client-cpu) client_cpu=${2:?}; shift 2 ;;
    -h | --help) usage ;;
    -*) echo "memcached.sh: unknown option $1" >&2; usage ;;
    *) break ;;
  esac
done
[[ $# -eq 1 ]] || usage
dropin_dir=$(realpath "$1") || die "no such directory: $1"
[[ -e $dropin_dir/libevent-2.1.so.7 ]] || die "no libevent-2.1.so.7 in $dropin_dir"
[[ -x $memcached ]] || die "$memcached is not installed"
for tool in memcslap taskset; do
  command -v "$tool" >/dev/null || die "$tool is not installed"
done
cpus=$(nproc)
((server_cpu < cpus && client_cpu < cpus)) || die "CPUs $server_cpu and $client_cpu needed, this machine has $cpus"
((server_cpu != client_cpu)) || echo "memcached.sh: warning: server and client share CPU $server_cpu" >&2

work=$(mktemp -d "${TMPDIR:-/tmp}/memcached_bench.XXXXXX") || die "mktemp"
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

user_args=()
[[ $(id -u) -eq 0 ]] && user_args=(-u nobody)

# shellcheck source=../../tests/support/listen_port.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../tests/support/listen_port.sh"

# Starts memcached for `side` (libevent or eddy) with `threads` threads on
# a free port; sets server_pid and port.
start_server() {
  local side=$1 threads=$2 env_args=()
  [[ $side == eddy ]] && env_args=("LD_LIBRARY_PATH=$dropin_dir")
  for _ in 1 2 3 4 5; do
    port=$(listen_port_candidate) || break
    env "${env_args[@]}" taskset -c "$server_cpu" "$memcached" -l 127.0.0.1 -p "$port" -U 0 -t "$threads" -m 1024 \
      "${user_args[@]}" >"$work/memcached.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 100); do
      if timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null; then
        check_mapping "$side"
        return 0
      fi
      kill -0 "$server_pid" 2>/dev/null || break
      sleep 0.1
    done
    stop_server
  done
  cat "$work/memcached.log" >&2
  die "memcached ($side, -t $threads) did not start"
}

# Measuring the wrong library would make the comparison meaningless.
check_mapping() {
  local expected
  if [[ $1 == eddy ]]; then
    expected=$(realpath "$dropin_dir/libevent-2.1.so.7")
  else
    expected=$(realpath /lib/x86_64-linux-gnu/libevent-2.1.so.7 2>/dev/null || echo "?")
  fi
  grep -qF " $expected" "/proc/$server_pid/maps" || die "memcached ($1) does not map $expected"
}

# Runs memcslap's `test` workload against the server; prints its ops/s.
slap() {
  local test=$1 keys seconds
  timeout 300 taskset -c "$client_cpu" memcslap --servers="127.0.0.1:$port" --test="$test" \
    --concurrency="$concurrency" --execute-number="$execute" >"$work/slap.log" 2>&1 ||
    die "memcslap $test failed: $(tail -3 "$work/slap.log")"
  read -r keys seconds < <(awk -v t="$test" '$1 == "Time" && $3 == t && $6 == "by" { print $4, $(NF - 1) }' "$work/slap.log")
  [[ -n ${keys:-} && $keys -eq $((concurrency * execute)) ]] ||
    die "memcslap $test did not complete every operation: $(grep "Time to $test" "$work/slap.log")"
  awk -v k="$keys" -v s="$seconds" 'BEGIN { if (s <= 0) s = 0.001; printf "%.0f\n", k / s }'
}

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.0f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "memcached $($memcached -V | awk '{ print $2 }'), memcslap --concurrency=$concurrency --execute-number=$execute," \
  "server on CPU $server_cpu, memcslap on CPU $client_cpu, $rounds rounds per side"
echo "libevent: $(realpath /lib/x86_64-linux-gnu/libevent-2.1.so.7)"
echo "eddy:     $(realpath "$dropin_dir/libevent-2.1.so.7")"
for threads in $thread_counts; do
  echo
  echo "memcached -t $threads"
  printf '%-6s %-9s %12s %12s\n' round side "set ops/s" "get ops/s"
  : >"$work/libevent.set"; : >"$work/libevent.get"; : >"$work/eddy.set"; : >"$work/eddy.get"
  for round in $(seq "$rounds"); do
    for side in libevent eddy; do
      start_server "$side" "$threads"
      set_rate=$(slap set) || exit 1
      get_rate=$(slap get) || exit 1
      stop_server
      echo "$set_rate" >>"$work/$side.set"
      echo "$get_rate" >>"$work/$side.get"
      printf '%-6s %-9s %12s %12s\n' "$round" "$side" "$set_rate" "$get_rate"
    done
  done
  for workload in set get; do
    base=$(median <"$work/libevent.$workload")
    ours=$(median <"$work/eddy.$workload")
    printf 'median %-3s: libevent %10s ops/s, eddy %10s ops/s, eddy/libevent %s\n' "$workload" "$base" "$ours" \
      "$(awk -v a="$ours" -v b="$base" 'BEGIN { printf "%.3f", a / b }')"
  done
done
