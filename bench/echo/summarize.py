#!/usr/bin/env python3
"""Aggregates a bench/echo/run.sh run into a markdown table.

  summarize.py meta RUN_DIR --rounds N --duration S --command CMD --loads "W1 .." --servers "a b"
      records the machine, kernel, commit and date in RUN_DIR/meta.json
  summarize.py report RUN_DIR [--baseline SERVER]
      prints the medians over rounds of RUN_DIR/json/LOAD.SERVER.rROUND.json

W1-W4 files are eddy-load's --json output; W5 files are idle_clients.py's.
Python 3 standard library only.
"""

import argparse
import datetime
import json
import os
import pathlib
import platform
import statistics
import subprocess
import sys

GENERATOR_BUSY = 90.0  # generator CPU % above which it, not the server, limits the rate
CPU_TARGET = 1.10  # issue 3: eddy-echo's CPU per message <= 1.10x the epoll server's
RATE_TARGET = 0.95  # issue 3: messages/s within 5% where the server is the bottleneck
LOAD_NAMES = {
    "W1": "ping-pong",
    "W2": "pipelined",
    "W3": "bulk",
    "W4": "many connections",
    "W5": "idle memory",
}


def command_output(args, cwd=None):
    try:
        return subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def record_meta(args):
    root = pathlib.Path(__file__).resolve().parents[2]
    model = ""
    for line in command_output(["lscpu"]).splitlines():
        if line.startswith("Model name:"):
            model = line.split(":", 1)[1].strip()
    commit = command_output(["git", "rev-parse", "HEAD"], cwd=root)
    dirty = command_output(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root) != ""
    meta = {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "cpu_model": model or platform.processor() or "unknown",
        "nproc": os.cpu_count(),
        "kernel": platform.release(),
        "commit": commit or "unknown",
        "dirty": dirty,
        "rounds": args.rounds,
        "duration": args.duration,
        "command": args.command,
        "loads": args.loads.split(),
        "servers": args.servers.split(),
    }
    (pathlib.Path(args.run_dir) / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    return 0


def load_runs(run_dir):
    """Returns {(load, server): [result, ...]} in round order; failed runs are None."""
    runs = {}
    for path in sorted((pathlib.Path(run_dir) / "json").glob("*.json")):
        parts = path.name.split(".")
        if len(parts) != 4 or not parts[2].startswith("r"):
            continue
        load, server, round_number = parts[0], parts[1], int(parts[2][1:])
        try:
            result = json.loads(path.read_text())
        except (OSError, ValueError):
            result = None
        runs.setdefault((load, server), []).append((round_number, result))
    return {key: [result for _, result in sorted(value)] for key, value in runs.items()}


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def number(value, digits=0):
    if value is None:
        return "–"
    return f"{value:,.{digits}f}".replace(",", " ")


def field(result, *path):
    for key in path:
        if not isinstance(result, dict):
            return None
        result = result.get(key)
    return result


def describe(load, results):
    sample = next((r for r in results if r), None)
    name = LOAD_NAMES.get(load, "")
    if load == "W5":
        count = field(sample, "connections") or 10000
        return f"{load} {name}: {count:,} conns".replace(",", " ")
    if sample is None:
        return f"{load} {name}"
    return (
        f"{load} {name}: {sample.get('connections')}×{sample.get('size')} B, "
        f"depth {sample.get('depth')}"
    )


def stream_row(results):
    ok = [r for r in results if r]
    row = {
        "rounds": f"{len(ok)}/{len(results)}",
        "msgs": median(field(r, "msgs_per_sec") for r in ok),
        "mb": median(field(r, "mb_per_sec") for r in ok),
        "p50": median(field(r, "latency_us", "p50") for r in ok),
        "p99": median(field(r, "latency_us", "p99") for r in ok),
        "p999": median(field(r, "latency_us", "p999") for r in ok),
        "cpu": median(field(r, "server_cpu_us_per_msg") for r in ok),
        "gen": median(field(r, "generator_cpu_percent") for r in ok),
        "errors": sum(sum((field(r, "errors") or {}).values()) for r in ok),
    }
    row["busy"] = row["gen"] is not None and row["gen"] > GENERATOR_BUSY
    return row


def idle_row(results):
    ok = [r for r in results if r and r.get("bytes_per_connection") is not None]
    return {
        "rounds": f"{len(ok)}/{len(results)}",
        "before": median(r.get("rss_before_kib") for r in ok),
        "after": median(r.get("rss_after_kib") for r in ok),
        "per_conn": median(r.get("bytes_per_connection") for r in ok),
        "errors": sum(sum((r.get("errors") or {}).values()) for r in results if r),
    }


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def report(args):
    run_dir = pathlib.Path(args.run_dir)
    meta_path = run_dir / "meta.json"
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    runs = load_runs(run_dir)
    loads = meta.get("loads") or sorted({load for load, _ in runs})
    servers = meta.get("servers") or sorted({server for _, server in runs})
    others = [s for s in servers if s != args.baseline]
    out = []
    emit = out.append

    emit("## Echo servers side by side")
    emit("")
    commit = meta.get("commit", "unknown")
    if meta.get("dirty"):
        commit += " (with uncommitted changes)"
    emit(f"- Date: {meta.get('date', 'unknown')}")
    emit(f"- Machine: {meta.get('cpu_model', 'unknown')}, {meta.get('nproc', '?')} CPUs (`nproc`)")
    emit(f"- Kernel: {meta.get('kernel', 'unknown')}")
    emit(f"- Commit: {commit}")
    emit(
        f"- {meta.get('rounds', '?')} round(s), {meta.get('duration', '?')} s per load run, servers on CPU 0 "
        "and the generator on CPU 1, loads interleaved; every figure is the median over rounds"
    )
    if meta.get("command"):
        emit(f"- Command: `{meta['command']}`")
    emit("")

    stream_loads = [load for load in loads if load != "W5"]
    busy_seen = False
    rows = {}
    if stream_loads:
        emit("| load | server | msgs/s | MB/s | p50 µs | p99 µs | p99.9 µs | server CPU µs/msg | generator CPU % | errors | rounds |")
        emit("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for load in stream_loads:
            label = describe(load, [r for s in servers for r in runs.get((load, s), [])])
            for server in servers:
                row = stream_row(runs.get((load, server), []))
                rows[(load, server)] = row
                mark = " †" if row["busy"] else ""
                busy_seen |= row["busy"]
                emit(
                    f"| {label} | {server} | {number(row['msgs'])}{mark} | {number(row['mb'], 1)} | "
                    f"{number(row['p50'], 1)} | {number(row['p99'], 1)} | {number(row['p999'], 1)} | "
                    f"{number(row['cpu'], 2)} | {number(row['gen'])}{mark} | {row['errors']} | {row['rounds']} |"
                )
        emit("")
        if busy_seen:
            emit(
                f"† the load generator was above {GENERATOR_BUSY:.0f}% CPU: it, not the server, limited "
                "messages/s there; compare server CPU per message."
            )
            emit("")

    if stream_loads and others:
        emit(f"### Against {args.baseline}")
        emit("")
        emit(
            f"Ratios of medians, server / {args.baseline}. Targets (issue 3): CPU per message ≤ {CPU_TARGET:.2f}; "
            f"messages/s ≥ {RATE_TARGET:.2f} where the server is the bottleneck (no †)."
        )
        emit("")
        emit("| load | server | CPU per msg | | msgs/s | | bottleneck |")
        emit("|---|---|---:|---|---:|---|---|")
        for load in stream_loads:
            base = rows[(load, args.baseline)]
            for server in others:
                row = rows[(load, server)]
                cpu = ratio(row["cpu"], base["cpu"])
                rate = ratio(row["msgs"], base["msgs"])
                busy = row["busy"] or base["busy"]
                cpu_verdict = "" if cpu is None else ("ok" if cpu <= CPU_TARGET else "over target")
                if rate is None or busy:
                    rate_verdict = ""
                else:
                    rate_verdict = "ok" if rate >= RATE_TARGET else "under target"
                emit(
                    f"| {load} | {server} | {number(cpu, 2)} | {cpu_verdict} | {number(rate, 2)} | "
                    f"{rate_verdict} | {'generator †' if busy else 'server'} |"
                )
        emit("")

    if "W5" in loads:
        results = {server: runs.get(("W5", server), []) for server in servers}
        label = describe("W5", [r for rs in results.values() for r in rs])
        emit(f"### {label} that each echoed 64 bytes once")
        emit("")
        emit("| server | VmRSS before, KiB | VmRSS after, KiB | bytes per idle connection | "
             f"/ {args.baseline} | errors | rounds |")
        emit("|---|---:|---:|---:|---:|---:|---:|")
        base = idle_row(results.get(args.baseline, []))
        for server in servers:
            row = idle_row(results[server])
            emit(
                f"| {server} | {number(row['before'])} | {number(row['after'])} | {number(row['per_conn'], 1)} | "
                f"{number(ratio(row['per_conn'], base['per_conn']), 2)} | {row['errors']} | {row['rounds']} |"
            )
        emit("")
        emit("Targets (issue 3): ≤ 1 024 bytes per idle connection, later ≤ 128.")
        emit("")

    print("\n".join(out), end="")
    return 0


def main():
    parser = argparse.ArgumentParser(description="Aggregates a bench/echo/run.sh run.")
    commands = parser.add_subparsers(dest="what", required=True)
    meta = commands.add_parser("meta", help="record the machine, kernel, commit and date")
    meta.add_argument("run_dir")
    meta.add_argument("--rounds", type=int, required=True)
    meta.add_argument("--duration", type=int, required=True)
    meta.add_argument("--command", default="")
    meta.add_argument("--loads", default="")
    meta.add_argument("--servers", default="")
    table = commands.add_parser("report", help="print the markdown table")
    table.add_argument("run_dir")
    table.add_argument("--baseline", default="epoll-echo")
    args = parser.parse_args()
    return record_meta(args) if args.what == "meta" else report(args)


if __name__ == "__main__":
    sys.exit(main())
