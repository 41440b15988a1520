#!/bin/sh
# run_case.sh LIBEVENT-BINARY EDDY-BINARY BACKEND
# Runs one differential case against real libevent and against eddy's compat
# layer on the same backend (epoll or poll) and compares their stdout and
# exit status. Only stdout counts: libevent's stderr warnings carry pointers.
# libevent has no io_uring backend: for uring, eddy on io_uring is compared
# with libevent on epoll, whose behaviour (edge triggering, EV_CLOSED, how
# an error is reported) eddy's uring backend keeps.
set -u
if [ $# -ne 3 ]; then
  echo "usage: $0 LIBEVENT-BINARY EDDY-BINARY epoll|poll|uring" >&2
  exit 2
fi
libevent_bin=$1
eddy_bin=$2
backend=$3
case $backend in
  epoll|poll|uring) ;;
  *) echo "$0: unknown backend '$backend'" >&2; exit 2 ;;
esac

tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT

# libevent picks epoll unless told otherwise; EVENT_NOEPOLL makes it use poll.
if [ "$backend" = poll ]; then
  env EVENT_NOEPOLL=1 "$libevent_bin" >"$tmp/libevent.out" 2>"$tmp/libevent.err"
else
  env -u EVENT_NOEPOLL "$libevent_bin" >"$tmp/libevent.out" 2>"$tmp/libevent.err"
fi
libevent_rc=$?
env -u EVENT_NOEPOLL EDDY_BACKEND="$backend" "$eddy_bin" >"$tmp/eddy.out" 2>"$tmp/eddy.err"
eddy_rc=$?
if [ "$backend" = uring ]; then
  # The one difference allowed: the method's name.
  sed 's/^method: io_uring$/method: epoll/' "$tmp/eddy.out" >"$tmp/eddy.renamed" && mv "$tmp/eddy.renamed" "$tmp/eddy.out"
fi

echo "exit status $libevent_rc" >>"$tmp/libevent.out"
echo "exit status $eddy_rc" >>"$tmp/eddy.out"

status=0
# A case exits 0 when it ran to its end: anything else from libevent means the
# case itself is broken, even if eddy happens to fail the same way.
if [ "$libevent_rc" -ne 0 ]; then
  echo "$0: the libevent variant exited with status $libevent_rc" >&2
  status=1
fi
if diff -u --label "libevent ($backend)" --label "eddy ($backend)" \
     "$tmp/libevent.out" "$tmp/eddy.out"; then
  exit $status
fi
echo "--- eddy stderr:"
cat "$tmp/eddy.err"
exit 1
