# shellcheck shell=bash
# Sourced by run.sh: libevent's source tree, as Debian ships it.
#
# The sources come from Debian's mirror alone, through apt with a state of
# its own under the work dir (its own sources.list, package lists and
# cache), so the machine's apt configuration is neither needed nor touched.
# The version is the installed libevent-dev's, the library eddy is compared
# with everywhere else; dpkg-source applies Debian's patches. A second run
# finds the unpacked tree and goes to no mirror at all.

# fetch_libevent VERSION DEST: unpacks libevent VERSION into DEST.
fetch_libevent() {
  local version=$1 dest=$2
  local apt_dir=$work/apt
  [ -f "$dest/.eddy-unpacked" ] && return 0

  local keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  [ -f "$keyring" ] || die "$keyring is missing (Debian package debian-archive-keyring)"
  mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$work/src"
  local suite
  for suite in "debian bookworm" "debian bookworm-updates" "debian-security bookworm-security"; do
    echo "deb-src [signed-by=$keyring] http://deb.debian.org/${suite% *} ${suite#* } main"
  done >"$apt_dir/sources.list"

  local apt_opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache" -o Acquire::Retries=2
    -o Acquire::http::Timeout=30)
  # As root apt would hand the download to the _apt user, who cannot write
  # to the work dir; it then downloads as root anyway, with a warning.
  [ "$(id -u)" -eq 0 ] && apt_opts+=(-o APT::Sandbox::User=root)

  note "fetching libevent $version's Debian source package from deb.debian.org"
  timeout 300 apt-get -qq "${apt_opts[@]}" update
  (cd "$work/src" && timeout 300 apt-get -qq "${apt_opts[@]}" source --download-only "libevent=$version")

  local dsc=$work/src/libevent_${version#*:}.dsc
  [ -f "$dsc" ] || die "apt-get source left no $dsc"
  rm -rf "$dest"
  # Its warning that it cannot check the .dsc's signature (no keyring of
  # Debian's developers here) goes to the log: apt checked the files against
  # the signed Release file already.
  timeout 120 dpkg-source -x "$dsc" "$dest" >"$work/src/dpkg-source.log" 2>&1 ||
    die "dpkg-source failed; see $work/src/dpkg-source.log"
  # Debian's first patch edits Makefile.am; left older, Makefile.in would
  # make make rerun automake, which the tarball does not need otherwise.
  # The patch's two variables are given to make instead (build.sh).
  touch "$dest/Makefile.in"
  touch "$dest/.eddy-unpacked"
}
