#!/usr/bin/env bash
# User-space instructions per echoed message of each echo server, counted by
# valgrind's callgrind: deterministic, unlike time, and available where the
# hardware counters (`perf stat -e instructions:u`) are not. See
# docs/benchmarks.md ("Instructions per message: bench/instructions/run.sh").
#
#   bench/instructions/run.sh [--build DIR] [--connections LIST] [--sizes LIST]
#                             [--servers LIST] [--messages N] [--out DIR]
#                             [--list-servers]
#
# For each server, connection count and message size: the server runs under
# `valgrind --tool=callgrind` on a free port of 127.0.0.1, eddy-load drives
# it with ping-pong echo (-d 1) for M messages in all, the server is stopped
# with SIGTERM and callgrind's program total (`totals:`) is kept. Then the
# same again, a fresh server, with 2M messages. The figure is
#
#     (total at 2M - total at M) / M
#
# Start-up, the C accepts and closes, and shutdown are the same in both runs
# and cancel; what is left is the steady cost of M messages.
#
# Why two processes and not `callgrind_control --zero` / `--dump` around one
# run: eddy-load opens its connections and sends at once, so there is no
# moment "connections up, nothing sent" to zero at. Zeroing between two
# eddy-load runs against one server instead (warm-up run, zero, M, dump,
# zero, 2M, dump) races with the server still closing the previous run's
# connections, and was noisy: eddy-echo at 2000 connections gave 629, 627
# and 526 instructions/message over three tries, against 635, 636 and 637
# for two processes (and 670/662/615 against 679/679/678 at 16 KiB). Two
# processes also need no vgdb (callgrind_control talks to valgrind through
# it, and a server blocked in epoll_wait needs ptrace to be woken), which a
# CI machine may not allow.
#
# Kernel work is not counted (callgrind sees user space only; system-call
# time collection is off). Under callgrind the server runs about 50 times
# slower than the load generator, so every epoll_wait returns many ready
# connections: per-wakeup costs are spread over more messages than on a
# native run. The figures compare servers with one another and one commit
# with another, not with a native run.
#
# Servers (names as in bench/echo/run.sh; a missing binary or library is
# skipped with a note): eddy-echo --threads 1, epoll-echo, libevent-event,
# libevent-bufferevent, dropin-bufferevent (the libevent-bufferevent binary
# on eddy's drop-in libevent-2.1.so.7 through LD_LIBRARY_PATH), compat-event
# and compat-bufferevent (the same sources compiled against eddy's compat
# headers), and from bench/echo/peers (built in DIR/peers) libev, libuv and
# asio. io_uring's echo server is left out: callgrind does not see what
# the kernel writes into the rings.
#
# Builds nothing: build the targets it names when it skips a server. Every
# wait is bounded; a server or load generator still running on exit is
# killed. Exit status: 0 when every selected cell was measured, 1 when one
# failed (its row says so), 2 for a bad command line.
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
eddy_root=$(cd "$script_dir/../.." && pwd)

usage() {
  cat <<'EOF'
usage: bench/instructions/run.sh [options]
  --build DIR         build directory with the binaries (build/release);
                      the peers are looked for in DIR/peers
  --connections LIST  comma-separated connection counts (50,2000)
  --sizes LIST        comma-separated message sizes in bytes (64,16384)
  --servers LIST      comma-separated subset of the servers (all that are
                      built); --list-servers prints their names
  --messages N        M, the messages of the shorter run; the longer one
                      sends 2M (20000)
  --out DIR           results directory (build/bench-results/instructions):
                      results.json, table.md, logs/ and callgrind/
  --list-servers      print the server names and exit
EOF
}

build_dir=$eddy_root/build/release
connections_list=50,2000
sizes_list=64,16384
servers_wanted=''
messages=20000
out_dir=$eddy_root/build/bench-results/instructions
list_only=0
while [ $# -gt 0 ]; do
  case $1 in
    --build) build_dir=${2:?--build needs a directory}; shift 2 ;;
    --connections) connections_list=${2:?--connections needs a list}; shift 2 ;;
    --sizes) sizes_list=${2:?--sizes needs a list}; shift 2 ;;
    --servers) servers_wanted=${2:?--servers needs a list}; shift 2 ;;
    --messages) messages=${2:?--messages needs a number}; shift 2 ;;
    --out) out_dir=${2:?--out needs a directory}; shift 2 ;;
    --list-servers) list_only=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "run.sh: unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
done
[[ $messages =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: --messages must be a positive integer" >&2; exit 2; }
connections=() sizes=()
for value in ${connections_list//,/ }; do
  [[ $value =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: bad connection count '$value'" >&2; exit 2; }
  connections+=("$value")
done
for value in ${sizes_list//,/ }; do
  [[ $value =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: bad message size '$value'" >&2; exit 2; }
  sizes+=("$value")
done
if [ ${#connections[@]} -eq 0 ] || [ ${#sizes[@]} -eq 0 ]; then
  echo "run.sh: no connections or sizes" >&2
  exit 2
fi

# name kind path: kind "main" is relative to the build directory, "peer" a
# binary name in DIR/peers, "dropin" the main binary with the drop-in.
all_servers=(
  "eddy-echo main apps/echo/eddy-echo"
  "epoll-echo main bench/echo/eddy-bench-epoll-echo"
  "libevent-event main examples/eddy-legacy-echo-libevent"
  "libevent-bufferevent main examples/eddy-bufferevent-echo-libevent"
  "dropin-bufferevent dropin examples/eddy-bufferevent-echo-libevent"
  "compat-event main examples/eddy-legacy-echo"
  "compat-bufferevent main examples/eddy-bufferevent-echo"
  "libev peer eddy-bench-libev-echo"
  "libuv peer eddy-bench-libuv-echo"
  "asio peer eddy-bench-asio-echo"
)
if [ "$list_only" = 1 ]; then
  for entry in "${all_servers[@]}"; do echo "${entry%% *}"; done
  exit 0
fi
if [ -n "$servers_wanted" ]; then
  for name in ${servers_wanted//,/ }; do
    [[ " ${all_servers[*]%% *} " == *" $name "* ]] || {
      echo "run.sh: no server named $name (bench/instructions/run.sh --list-servers)" >&2
      exit 2
    }
  done
fi

for tool in valgrind python3 timeout; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool is needed (apt-get install valgrind python3 coreutils)" >&2; exit 1; }
done
[ -d "$build_dir" ] || { echo "run.sh: no build directory $build_dir" >&2; exit 1; }
build_dir=$(cd "$build_dir" && pwd)
generator=$build_dir/apps/load/eddy-load
[ -x "$generator" ] || { echo "run.sh: $generator is missing: cmake --build $build_dir --target eddy-load" >&2; exit 1; }
dropin_dir=$build_dir/compat/dropin

# The server on one CPU and the generator on another when there are two;
# counts do not depend on it, but how many connections one wait returns does.
server_pin=() generator_pin=()
if command -v taskset >/dev/null; then
  read -r cpu_a cpu_b < <(python3 -c 'import os; c = sorted(os.sched_getaffinity(0)); print(c[0], c[-1])')
  if [ "$cpu_a" != "$cpu_b" ]; then
    server_pin=(taskset -c "$cpu_a") generator_pin=(taskset -c "$cpu_b")
  fi
fi

max_connections=0
for c in "${connections[@]}"; do [ "$c" -gt "$max_connections" ] && max_connections=$c; done
hard_nofile=$(ulimit -Hn)
[ "$hard_nofile" = unlimited ] && hard_nofile=65536
[ "$hard_nofile" -gt 65536 ] && hard_nofile=65536
ulimit -n "$hard_nofile" 2>/dev/null || true
if [ "$(ulimit -n)" -lt $((max_connections + 64)) ]; then
  echo "run.sh: $max_connections connections need $((max_connections + 64)) open files; the limit is $(ulimit -n)" >&2
  exit 1
fi

# Which servers run: name -> binary, and the environment for the drop-in.
notes=() servers=()
declare -A server_bin server_env
for entry in "${all_servers[@]}"; do
  read -r name kind path <<<"$entry"
  if [ -n "$servers_wanted" ] && [[ ",$servers_wanted," != *",$name,"* ]]; then
    continue
  fi
  case $kind in
    peer)
      binary=$build_dir/peers/$path
      if [ ! -x "$binary" ]; then
        notes+=("$name: $binary is not built (bench/echo/peers/README.md: cmake -S bench/echo/peers -B $build_dir/peers); skipped")
        continue
      fi
      ;;
    main | dropin)
      binary=$build_dir/$path
      if [ ! -x "$binary" ]; then
        notes+=("$name: $binary is not built (cmake --build $build_dir --target ${path##*/}); skipped")
        continue
      fi
      ;;
  esac
  env_words=()
  if [ "$kind" = dropin ]; then
    if [ ! -f "$dropin_dir/libevent-2.1.so.7" ] || [ ! -f "$dropin_dir/libevent_core-2.1.so.7" ]; then
      notes+=("$name: no drop-in libevent-2.1.so.7 in $dropin_dir (cmake --build $build_dir --target eddy_event_dropin); skipped")
      continue
    fi
    env_words=("LD_LIBRARY_PATH=$dropin_dir")
  fi
  servers+=("$name")
  server_bin[$name]=$binary
  server_env[$name]="${env_words[*]}"
done
for note in "${notes[@]}"; do echo "run.sh: note: $note" >&2; done
[ ${#servers[@]} -gt 0 ] || { echo "run.sh: no server to run" >&2; exit 1; }

mkdir -p "$out_dir"
rm -rf "$out_dir/logs" "$out_dir/callgrind"
mkdir -p "$out_dir/logs" "$out_dir/callgrind"
cells=$out_dir/cells.tsv
: >"$cells"

server_pid='' child_pid=''
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
  [ -z "$child_pid" ] || kill -KILL "$child_pid" 2>/dev/null || true
  [ -z "$server_pid" ] || kill -KILL "$server_pid" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# shellcheck source=../lib/processes.sh
source "$script_dir/../lib/processes.sh"  # pick_port, is_alive
next_port=$((30000 + RANDOM % 2000))  # where pick_port starts looking

# start_server NAME OUTFILE LOG: the server under callgrind on 127.0.0.1:$port;
# sets server_pid (valgrind's pid, which is the server's: env and taskset
# exec). Returns 1, with `failure` set, when it exits or does not accept
# within 60 s. The one probe connection it accepts is in both runs alike.
start_server() {
  local name=$1 outfile=$2 log=$3 i status=0 env_words=()
  [ -z "${server_env[$name]}" ] || read -r -a env_words <<<"${server_env[$name]}"
  local args=()
  [ "$name" = eddy-echo ] && args=(--threads 1)
  env "${env_words[@]}" "${server_pin[@]}" valgrind --tool=callgrind --dump-instr=no --collect-systime=no \
    --trace-children=no --callgrind-out-file="$outfile" \
    "${server_bin[$name]}" "${args[@]}" --port "$port" --bind 127.0.0.1 >"$log" 2>&1 &
  server_pid=$!
  for ((i = 0; i < 600; i++)); do
    if ! is_alive "$server_pid"; then
      wait "$server_pid" 2>/dev/null || status=$?
      server_pid=''
      failure="exited with status $status at start (log: $log)"
      return 1
    fi
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      if [ -n "${env_words[*]}" ] && ! grep -q "$dropin_dir/libevent" "/proc/$server_pid/maps" 2>/dev/null; then
        failure="did not load the drop-in from $dropin_dir"
        return 1
      fi
      return 0
    fi
    sleep 0.1
  done
  failure="did not accept on 127.0.0.1:$port within 60 s (log: $log)"
  return 1
}

# stop_server: SIGTERM, SIGKILL after 60 s (callgrind writes its file on the
# way out, which takes a moment). Returns the server's exit status.
stop_server() {
  local i status=0
  [ -n "$server_pid" ] || return 0
  kill -TERM "$server_pid" 2>/dev/null || true
  for ((i = 0; i < 600; i++)); do
    is_alive "$server_pid" || break
    sleep 0.1
  done
  if is_alive "$server_pid"; then
    echo "run.sh: server $server_pid still running 60 s after SIGTERM; killing it" >&2
    kill -KILL "$server_pid" 2>/dev/null || true
  fi
  wait "$server_pid" 2>/dev/null || status=$?
  server_pid=''
  return "$status"
}

# measure NAME C S COUNT BASE: one run; prints callgrind's program total, or
# returns 1 with `failure` set.
measure() {
  local name=$1 c=$2 s=$3 count=$4 base=$5 status=0 outfile total
  outfile=$out_dir/callgrind/$base.out
  pick_port
  if ! start_server "$name" "$outfile" "$out_dir/logs/$base.server.log"; then
    stop_server || true
    return 1
  fi
  "${generator_pin[@]}" timeout --kill-after=5 300 "$generator" --port "$port" --connections "$c" --depth 1 \
    --size "$s" --messages "$count" --connect-timeout 60000 --json \
    >"$out_dir/logs/$base.load.json" 2>"$out_dir/logs/$base.load.log" &
  child_pid=$!
  wait "$child_pid" || status=$?
  child_pid=''
  if [ "$status" != 0 ]; then
    stop_server || true
    failure="eddy-load exited with status $status (log: $out_dir/logs/$base.load.log)"
    return 1
  fi
  if ! failure=$(python3 - "$out_dir/logs/$base.load.json" "$c" "$count" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
want_c, want_m = int(sys.argv[2]), int(sys.argv[3])
errors = sum(r.get("errors", {}).values())
if r["open_connections"] != want_c or r["messages"] != want_m or errors:
    print(f"eddy-load: {r['open_connections']} of {want_c} connections, {r['messages']} of {want_m} messages, {errors} errors")
    sys.exit(1)
EOF
  ); then
    stop_server || true
    return 1
  fi
  stop_server || status=$?
  if [ "$status" != 0 ]; then
    failure="server exited with status $status after SIGTERM (log: $out_dir/logs/$base.server.log)"
    return 1
  fi
  total=$(awk '/^totals:/ { print $2 }' "$outfile" 2>/dev/null)
  [[ $total =~ ^[0-9]+$ ]] || { failure="no totals: line in $outfile"; return 1; }
  echo "$total"
}

started=$(date +%s)
echo "run.sh: ${servers[*]} x connections ${connections[*]} x sizes ${sizes[*]}; M = $messages; results in $out_dir" >&2
failed=0
for name in "${servers[@]}"; do
  for c in "${connections[@]}"; do
    for s in "${sizes[@]}"; do
      failure=''
      base=$name.c$c.s$s
      if total_m=$(measure "$name" "$c" "$s" "$messages" "$base.m1") &&
        total_2m=$(measure "$name" "$c" "$s" $((2 * messages)) "$base.m2"); then
        printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$c" "$s" "$messages" "$total_m" "$total_2m" >>"$cells"
        awk -v n="$name" -v c="$c" -v s="$s" -v a="$total_m" -v b="$total_2m" -v m="$messages" \
          'BEGIN { printf "run.sh: %s c=%s s=%s: %.0f instructions/message\n", n, c, s, (b - a) / m }' >&2
      else
        echo "run.sh: $name c=$c s=$s: $failure" >&2
        printf '%s\t%s\t%s\t%s\tfailed\t%s\n' "$name" "$c" "$s" "$messages" "$failure" >>"$cells"
        failed=1
      fi
    done
  done
done
seconds=$(($(date +%s) - started))

printf '%s\n' "${notes[@]}" >"$out_dir/notes.txt"
python3 - "$cells" "$out_dir" "$seconds" "$build_dir" "bench/instructions/run.sh $*" <<'EOF'
import json, sys
cells_path, out_dir, seconds, build_dir, command = sys.argv[1:6]
notes = [line.rstrip("\n") for line in open(f"{out_dir}/notes.txt") if line.strip()]
rows, lines = [], ["| server | connections | size | instructions/message |", "|---|---:|---:|---:|"]
for line in open(cells_path):
    name, c, s, m, a, b = line.rstrip("\n").split("\t")
    row = {"server": name, "connections": int(c), "size": int(s), "messages": int(m)}
    if a == "failed":
        row["error"] = b
        lines.append(f"| {name} | {c} | {s} | failed |")
    else:
        ipm = (int(b) - int(a)) / int(m)
        row.update(instructions_m=int(a), instructions_2m=int(b), instructions_per_message=round(ipm, 1))
        lines.append(f"| {name} | {c} | {s} | {ipm:.0f} |")
    rows.append(row)
result = {"method": "callgrind totals at 2M minus at M messages, divided by M; eddy-load -d 1",
          "command": command, "build": build_dir, "seconds": int(seconds), "notes": notes, "results": rows}
with open(f"{out_dir}/results.json", "w") as f:
    json.dump(result, f, indent=1)
    f.write("\n")
table = "\n".join(lines) + "\n"
with open(f"{out_dir}/table.md", "w") as f:
    f.write(table)
print(table, end="")
for note in notes:
    print(f"\nnote: {note}")
EOF
echo "run.sh: ${seconds} s; $out_dir/results.json and table.md" >&2
exit "$failed"
