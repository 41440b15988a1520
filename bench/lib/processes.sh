# Shell helpers the benchmark scripts share (bench/echo/run.sh,
# bench/instructions/run.sh, bench/syscalls/run.sh): sourced, they define
# functions only.

# pick_port: sets `port` to a free TCP port of 127.0.0.1, a new one for
# every call, from `next_port` on (30000 to 32767: below Linux's default
# ephemeral range, so never one of the clients' ports).
pick_port() {
  port=$(python3 - "${next_port:-30000}" <<'EOF'
import socket, sys
start = int(sys.argv[1])
for candidate in list(range(start, 32768)) + list(range(30000, start)):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", candidate))
        except OSError:
            continue
        print(candidate)
        break
EOF
)
  [ -n "$port" ] || { echo "run.sh: no free port in 30000-32767" >&2; exit 1; }
  next_port=$((port + 1))
  [ "$next_port" -lt 32768 ] || next_port=30000
}

# is_alive PID: the process exists and is not a zombie.
is_alive() {
  local state
  state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
  [ -n "$state" ] && [ "$state" != Z ]
}
