# Sourced by the test scripts that start a server on a port of their own
# choosing (a program that cannot be told to bind port 0 and report it).
#
# listen_port_candidate prints a port that no local socket holds right now,
# chosen at random below the kernel's ephemeral range: ports in that range
# are handed to every outgoing connection, and the suite's other tests make
# tens of thousands of them, so a port picked there is often taken (a CI run
# found five in a row held by TIME_WAIT sockets). Below it, only an explicit
# bind takes a port. Another process may still bind the one printed before
# the caller does, so callers retry on "Address already in use".

# The local ports of every TCP socket, one decimal number a line.
local_tcp_ports() {
  local _ local_address
  # Each line after the header: "N: ADDRESS:PORT REMOTE:PORT ...", in hex.
  while read -r _ local_address _; do
    [[ $local_address == *:* ]] && echo $((16#${local_address##*:}))
  done < <(cat /proc/net/tcp /proc/net/tcp6 2>/dev/null)
}

listen_port_candidate() {
  local low high first last
  read -r low high </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || { low=32768 high=60999; }
  if ((low > 11024)); then
    first=10000 last=$((low - 1))
  else
    # An ephemeral range that starts low leaves room only above it.
    first=$((high + 1)) last=65535
  fi
  ((first <= last)) || { first=1024 last=65535; }
  local taken candidate _
  taken=$(local_tcp_ports | sort -u)
  for _ in $(seq 100); do
    candidate=$((first + (RANDOM * 32768 + RANDOM) % (last - first + 1)))
    grep -qx "$candidate" <<<"$taken" || {
      echo "$candidate"
      return 0
    }
  done
  return 1
}
