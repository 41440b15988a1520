#!/usr/bin/env bash
# The cost of accepting, at 2 threads: eddy-echo's default (one listening
# socket shared by its loops, exclusive wakeups, balanced shares) against
# --reuse-port (a SO_REUSEPORT socket per loop, spread by the kernel's hash),
# under connection churn from eddy-bench-churn (connect, one 64-byte echo,
# close). Rounds alternate the two servers, so both see the same machine;
# the table gives medians over rounds of the server's CPU per connection
# (all its threads) and the split between its two loop threads. With
# --syscalls the servers run under `strace -f -c` instead, and the table
# gives system calls per connection, which do not depend on the machine's
# noise (the CPU figures of such a run mean nothing: strace dominates them).
# With --backends epoll,uring each round runs every backend too, and each
# row is compared with the first backend's of the same mode.
#
#   bench/accept/run.sh [--rounds N] [--duration S] [--clients C] [--threads T] [--syscalls]
#                       [--backends LIST]
#
# Needs a release build (cmake --preset release && cmake --build --preset release).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=$root/build/release
rounds=5 duration=3 clients=4 threads=2 syscalls=false backends=${EDDY_BACKEND:-epoll}
while [ $# -gt 0 ]; do
  case $1 in
    --rounds) rounds=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --clients) clients=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --syscalls) syscalls=true; shift ;;
    --backends) backends=$2; shift 2 ;;
    *) echo "usage: bench/accept/run.sh [--rounds N] [--duration S] [--clients C] [--threads T] [--syscalls]" \
            "[--backends LIST]" >&2
       exit 2 ;;
  esac
done
echo_bin=$build/apps/echo/eddy-echo
churn_bin=$build/bench/accept/eddy-bench-churn
for bin in "$echo_bin" "$churn_bin"; do
  [ -x "$bin" ] || { echo "bench/accept/run.sh: $bin is not built" >&2; exit 1; }
done
results=$(mktemp -d)
server_pid= strace_pid=
trap '[ -n "$strace_pid" ] && kill "$strace_pid" 2>/dev/null; [ -n "$server_pid" ] && kill -9 "$server_pid" 2>/dev/null
      rm -rf "$results"' EXIT
if $syscalls && ! command -v strace >/dev/null; then
  echo "bench/accept/run.sh: --syscalls needs strace (apt-get install strace)" >&2
  exit 1
fi

# Below the ephemeral range, which the churn's own client ports sweep.
port=$((20000 + RANDOM % 10000))
IFS=, read -r -a backend_list <<<"$backends"
for round in $(seq "$rounds"); do
  for run in "${backend_list[@]/%/.shared}" "${backend_list[@]/%/.reuse-port}"; do
    backend=${run%%.*} mode=${run#*.}
    flags=(--port "$port" --bind 127.0.0.1 --threads "$threads" --log-level warning --backend "$backend")
    [ "$mode" = reuse-port ] && flags+=(--reuse-port)
    "$echo_bin" "${flags[@]}" & server_pid=$!
    for _ in $(seq 50); do  # up to 5 s for the port to accept
      (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
      kill -0 "$server_pid" 2>/dev/null || { echo "bench/accept/run.sh: eddy-echo did not start" >&2; exit 1; }
      sleep 0.1
    done
    if $syscalls; then
      strace -f -c -p "$server_pid" -o "$results/$run.strace.$round" 2>/dev/null & strace_pid=$!
      sleep 0.5  # attached to every thread before the first client
    fi
    timeout $((${duration%.*} + 30)) "$churn_bin" --port "$port" --clients "$clients" --duration "$duration" \
      --server-pid "$server_pid" >>"$results/$run.jsonl"
    if $syscalls; then
      kill -INT "$strace_pid"; wait "$strace_pid" || true
      strace_pid=
    fi
    kill "$server_pid"; timeout 10 tail --pid="$server_pid" -f /dev/null || kill -9 "$server_pid"
    wait "$server_pid" 2>/dev/null || true
    server_pid=
    port=$((port + 1))
  done
  echo "round $round of $rounds done" >&2
done

python3 - "$results" "$threads" "$syscalls" "$backends" <<'PY'
import glob, json, statistics, sys
results, threads, syscalls = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "true"
backends = sys.argv[4].split(",")
runs_in_order = [f"{b}.{m}" for m in ("shared", "reuse-port") for b in backends]

def label(run):
    backend, mode = run.split(".", 1)
    return mode if len(backends) == 1 else f"{backend}, {mode}"

def strace_counts(path):
    # strace -c: "% time  seconds  usecs/call  calls  [errors]  syscall"
    counts = {}
    for line in open(path):
        fields = line.split()
        if len(fields) >= 5 and fields[0][0].isdigit() and fields[-1] != "total":
            counts[fields[-1]] = int(fields[3])
    return counts

if syscalls:
    print(f"| eddy-echo --threads {threads} | system calls per connection | of which |")
    print("|---|---|---|")
    for run in runs_in_order:
        runs = [json.loads(line) for line in open(f"{results}/{run}.jsonl")]
        per_round = []
        for r, path in zip(runs, sorted(glob.glob(f"{results}/{run}.strace.*"))):
            per_round.append({k: v / r["connections"] for k, v in strace_counts(path).items()})
        total = statistics.median(sum(c.values()) for c in per_round)
        names = sorted(per_round[0], key=lambda k: -per_round[0][k])
        detail = ", ".join(f"{k} {statistics.median(c.get(k, 0) for c in per_round):.2f}" for k in names[:8])
        print(f"| {label(run)} | {total:.2f} | {detail} |")
    sys.exit(0)

rows = {}
for run in runs_in_order:
    runs = [json.loads(line) for line in open(f"{results}/{run}.jsonl")]
    per_conn = [r["server_cpu_s"] / r["connections"] * 1e6 for r in runs]
    rate = [r["connections"] / r["seconds"] for r in runs]
    # The loop threads are the busiest `threads` of the process.
    split = [sorted(r["thread_cpu_s"], reverse=True)[:threads] for r in runs]
    share = [min(s) / max(s) if max(s) > 0 else 1 for s in split]
    rows[run] = (statistics.median(per_conn), statistics.median(rate), statistics.median(share), per_conn)
first = backends[0]
header = f"| eddy-echo --threads {threads} | connections/s | server CPU per connection | vs --reuse-port |"
if len(backends) > 1:
    header += f" vs {first} |"
print(header + " least/most busy loop thread |")
print("|---|---|---|---|" + ("---|" if len(backends) > 1 else "") + "---|")
for run, (cpu, rate, share, _) in rows.items():
    backend, mode = run.split(".", 1)
    name = "default (one shared socket)" if mode == "shared" else "--reuse-port (SO_REUSEPORT group)"
    if len(backends) > 1:
        name = f"{backend}, {name}"
    line = f"| {name} | {rate:,.0f} | {cpu:.2f} us | {cpu / rows[backend + '.reuse-port'][0]:.3f}x |"
    if len(backends) > 1:
        # Ratios of the medians of paired rounds (each round ran every backend).
        line += f" {cpu / rows[first + '.' + mode][0]:.3f}x |"
    print(line + f" {share:.2f} |")
print()
for run, (_, _, _, per_conn) in rows.items():
    print(f"{label(run)}: per-round us/connection " + " ".join(f"{v:.2f}" for v in per_conn))
PY
