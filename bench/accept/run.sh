#!/usr/bin/env bash
# The cost of accepting, at 2 threads: eddy-echo's default (one listening
# socket shared by its loops, exclusive wakeups, balanced shares) against
# --reuse-port (a SO_REUSEPORT socket per loop, spread by the kernel's hash),
# under connection churn from eddy-bench-churn (connect, one 64-byte echo,
# close). Rounds alternate the two servers, so both see the same machine;
# the table gives medians over rounds of the server's CPU per connection
# (all its threads) and the split between its two loop threads.
#
#   bench/accept/run.sh [--rounds N] [--duration S] [--clients C] [--threads T]
#
# Needs a release build (cmake --preset release && cmake --build --preset release).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=$root/build/release
rounds=5 duration=3 clients=4 threads=2
while [ $# -gt 0 ]; do
  case $1 in
    --rounds) rounds=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --clients) clients=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    *) echo "usage: bench/accept/run.sh [--rounds N] [--duration S] [--clients C] [--threads T]" >&2; exit 2 ;;
  esac
done
echo_bin=$build/apps/echo/eddy-echo
churn_bin=$build/bench/accept/eddy-bench-churn
for bin in "$echo_bin" "$churn_bin"; do
  [ -x "$bin" ] || { echo "bench/accept/run.sh: $bin is not built" >&2; exit 1; }
done
results=$(mktemp -d)
server_pid=
trap '[ -n "$server_pid" ] && kill -9 "$server_pid" 2>/dev/null; rm -rf "$results"' EXIT

# Below the ephemeral range, which the churn's own client ports sweep.
port=$((20000 + RANDOM % 10000))
for round in $(seq "$rounds"); do
  for mode in shared reuse-port; do
    flags=(--port "$port" --bind 127.0.0.1 --threads "$threads" --log-level warning)
    [ "$mode" = reuse-port ] && flags+=(--reuse-port)
    "$echo_bin" "${flags[@]}" & server_pid=$!
    for _ in $(seq 50); do  # up to 5 s for the port to accept
      (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
      kill -0 "$server_pid" 2>/dev/null || { echo "bench/accept/run.sh: eddy-echo did not start" >&2; exit 1; }
      sleep 0.1
    done
    timeout $((${duration%.*} + 30)) "$churn_bin" --port "$port" --clients "$clients" --duration "$duration" \
      --server-pid "$server_pid" >>"$results/$mode.jsonl"
    kill "$server_pid"; timeout 10 tail --pid="$server_pid" -f /dev/null || kill -9 "$server_pid"
    wait "$server_pid" 2>/dev/null || true
    server_pid=
    port=$((port + 1))
  done
  echo "round $round of $rounds done" >&2
done

python3 - "$results" "$threads" <<'PY'
import json, statistics, sys
results, threads = sys.argv[1], int(sys.argv[2])
rows = {}
for mode in ("shared", "reuse-port"):
    runs = [json.loads(line) for line in open(f"{results}/{mode}.jsonl")]
    per_conn = [r["server_cpu_s"] / r["connections"] * 1e6 for r in runs]
    rate = [r["connections"] / r["seconds"] for r in runs]
    # The loop threads are the busiest `threads` of the process.
    split = [sorted(r["thread_cpu_s"], reverse=True)[:threads] for r in runs]
    share = [min(s) / max(s) if max(s) > 0 else 1 for s in split]
    rows[mode] = (statistics.median(per_conn), statistics.median(rate), statistics.median(share), per_conn)
base = rows["reuse-port"][0]
print(f"| eddy-echo --threads {threads} | connections/s | server CPU per connection | vs --reuse-port | least/most busy loop thread |")
print("|---|---|---|---|---|")
for mode, (cpu, rate, share, _) in rows.items():
    name = "default (one shared socket)" if mode == "shared" else "--reuse-port (SO_REUSEPORT group)"
    print(f"| {name} | {rate:,.0f} | {cpu:.2f} us | {cpu / base:.3f}x | {share:.2f} |")
print()
for mode, (_, _, _, per_conn) in rows.items():
    print(f"{mode}: per-round us/connection " + " ".join(f"{v:.2f}" for v in per_conn))
PY
