#!/usr/bin/env bash
# The CI guard on eddy-echo's data path: measures eddy-echo's user-space
# instructions per message (bench/instructions/run.sh: 50 connections,
# 64-byte ping-pong, callgrind) and fails when they exceed the ceiling
# committed in bench/instructions/ceiling.txt.
#
#   bench/instructions/ceiling.sh BUILD_DIR [--ceiling FILE]
#
# BUILD_DIR must hold apps/echo/eddy-echo and apps/load/eddy-load. FILE
# (default bench/instructions/ceiling.txt): '#' comment lines, then
# `eddy-echo 64 50 N` (server, size, connections, ceiling). Takes about
# 10 s. Exit status: 0 within the ceiling, 1 above it or when the
# measurement failed, 2 for a bad command line or ceiling file.
#
# Instruction counts are exact for one binary, but another compiler, glibc
# or valgrind changes them: the ceiling is set on the project's reference
# toolchain (Debian 12, GCC 12) at 1.2 times the figure measured there, and
# is raised on purpose, in the commit that explains why, never to make a
# run pass.
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ceiling_file=$script_dir/ceiling.txt
build_dir=''
while [ $# -gt 0 ]; do
  case $1 in
    --ceiling) ceiling_file=${2:?--ceiling needs a file}; shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "ceiling.sh: unknown option $1" >&2; exit 2 ;;
    *)
      [ -z "$build_dir" ] || { echo "ceiling.sh: one build directory only" >&2; exit 2; }
      build_dir=$1
      shift
      ;;
  esac
done
[ -n "$build_dir" ] || { echo "usage: bench/instructions/ceiling.sh BUILD_DIR [--ceiling FILE]" >&2; exit 2; }
[ -f "$ceiling_file" ] || { echo "ceiling.sh: no ceiling file $ceiling_file" >&2; exit 2; }

# The one line this guard knows: eddy-echo at 64 bytes and 50 connections.
read -r server size connections ceiling < <(grep -v '^[[:space:]]*#' "$ceiling_file" | grep -v '^[[:space:]]*$' | head -1) || true
if [ "${server:-}" != eddy-echo ] || [ "${size:-}" != 64 ] || [ "${connections:-}" != 50 ] ||
  ! [[ ${ceiling:-} =~ ^[1-9][0-9]*$ ]]; then
  echo "ceiling.sh: $ceiling_file: expected a line 'eddy-echo 64 50 N' after the comments" >&2
  exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/eddy-instr-ceiling.XXXXXX")
trap 'rm -rf "$work"' EXIT
status=0
timeout --kill-after=10 300 "$script_dir/run.sh" --build "$build_dir" --servers eddy-echo \
  --connections "$connections" --sizes "$size" --out "$work" >"$work/run.out" 2>"$work/run.err" || status=$?
measured=$(python3 - "$work/results.json" <<'EOF' 2>/dev/null || true
import json, sys
rows = json.load(open(sys.argv[1]))["results"]
print(rows[0]["instructions_per_message"] if rows and "instructions_per_message" in rows[0] else "")
EOF
)
if [ "$status" != 0 ] || [ -z "$measured" ]; then
  echo "ceiling.sh: FAILED: could not measure eddy-echo's instructions/message (run.sh exited with status $status):" >&2
  cat "$work/run.err" >&2
  exit 1
fi
verdict=$(python3 -c 'import sys; m, c = float(sys.argv[1]), int(sys.argv[2]); print(f"{m:.0f} {100 * (m / c - 1):+.1f}", "over" if m > c else "ok")' \
  "$measured" "$ceiling")
read -r rounded percent result <<<"$verdict"
if [ "$result" = over ]; then
  echo "ceiling.sh: FAILED: eddy-echo, $size-byte messages, $connections connections: $rounded instructions/message," \
    "above the ceiling of $ceiling ($percent %) in $ceiling_file. Find what added them (callgrind files:" \
    "bench/instructions/run.sh --build $build_dir --servers eddy-echo --connections 50 --sizes 64, then" \
    "callgrind_annotate build/bench-results/instructions/callgrind/*.m2.out); raise the ceiling only on purpose." >&2
  exit 1
fi
echo "ceiling.sh: ok: eddy-echo, $size-byte messages, $connections connections: $rounded instructions/message," \
  "ceiling $ceiling ($percent %)" >&2
