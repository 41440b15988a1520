# shellcheck shell=bash
# Sourced by run.sh: the per-group table, the expected-results check and the
# list of libevent's API that eddy lacks.

# table RESULTS [DROPIN]: a markdown table of RESULTS ("WAY TEST OUTCOME NOTE"
# lines): per group, the tests that pass on real libevent, and of those
# how many pass on eddy's drop-in (DROPIN 0: not run) and compiled.
table() {
  awk -F'\t' -v dropin="${2:-1}" '
    { g = $2; sub(/\/.*/, "", g) }
    $1 == "real" && !(g in seen) { seen[g] = 1; order[++n] = g }
    $1 == "real" && $3 == "pass" { real[$2] = 1; nreal[g]++ }
    $1 != "real" && $3 == "pass" { pass[$1, $2] = 1 }
    END {
      for (t in real) {
        g = t; sub(/\/.*/, "", g)
        if (("dropin", t) in pass) { nd[g]++; td++ }
        if (("compiled", t) in pass) { nc[g]++; tc++ }
        tr++
      }
      print "| group | passing on real libevent | eddy drop-in | eddy compiled against compat |"
      print "|---|---|---|---|"
      for (i = 1; i <= n; i++) {
        g = order[i]
        d = dropin ? sprintf("%d / %d", nd[g], nreal[g]) : "not run"
        printf "| %s | %d | %s | %d / %d |\n", g, nreal[g], d, nc[g], nreal[g]
      }
      d = dropin ? sprintf("**%d / %d**", td, tr) : "not run"
      printf "| **total** | **%d** | %s | **%d / %d** |\n", tr, d, tc, tr
    }' "$1"
}

# splice FILE BEGIN END CONTENT_FILE: replaces the lines between the marker
# lines BEGIN and END of FILE with CONTENT_FILE.
splice() {
  local file=$1 begin=$2 end=$3 content=$4
  grep -qxF "$begin" "$file" && grep -qxF "$end" "$file" || die "$file lacks the lines $begin and $end"
  awk -v begin="$begin" -v end="$end" -v content="$content" '
    $0 == end { skip = 0 }
    !skip { print }
    $0 == begin { while ((getline line < content) > 0) print line; skip = 1 }' "$file" >"$file.new"
  mv "$file.new" "$file"
}

# passes RESULTS WAYS...: "WAY TEST" for each test that passed on one of
# WAYS, sorted.
passes() {
  local results=$1
  shift
  awk -F'\t' -v ways=" $* " '$3 == "pass" && index(ways, " " $1 " ") { print $1, $2 }' "$results" | sort
}

# in_scope: the lines of stdin ("WAY TEST") this run covers: its ways, and
# with --only its group.
in_scope() {
  awk -v ways=" ${eddy_ways[*]} " -v only="${only:+$only/}" \
    'index(ways, " " $1 " ") && index($2, only) == 1'
}

# public_words: the identifiers of libevent's public headers (the tree's
# include/event2), comments left out, once a run.
public_words() {
  local words=$work/public-words.txt header
  if [ ! -s "$words" ]; then
    # gcc -fpreprocessed drops the comments and nothing else; it complains
    # about rpc.h's macros that build directives, and prints them anyway.
    for header in "$tree"/include/event2/*.h; do
      gcc -fpreprocessed -dD -E -P "$header" 2>/dev/null || true
    done | grep -oE '[A-Za-z_][A-Za-z0-9_]*' | sort -u >"$words"
  fi
  cat "$words"
}

# public_symbols: those of the names on stdin, one a line, that libevent's
# public headers declare.
public_symbols() {
  comm -12 <(sort -u) <(public_words)
}

# private_symbols: the others.
private_symbols() {
  comm -23 <(sort -u) <(public_words)
}

# missing_symbols WAY: what WAY's binary needs and nothing it loads
# defines, by the loader's own check (ldd -r).
missing_symbols() {
  local way=$1
  env ${way_env[$way]} ldd -r "${way_bin[$way]}" 2>&1 |
    sed -n 's/^undefined symbol: \([A-Za-z0-9_]*\).*/\1/p' | sort -u
}

# tests_needing WAY RESULTS: "COUNT SYMBOL", the undefined functions WAY's
# tests died on, the most needed first.
tests_needing() {
  awk -F'\t' -v way="$1" '$1 == way && $4 ~ /^undefined symbol: / { sub(/^undefined symbol: /, "", $4); n[$4]++ }
    END { for (s in n) print n[s], s }' "$2" | sort -k1,1nr -k2
}

# by_family FILE: the names in FILE as markdown, one line per family (the
# name up to its first underscore).
by_family() {
  awk '{ f = $1; sub(/_.*/, "", f); if (!(f in n)) order[++k] = f; n[f]++; names[f] = names[f] " `" $1 "`" }
    END { for (i = 1; i <= k; i++) print "- " order[i] " (" n[order[i]] "):" names[order[i]] }' "$1"
}
