#!/usr/bin/env bash
# The echo benchmark matrix: eddy-echo against its peers (a hand-written epoll
# server, libevent, eddy's libevent compat layer, libuv, Asio, libev,
# io_uring), against itself on eddy's io_uring backend (eddy-echo-uring) and
# on several threads, under the same loads, on the same machine, in the same
# run. See docs/benchmarks.md ("Echo servers side by side", "io_uring
# backend").
#
#   bench/echo/run.sh [--quick] [--rounds N] [--duration S] [--warmup S]
#                     [--loads W1,W2,...] [--servers NAME,...] [--out DIR]
#                     [--server-cpus LIST] [--generator-cpus LIST]
#                     [--no-build] [--no-plots] [--load-generator PATH]
#
# For each round, for each load, for each server (interleaved over all of
# them: A B C ... A B C ...): start the server on the server CPUs, wait until
# its port accepts, run eddy-load on the generator CPUs with --json
# --server-pid (W5: idle_clients.py), stop the server by pid (SIGTERM, SIGKILL
# after 5 s), keep the JSON. Then bench/echo/summarize.py writes the medians
# over rounds as results.json and a markdown table (summary.md) and
# bench/echo/plot.sh draws PNG charts with gnuplot. Every wait is bounded;
# a server or load generator still running on exit is killed.
#
# eddy-echo-uring is eddy-echo --threads 1 --backend uring. Where io_uring is
# unavailable eddy falls back to epoll (it logs "io_uring unavailable (...);
# using epoll" and listens "(epoll, 1 thread)"); the row would then measure
# epoll twice, so it is left out with a note, as the uring peer is when it
# exits with status 3. compat-bufferevent-uring is the compat bufferevent
# echo with EDDY_BACKEND=uring, checked by the method it logs
# (EVENT_SHOW_METHOD) in the same way.
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../../scripts/setup.sh
source "$script_dir/../../scripts/setup.sh"  # eddy_root, eddy_packages, eddy_install_packages

usage() {
  cat <<'EOF'
usage: bench/echo/run.sh [options]
  --quick                 smoke check: 1 round of 1 s, loads W1,W4,W5, no
                          warmup, unless given otherwise
  --rounds N              rounds of the whole matrix; medians over them (3)
  --duration S            seconds measured per load run (5)
  --warmup S              seconds of load before measuring (1)
  --loads LIST            comma-separated subset of W1,W2,W3,W4,W5 (all)
  --servers LIST          comma-separated subset of the servers (all that
                          are built); --list-servers prints their names;
                          eddy-echo-uring (eddy-echo on eddy's io_uring
                          backend) is left out where io_uring is unavailable
  --out DIR               results directory (build/bench-results)
  --server-cpus LIST      CPUs of the servers, taskset syntax (first half)
  --generator-cpus LIST   CPUs of the load generator (second half); it runs
                          one thread per CPU
  --no-build              use the binaries already built
  --no-plots              no PNG charts (no gnuplot needed)
  --load-generator PATH   run PATH instead of build/release's eddy-load
  --list-servers          print the server names and exit
EOF
}

all_loads=(W1 W2 W3 W4 W5)
command_line="bench/echo/run.sh $*"
rounds='' duration='' warmup='' quick=0 build=1 plots=1 loads_wanted='' servers_wanted='' generator=''
server_cpus='' generator_cpus='' list_only=0
out_dir=$eddy_root/build/bench-results
while [ $# -gt 0 ]; do
  case $1 in
    --quick) quick=1; shift ;;
    --rounds) rounds=${2:?--rounds needs a number}; shift 2 ;;
    --duration) duration=${2:?--duration needs seconds}; shift 2 ;;
    --warmup) warmup=${2:?--warmup needs seconds}; shift 2 ;;
    --loads) loads_wanted=${2:?--loads needs a list}; shift 2 ;;
    --servers) servers_wanted=${2:?--servers needs a list}; shift 2 ;;
    --out) out_dir=${2:?--out needs a directory}; shift 2 ;;
    --server-cpus) server_cpus=${2:?--server-cpus needs a CPU list}; shift 2 ;;
    --generator-cpus) generator_cpus=${2:?--generator-cpus needs a CPU list}; shift 2 ;;
    --no-build) build=0; shift ;;
    --no-plots) plots=0; shift ;;
    --load-generator) generator=${2:?--load-generator needs a path}; shift 2 ;;
    --list-servers) list_only=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "run.sh: unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
done
if [ "$quick" = 1 ]; then
  rounds=${rounds:-1} duration=${duration:-1} warmup=${warmup:-0} loads_wanted=${loads_wanted:-W1,W4,W5}
fi
rounds=${rounds:-3} duration=${duration:-5} warmup=${warmup:-1}
loads_wanted=${loads_wanted:-W1,W2,W3,W4,W5}
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: --rounds must be a positive integer" >&2; exit 2; }
[[ $duration =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: --duration must be a positive integer" >&2; exit 2; }
[[ $warmup =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "run.sh: --warmup must be a number of seconds" >&2; exit 2; }

# The loads: connections, depth (messages in flight per connection), message
# size in bytes, shared with bench/syscalls/run.sh. W5 (idle memory) is
# handled apart.
# shellcheck source=../lib/loads.sh
source "$script_dir/../lib/loads.sh"  # load_spec
idle_connections=10000

selected=()
for load in ${loads_wanted//,/ }; do
  case $load in
    W1 | W2 | W3 | W4 | W5) selected+=("$load") ;;
    *) echo "run.sh: unknown load $load (W1..W5)" >&2; exit 2 ;;
  esac
done
loads=() need_generator=0
for load in "${all_loads[@]}"; do
  if [[ " ${selected[*]} " == *" $load "* ]]; then
    loads+=("$load")
    [ "$load" = W5 ] || need_generator=1  # W5 uses idle_clients.py
  fi
done
[ ${#loads[@]} -gt 0 ] || { echo "run.sh: --loads selects nothing" >&2; exit 2; }

for tool in python3 taskset timeout; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool is needed" >&2; exit 1; }
done

# CPU sets. By default the servers get the first half of the CPUs this process
# may use and the generator the rest (2 CPUs: server on 0, generator on 1).
# cpu_info LIST prints "COUNT CANONICAL-LIST" for a taskset list, or for the
# CPUs this process may use when LIST is empty; `cpu_info split` prints the two
# default halves.
cpu_info() {
  python3 - "$1" <<'EOF'
import os, sys
def expand(text):
    cpus = set()
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        cpus.update(range(int(lo), int(hi or lo) + 1))
    return sorted(cpus)
arg = sys.argv[1]
mine = sorted(os.sched_getaffinity(0))
if arg == "split":
    half = max(1, len(mine) // 2)
    print(",".join(map(str, mine[:half])), ",".join(map(str, mine[half:])))
else:
    cpus = expand(arg) if arg else mine
    bad = [c for c in cpus if c not in mine]
    if bad:
        sys.exit(f"run.sh: CPU {bad[0]} is not available to this process (available: {mine})")
    print(len(cpus), ",".join(map(str, cpus)))
EOF
}
read -r available_count _ < <(cpu_info '')
if [ "$available_count" -lt 2 ]; then
  echo "run.sh: needs 2 CPUs (servers on one, the load generator on another); this process may use $available_count" >&2
  exit 1
fi
read -r default_server_cpus default_generator_cpus < <(cpu_info split)
server_cpus=${server_cpus:-$default_server_cpus}
generator_cpus=${generator_cpus:-$default_generator_cpus}
info=$(cpu_info "$server_cpus") || exit 2
read -r _ server_cpus <<<"$info"
info=$(cpu_info "$generator_cpus") || exit 2
read -r generator_threads generator_cpus <<<"$info"

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
peers_src=$eddy_root/bench/echo/peers
peers_build=$build_dir/peers
# name binary-in-build_dir: the servers of the main build, in table order.
main_servers=(
  "eddy-echo apps/echo/eddy-echo"
  "epoll-echo bench/echo/eddy-bench-epoll-echo"
  "libevent-bufferevent examples/eddy-bufferevent-echo-libevent"
  "compat-bufferevent examples/eddy-bufferevent-echo"
  "libevent-event examples/eddy-legacy-echo-libevent"
  "compat-event examples/eddy-legacy-echo"
)
# name binary-in-peers_build (bench/echo/peers/, its own CMake project).
peer_servers=(
  "libuv eddy-bench-libuv-echo"
  "asio eddy-bench-asio-echo"
  "libev eddy-bench-libev-echo"
  "uring eddy-bench-uring-echo"
)

# eddy-echo's multi-core rows: 2 threads and one per CPU.
thread_counts=(2)
[ "$available_count" = 2 ] || thread_counts+=("$available_count")

if [ "$list_only" = 1 ]; then
  for entry in "${main_servers[@]}" "${peer_servers[@]}"; do
    echo "${entry%% *}"
    [ "${entry%% *}" = eddy-echo ] && echo eddy-echo-uring
    [ "${entry%% *}" = compat-bufferevent ] && echo compat-bufferevent-uring
  done
  for threads in "${thread_counts[@]}"; do echo "eddy-echo-t$threads"; done
  for threads in "${thread_counts[@]}"; do echo "eddy-echo-t$threads-all"; done
  exit 0
fi

notes=()  # lines for the summary: what was skipped and why
if [ "$build" = 1 ]; then
  eddy_install_packages
  cache=$build_dir/CMakeCache.txt
  if [ ! -f "$build_dir/build.ninja" ] || ! grep -q '^EDDY_BUILD_APPS:BOOL=ON' "$cache" ||
    ! grep -q '^EDDY_BUILD_BENCH:BOOL=ON' "$cache"; then
    (cd "$eddy_root" && cmake --preset release -DEDDY_BUILD_APPS=ON -DEDDY_BUILD_BENCH=ON >/dev/null)
  fi
  # Only the targets this configuration has: the libevent ones need
  # libevent-dev, compat-bufferevent compat/'s buffered half.
  known_targets=$(cmake --build "$build_dir" --target help 2>/dev/null | sed -n 's/^\([^ :]*\):.*/\1/p')
  targets=()
  for entry in "${main_servers[@]}"; do
    target=${entry##*/}
    if grep -qx "$target" <<<"$known_targets"; then targets+=("$target"); fi
  done
  [ "$need_generator" = 1 ] && [ -z "$generator" ] && targets+=(eddy-load)
  cmake --build "$build_dir" --target "${targets[@]}"

  # The peers' libraries and gnuplot, from bench/echo/peers/packages.txt.
  # `gnuplot` itself would pull in Qt; gnuplot-nox has the PNG terminal.
  extra_packages=()
  [ "$plots" = 1 ] && ! command -v gnuplot >/dev/null && extra_packages+=(gnuplot-nox)
  if [ -f "$peers_src/CMakeLists.txt" ] && [ -f "$peers_src/packages.txt" ]; then
    while read -r pkg _; do
      [ -z "$pkg" ] || [[ $pkg == \#* ]] || extra_packages+=("$pkg")
    done <"$peers_src/packages.txt"
  fi
  if [ ${#extra_packages[@]} -gt 0 ]; then
    saved_packages=("${eddy_packages[@]}")
    eddy_packages=("${extra_packages[@]}")
    eddy_install_packages  # as root installs them, else prints the apt-get line and exits
    eddy_packages=("${saved_packages[@]}")
  fi
  if [ -f "$peers_src/CMakeLists.txt" ]; then
    if ! cmake -S "$peers_src" -B "$peers_build" -G Ninja -DCMAKE_BUILD_TYPE=Release >"$build_dir/peers-configure.log" 2>&1 ||
      ! cmake --build "$peers_build" >"$build_dir/peers-build.log" 2>&1; then
      echo "run.sh: bench/echo/peers/ did not build; see $build_dir/peers-configure.log and peers-build.log" >&2
      tail -20 "$build_dir/peers-build.log" "$build_dir/peers-configure.log" >&2 2>/dev/null || true
      notes+=("bench/echo/peers/ did not build (build/release/peers-build.log): the peers that are missing were skipped")
    fi
  fi
fi
if [ ! -f "$peers_src/CMakeLists.txt" ]; then
  notes+=("bench/echo/peers/CMakeLists.txt is not in this checkout: libuv, asio, libev and uring were skipped")
fi

generator=${generator:-$build_dir/apps/load/eddy-load}
if [ "$need_generator" = 1 ] && [ ! -x "$generator" ]; then
  echo "run.sh: $generator is missing; build it or drop --no-build" >&2
  exit 1
fi

# The servers that will run: name -> command (printf %q words), CPUs ("" for
# any) and a description for the summary.
servers=()
declare -A server_cmd server_cpus_of server_what
add_server() {  # NAME CPUS WHAT BINARY ARGS...
  local name=$1 cpus=$2 what=$3
  shift 3
  servers+=("$name")
  server_cmd[$name]=$(printf '%q ' "$@")
  server_cpus_of[$name]=$cpus
  server_what[$name]=$what
}
declare -A describe=(
  [eddy-echo]="eddy's echo server (apps/echo), one event loop"
  [eddy-echo-uring]="eddy-echo, one event loop on eddy's io_uring backend (--backend uring)"
  [epoll-echo]="hand-written epoll loop, libc only (bench/echo/epoll_echo.cpp)"
  [libevent-bufferevent]="examples/bufferevent-echo on Debian's libevent"
  [compat-bufferevent]="examples/bufferevent-echo on eddy's libevent compat layer"
  [compat-bufferevent-uring]="the same on eddy's io_uring backend (EDDY_BACKEND=uring)"
  [libevent-event]="examples/legacy-echo (event_set/event_add) on Debian's libevent"
  [compat-event]="examples/legacy-echo on eddy's libevent compat layer"
  [libuv]="bench/echo/peers/ on libuv"
  [asio]="bench/echo/peers/ on standalone Asio"
  [libev]="bench/echo/peers/ on libev"
  [uring]="bench/echo/peers/ on io_uring (liburing)"
)
eddy_echo=$build_dir/apps/echo/eddy-echo
eddy_echo_extra=() eddy_echo_threads=0 eddy_echo_backend=0
if [ -x "$eddy_echo" ]; then
  help=$("$eddy_echo" --help 2>&1 || true)
  [[ $help == *--max-connections* ]] && eddy_echo_extra+=(--max-connections 65536)
  [[ $help == *--threads* ]] && eddy_echo_threads=1
  [[ $help == *--backend* ]] && eddy_echo_backend=1
fi
# The backend a server must report in its "listening on ... (BACKEND, ...)"
# line, for the rows that ask eddy for one it may fall back from.
declare -A server_backend=()
for entry in "${main_servers[@]}" "${peer_servers[@]}"; do
  name=${entry%% *} path=${entry#* }
  if [[ " ${peer_servers[*]} " == *" $name "* ]]; then
    binary=$(find "$peers_build" -maxdepth 3 -type f -name "$path" -perm -u+x 2>/dev/null | head -1 || true)
    if [ -z "$binary" ]; then
      [ -f "$peers_src/CMakeLists.txt" ] && notes+=("$name: $path is not built in build/release/peers; skipped")
      continue
    fi
  else
    binary=$build_dir/$path
    [ -x "$binary" ] || { notes+=("$name: build/release/$path is not built; skipped"); continue; }
  fi
  args=()
  if [ "$name" = eddy-echo ]; then
    [ "$eddy_echo_threads" = 1 ] && args+=(--threads 1)
    args+=("${eddy_echo_extra[@]}")
  fi
  add_server "$name" "$server_cpus" "${describe[$name]}" "$binary" "${args[@]}"
  # compat-bufferevent-uring right after compat-bufferevent: the same
  # program with EDDY_BACKEND=uring (its bufferevents read by completion);
  # EVENT_SHOW_METHOD makes it log the method it got, for check_backend.
  if [ "$name" = compat-bufferevent ]; then
    add_server compat-bufferevent-uring "$server_cpus" "${describe[compat-bufferevent-uring]}" \
      env EDDY_BACKEND=uring EVENT_SHOW_METHOD=1 "$binary"
    server_backend[compat-bufferevent-uring]=io_uring
  fi
  # eddy-echo-uring right after eddy-echo: the same server, one loop, on
  # eddy's io_uring backend.
  if [ "$name" = eddy-echo ]; then
    if [ "$eddy_echo_backend" = 1 ]; then
      add_server eddy-echo-uring "$server_cpus" "${describe[eddy-echo-uring]}" "$binary" "${args[@]}" --backend uring
      server_backend[eddy-echo-uring]=uring
    else
      notes+=("eddy-echo has no --backend: eddy-echo-uring was skipped")
    fi
  fi
done
# eddy-echo on several event loops: T = 2 and one per CPU. -tT runs on the
# server CPUs, the same CPU budget as every other row; -tT-all on any CPU,
# the generator's included. See docs/benchmarks.md for how to read them.
if [ "$eddy_echo_threads" = 1 ]; then
  for threads in "${thread_counts[@]}"; do
    add_server "eddy-echo-t$threads" "$server_cpus" "eddy-echo --threads $threads on the server CPUs" \
      "$eddy_echo" --threads "$threads" "${eddy_echo_extra[@]}"
  done
  for threads in "${thread_counts[@]}"; do
    add_server "eddy-echo-t$threads-all" "" "eddy-echo --threads $threads, not pinned (any CPU, the generator's too)" \
      "$eddy_echo" --threads "$threads" "${eddy_echo_extra[@]}"
  done
elif [ -x "$eddy_echo" ]; then
  notes+=("eddy-echo has no --threads: the multi-core rows were skipped")
fi
if [ -n "$servers_wanted" ]; then
  wanted=() known=" ${servers[*]} "
  for name in ${servers_wanted//,/ }; do
    [[ $known == *" $name "* ]] || {
      echo "run.sh: no server $name here (built: ${servers[*]})" >&2
      exit 2
    }
  done
  for name in "${servers[@]}"; do
    [[ ",$servers_wanted," == *",$name,"* ]] && wanted+=("$name")
  done
  servers=("${wanted[@]}")
fi
[ ${#servers[@]} -gt 0 ] || { echo "run.sh: no server to run" >&2; exit 1; }

generator_extra=()
if [ "$need_generator" = 1 ]; then
  help=$("$generator" --help 2>&1 || true)
  [[ $help == *--threads* ]] && generator_extra+=(--threads "$generator_threads")
  [[ $help == *--host* ]] && generator_extra+=(--host 127.0.0.1)
  if [[ $help == *--warmup* ]]; then
    generator_extra+=(--warmup "$warmup")
  elif [ "$warmup" != 0 ]; then
    notes+=("the load generator has no --warmup: no warmup")
  fi
fi

run_dir=$out_dir/run-$(date +%Y%m%d-%H%M%S)
mkdir -p "$run_dir/json" "$run_dir/logs"

server_pid='' child_pid='' start_failure=''
cleanup() {
  # SIGTERM to `timeout`, which passes it on to the generator.
  [ -z "$child_pid" ] || kill -TERM "$child_pid" 2>/dev/null || true
  [ -z "$server_pid" ] || kill -KILL "$server_pid" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# shellcheck source=../lib/processes.sh
source "$script_dir/../lib/processes.sh"  # pick_port, is_alive
next_port=30000

# start_server NAME LOG: starts it (on its CPUs) listening on 127.0.0.1:$port
# and sets server_pid; returns 1 with start_failure set if it exits first,
# does not accept within 5 s, or (eddy-echo-uring) runs on another backend
# than the one asked for.
start_server() {
  local name=$1 log=$2 i status=0 command
  eval "command=(${server_cmd[$name]})"
  start_failure=''
  if [ -n "${server_cpus_of[$name]}" ]; then
    taskset -c "${server_cpus_of[$name]}" "${command[@]}" --port "$port" --bind 127.0.0.1 >"$log" 2>&1 &
  else
    "${command[@]}" --port "$port" --bind 127.0.0.1 >"$log" 2>&1 &
  fi
  server_pid=$!  # taskset execs the server: same pid
  for ((i = 0; i < 100; i++)); do
    if ! is_alive "$server_pid"; then
      wait "$server_pid" 2>/dev/null || status=$?
      server_pid=''
      start_failure="exited with status $status at start"
      [ "$status" = 3 ] && [ "$name" = uring ] && start_failure="io_uring is not available here (exit status 3)"
      return 1
    fi
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      [ -z "${server_backend[$name]:-}" ] || check_backend "$name" "$log" || return 1
      return 0
    fi
    sleep 0.05
  done
  start_failure="did not accept on 127.0.0.1:$port within 5 s"
  return 1
}

# check_backend NAME LOG: eddy-echo prints "listening on ADDRESS (BACKEND, N
# thread(s))" just after it starts to accept; waits up to 2 s for that line
# and returns 1, with start_failure set, if BACKEND is not the one NAME asked
# for (eddy fell back to epoll: its warning goes into start_failure).
check_backend() {
  local name=$1 log=$2 want=${server_backend[$1]} i line warning method
  for ((i = 0; i < 40; i++)); do
    line=$(grep -m1 'listening on ' "$log" 2>/dev/null || true)
    [ -z "$line" ] || break
    sleep 0.05
  done
  # A libevent program on the compat layer says its method instead
  # (EVENT_SHOW_METHOD: "libevent using: METHOD"), before it listens.
  method=$(grep -m1 -o 'libevent using: .*' "$log" 2>/dev/null || true)
  if [ -n "$method" ]; then
    [ "${method#libevent using: }" = "$want" ] && return 0
    warning=$(grep -m1 -o 'io_uring unavailable (.*); using epoll' "$log" 2>/dev/null || true)
    start_failure="asked for the $want method but got ${method#libevent using: }${warning:+ ($warning)}"
    return 1
  fi
  if [ -z "$line" ]; then
    start_failure="printed no 'listening on' line within 2 s; cannot tell its backend"
    return 1
  fi
  [[ $line == *"($want,"* ]] && return 0
  warning=$(grep -m1 -o 'io_uring unavailable (.*); using epoll' "$log" 2>/dev/null || true)
  start_failure="asked for the $want backend but runs on another: ${line#*listening on }${warning:+ ($warning)}"
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

# run_child LIMIT OUTPUT ERRLOG COMMAND...: runs COMMAND on the generator CPUs
# in the background (so that the traps can kill it), killed after LIMIT s.
run_child() {
  local limit=$1 output=$2 errlog=$3 status=0
  shift 3
  taskset -c "$generator_cpus" timeout --kill-after=5 "$limit" "$@" >"$output" 2>"$errlog" &
  child_pid=$!
  wait "$child_pid" || status=$?
  child_pid=
  return "$status"
}

# Every server once before the rounds: one that does not start (uring without
# io_uring, say) is left out of the whole run, with a note, rather than
# failing in every round.
running=()
for name in "${servers[@]}"; do
  pick_port
  if start_server "$name" "$run_dir/logs/probe.$name.log"; then
    stop_server
    running+=("$name")
  else
    stop_server
    echo "run.sh: $name: $start_failure; skipped (log: $run_dir/logs/probe.$name.log)" >&2
    notes+=("$name: $start_failure; skipped")
  fi
done
servers=("${running[@]}")
[ ${#servers[@]} -gt 0 ] || { echo "run.sh: no server starts" >&2; exit 1; }

words=()
# servers.tsv: name, CPUs, description, command line (program names without
# their directories), for the summary.
for name in "${servers[@]}"; do
  eval "words=(${server_cmd[$name]})"
  printf '%s\t%s\t%s\t%s--port P --bind 127.0.0.1\n' "$name" "${server_cpus_of[$name]:-any}" \
    "${server_what[$name]}" "$(printf '%s ' "${words[@]##*/}")"
done >"$run_dir/servers.tsv"
[ ${#notes[@]} -eq 0 ] || printf '%s\n' "${notes[@]}" >"$run_dir/notes.txt"
for note in "${notes[@]}"; do echo "run.sh: note: $note" >&2; done
python3 "$script_dir/summarize.py" meta "$run_dir" --rounds "$rounds" --duration "$duration" --warmup "$warmup" \
  --command "$command_line" --loads "${loads[*]}" --servers "${servers[*]}" \
  --server-cpus "$server_cpus" --generator-cpus "$generator_cpus" --generator-threads "$generator_threads" \
  --idle-connections "$idle_connections"

run_one() {
  local round=$1 load=$2 name=$3 base status=0
  base=$load.$name.r$round
  pick_port
  if ! start_server "$name" "$run_dir/logs/$base.server.log"; then
    echo "run.sh: $name: $start_failure (round $round, $load); see $run_dir/logs/$base.server.log" >&2
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
}

echo "run.sh: $rounds round(s) of ${loads[*]} (${duration} s + ${warmup} s warmup) against ${#servers[@]} servers;" \
  "servers on CPUs $server_cpus, generator on $generator_cpus ($generator_threads thread(s)); results in $run_dir" >&2
for ((round = 1; round <= rounds; round++)); do
  for load in "${loads[@]}"; do
    echo "round $round/$rounds, $load: ${servers[*]}" >&2
    for name in "${servers[@]}"; do
      run_one "$round" "$load" "$name"
    done
  done
done

cp /proc/loadavg "$run_dir/loadavg-end.txt" 2>/dev/null || true
python3 "$script_dir/summarize.py" report "$run_dir" --baseline epoll-echo --json "$run_dir/results.json" >"$run_dir/summary.md"
if [ "$plots" = 1 ]; then
  if command -v gnuplot >/dev/null; then
    "$script_dir/plot.sh" "$run_dir" || echo "run.sh: plot.sh failed; the table and JSON are there" >&2
  else
    echo "run.sh: gnuplot is not installed: no charts (apt-get install gnuplot-nox)" >&2
  fi
fi
cat "$run_dir/summary.md"
cp "$run_dir/summary.md" "$out_dir/summary.md"
echo "run.sh: JSON and logs in $run_dir (results.json, summary.md, plots/); table also in $out_dir/summary.md" >&2
