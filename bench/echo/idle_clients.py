#!/usr/bin/env python3
"""Measures an echo server's memory per idle connection (load W5).

Reads the server's VmRSS from /proc/PID/status, opens N connections that each
send one message and read the echo back (verified byte for byte), then leaves
them all open and idle, waits a moment, and reads VmRSS again. Prints one JSON
object:

  {"connections": 10000, "size": 64, "rss_before_kib": ..., "rss_after_kib": ...,
   "rss_delta_bytes": ..., "bytes_per_connection": ..., "seconds": ...,
   "errors": {"connect": 0, "reset": 0, "mismatch": 0, "timeout": 0}}

bytes_per_connection is (after - before) / N: the server's user-space memory
that an idle connection keeps (kernel socket buffers are not in RSS).

Non-blocking sockets on one selector; at most --batch connections are being
set up at a time, so the listen backlog does not overflow. Every wait is
bounded by --timeout. Exit code 0 when every connection echoed, 1 otherwise
(the JSON still comes, with the errors counted), 2 for bad usage.
"""

import argparse
import errno
import json
import resource
import selectors
import socket
import sys
import time


def read_rss_kib(pid):
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS in /proc/{pid}/status")


def payload(index, size):
    # Different bytes per connection, all 256 values, so that a server that
    # mixes up connections or mangles binary data is caught.
    return bytes((index * 7 + i) & 0xFF for i in range(size))


def raise_fd_limit(needed):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= needed:
        return
    target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    if target < needed:
        sys.exit(f"idle_clients.py: need {needed} file descriptors, the hard limit is {hard}")


class Client:
    __slots__ = ("sock", "expected", "sent", "received")

    def __init__(self, sock, expected):
        self.sock = sock
        self.expected = expected
        self.sent = 0
        self.received = bytearray()


def run(args):
    raise_fd_limit(args.connections + 64)
    errors = {"connect": 0, "reset": 0, "mismatch": 0, "timeout": 0}
    rss_before = read_rss_kib(args.server_pid) if args.server_pid else None
    start = time.monotonic()
    deadline = start + args.timeout
    selector = selectors.DefaultSelector()
    idle = []  # connections that echoed once; kept open until the end
    in_progress = 0
    next_index = 0

    def finish(client, failure=None):
        nonlocal in_progress
        in_progress -= 1
        selector.unregister(client.sock)
        if failure is None:
            idle.append(client.sock)
        else:
            errors[failure] += 1
            client.sock.close()

    while (next_index < args.connections or in_progress > 0) and time.monotonic() < deadline:
        while next_index < args.connections and in_progress < args.batch:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setblocking(False)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            code = sock.connect_ex((args.host, args.port))
            if code not in (0, errno.EINPROGRESS):
                errors["connect"] += 1
                sock.close()
                next_index += 1
                continue
            client = Client(sock, payload(next_index, args.size))
            selector.register(sock, selectors.EVENT_WRITE, client)
            in_progress += 1
            next_index += 1
        for key, events in selector.select(timeout=max(0.0, min(0.5, deadline - time.monotonic()))):
            client = key.data
            sock = client.sock
            try:
                if events & selectors.EVENT_WRITE:
                    code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if code != 0:
                        finish(client, "connect")
                        continue
                    client.sent += sock.send(client.expected[client.sent:])
                    if client.sent == len(client.expected):
                        selector.modify(sock, selectors.EVENT_READ, client)
                if events & selectors.EVENT_READ:
                    chunk = sock.recv(len(client.expected) - len(client.received))
                    if not chunk:
                        finish(client, "reset")
                        continue
                    client.received += chunk
                    if len(client.received) == len(client.expected):
                        finish(client, None if client.received == client.expected else "mismatch")
            except (BlockingIOError, InterruptedError):
                pass
            except OSError:
                finish(client, "reset")

    errors["timeout"] = in_progress + (args.connections - next_index)
    for key in list(selector.get_map().values()):
        key.fileobj.close()
    selector.close()
    if args.settle > 0:
        time.sleep(args.settle)
    rss_after = read_rss_kib(args.server_pid) if args.server_pid else None
    result = {
        "connections": args.connections,
        "idle": len(idle),
        "size": args.size,
        "seconds": round(time.monotonic() - start, 3),
        "rss_before_kib": rss_before,
        "rss_after_kib": rss_after,
        "rss_delta_bytes": None,
        "bytes_per_connection": None,
        "errors": errors,
    }
    if rss_before is not None and idle:
        delta = (rss_after - rss_before) * 1024
        result["rss_delta_bytes"] = delta
        result["bytes_per_connection"] = round(delta / len(idle), 1)
    print(json.dumps(result))
    sys.stdout.flush()
    for sock in idle:
        sock.close()
    return 0 if len(idle) == args.connections else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--connections", type=int, default=10000)
    parser.add_argument("--size", type=int, default=64, help="bytes each connection sends once")
    parser.add_argument("--server-pid", type=int, help="read this process's VmRSS before and after")
    parser.add_argument("--batch", type=int, default=256, help="connections being set up at a time")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds for all connections to echo")
    parser.add_argument("--settle", type=float, default=0.5, help="seconds to wait before the second RSS read")
    args = parser.parse_args()
    if args.connections < 1 or args.size < 1 or args.batch < 1:
        parser.error("--connections, --size and --batch must be positive")
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
