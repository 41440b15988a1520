# shellcheck shell=bash
# Sourced by run.sh: the three programs the suite runs.
#
#   build_libevent   real libevent and its test/regress, out of source; that
#                    binary runs on libevent ("real") and on eddy's drop-in
#   build_support    the test-support library (support/*.c): libevent's
#                    private helpers the regress binary imports
#   build_compiled   test/regress compiled against eddy's headers and linked
#                    against libeddy_event.so ("compiled")

# build_libevent SRC DIR: configures SRC in DIR and makes test/regress.
# Configure's defaults, not Debian's dpkg-buildflags: those link with
# -z now, and a binary bound at load time would not start on a drop-in that
# lacks one symbol; lazily bound, only the tests that call it fail.
build_libevent() {
  local src=$1 dir=$2
  [ -f "$dir/.eddy-built" ] && return 0
  note "building libevent and its test/regress in $dir"
  rm -rf "$dir"
  mkdir -p "$dir"
  (cd "$dir" && timeout 600 "$src/configure" --disable-openssl --disable-samples --disable-static \
    --disable-dependency-tracking >configure.log 2>&1) || die "libevent's configure failed; see $dir/configure.log"
  # Debian's Makefile.am patch, restated (fetch.sh); the Makefile does not
  # know that it makes libevent_extra need libevent_core, so that comes
  # first. event-config.h before anything: it is a BUILT_SOURCE, which
  # "make test/regress" alone does not make, and without it the compiler
  # quietly takes /usr/include's.
  local vars=(NO_UNDEFINED=-no-undefined MAYBE_CORE=libevent_core.la) goal
  for goal in include/event2/event-config.h libevent_core.la test/regress; do
    (cd "$dir" && timeout 900 make -j"$jobs" "${vars[@]}" "$goal" >>make.log 2>&1) ||
      die "building libevent failed; see $dir/make.log"
  done
  touch "$dir/.eddy-built"
}

# build_support DIR EDDY_OBJECT...: builds DIR/libeddy_regress_support.so.
# It exports only what none of the EDDY_OBJECTs exports: preloaded, a
# definition of its own would take the place of eddy's, for eddy's own
# calls too.
build_support() {
  local dir=$1
  shift
  mkdir -p "$dir/obj"
  local objs=() src obj
  for src in "$here"/support/*.c; do
    obj=$dir/obj/$(basename "$src" .c).o
    gcc -std=gnu11 -O2 -Wall -Wextra -Werror -fPIC -I"$root/compat/include" -c "$src" -o "$obj"
    objs+=("$obj")
  done
  nm -g --defined-only "${objs[@]}" | awk 'NF == 3 { print $3 }' | sort -u >"$dir/defines.txt"
  nm -D --defined-only "$@" | awk 'NF == 3 { print $3 }' | sort -u >"$dir/eddy-exports.txt"
  comm -23 "$dir/defines.txt" "$dir/eddy-exports.txt" >"$dir/exports.txt"
  { echo '{ global:'; sed 's/$/;/' "$dir/exports.txt"; echo 'local: *; };'; } >"$dir/exports.map"
  gcc -shared -o "$dir/libeddy_regress_support.so" "${objs[@]}" -Wl,--version-script="$dir/exports.map" \
    -Wl,--no-undefined -Wl,-soname,libeddy_regress_support.so
}

# header_gap NAME CODE: adds -DEDDY_GAP_NAME to gap_flags when CODE, C that
# a complete set of libevent headers compiles, does not compile against
# eddy's alone; support/header_gaps.h then fills that gap.
header_gap() {
  if ! printf '%b\n' "$2" | gcc -fsyntax-only -x c -I"$root/compat/include" - 2>/dev/null; then
    gap_flags+=("-DEDDY_GAP_$1")
    gap_names+=("$1")
  fi
}

# up_to_date OBJ DEPFILE: OBJ exists and is newer than all it was made from.
up_to_date() {
  local obj=$1 dep=$2 f
  [ -f "$obj" ] && [ -f "$dep" ] || return 1
  for f in $(sed -e 's/\\$//' -e 's/^[^:]*://' "$dep"); do
    [ "$f" -nt "$obj" ] && return 1
  done
  return 0
}

# build_compiled SRC LIBEVENT_BUILD EDDY_BUILD SUPPORT_DIR DIR: builds
# DIR/regress from the test sources the Debian-built binary was made of,
# unmodified. eddy's compat/include comes first on the include path;
# libevent's directories follow, for the tests' own headers, libevent's
# internal ones and the public headers eddy has no counterpart of. A file
# that does not compile is left out, its test groups made empty (stubs.c)
# and the first error noted in DIR/not-compiled.txt. A test that calls a
# function nothing defines fails with "undefined symbol", as on the
# drop-in; DIR/undefined.txt lists them.
build_compiled() {
  local src=$1 lbuild=$2 eddy=$3 support=$4 dir=$5
  mkdir -p "$dir/obj"
  : >"$dir/not-compiled.txt"
  gap_flags=()
  gap_names=()
  header_gap EXPORT_SYMBOL '#include <event2/util.h>\n#ifndef EVENT2_EXPORT_SYMBOL\n#error\n#endif'
  header_gap EVENT_LIST '#include <event2/event_struct.h>\nint n[sizeof(struct event_list)];'
  header_gap EVENT_DLIST '#include <event2/event_struct.h>\nint n[sizeof(struct event_dlist)];'
  printf '%s\n' "${gap_names[@]}" >"$dir/header-gaps.txt"

  # What gcc 14 rejects by default, so that gcc 12 does not accept a call
  # to a function eddy's headers do not declare.
  local cflags=(-O2 "${sanitize[@]}" -fno-strict-aliasing -pthread -w -Werror=implicit-function-declaration
    -Werror=implicit-int -Werror=int-conversion -Werror=incompatible-pointer-types
    -DHAVE_CONFIG_H -include "$here/support/header_gaps.h" "${gap_flags[@]}"
    -I"$root/compat/include" -I"$lbuild" -I"$src" -I"$src/compat" -I"$lbuild/include"
    -I"$src/include" -I"$lbuild/test" -I"$src/test")
  # The flags are a prerequisite too: a gap filled or closed recompiles.
  printf '%s\n' "${cflags[@]}" >"$dir/cflags.new"
  cmp -s "$dir/cflags.new" "$dir/cflags" && rm "$dir/cflags.new" || mv "$dir/cflags.new" "$dir/cflags"
  local objs=() stubs=() obj name file
  for obj in "$lbuild"/test/regress-*.o; do
    name=$(basename "$obj" .o)
    name=${name#regress-}
    file=$lbuild/test/$name.c
    [ -f "$file" ] || file=$src/test/$name.c
    obj=$dir/obj/$name.o
    if ! up_to_date "$obj" "$dir/obj/$name.d" || [ "$dir/cflags" -nt "$obj" ]; then
      if ! gcc "${cflags[@]}" -MMD -MF "$dir/obj/$name.d" -c "$file" -o "$obj" 2>"$dir/obj/$name.err"; then
        rm -f "$obj"
        # "FILE:LINE: MESSAGE: the line of code", from gcc's first error.
        awk '/ error: / && !n { n = 1; split($1, at, ":"); sub(/.*\//, "", at[1]); msg = $0
            sub(/^[^ ]* error: /, "", msg); printf "%s:%s: %s", at[1], at[2], msg; next }
          n == 1 { sub(/^[^|]*\| */, ""); print ": " $0; exit }' "$dir/obj/$name.err" >>"$dir/not-compiled.txt"
        stubs+=("$file")
        continue
      fi
    fi
    objs+=("$obj")
  done

  {
    printf '#include <stddef.h>\n#include "tinytest.h"\n'
    sed -n 's/^struct testcase_t \([A-Za-z0-9_]*\)\[\] = {$/struct testcase_t \1[] = { END_OF_TESTCASES };/p' \
      /dev/null "${stubs[@]}"
  } >"$dir/stubs.c"
  gcc "${cflags[@]}" -c "$dir/stubs.c" -o "$dir/obj/stubs.o"

  # ld cannot leave a function undefined in a PIE (--unresolved-symbols
  # produces relocations the loader rejects), so the functions nothing
  # defines get empty definitions in a library linked against but not
  # shipped: at run time an empty library of that name stands in for it
  # and the loader, binding lazily, reports each one when it is called.
  local libs=() link
  grep -q '^#define EVENT__HAVE_LIBZ 1' "$lbuild/include/event2/event-config.h" && libs+=(-lz)
  mkdir -p "$dir/link-only" "$dir/stand-in"
  link=(gcc -pthread "${sanitize[@]}" -o "$dir/regress" "${objs[@]}" "$dir/obj/stubs.o" "$support/libeddy_regress_support.so"
    -L"$eddy/compat" -leddy_event "${libs[@]}" -Wl,-z,lazy -Wl,-rpath,"$support:$eddy/compat:$dir/stand-in")
  rm -f "$dir/regress"
  "${link[@]}" 2>"$dir/link.err" || true
  sed -n "s/.*undefined reference to \`\(.*\)'$/\1/p" "$dir/link.err" | sort -u >"$dir/undefined.txt"
  if [ -s "$dir/undefined.txt" ]; then
    sed 's/.*/void &(void) {}/' "$dir/undefined.txt" >"$dir/absent.c"
    gcc -shared -fPIC -o "$dir/link-only/libeddy_regress_absent.so" -Wl,-soname,libeddy_regress_absent.so "$dir/absent.c"
    gcc -shared -o "$dir/stand-in/libeddy_regress_absent.so" -Wl,-soname,libeddy_regress_absent.so -x c /dev/null
    "${link[@]}" "$dir/link-only/libeddy_regress_absent.so" 2>"$dir/link.err" || true
  fi
  [ -x "$dir/regress" ] || printf 'link: %s\n' "$(grep -m1 . "$dir/link.err")" >>"$dir/not-compiled.txt"
}
