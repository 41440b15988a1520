#!/usr/bin/env bash
# compare_dispatch.sh [--rounds N] [--min-time S] [--out DIR] [BENCH_DIR]
#
# The bench.c shape (dispatch_shape.hpp) three ways, interleaved so that a
# noisy minute of a shared machine hurts all three alike: for each round, for
# each pipes/active case, run eddy-bench-dispatch (epoll only),
# eddy-bench-dispatch-compat and eddy-bench-dispatch-libevent on that case
# alone, one after the other. Then print, per case, the median over rounds
# of the time per iteration (wall), ns per event (wall and thread CPU), and
# the ratios compat / libevent and native / libevent (above 1: slower than
# libevent).
#
# BENCH_DIR holds the three binaries (default: build/release/bench/micro);
# without eddy-bench-dispatch-libevent (no libevent-dev) only the first two
# run. The JSON of every run stays in --out (default: a new directory under
# /tmp). Needs python3. The 10 000-pipe cases need an RLIMIT_NOFILE hard
# limit above 20 032; where it is lower they are reported as skipped.
set -euo pipefail

rounds=7
min_time=0.2
out=
script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bench_dir=$script_dir/../../build/release/bench/micro

usage() {
  sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
  exit 2
}
while [[ $# -gt 0 ]]; do
  case $1 in
    --rounds) rounds=${2:?}; shift 2 ;;
    --min-time) min_time=${2:?}; shift 2 ;;
    --out) out=${2:?}; shift 2 ;;
    -h | --help) usage ;;
    -*) echo "compare_dispatch.sh: unknown option $1" >&2; usage ;;
    *) bench_dir=$1; shift ;;
  esac
done
[[ -x $bench_dir/eddy-bench-dispatch && -x $bench_dir/eddy-bench-dispatch-compat ]] ||
  { echo "compare_dispatch.sh: no eddy-bench-dispatch{,-compat} in $bench_dir" >&2; exit 1; }
if [[ -z $out ]]; then
  out=$(mktemp -d /tmp/eddy-compare-dispatch.XXXXXX)
fi
mkdir -p "$out"

variants=(native compat)
[[ -x $bench_dir/eddy-bench-dispatch-libevent ]] && variants+=(libevent)
cases=(pipes:100/active:1/ pipes:1000/active:1/ pipes:10000/active:1/
       pipes:100/active:100/ pipes:1000/active:100/ pipes:10000/active:100/)

for ((round = 1; round <= rounds; ++round)); do
  for case in "${cases[@]}"; do
    tag=${case//[:\/]/}
    for variant in "${variants[@]}"; do
      case $variant in
        native) binary=eddy-bench-dispatch; filter="BM_Dispatch/epoll/$case" ;;
        *) binary=eddy-bench-dispatch-$variant; filter="BM_Dispatch/$variant/$case" ;;
      esac
      "$bench_dir/$binary" --benchmark_filter="$filter" --benchmark_min_time="$min_time" \
        --benchmark_format=json >"$out/$variant.$tag.r$round.json" 2>/dev/null
    done
  done
  echo "round $round of $rounds done" >&2
done

python3 - "$out" <<'PY'
import glob, json, re, statistics, sys

runs = {}
skipped = {}
for path in glob.glob(sys.argv[1] + "/*.json"):
    variant = path.rsplit("/", 1)[1].split(".")[0]
    for b in json.load(open(path))["benchmarks"]:
        m = re.search(r"pipes:(\d+)/active:(\d+)", b["name"])
        key = (int(m[1]), int(m[2]))
        if b.get("error_occurred"):
            skipped[key] = b.get("error_message", "")
            continue
        runs.setdefault(key, {}).setdefault(variant, []).append(
            (b["real_time"], b["ns_per_event"], b["cpu_ns_per_event"]))

def med(rows, i):
    return statistics.median(r[i] for r in rows)

def ratio(row, a, b, i):
    return f"{med(row[a], i) / med(row[b], i):.2f}" if a in row and b in row else "-"

variants = ["native", "compat", "libevent"]
print("medians over rounds; us/iter and ns/event are wall-clock, cpu ns/event the thread's CPU time")
print("| pipes | active | rounds | " + " | ".join(f"{v} us/iter | {v} ns/event | {v} cpu ns/event" for v in variants)
      + " | compat/libevent (wall) | compat/libevent (cpu) | native/libevent (wall) | native/libevent (cpu) |")
print("|---:" * (3 + 3 * len(variants) + 4) + "|")
for key in sorted(set(runs) | set(skipped), key=lambda k: (k[1], k[0])):
    if key not in runs:
        print(f"| {key[0]} | {key[1]} | 0 | skipped: {skipped[key]} |")
        continue
    row = runs[key]
    cells = []
    for v in variants:
        if v in row:
            cells += [f"{med(row[v], 0):.1f}", f"{med(row[v], 1):.0f}", f"{med(row[v], 2):.0f}"]
        else:
            cells += ["-", "-", "-"]
    rounds = min(len(r) for r in row.values())
    print(f"| {key[0]} | {key[1]} | {rounds} | " + " | ".join(cells) + " | "
          + " | ".join([ratio(row, "compat", "libevent", 0), ratio(row, "compat", "libevent", 2),
                        ratio(row, "native", "libevent", 0), ratio(row, "native", "libevent", 2)]) + " |")
print(f"JSON: {sys.argv[1]}")
PY
