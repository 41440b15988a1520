#!/usr/bin/env python3
"""Checks an echo server's back-pressure: sends MIB mebibytes of random bytes
(and a run of zeros) on one connection before reading anything, then reads the
echo back, compares it byte for byte, half-closes and expects EOF.

    python3 bench/echo/peers/big_send_check.py --port N [--mib 4] [--server-pid PID]

With a large --mib (200) the kernel buffers fill and the server must stop
reading while its backlog is full, then resume; --server-pid prints the
server's VmRSS while stalled, which should stay small. Exit 0 when it matches.
"""
import argparse
import os
import socket
import sys
import threading

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, default=25341)
parser.add_argument("--host", default="127.0.0.1")
parser.add_argument("--mib", type=int, default=4)
parser.add_argument("--server-pid", type=int)
args = parser.parse_args()

payload = os.urandom(args.mib << 20) + bytes(1024)
sock = socket.create_connection((args.host, args.port))
sent_all = threading.Event()


def send():
    sock.sendall(payload)
    sent_all.set()


sender = threading.Thread(target=send, daemon=True)
sender.start()
all_sent_before_reading = sent_all.wait(3.0)  # the server's backlog builds up
rss = ""
if args.server_pid:
    with open(f"/proc/{args.server_pid}/status") as status:
        rss = next(line.split(None, 1)[1].strip() for line in status if line.startswith("VmRSS"))
received = bytearray()
sock.settimeout(10)
while len(received) < len(payload):
    chunk = sock.recv(1 << 20)
    if not chunk:
        break
    received += chunk
sender.join(10)
sock.shutdown(socket.SHUT_WR)
eof = sock.recv(1) == b""
match = bytes(received) == payload
print(f"{args.mib} MiB: all sent before reading: {all_sent_before_reading}; "
      f"server VmRSS while stalled: {rss or '-'}; echoed {len(received)}/{len(payload)} bytes; "
      f"match: {match}; EOF after half-close: {eof}")
sys.exit(0 if match and eof else 1)
