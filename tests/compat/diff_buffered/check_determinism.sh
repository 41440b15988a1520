#!/bin/sh
# check_determinism.sh BUILD-DIR [RUNS]
# Runs every libevent variant of the buffered differential cases RUNS times
# (default 10) on both of libevent's backends and reports any case whose
# stdout or exit status changes between runs. It reuses
# ../diff/check_determinism.sh, which looks for BUILD-DIR/tests/compat/diff/
# diff_*_libevent: a temporary directory of that shape holds symlinks to
# this directory's diffb_*_libevent programs.
set -u
build=${1:?usage: $0 BUILD-DIR [RUNS]}
runs=${2:-10}
here=$(cd "$(dirname "$0")" && pwd)
dir=$(cd "$build/tests/compat/diff_buffered" && pwd) || exit 2
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/tests/compat/diff"
found=0
for bin in "$dir"/diffb_*_libevent; do
  [ -x "$bin" ] || continue
  name=$(basename "$bin" _libevent)
  name=${name#diffb_}
  ln -s "$bin" "$tmp/tests/compat/diff/diff_${name}_libevent"
  found=1
done
if [ $found -eq 0 ]; then
  echo "$0: no diffb_*_libevent programs in $dir (build target eddy_diffb_libevent)" >&2
  exit 2
fi
"$here/../diff/check_determinism.sh" "$tmp" "$runs"
