# The echo loads the benchmark scripts share (bench/echo/run.sh,
# bench/syscalls/run.sh): sourced, it defines `load_spec` only.
#
# load_spec[W]: connections, depth (messages in flight per connection) and
# message size in bytes, as eddy-load's --connections, --depth and --size.
# W5 (idle memory) is not an eddy-load run and is handled apart.
# shellcheck disable=SC2034 # used by the scripts that source this file
declare -A load_spec=(
  [W1]="50 1 64"
  [W2]="50 16 64"
  [W3]="10 4 16384"
  [W4]="2000 1 64"
)
