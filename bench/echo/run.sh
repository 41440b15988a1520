#!/usr/bin/env bash
# Echo servers side by side: eddy-echo against a hand-written epoll echo
# server (the user-space limit), under the same loads, on the same machine, in
# the same run. See docs/benchmarks.md ("Echo servers side by side").
#
#   bench/echo/run.sh [--rounds N] [--duration S] [--out DIR] [--quick]
#                     [--loads W1,W2,...] [--no-build] [--load-generator PATH]
#
# For each round, for each load, for each server (interleaved: A B A B ...):
# start the server pinned to CPU 0, wait until its port accepts, run eddy-load
# pinned to CPU 1 with --json --server-pid, stop the server by pid (SIGTERM,
# SIGKILL after 5 s), keep the JSON. Then bench/echo/summarize.py prints the
# medians over rounds as a markdown table, also written to DIR/summary.md.
# Every wait is bounded; servers still running on exit are killed.
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../../scripts/setup.sh
source "$script_dir/../../scripts/setup.sh"  # eddy_root, eddy_install_packages

usage() {
  cat <<'EOF'
usage: bench/echo/run.sh [options]
  --rounds N              rounds of the whole matrix; medians over them (3)
  --duration S            seconds per load run (5)
  --out DIR               results directory (build/bench-results)
  --quick                 1 round of 1 s per load, unless given otherwise
  --loads LIST            comma-separated subset of W1,W2,W3,W4,W5 (all)
  --no-build              use the binaries already in build/release
  --load-generator PATH   run PATH instead of build/release's eddy-load
EOF
}

command_line="bench/echo/run.sh $*"
rounds='' duration='' quick=0 build=1 loads_wanted=W1,W2,W3,W4,W5 generator=''
out_dir=$eddy_root/build/bench-results
while [ $# -gt 0 ]; do
  case $1 in
    --rounds) rounds=${2:?--rounds needs a number}; shift 2 ;;
    --duration) duration=${2:?--duration needs seconds}; shift 2 ;;
    --out) out_dir=${2:?--out needs a directory}; shift 2 ;;
    --quick) quick=1; shift ;;
    --loads) loads_wanted=${2:?--loads needs a list}; shift 2 ;;
    --no-build) build=0; shift ;;
    --load-generator) generator=${2:?--load-generator needs a path}; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "run.sh: unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
done
if [ "$quick" = 1 ]; then
  rounds=${rounds:-1} duration=${duration:-1}
fi
rounds=${rounds:-3} duration=${duration:-5}
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: --rounds must be a positive integer" >&2; exit 2; }
[[ $duration =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: --duration must be a positive integer" >&2; exit 2; }

# The loads: name, connections, depth (messages in flight per connection),
# message size in bytes. W5 (idle memory) is handled apart.
declare -A load_spec=(
  [W1]="50 1 64"
  [W2]="50 16 64"
  [W3]="10 4 16384"
  [W4]="2000 1 64"
)
load_order=(W1 W2 W3 W4 W5)
idle_connections=10000
servers=(eddy-echo epoll-echo)

selected=()
for load in ${loads_wanted//,/ }; do
  case $load in
    W1 | W2 | W3 | W4 | W5) selected+=("$load") ;;
    *) echo "run.sh: unknown load $load (W1..W5)" >&2; exit 2 ;;
  esac
done
loads=() need_generator=0
for load in "${load_order[@]}"; do
  if [[ " ${selected[*]} " == *" $load "* ]]; then
    loads+=("$load")
    [ "$load" = W5 ] || need_generator=1  # W5 uses idle_clients.py
  fi
done
[ ${#loads[@]} -gt 0 ] || { echo "run.sh: --loads selects nothing" >&2; exit 2; }

for tool in python3 taskset timeout; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool is needed" >&2; exit 1; }
done
if [ "$(nproc)" -lt 2 ]; then
  echo "run.sh: needs 2 CPUs (server on CPU 0, load on CPU 1); this machine has $(nproc)" >&2
  exit 1
fi

# W4 holds 2 000 connections open and W5 10 000, in the server and in the
# client alike; both inherit this limit.
hard_nofile=$(ulimit -Hn)
if [ "$hard_nofile" = unlimited ] || [ "$hard_nofile" -gt 65536 ]; then
  hard_nofile=65536
fi
ulimit -n "$hard_nofile"
if [ "$(ulimit -n)" -lt 8192 ]; then
  echo "run.sh: needs at least 8192 open files, the hard limit is $(ulimit -Hn)" >&2
  exit 1
fi
if [ "$(ulimit -n)" -lt $((idle_connections + 100)) ]; then
  echo "run.sh: W5 opens $idle_connections connections; with $(ulimit -n) open files it runs with $(($(ulimit -n) - 100))" >&2
  idle_connections=$(($(ulimit -n) - 100))
fi

build_dir=$eddy_root/build/release
if [ "$build" = 1 ]; then
  eddy_install_packages
  cache=$build_dir/CMakeCache.txt
  if [ ! -f "$build_dir/build.ninja" ] || ! grep -q '^EDDY_BUILD_APPS:BOOL=ON' "$cache" ||
    ! grep -q '^EDDY_BUILD_BENCH:BOOL=ON' "$cache"; then
    (cd "$eddy_root" && cmake --preset release -DEDDY_BUILD_APPS=ON -DEDDY_BUILD_BENCH=ON >/dev/null)
  fi
  targets=(eddy-echo eddy-bench-epoll-echo)
  [ "$need_generator" = 1 ] && [ -z "$generator" ] && targets+=(eddy-load)
  cmake --build "$build_dir" --target "${targets[@]}"
fi
eddy_echo=$build_dir/apps/echo/eddy-echo
epoll_echo=$build_dir/bench/echo/eddy-bench-epoll-echo
generator=${generator:-$build_dir/apps/load/eddy-load}
binaries=("$eddy_echo" "$epoll_echo")
[ "$need_generator" = 1 ] && binaries+=("$generator")
for binary in "${binaries[@]}"; do
  [ -x "$binary" ] || { echo "run.sh: $binary is missing; build it or drop --no-build" >&2; exit 1; }
done

# Flags that only some versions of the programs have. One thread each: every
# process gets one CPU.
eddy_echo_extra=() generator_extra=()
help=$("$eddy_echo" --help 2>&1 || true)
[[ $help == *--threads* ]] && eddy_echo_extra+=(--threads 1)
[[ $help == *--max-connections* ]] && eddy_echo_extra+=(--max-connections 65536)
if [ "$need_generator" = 1 ]; then
  help=$("$generator" --help 2>&1 || true)
  [[ $help == *--threads* ]] && generator_extra+=(--threads 1)
  [[ $help == *--host* ]] && generator_extra+=(--host 127.0.0.1)
fi

run_dir=$out_dir/run-$(date +%Y%m%d-%H%M%S)
mkdir -p "$run_dir/json" "$run_dir/logs"
python3 "$script_dir/summarize.py" meta "$run_dir" --rounds "$rounds" --duration "$duration" \
  --command "$command_line" --loads "${loads[*]}" --servers "${servers[*]}"

server_pid='' child_pid=''
cleanup() {
  # SIGTERM to `timeout`, which passes it on to the generator.
  [ -z "$child_pid" ] || kill -TERM "$child_pid" 2>/dev/null || true
  [ -z "$server_pid" ] || kill -KILL "$server_pid" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

next_port=30000
# Sets `port` to a free TCP port on 127.0.0.1, a new one for every run (30000
# to 32767: below Linux's default ephemeral range, so never a client's port).
pick_port() {
  port=$(python3 - "$next_port" <<'EOF'
import socket, sys
start = int(sys.argv[1])
for candidate in list(range(start, 32768)) + list(range(30000, start)):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", candidate))
        except OSError:
            continue
        print(candidate)
        break
EOF
)
  [ -n "$port" ] || { echo "run.sh: no free port in 30000-32767" >&2; exit 1; }
  next_port=$((port + 1))
  [ "$next_port" -lt 32768 ] || next_port=30000
}

is_alive() {
  local state
  state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
  [ -n "$state" ] && [ "$state" != Z ]
}

# start_server NAME LOG: starts it on CPU 0 and sets server_pid; returns 1 if
# it does not accept on $port within 5 s.
start_server() {
  local name=$1 log=$2 i
  case $name in
    eddy-echo) taskset -c 0 "$eddy_echo" --port "$port" --bind 127.0.0.1 "${eddy_echo_extra[@]}" >"$log" 2>&1 & ;;
    epoll-echo) taskset -c 0 "$epoll_echo" --port "$port" --bind 127.0.0.1 >"$log" 2>&1 & ;;
  esac
  server_pid=$!  # taskset execs the server: same pid
  for ((i = 0; i < 100; i++)); do
    if ! is_alive "$server_pid"; then
      echo "run.sh: $name exited at start; see $log" >&2
      return 1
    fi
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      return 0
    fi
    sleep 0.05
  done
  echo "run.sh: $name does not accept on 127.0.0.1:$port after 5 s" >&2
  return 1
}

stop_server() {
  local i status=0
  [ -n "$server_pid" ] || return 0
  kill -TERM "$server_pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    is_alive "$server_pid" || break
    sleep 0.1
  done
  if is_alive "$server_pid"; then
    echo "run.sh: server $server_pid still running 5 s after SIGTERM; killing it" >&2
    kill -KILL "$server_pid" 2>/dev/null || true
  fi
  wait "$server_pid" 2>/dev/null || status=$?
  [ "$status" = 0 ] || echo "run.sh: server $server_pid exited with status $status" >&2
  server_pid=
}

# run_child LIMIT OUTPUT ERRLOG COMMAND...: runs COMMAND on CPU 1 in the
# background (so that the traps can kill it), killed after LIMIT seconds.
run_child() {
  local limit=$1 output=$2 errlog=$3 status=0
  shift 3
  taskset -c 1 timeout --kill-after=5 "$limit" "$@" >"$output" 2>"$errlog" &
  child_pid=$!
  wait "$child_pid" || status=$?
  child_pid=
  return "$status"
}

run_one() {
  local round=$1 load=$2 name=$3 base status=0
  base=$load.$name.r$round
  pick_port
  if ! start_server "$name" "$run_dir/logs/$base.server.log"; then
    stop_server
    return 0
  fi
  if [ "$load" = W5 ]; then
    run_child 120 "$run_dir/json/$base.json" "$run_dir/logs/$base.load.log" \
      python3 "$script_dir/idle_clients.py" --port "$port" --connections "$idle_connections" \
      --server-pid "$server_pid" || status=$?
  else
    local connections depth size
    read -r connections depth size <<<"${load_spec[$load]}"
    run_child $((duration + 60)) "$run_dir/json/$base.json" "$run_dir/logs/$base.load.log" \
      "$generator" --port "$port" --connections "$connections" --depth "$depth" --size "$size" \
      --duration "$duration" --json --server-pid "$server_pid" "${generator_extra[@]}" || status=$?
  fi
  stop_server
  if [ "$status" != 0 ]; then
    echo "run.sh: $load against $name (round $round) exited with status $status; see $run_dir/logs/$base.load.log" >&2
  fi
  echo "  $load $name: done" >&2
}

echo "run.sh: $rounds round(s) of ${loads[*]}, ${duration} s per load; results in $run_dir" >&2
for ((round = 1; round <= rounds; round++)); do
  echo "round $round/$rounds" >&2
  for load in "${loads[@]}"; do
    for name in "${servers[@]}"; do
      run_one "$round" "$load" "$name"
    done
  done
done

python3 "$script_dir/summarize.py" report "$run_dir" --baseline epoll-echo | tee "$run_dir/summary.md"
cp "$run_dir/summary.md" "$out_dir/summary.md"
echo "run.sh: JSON and logs in $run_dir; table in $out_dir/summary.md" >&2
