#!/usr/bin/env bash
# Installs what is missing, builds eddy-echo (release) and runs it in the
# foreground on port 25341. Extra arguments go to eddy-echo, e.g.
#   scripts/run-echo.sh --port 9000 --backend poll
# Ctrl-C stops it.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

eddy_install_packages
eddy_configure release
cmake --build "$eddy_root/build/release" --target eddy-echo
exec "$eddy_root/build/release/apps/echo/eddy-echo" "$@"
