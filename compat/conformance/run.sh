#!/usr/bin/env bash
# libevent 2.1.12's own regression suite (test/regress in its source) as the
# acceptance test of eddy's compat layer; docs/compat.md, "libevent's
# regression suite", says what it shows.
#
#   compat/conformance/run.sh [EDDY_BUILD_DIR] [--work DIR] [--jobs N]
#                             [--timeout S] [--only GROUP] [--update] [--tsan]
#
# It fetches libevent's Debian source package (from deb.debian.org, once),
# builds real libevent and its test/regress in the work dir (once), and runs
# every test, each in a process of its own, three ways:
#   real      that binary on the libevent it was built with: the baseline
#   dropin    the same binary on eddy's drop-in objects
#             (EDDY_BUILD_DIR/compat/dropin) with support/'s helpers preloaded
#   compiled  test/regress compiled against compat/include and linked
#             against EDDY_BUILD_DIR/compat/libeddy_event.so
# With --tsan, EDDY_BUILD_DIR is a ThreadSanitizer build (the tsan preset):
# test/regress is compiled with -fsanitize=thread as well, only the
# compiled way and the thread group run (unless --only says otherwise), in
# WORK/tsan, and a ThreadSanitizer report fails the test that made it.
# It prints a table per test group and writes it, with what eddy lacks, to
# WORK/summary.md. A test listed in expected-passes.txt that no longer
# passes (after one rerun on its own) makes it exit 1; --update rewrites
# that file and the figures in docs/compat.md instead.
#
# EDDY_BUILD_DIR defaults to build/release (built beforehand), the work dir
# to $EDDY_CONFORMANCE_DIR or build/conformance; --jobs 2, --timeout 20
# seconds a test. Exit status 2: the suite could not run.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=/dev/null
for lib in fetch build tests report; do source "$here/lib/$lib.sh"; done

note() { echo "conformance: $*" >&2; }
die() {
  echo "conformance: $*" >&2
  exit 2
}
absolute() { (cd "$1" 2>/dev/null && pwd) || die "no directory $1"; }

eddy_build=$root/build/release
work=${EDDY_CONFORMANCE_DIR:-$root/build/conformance}
jobs=2
timeout=20
only=
update=0
tsan=0
while [ $# -gt 0 ]; do
  case $1 in
    --work) work=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --timeout) timeout=$2; shift 2 ;;
    --only) only=${2%/}; shift 2 ;;
    --update) update=1; shift ;;
    --tsan) tsan=1; shift ;;
    -h | --help) sed -n '2,/^set -euo/{/^set/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    -*) die "unknown option $1 (--help lists them)" ;;
    *) eddy_build=$1; shift ;;
  esac
done
eddy_build=$(absolute "$eddy_build")
mkdir -p "$work"
work=$(absolute "$work")
# The sources and real libevent's build are shared with the normal run.
sources=$work
sanitize=()
if [ "$tsan" = 1 ]; then
  [ "$update" = 0 ] || die "--update records the normal run's passes; run it without --tsan"
  only=${only:-thread}
  work=$work/tsan
  mkdir -p "$work"
  sanitize=(-fsanitize=thread -g)
  # A report fails the test (exit 66); halt at the first one.
  export TSAN_OPTIONS="halt_on_error=1 exitcode=66 ${TSAN_OPTIONS:-}"
fi

# shellcheck source=/dev/null
source "$root/scripts/setup.sh"
eddy_install_packages

version=$(dpkg-query -W -f='${Version}' libevent-dev)
tree=$sources/src/libevent-$version
fetch_libevent "$version" "$tree"
lbuild=$sources/libevent-$version-build
build_libevent "$tree" "$lbuild"
# libtool's wrapper script sets LD_LIBRARY_PATH and runs this, the ELF; it
# has no RUNPATH, so LD_LIBRARY_PATH alone picks the libraries it gets.
bin=$lbuild/test/.libs/regress

dropin=$eddy_build/compat/dropin
libeddy=$eddy_build/compat/libeddy_event.so
[ -f "$dropin/libevent_core-2.1.so.7" ] && [ -f "$libeddy" ] ||
  die "no eddy drop-in in $dropin; build it first: cmake --build $eddy_build"

# A libevent object the binary needs and eddy has no drop-in for gets an
# empty stand-in, so that the loader does not fall back on Debian's: the
# binary starts, and the tests that call into that object fail.
standins=$work/stand-ins
rm -rf "$standins"
mkdir -p "$standins"
missing_dropins=()
for so in $(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(libevent[^]]*\)\].*/\1/p'); do
  if [ ! -f "$dropin/$so" ]; then
    missing_dropins+=("$so")
    gcc -shared -o "$standins/$so" -Wl,-soname,"$so" -x c /dev/null
  fi
done

[ ${#missing_dropins[@]} -eq 0 ] ||
  note "eddy has no drop-in for ${missing_dropins[*]}: an empty stand-in takes its place, the tests that call into it fail"

build_support "$work/support" "$dropin"/*.so.7 "$libeddy"
support=$work/support/libeddy_regress_support.so
note "compiling test/regress against compat/include"
build_compiled "$tree" "$lbuild" "$eddy_build" "$work/support" "$work/compiled"

way_bin=([real]=$bin [dropin]=$bin [compiled]=$work/compiled/regress)
way_env=([real]="LD_LIBRARY_PATH=$lbuild/.libs LD_PRELOAD="
  [dropin]="LD_LIBRARY_PATH=$dropin:$standins LD_PRELOAD=$support"
  [compiled]="LD_LIBRARY_PATH= LD_PRELOAD=")
eddy_ways=(dropin compiled)
[ "$tsan" = 0 ] || eddy_ways=(compiled)
check_objects real "$lbuild/.libs"
check_objects dropin "$dropin" "$standins"
[ -x "${way_bin[compiled]}" ] && check_objects compiled "$eddy_build/compat" "$work/support" "$work/compiled/stand-in"

rm -f "$work/public-words.txt"
results=$work/results.tsv
: >"$results"
for way in real "${eddy_ways[@]}"; do
  list=$work/tests-$way.txt
  if [ -x "${way_bin[$way]}" ]; then
    list_tests "$way" >"$list"
    [ -s "$list" ] || note "$way: the binary lists no tests: $(env ${way_env[$way]} "${way_bin[$way]}" --list-tests 2>&1 | head -n1)"
  else
    note "$way: no binary ($(tr '\n' ' ' <"$work/compiled/not-compiled.txt"))"
    : >"$list"
  fi
  note "$way: $(wc -l <"$list") tests, $jobs at a time, $timeout s each at most"
  run_way "$way" "$list" "$work/results-$way.tsv"
  cat "$work/results-$way.tsv" >>"$results"
done

summary=$work/summary.md
table "$results" $((1 - tsan)) >"$work/table.md"
{
  echo "# libevent $version's regression suite on eddy"
  echo
  cat "$work/table.md"
  echo
  echo "Missing drop-ins (empty stand-ins used): ${missing_dropins[*]:-none}"
  echo
  echo "## Public API the drop-in lacks, by the number of tests that died calling it"
  echo
  missing_symbols dropin >"$work/missing-dropin.txt"
  public_symbols <"$work/missing-dropin.txt" >"$work/missing-public.txt"
  tests_needing dropin "$results" | awk 'NR == FNR { want[$1] = 1; next } $2 in want { print "- " $2 " (" $1 ")" }' \
    "$work/missing-public.txt" -
  echo
  echo "All $(wc -l <"$work/missing-public.txt") public symbols regress needs and the drop-in lacks:"
  tr '\n' ' ' <"$work/missing-public.txt"
  echo
  echo
  echo "## Private helpers of libevent regress needs that neither eddy nor support/ defines"
  echo
  private_symbols <"$work/missing-dropin.txt" | tr '\n' ' '
  echo
  echo
  echo "## Tests that pass on real libevent and fail on eddy for another reason"
  echo
  awk -F'\t' '$1 == "real" && $3 == "pass" { real[$2] = 1 }
    $1 != "real" && ($2 in real) && $3 != "pass" && $4 !~ /^undefined symbol/ { print "- " $1 " " $2 ": " $3 ($4 == "" ? "" : ", " $4) }' \
    "$results"
  echo
  echo "## Files of test/regress that do not compile against compat/include"
  echo
  sed 's/^/- /' "$work/compiled/not-compiled.txt"
  echo
  echo "Header gaps filled (support/header_gaps.h): $(tr '\n' ' ' <"$work/compiled/header-gaps.txt")"
} >"$summary"
cat "$work/table.md"

# Debian's libevent against the drop-in, export by export: the public API
# eddy has yet to provide, whether regress uses it or not.
multiarch=$(gcc -print-multiarch)
nm -D --defined-only "/usr/lib/$multiarch/libevent-2.1.so.7" "/usr/lib/$multiarch/libevent_core-2.1.so.7" |
  awk 'NF == 3 { print $3 }' | sort -u | comm -23 - "$work/support/eddy-exports.txt" | public_symbols \
  >"$work/missing-public-api.txt"
{
  echo "$(wc -l <"$work/missing-public-api.txt") functions and variables of libevent's public headers that"
  echo "Debian's libevent-2.1.so.7 and libevent_core-2.1.so.7 export and the drop-in does not:"
  echo
  by_family "$work/missing-public-api.txt"
} >"$work/missing-api.md"
{
  echo
  echo "## Public API of Debian's libevent the drop-in lacks"
  echo
  cat "$work/missing-api.md"
} >>"$summary"

# expected-passes.txt: "WAY TEST" lines; "! WAY TEST WHY" marks a test that
# passes only some of the time on eddy, which neither fails the run nor
# counts as newly passing.
expected=$here/expected-passes.txt
touch "$expected"
passes "$results" "${eddy_ways[@]}" >"$work/passes.txt"
awk '$1 == "!" { print $2, $3 }' "$expected" | sort -u >"$work/flaky.txt"
grep -v '^[#!]' "$expected" | in_scope | sort >"$work/expected.txt" || true
comm -23 "$work/expected.txt" "$work/passes.txt" >"$work/lost.txt"
comm -13 "$work/expected.txt" "$work/passes.txt" | comm -23 - "$work/flaky.txt" >"$work/new.txt"

# A test that fails once gets one more run alone: the machine may have
# been busy. Only a second failure counts.
regressions=$work/regressions.txt
: >"$regressions"
for way in "${eddy_ways[@]}"; do
  awk -v way="$way" '$1 == way { print $2 }' "$work/lost.txt" >"$work/rerun-$way.txt"
  [ -s "$work/rerun-$way.txt" ] || continue
  note "$way: rerunning $(wc -l <"$work/rerun-$way.txt") expected tests that failed"
  jobs=1 run_way "$way" "$work/rerun-$way.txt" "$work/rerun-$way.tsv"
  awk -F'\t' '$3 != "pass" { print $1, $2, "(" $3 ($4 == "" ? "" : ": " $4) ")" }' \
    "$work/rerun-$way.tsv" >>"$regressions"
  passes "$work/rerun-$way.tsv" "$way" >>"$work/passes.txt"
done
sort -u -o "$work/passes.txt" "$work/passes.txt"

if [ "$update" = 1 ]; then
  {
    echo "# Tests of libevent's test/regress that pass on eddy, one \"WAY TEST\" a line"
    echo "# (WAY: dropin or compiled). compat/conformance/run.sh fails when one of"
    echo "# them stops passing; run.sh --update rewrites them and keeps the"
    echo "# \"! WAY TEST WHY\" lines, tests that pass on eddy only some of the time."
    grep '^!' "$expected" || true
    {
      grep -v '^[#!]' "$expected" | grep -vxFf <(in_scope <"$expected") || true
      comm -23 "$work/passes.txt" "$work/flaky.txt"
    } | sort -u
  } >"$expected.new"
  mv "$expected.new" "$expected"
  # A run of one group has no figures for the whole suite.
  if [ -z "$only" ]; then
    splice "$root/docs/compat.md" '<!-- conformance-table:begin -->' '<!-- conformance-table:end -->' "$work/table.md"
    splice "$root/docs/compat.md" '<!-- conformance-missing:begin -->' '<!-- conformance-missing:end -->' \
      "$work/missing-api.md"
    note "updated docs/compat.md's figures"
  fi
  note "updated $expected"
else
  while read -r way name; do
    echo "newly passing: $way $name: update expected-passes.txt (run.sh --update)"
  done <"$work/new.txt"
  in_scope <"$work/flaky.txt" | comm -23 - "$work/passes.txt" | while read -r way name; do
    echo "known to be flaky, failed this time: $way $name"
  done
fi

note "summary: $summary; $((SECONDS / 60)) min $((SECONDS % 60)) s"
if [ -s "$regressions" ] && [ "$update" = 0 ]; then
  echo "conformance: tests in expected-passes.txt that no longer pass:" >&2
  sed 's/^/  /' "$regressions" >&2
  exit 1
fi
