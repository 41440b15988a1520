#!/usr/bin/env bash
# Soak test for eddy-echo (not part of CI): runs the server under a mixed,
# churning load for a set time, samples its memory and descriptors every
# second, and fails if either keeps growing after the warm-up.
#
#   tests/soak/soak.sh [--duration S] [--warmup S] [--threads N] [--out DIR] [--build DIR]
#
# Load, all from eddy-load on loopback, every byte checked by it:
#   - 50 ping-pong connections of 64-byte messages, for the whole run;
#   - 10 pipelined connections (depth 8) of 4 KiB messages, for the whole run;
#   - 4 bulk connections (depth 2) of 64 KiB messages, for the whole run;
#   - churn: 200 connections opened, used for 2 s and closed, over and over.
# Output in DIR: samples.csv (second, rss_kib, fds, messages_per_s, open),
# soak.png (gnuplot, when installed), the server's and generators' logs, and
# verdict.txt. Exit status 0 when RSS and fds stayed flat after the warm-up
# and no generator reported an error.
set -euo pipefail

duration=600
warmup=60
threads=1
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=$root/build/release
out=
while [ $# -gt 0 ]; do
  case $1 in
    --duration) duration=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "soak.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [ "$warmup" -ge "$duration" ]; then
  echo "soak.sh: --warmup ($warmup s) must be shorter than --duration ($duration s)" >&2
  exit 2
fi
echo_bin=$build/apps/echo/eddy-echo
load_bin=$build/apps/load/eddy-load
for bin in "$echo_bin" "$load_bin"; do
  if [ ! -x "$bin" ]; then
    echo "soak.sh: $bin is not built (cmake --preset release && cmake --build --preset release)" >&2
    exit 2
  fi
done
out=${out:-$root/build/soak-$(date -u +%Y%m%d-%H%M%S)}
mkdir -p "$out"
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# A free port: let the kernel pick one, then give it back.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -n "${server:-}" ] && kill "$server" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

"$echo_bin" --bind 127.0.0.1 --port "$port" --threads "$threads" --stats 1 --max-buffer 1MiB \
  2>"$out/server.log" &
server=$!
for _ in $(seq 50); do
  grep -q "listening on" "$out/server.log" 2>/dev/null && break
  sleep 0.1
done
grep -q "listening on" "$out/server.log" || { echo "soak.sh: eddy-echo did not start:" >&2; cat "$out/server.log" >&2; exit 1; }

# The generators outlast the sampling by a few seconds, so that every sample
# is taken under load.
run_load() {  # NAME ARGS...: one eddy-load for the whole run
  local name=$1; shift
  "$load_bin" --port "$port" --duration "$((duration + 5))" --json "$@" >"$out/load-$name.json" \
    2>"$out/load-$name.log" &
  pids+=($!)
}
run_load pingpong -c 50 -d 1 -s 64
run_load pipelined -c 10 -d 8 -s 4096
run_load bulk -c 4 -d 2 -s 65536
# Churn: short runs back to back until the deadline; each checks its bytes.
(
  end=$((SECONDS + duration + 2))
  round=0
  while [ $SECONDS -lt $end ]; do
    round=$((round + 1))
    if ! "$load_bin" --port "$port" -c 200 -d 1 -s 512 --duration 2 >>"$out/load-churn.log" 2>&1; then
      echo "churn round $round failed" >>"$out/churn-errors.log"
    fi
  done
) &
pids+=($!)

echo "second,rss_kib,fds,messages_per_s,open" >"$out/samples.csv"
start_ns=$(date +%s%N)
for ((second = 1; second <= duration; second++)); do
  # Sleep to the next whole second of the run, whatever sampling took.
  wait_ns=$((start_ns + second * 1000000000 - $(date +%s%N)))
  if [ $wait_ns -gt 0 ]; then
    sleep "$((wait_ns / 1000000000)).$(printf '%09d' $((wait_ns % 1000000000)))"
  fi
  rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$server/status" 2>/dev/null || echo "")
  [ -n "$rss" ] || { echo "soak.sh: eddy-echo exited during the run" >&2; exit 1; }
  fds=$(ls "/proc/$server/fd" 2>/dev/null | wc -l)
  # The last stats line: messages=DELTA/TOTAL over its 1 s interval, open=N.
  line=$(grep "stats interval" "$out/server.log" | tail -1 || true)
  msgs=$(sed -n 's/.* messages=\([0-9]*\)\/.*/\1/p' <<<"$line")
  open=$(sed -n 's/.* open=\([0-9]*\) .*/\1/p' <<<"$line")
  echo "$second,$rss,$fds,${msgs:-0},${open:-0}" >>"$out/samples.csv"
done

for pid in "${pids[@]}"; do wait "$pid" || true; done
pids=()

# Verdict: compare the first and last fifth of the samples after the
# warm-up. Growth beyond a small allowance in either is a leak.
verdict=$(python3 - "$out/samples.csv" "$warmup" <<'PY'
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if int(r["second"]) > int(sys.argv[2])]
if len(rows) < 10:
    print("FAIL too few samples after the warm-up"); sys.exit()
k = max(1, len(rows) // 5)
def avg(part, key): return sum(float(r[key]) for r in part) / len(part)
rss0, rss1 = avg(rows[:k], "rss_kib"), avg(rows[-k:], "rss_kib")
fd0, fd1 = avg(rows[:k], "fds"), avg(rows[-k:], "fds")
msgs = avg(rows, "messages_per_s")
ok_rss = rss1 <= rss0 * 1.05 + 1024          # 5 % and 1 MiB of slack
ok_fds = fd1 <= fd0 + 20                      # the churn's connections come and go
print(("PASS" if ok_rss and ok_fds else "FAIL") +
      f" rss_kib {rss0:.0f} -> {rss1:.0f}, fds {fd0:.0f} -> {fd1:.0f}, {msgs:.0f} messages/s on average")
PY
)
errors=0
for f in "$out"/load-*.json; do
  python3 - "$f" <<'PY' || errors=1
import json, sys
e = json.load(open(sys.argv[1]))["errors"]
sys.exit(1 if sum(e.values()) else 0)
PY
done
[ -s "$out/churn-errors.log" ] && errors=1
[ $errors -eq 0 ] || verdict="FAIL generator errors (see $out/load-*); $verdict"
echo "$verdict" | tee "$out/verdict.txt"

if command -v gnuplot >/dev/null; then
  gnuplot <<GP
set terminal pngcairo size 1000,700 noenhanced font ",10"
set output "$out/soak.png"
set datafile separator ","
set multiplot layout 3,1 title "eddy-echo soak: $duration s, warm-up $warmup s ($verdict)"
set xlabel "seconds"
set ylabel "RSS, KiB"
plot "$out/samples.csv" using 1:2 skip 1 with lines title "VmRSS"
set ylabel "open fds"
plot "$out/samples.csv" using 1:3 skip 1 with lines title "fds"
set ylabel "messages/s"
plot "$out/samples.csv" using 1:4 skip 1 with lines title "echoed messages per second"
unset multiplot
GP
  echo "soak.sh: plot in $out/soak.png"
fi
echo "soak.sh: samples in $out/samples.csv"
[[ $verdict == PASS* ]]
