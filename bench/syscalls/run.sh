#!/usr/bin/env bash
# System calls per echoed message of each echo server, counted by strace: the
# figure io_uring is meant to lower, where CPU time per message is too noisy
# on a shared machine to show it. See docs/benchmarks.md ("System calls per
# message: bench/syscalls/run.sh").
#
#   bench/syscalls/run.sh [--build DIR] [--loads LIST] [--servers LIST]
#                         [--messages N] [--out DIR] [--list-servers]
#
# For each server and load (W1-W4, the definitions of bench/echo/run.sh, in
# bench/lib/loads.sh): the server is started under `strace -f -c` on a free
# port of 127.0.0.1, eddy-load drives it for M messages in all, the server
# is stopped with SIGTERM and strace's summary (calls per system call, every
# thread) is kept. Then the same again, a fresh server, with 2M messages.
# The figure, in all and per system call, is
#
#     (calls at 2M - calls at M) / M
#
# Start-up, the accepts and closes of the connections, and shutdown are the
# same in both runs and cancel, as in bench/instructions/run.sh. Attaching
# with `strace -p` once the server listens would leave out start-up only,
# not the accepts and closes, and races with threads being created.
#
# strace stops the server at every system call, so the server runs several
# times slower than natively while eddy-load does not: a server's waits
# (epoll_wait, io_uring_enter) find more ready connections than on a native
# run and are spread over more messages. The reads, writes and other calls
# per message do not depend on that. The figures compare servers with one
# another and one commit with another; the waits per message are a lower
# bound of a native run's.
#
# Servers (names as in bench/echo/run.sh; a missing binary is skipped with a
# note): eddy-echo (--threads 1), eddy-echo-uring (--threads 1 --backend
# uring; skipped with a note when eddy falls back to epoll), epoll-echo,
# libevent-event, libevent-bufferevent, and from bench/echo/peers (built in
# DIR/peers) libev, libuv, asio and uring (skipped with a note when it exits
# with status 3: no io_uring).
#
# Builds nothing. Every wait is bounded; a server, strace or load generator
# still running on exit is killed. Exit status: 0 when every selected cell
# was measured, 1 when one failed (its row says so), 2 for a bad command
# line.
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
eddy_root=$(cd "$script_dir/../.." && pwd)

usage() {
  cat <<'EOF'
usage: bench/syscalls/run.sh [options]
  --build DIR         build directory with the binaries (build/release);
                      the peers are looked for in DIR/peers
  --loads LIST        comma-separated subset of W1,W2,W3,W4 (W1); the loads
                      of bench/echo/run.sh
  --servers LIST      comma-separated subset of the servers (all that are
                      built); --list-servers prints their names
  --messages N        M, the messages of the shorter run; the longer one
                      sends 2M (20000)
  --out DIR           results directory (build/bench-results/syscalls):
                      results.json, table.md, logs/ and strace/
  --list-servers      print the server names and exit
EOF
}

build_dir=$eddy_root/build/release
loads_wanted=W1
servers_wanted=''
messages=20000
out_dir=$eddy_root/build/bench-results/syscalls
list_only=0
while [ $# -gt 0 ]; do
  case $1 in
    --build) build_dir=${2:?--build needs a directory}; shift 2 ;;
    --loads) loads_wanted=${2:?--loads needs a list}; shift 2 ;;
    --servers) servers_wanted=${2:?--servers needs a list}; shift 2 ;;
    --messages) messages=${2:?--messages needs a number}; shift 2 ;;
    --out) out_dir=${2:?--out needs a directory}; shift 2 ;;
    --list-servers) list_only=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "run.sh: unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
done
[[ $messages =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: --messages must be a positive integer" >&2; exit 2; }

# shellcheck source=../lib/loads.sh
source "$script_dir/../lib/loads.sh"  # load_spec
loads=()
for load in W1 W2 W3 W4; do
  [[ ",$loads_wanted," == *",$load,"* ]] && loads+=("$load")
done
for load in ${loads_wanted//,/ }; do
  [ -n "${load_spec[$load]:-}" ] || { echo "run.sh: unknown load $load (W1..W4)" >&2; exit 2; }
done
[ ${#loads[@]} -gt 0 ] || { echo "run.sh: --loads selects nothing" >&2; exit 2; }

# name kind path args: kind "main" is relative to the build directory, "peer"
# a binary name in DIR/peers; args are the server's own.
all_servers=(
  "eddy-echo main apps/echo/eddy-echo --threads 1"
  "eddy-echo-uring main apps/echo/eddy-echo --threads 1 --backend uring"
  "epoll-echo main bench/echo/eddy-bench-epoll-echo"
  "libevent-event main examples/eddy-legacy-echo-libevent"
  "libevent-bufferevent main examples/eddy-bufferevent-echo-libevent"
  "libev peer eddy-bench-libev-echo"
  "libuv peer eddy-bench-libuv-echo"
  "asio peer eddy-bench-asio-echo"
  "uring peer eddy-bench-uring-echo"
)
if [ "$list_only" = 1 ]; then
  for entry in "${all_servers[@]}"; do echo "${entry%% *}"; done
  exit 0
fi
if [ -n "$servers_wanted" ]; then
  for name in ${servers_wanted//,/ }; do
    [[ " ${all_servers[*]%% *} " == *" $name "* ]] || {
      echo "run.sh: no server named $name (bench/syscalls/run.sh --list-servers)" >&2
      exit 2
    }
  done
fi

for tool in strace python3 timeout; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool is needed (apt-get install strace python3 coreutils)" >&2; exit 1; }
done
[ -d "$build_dir" ] || { echo "run.sh: no build directory $build_dir" >&2; exit 1; }
build_dir=$(cd "$build_dir" && pwd)
generator=$build_dir/apps/load/eddy-load
[ -x "$generator" ] || { echo "run.sh: $generator is missing: cmake --build $build_dir --target eddy-load" >&2; exit 1; }

# The server on one CPU and the generator on another when there are two.
server_pin=() generator_pin=()
if command -v taskset >/dev/null; then
  read -r cpu_a cpu_b < <(python3 -c 'import os; c = sorted(os.sched_getaffinity(0)); print(c[0], c[-1])')
  if [ "$cpu_a" != "$cpu_b" ]; then
    server_pin=(taskset -c "$cpu_a") generator_pin=(taskset -c "$cpu_b")
  fi
fi

max_connections=0
for load in "${loads[@]}"; do
  read -r c _ _ <<<"${load_spec[$load]}"
  [ "$c" -gt "$max_connections" ] && max_connections=$c
done
hard_nofile=$(ulimit -Hn)
[ "$hard_nofile" = unlimited ] && hard_nofile=65536
[ "$hard_nofile" -gt 65536 ] && hard_nofile=65536
ulimit -n "$hard_nofile" 2>/dev/null || true
if [ "$(ulimit -n)" -lt $((max_connections + 64)) ]; then
  echo "run.sh: $max_connections connections need $((max_connections + 64)) open files; the limit is $(ulimit -n)" >&2
  exit 1
fi

# Which servers run: name -> binary and arguments (printf %q words), and the
# backend eddy must report for the rows that ask for one it may fall back from.
notes=() servers=()
declare -A server_cmd server_backend=()
for entry in "${all_servers[@]}"; do
  read -r name kind path args <<<"$entry"
  if [ -n "$servers_wanted" ] && [[ ",$servers_wanted," != *",$name,"* ]]; then
    continue
  fi
  if [ "$kind" = peer ]; then
    binary=$build_dir/peers/$path
    hint="bench/echo/peers/README.md: cmake -S bench/echo/peers -B $build_dir/peers"
  else
    binary=$build_dir/$path
    hint="cmake --build $build_dir --target ${path##*/}"
  fi
  if [ ! -x "$binary" ]; then
    notes+=("$name: $binary is not built ($hint); skipped")
    continue
  fi
  servers+=("$name")
  read -r -a words <<<"$args"
  server_cmd[$name]=$(printf '%q ' "$binary" "${words[@]}")
  [ "$name" = eddy-echo-uring ] && server_backend[$name]=uring
done
[ ${#servers[@]} -gt 0 ] || { for note in "${notes[@]}"; do echo "run.sh: note: $note" >&2; done; echo "run.sh: no server to run" >&2; exit 1; }

mkdir -p "$out_dir"
rm -rf "$out_dir/logs" "$out_dir/strace"
mkdir -p "$out_dir/logs" "$out_dir/strace"
cells=$out_dir/cells.tsv
: >"$cells"

strace_pid='' server_pid='' child_pid=''
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
  local pid
  [ -z "$child_pid" ] || kill -KILL "$child_pid" 2>/dev/null || true
  [ -z "$server_pid" ] || kill -KILL "$server_pid" 2>/dev/null || true
  if [ -n "$strace_pid" ]; then
    # strace's children too: the server, before start_server has found it.
    for pid in $(cat "/proc/$strace_pid/task/"*/children 2>/dev/null || true); do
      kill -KILL "$pid" 2>/dev/null || true
    done
    kill -KILL "$strace_pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# shellcheck source=../lib/processes.sh
source "$script_dir/../lib/processes.sh"  # pick_port, is_alive
next_port=$((30000 + RANDOM % 2000))  # where pick_port starts looking

# start_server NAME OUTFILE LOG: the server under strace on 127.0.0.1:$port;
# sets strace_pid and server_pid (strace's child: taskset execs the server).
# Returns 1, with `failure` set, when it exits, does not accept within 20 s,
# or (eddy-echo-uring) runs on another backend than the one asked for; with
# `skip` set too when that is this machine's doing (no io_uring), not a
# failure. The one probe connection it accepts is in both runs alike.
start_server() {
  local name=$1 outfile=$2 log=$3 i j status=0 command line warning binary child children=()
  eval "command=(${server_cmd[$name]})"
  binary=$(readlink -f "${command[0]}")
  # -o FILE with a command: strace blocks the fatal signals (-I 3), so
  # SIGTERM goes to the server, not to strace, which writes its summary
  # once the server has exited.
  strace -f -c -o "$outfile" "${server_pin[@]}" "${command[@]}" --port "$port" --bind 127.0.0.1 >"$log" 2>&1 &
  strace_pid=$! server_pid=''
  for ((i = 0; i < 200; i++)); do
    if ! is_alive "$strace_pid"; then
      wait "$strace_pid" 2>/dev/null || status=$?
      strace_pid='' server_pid=''
      failure="exited with status $status at start (log: $log)"
      if [ "$status" = 3 ] && [ "$name" = uring ]; then
        failure="io_uring is not available here (exit status 3)" skip=1
      fi
      return 1
    fi
    # The server is the child of strace that runs the server's binary: the
    # first child listed can be a short-lived one of strace's own, and
    # SIGTERM sent there left the server running.
    server_pid=''
    read -r -a children < <(cat "/proc/$strace_pid/task/"*/children 2>/dev/null || true) || true
    for child in "${children[@]}"; do
      if [ "$(readlink "/proc/$child/exe" 2>/dev/null)" = "$binary" ]; then server_pid=$child; fi
    done
    if [ -n "$server_pid" ] && (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      [ -n "${server_backend[$name]:-}" ] || return 0
      # eddy-echo prints "listening on ADDRESS (BACKEND, N thread)" just
      # after it starts to accept.
      for ((j = 0; j < 40; j++)); do
        line=$(grep -m1 'listening on ' "$log" 2>/dev/null || true)
        [ -z "$line" ] || break
        sleep 0.05
      done
      [[ $line == *"(${server_backend[$name]},"* ]] && return 0
      if [ -z "$line" ]; then
        failure="printed no 'listening on' line within 2 s; cannot tell its backend (log: $log)"
      else
        warning=$(grep -m1 -o 'io_uring unavailable (.*); using epoll' "$log" 2>/dev/null || true)
        failure="asked for the ${server_backend[$name]} backend but runs on another: ${line#*listening on }${warning:+ ($warning)}"
        skip=1
      fi
      return 1
    fi
    sleep 0.1
  done
  failure="did not accept on 127.0.0.1:$port within 20 s (log: $log)"
  return 1
}

# stop_server: SIGTERM to the server, SIGKILL to it and strace after 20 s.
# Returns the server's exit status (strace's is the server's).
stop_server() {
  local i status=0
  [ -n "$strace_pid" ] || return 0
  if [ -n "$server_pid" ]; then
    kill -TERM "$server_pid" 2>/dev/null || true
  else
    kill -KILL "$strace_pid" 2>/dev/null || true
  fi
  for ((i = 0; i < 200; i++)); do
    is_alive "$strace_pid" || break
    sleep 0.1
  done
  if is_alive "$strace_pid"; then
    echo "run.sh: server $server_pid still running 20 s after SIGTERM; killing it and strace" >&2
    [ -z "$server_pid" ] || kill -KILL "$server_pid" 2>/dev/null || true
    kill -KILL "$strace_pid" 2>/dev/null || true
  fi
  wait "$strace_pid" 2>/dev/null || status=$?
  strace_pid='' server_pid=''
  return "$status"
}

# measure NAME LOAD COUNT BASE: one run; sets `summary` to strace's summary
# file, or returns 1 with `failure` (and, for a machine without io_uring,
# `skip`) set. Not to be run in a subshell: those are globals.
measure() {
  local name=$1 load=$2 count=$3 base=$4 status=0 outfile c d s
  read -r c d s <<<"${load_spec[$load]}"
  outfile=$out_dir/strace/$base.txt
  pick_port
  if ! start_server "$name" "$outfile" "$out_dir/logs/$base.server.log"; then
    stop_server || true
    return 1
  fi
  "${generator_pin[@]}" timeout --kill-after=5 300 "$generator" --port "$port" --connections "$c" --depth "$d" \
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
  grep -q ' total$' "$outfile" 2>/dev/null || { failure="no strace summary in $outfile"; return 1; }
  summary=$outfile
}

started=$(date +%s)
echo "run.sh: ${servers[*]} x loads ${loads[*]}; M = $messages; results in $out_dir" >&2
failed=0
for name in "${servers[@]}"; do
  for load in "${loads[@]}"; do
    failure='' skip=0 summary=''
    base=$name.$load
    if measure "$name" "$load" "$messages" "$base.m1" && file_m=$summary &&
      measure "$name" "$load" $((2 * messages)) "$base.m2"; then
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$load" "${load_spec[$load]}" "$messages" ok "$file_m" "$summary" >>"$cells"
      echo "run.sh: $name $load: measured" >&2
    else
      echo "run.sh: $name $load: $failure" >&2
      if [ "$skip" = 1 ]; then
        notes+=("$name: $failure; skipped")
      else
        printf '%s\t%s\t%s\t%s\tfailed\t%s\t\n' "$name" "$load" "${load_spec[$load]}" "$messages" "$failure" >>"$cells"
        failed=1
      fi
    fi
  done
done
seconds=$(($(date +%s) - started))

for note in "${notes[@]}"; do echo "run.sh: note: $note" >&2; done
printf '%s\n' "${notes[@]}" >"$out_dir/notes.txt"
python3 - "$cells" "$out_dir" "$seconds" "$build_dir" "bench/syscalls/run.sh $*" <<'EOF'
import json, re, sys
cells_path, out_dir, seconds, build_dir, command = sys.argv[1:6]
notes = [line.rstrip("\n") for line in open(f"{out_dir}/notes.txt") if line.strip()]
TOP = 5  # system calls named per row

def calls(path):
    """strace -c's summary: {system call: calls}, every thread together."""
    counts = {}
    for line in open(path):
        # % time, seconds, usecs/call, calls, [errors], name
        m = re.match(r"^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?([a-z_0-9]+)\s*$", line)
        if m and m.group(2) != "total":
            counts[m.group(2)] = counts.get(m.group(2), 0) + int(m.group(1))
    return counts

rows = []
lines = ["| server | load | syscalls/message | top system calls per message |", "|---|---|---:|---|"]
for line in open(cells_path):
    name, load, spec, m, state, a, b = line.rstrip("\n").split("\t")
    m = int(m)
    c, d, s = map(int, spec.split())
    row = {"server": name, "load": load, "connections": c, "depth": d, "size": s, "messages": m}
    if state == "failed":
        row["error"] = a
        lines.append(f"| {name} | {load} | failed | {a} |")
    else:
        at_m, at_2m = calls(a), calls(b)
        per = {k: (at_2m.get(k, 0) - at_m.get(k, 0)) / m for k in set(at_m) | set(at_2m)}
        total = (sum(at_2m.values()) - sum(at_m.values())) / m
        top = sorted(((v, k) for k, v in per.items() if round(v, 2) != 0), reverse=True)[:TOP]
        row.update(calls_m=sum(at_m.values()), calls_2m=sum(at_2m.values()), syscalls_per_message=round(total, 3),
                   per_message={k: round(v, 4) for k, v in sorted(per.items(), key=lambda kv: -kv[1]) if v})
        lines.append(f"| {name} | {load} | {total:.2f} | " + ", ".join(f"{k} {v:.2f}" for v, k in top) + " |")
    rows.append(row)
result = {"method": "strace -f -c calls at 2M minus at M messages, divided by M; eddy-load --messages",
          "command": command, "build": build_dir,
          "seconds": int(seconds), "notes": notes, "results": rows}
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
