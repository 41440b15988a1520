#!/usr/bin/env bash
# Draws a bench/echo/run.sh run as PNG charts with gnuplot:
#
#   bench/echo/plot.sh RUN_DIR [OUT_DIR]
#
# From RUN_DIR/results.json (summarize.py report --json) it writes, in OUT_DIR
# (default RUN_DIR/plots):
#   msgs_per_sec.png           thousands of messages/s, one panel per load
#   server_cpu_us_per_msg.png  server CPU µs per message, one panel per load
#   p99_us.png                 p99 round-trip latency, one panel per load
#   bytes_per_connection.png   W5: server memory per idle connection
# Bars are the medians over rounds, whiskers the lowest and highest round;
# † after a name: the load generator was above 90 % CPU in that cell.
# eddy's rows are blue (eddy-echo, its multi-core rows, and, lighter, the
# libevent compat layer), the hand-written epoll server dark grey, the other
# libraries light grey. Needs gnuplot with the pngcairo terminal
# (Debian: gnuplot-nox) and python3.
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
  exit 2
fi
run_dir=$1
out_dir=${2:-$run_dir/plots}
[ -f "$run_dir/results.json" ] || { echo "plot.sh: no $run_dir/results.json" >&2; exit 1; }
command -v gnuplot >/dev/null || { echo "plot.sh: gnuplot is not installed (apt-get install gnuplot-nox)" >&2; exit 1; }

data=$out_dir/data
mkdir -p "$data"
python3 "$script_dir/summarize.py" plotdata "$run_dir" "$data" >/dev/null
title=$(cat "$data/title.txt")
declare -A label=()
while IFS=$'\t' read -r load text; do label[$load]=$text; done <"$data/labels.tsv"

# The gnuplot settings every chart shares.
common=$(cat <<'EOF'
set datafile separator "\t"
set style fill solid 0.85 border rgb "#333333"
set boxwidth 0.75
set grid ytics lc rgb "#dddddd"
set border 3
set xtics nomirror rotate by 35 right font ",8"
set ytics nomirror font ",8"
set yrange [0:*]
set offsets 0.5, 0.5, 0, 0
color(s) = strstrt(s, "eddy-echo") == 1 ? 0x1f5fa8 : \
           strstrt(s, "compat-") == 1 ? 0x7fb0e0 : \
           s eq "epoll-echo" ? 0x444444 : 0xb0b0b0
name(s, busy) = busy != 0 ? s." †" : s
EOF
)

# chart METRIC YLABEL HEADING: one panel per load that has a data file.
chart() {
  local metric=$1 ylabel=$2 heading=$3 files=() load panels
  for load in W1 W2 W3 W4; do
    [ -s "$data/$metric.$load.tsv" ] && files+=("$load")
  done
  [ ${#files[@]} -gt 0 ] || return 0
  if [ ${#files[@]} -le 2 ]; then panels="1,${#files[@]}"; else panels="2,2"; fi
  {
    echo "set terminal pngcairo size 1100,$([ ${#files[@]} -le 2 ] && echo 430 || echo 820) font 'DejaVu Sans,9'"
    echo "set output '$out_dir/$metric.png'"
    echo "$common"
    printf '%s\n' "set multiplot layout $panels title \"$heading\\n{/*0.8 $title}\""
    echo "set ylabel '$ylabel'"
    for load in "${files[@]}"; do
      echo "set title \"${label[$load]:-$load}\" font ',9'"
      echo "plot '$data/$metric.$load.tsv' using 0:2:(0.75):(color(strcol(1))):xtic(name(strcol(1), \$5)) with boxes lc rgb variable notitle, \\"
      echo "     '' using 0:3:(0):(\$4-\$3) with vectors nohead lw 1.2 lc rgb '#222222' notitle"
    done
    echo "unset multiplot"
  } | gnuplot
  echo "$out_dir/$metric.png"
}

chart msgs_per_sec "thousand messages/s" "Messages per second (higher is better)"
chart server_cpu_us_per_msg "server CPU µs per message" "Server CPU time per message (lower is better)"
chart p99_us "p99 latency, µs" "p99 round-trip latency (lower is better)"

if [ -s "$data/bytes_per_connection.W5.tsv" ]; then
  {
    echo "set terminal pngcairo size 800,430 font 'DejaVu Sans,9'"
    echo "set output '$out_dir/bytes_per_connection.png'"
    echo "$common"
    printf '%s\n' "set title \"${label[W5]:-W5}: server memory (VmRSS) per idle connection (lower is better)\\n{/*0.8 $title}\""
    echo "set ylabel 'bytes per idle connection'"
    echo "plot '$data/bytes_per_connection.W5.tsv' using 0:2:(0.75):(color(strcol(1))):xtic(strcol(1)) with boxes lc rgb variable notitle, \\"
    echo "     '' using 0:3:(0):(\$4-\$3) with vectors nohead lw 1.2 lc rgb '#222222' notitle, \\"
    echo "     '' using 0:2:(sprintf('%.0f', \$2)) with labels offset 0,0.7 font ',8' notitle"
  } | gnuplot
  echo "$out_dir/bytes_per_connection.png"
fi
