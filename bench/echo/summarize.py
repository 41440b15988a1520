#!/usr/bin/env python3
"""Aggregates a bench/echo/run.sh run: results JSON, markdown tables, plot data.

  summarize.py meta RUN_DIR --rounds N --duration S --warmup S --command CMD
                    --loads "W1 .." --servers "a b" [--server-cpus L]
                    [--generator-cpus L] [--generator-threads N]
                    [--idle-connections N]
      records the machine (lscpu model, CPUs), kernel, commit, date and the
      run's settings in RUN_DIR/meta.json, with RUN_DIR/servers.tsv (how each
      server ran) and RUN_DIR/notes.txt (what was skipped and why)
  summarize.py report RUN_DIR [--baseline SERVER] [--json PATH]
      prints the medians over rounds of RUN_DIR/json/LOAD.SERVER.rROUND.json
      as markdown; with --json also writes them (and every round's figures)
      as one JSON document
  summarize.py plotdata RUN_DIR OUT_DIR
      writes the tab-separated files bench/echo/plot.sh draws, from
      RUN_DIR/results.json

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

GENERATOR_BUSY = 90.0  # generator CPU % per thread above which it, not the server, limits the rate
# A round in which neither the server nor the generator used this much of a
# CPU: both waited, on a shared machine most likely for CPUs other processes held.
CONTENDED = 70.0
CPU_TARGET = 1.10  # issue 3: eddy-echo's CPU per message <= 1.10x the epoll server's
RATE_TARGET = 0.95  # issue 3: messages/s within 5% where the server is the bottleneck
# Debian packages whose versions the summary names: the peers' libraries.
LIBRARY_PACKAGES = ("libevent-dev", "libuv1-dev", "libasio-dev", "libev-dev", "liburing-dev")
LOAD_NAMES = {
    "W1": "ping-pong",
    "W2": "pipelined",
    "W3": "bulk",
    "W4": "many connections",
    "W5": "idle memory",
}
STREAM_METRICS = {
    # key in results.json: path in eddy-load's JSON
    "msgs_per_sec": ("msgs_per_sec",),
    "mb_per_sec": ("mb_per_sec",),
    "p50_us": ("latency_us", "p50"),
    "p99_us": ("latency_us", "p99"),
    "p999_us": ("latency_us", "p999"),
    "server_cpu_us_per_msg": ("server_cpu_us_per_msg",),
    "generator_cpu_percent": ("generator_cpu_percent",),
}
IDLE_METRICS = ("rss_before_kib", "rss_after_kib", "bytes_per_connection")


def command_output(args, cwd=None):
    try:
        return subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def read_servers(run_dir):
    """servers.tsv: name, CPUs, description, command; one line per server."""
    servers = []
    path = pathlib.Path(run_dir) / "servers.tsv"
    if path.exists():
        for line in path.read_text().splitlines():
            parts = line.split("\t")
            if len(parts) == 4:
                servers.append(dict(zip(("name", "cpus", "what", "command"), parts)))
    return servers


def record_meta(args):
    root = pathlib.Path(__file__).resolve().parents[2]
    run_dir = pathlib.Path(args.run_dir)
    model = ""
    for line in command_output(["lscpu"]).splitlines():
        if line.startswith("Model name:"):
            model = line.split(":", 1)[1].strip()
    commit = command_output(["git", "rev-parse", "HEAD"], cwd=root)
    dirty = command_output(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root) != ""
    notes_path = run_dir / "notes.txt"
    try:
        loadavg = " ".join(pathlib.Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        loadavg = "unknown"
    meta = {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "cpu_model": model or platform.processor() or "unknown",
        "nproc": os.cpu_count(),
        "kernel": platform.release(),
        "commit": commit or "unknown",
        "dirty": dirty,
        "rounds": args.rounds,
        "duration": args.duration,
        "warmup": args.warmup,
        "command": args.command,
        "loads": args.loads.split(),
        "servers": args.servers.split(),
        "server_cpus": args.server_cpus,
        "generator_cpus": args.generator_cpus,
        "generator_threads": args.generator_threads,
        "idle_connections": args.idle_connections,
        "loadavg_at_start": loadavg,
        "compiler": command_output(["c++", "--version"]).split("\n")[0],
        "libraries": command_output(
            ["dpkg-query", "-W", "-f", "${Package} ${Version}\\n", *LIBRARY_PACKAGES]
        ).splitlines(),
        "server_info": read_servers(run_dir),
        "notes": notes_path.read_text().splitlines() if notes_path.exists() else [],
    }
    (run_dir / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
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


def error_count(result):
    return sum((field(result, "errors") or {}).values()) if result else 0


def stream_cell(results):
    """Medians, minima and maxima over rounds of one (load, server) cell."""
    ok = [r for r in results if r and field(r, "msgs_per_sec") is not None]
    cell = {"rounds": len(ok), "runs": len(results), "median": {}, "min": {}, "max": {}, "per_round": []}
    for r in ok:
        threads = field(r, "threads") or 1
        gen = field(r, "generator_cpu_percent")
        figures = {key: field(r, *path) for key, path in STREAM_METRICS.items()}
        figures["generator_cpu_percent_per_thread"] = None if gen is None else gen / threads
        cpu_seconds, seconds = field(r, "server_cpu_seconds"), field(r, "duration")
        figures["server_cpu_percent"] = 100.0 * cpu_seconds / seconds if cpu_seconds is not None and seconds else None
        figures["contended"] = (
            figures["server_cpu_percent"] is not None and figures["server_cpu_percent"] < CONTENDED
            and gen is not None and gen / threads < CONTENDED
        )
        figures["errors"] = error_count(r)
        figures["open_connections"] = field(r, "open_connections")
        cell["per_round"].append(figures)
    for key in list(STREAM_METRICS) + ["generator_cpu_percent_per_thread", "server_cpu_percent"]:
        values = [f[key] for f in cell["per_round"] if f[key] is not None]
        cell["median"][key] = median(values)
        cell["min"][key] = min(values) if values else None
        cell["max"][key] = max(values) if values else None
    gen = cell["median"]["generator_cpu_percent_per_thread"]
    cell["generator_busy"] = gen is not None and gen > GENERATOR_BUSY
    cell["contended_rounds"] = sum(1 for f in cell["per_round"] if f["contended"])
    cell["errors"] = sum(error_count(r) for r in results if r)
    return cell


def idle_cell(results):
    ok = [r for r in results if r and r.get("bytes_per_connection") is not None]
    cell = {"rounds": len(ok), "runs": len(results), "median": {}, "min": {}, "max": {}, "per_round": []}
    for r in ok:
        cell["per_round"].append({key: r.get(key) for key in IDLE_METRICS + ("idle", "connections")})
    for key in IDLE_METRICS:
        values = [f[key] for f in cell["per_round"] if f[key] is not None]
        cell["median"][key] = median(values)
        cell["min"][key] = min(values) if values else None
        cell["max"][key] = max(values) if values else None
    cell["errors"] = sum(error_count(r) for r in results if r)
    return cell


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def describe(load, results, meta):
    sample = next((r for r in results if r), None)
    name = LOAD_NAMES.get(load, "")
    if load == "W5":
        count = field(sample, "connections") or meta.get("idle_connections") or 10000
        return f"{load} {name}: {count:,} conns".replace(",", " ")
    if sample is None:
        return f"{load} {name}"
    return (
        f"{load} {name}: {sample.get('connections')}×{sample.get('size')} B, "
        f"depth {sample.get('depth')}"
    )


def aggregate(run_dir):
    run_dir = pathlib.Path(run_dir)
    meta_path = run_dir / "meta.json"
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    runs = load_runs(run_dir)
    loads = meta.get("loads") or sorted({load for load, _ in runs})
    servers = meta.get("servers") or sorted({server for _, server in runs})
    doc = {
        "meta": meta,
        "loads": {},
        "servers": servers,
        "generator_busy_percent": GENERATOR_BUSY,
        "stream": {},  # load -> server -> cell
        "idle": {},  # server -> cell
    }
    for load in loads:
        doc["loads"][load] = describe(load, [r for s in servers for r in runs.get((load, s), [])], meta)
        if load == "W5":
            doc["idle"] = {s: idle_cell(runs.get(("W5", s), [])) for s in servers}
        else:
            doc["stream"][load] = {s: stream_cell(runs.get((load, s), [])) for s in servers}
    return doc


def report(args):
    doc = aggregate(args.run_dir)
    run_dir = pathlib.Path(args.run_dir)
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(doc, indent=1) + "\n")
    meta, servers, base_name = doc["meta"], doc["servers"], args.baseline
    out = []
    emit = out.append

    emit("## Echo servers side by side")
    emit("")
    commit = meta.get("commit", "unknown")
    if meta.get("dirty"):
        commit += " (with uncommitted changes)"
    emit(f"- Date: {meta.get('date', 'unknown')}")
    emit(f"- Machine: {meta.get('cpu_model', 'unknown')}, {meta.get('nproc', '?')} CPUs")
    emit(f"- Kernel: {meta.get('kernel', 'unknown')}")
    if meta.get("compiler"):
        emit(f"- Compiler: {meta['compiler']}; libraries (Debian): {', '.join(meta.get('libraries') or ['?'])}")
    if meta.get("loadavg_at_start"):
        end = run_dir / "loadavg-end.txt"
        end = " ".join(end.read_text().split()[:3]) if end.exists() else "unknown"
        emit(f"- Load average (1, 5, 15 min) at the start: {meta['loadavg_at_start']}; after the last round: {end}")
    emit(f"- Commit: {commit}")
    emit(
        f"- {meta.get('rounds', '?')} round(s), {meta.get('duration', '?')} s measured after "
        f"{meta.get('warmup', '?')} s of warmup per run; servers on CPUs {meta.get('server_cpus', '?')} "
        f"(except the -all rows), eddy-load on CPUs {meta.get('generator_cpus', '?')} with "
        f"{meta.get('generator_threads', '?')} thread(s); rounds interleave all servers; every figure is "
        "the median over rounds"
    )
    if meta.get("command"):
        emit(f"- Command: `{meta['command']}`")
    emit("")

    busy_seen = contended_seen = False
    stream = doc["stream"]
    if stream:
        emit("| load | server | msgs/s | MB/s | p50 µs | p99 µs | p99.9 µs | server CPU µs/msg | server CPU % | generator CPU % | errors | rounds |")
        emit("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for load, cells in stream.items():
            for index, server in enumerate(servers):
                cell = cells[server]
                m = cell["median"]
                mark = " †" if cell["generator_busy"] else ""
                busy_seen |= cell["generator_busy"]
                contended = f", {cell['contended_rounds']} ‡" if cell["contended_rounds"] else ""
                contended_seen |= bool(contended)
                emit(
                    f"| {doc['loads'][load] if index == 0 else ''} | {server} | {number(m['msgs_per_sec'])}{mark} | "
                    f"{number(m['mb_per_sec'], 1)} | {number(m['p50_us'], 1)} | {number(m['p99_us'], 1)} | "
                    f"{number(m['p999_us'], 1)} | {number(m['server_cpu_us_per_msg'], 2)} | "
                    f"{number(m['server_cpu_percent'])} | "
                    f"{number(m['generator_cpu_percent_per_thread'])}{mark} | {cell['errors']} | "
                    f"{cell['rounds']}/{cell['runs']}{contended} |"
                )
        emit("")
        if busy_seen:
            emit(
                f"† the load generator was above {GENERATOR_BUSY:.0f}% CPU (per thread): it, not the server, "
                "limited messages/s there; compare server CPU per message."
            )
            emit("")
        if contended_seen:
            emit(
                f"‡ rounds in which neither the server nor the generator used {CONTENDED:.0f}% of a CPU: both "
                "waited, most likely for CPUs that other processes on the machine held. They are in the medians; "
                "they measure the machine's other load as much as the server."
            )
            emit("")
        emit(
            "Server CPU % is the server's CPU time over the measured interval (100 = one CPU busy). Where neither "
            "it nor the generator's is near 100, both were waiting, for each other or for a CPU that other "
            "processes were using: on a shared machine, such cells measure the machine's other load too."
        )
        emit("")

        loads = list(stream)
        have_base = base_name in servers
        emit("### Server CPU per message, µs" + (f" (and / {base_name})" if have_base else ""))
        emit("")
        emit("Lower is better. This is the figure that compares servers even where the generator limits the rate.")
        emit("")
        emit("| server | " + " | ".join(loads) + " |")
        emit("|---|" + "---:|" * len(loads))
        for server in servers:
            cells = []
            for load in loads:
                value = stream[load][server]["median"]["server_cpu_us_per_msg"]
                text = number(value, 2)
                if have_base and server != base_name:
                    r = ratio(value, stream[load][base_name]["median"]["server_cpu_us_per_msg"])
                    if r is not None:
                        text += f" ({r:.2f})"
                cells.append(text)
            emit(f"| {server} | " + " | ".join(cells) + " |")
        emit("")
        emit("### Messages per second, thousands" + (f" (and / {base_name})" if have_base else ""))
        emit("")
        emit("| server | " + " | ".join(loads) + " |")
        emit("|---|" + "---:|" * len(loads))
        for server in servers:
            cells = []
            for load in loads:
                cell = stream[load][server]
                value = cell["median"]["msgs_per_sec"]
                text = number(None if value is None else value / 1000, 1)
                if have_base and server != base_name:
                    r = ratio(value, stream[load][base_name]["median"]["msgs_per_sec"])
                    if r is not None:
                        text += f" ({r:.2f})"
                cells.append(text + (" †" if cell["generator_busy"] else ""))
            emit(f"| {server} | " + " | ".join(cells) + " |")
        emit("")
        if have_base and "eddy-echo" in servers:
            emit(
                f"Issue 3's targets for eddy-echo: CPU per message ≤ {CPU_TARGET:.2f} × {base_name}'s in every load; "
                f"messages/s ≥ {RATE_TARGET:.2f} × where the server, not the generator, is the bottleneck (no †)."
            )
            emit("")

    if doc["idle"]:
        label = doc["loads"].get("W5", "W5")
        emit(f"### {label} that each echoed 64 bytes once")
        emit("")
        emit("| server | VmRSS before, KiB | VmRSS after, KiB | bytes per idle connection | "
             f"/ {base_name} | errors | rounds |")
        emit("|---|---:|---:|---:|---:|---:|---:|")
        base = doc["idle"].get(base_name, {}).get("median", {})
        for server in servers:
            cell = doc["idle"][server]
            m = cell["median"]
            emit(
                f"| {server} | {number(m['rss_before_kib'])} | {number(m['rss_after_kib'])} | "
                f"{number(m['bytes_per_connection'], 1)} | "
                f"{number(ratio(m['bytes_per_connection'], base.get('bytes_per_connection')), 2)} | "
                f"{cell['errors']} | {cell['rounds']}/{cell['runs']} |"
            )
        emit("")
        emit("Targets (issue 3): ≤ 1 024 bytes per idle connection, later ≤ 128.")
        emit("")

    info = meta.get("server_info") or []
    if info:
        emit("### Servers")
        emit("")
        emit("| server | what | CPUs | command |")
        emit("|---|---|---|---|")
        for s in info:
            emit(f"| {s['name']} | {s['what']} | {s['cpus']} | `{s['command']}` |")
        emit("")
    if meta.get("notes"):
        emit("### Skipped")
        emit("")
        for note in meta["notes"]:
            emit(f"- {note}")
        emit("")

    print("\n".join(out), end="")
    return 0


def plotdata(args):
    """One file per (metric, load): server, median, min, max, busy (0/1)."""
    doc = json.loads((pathlib.Path(args.run_dir) / "results.json").read_text())
    out_dir = pathlib.Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    scales = {"msgs_per_sec": 1e-3, "server_cpu_us_per_msg": 1.0, "p99_us": 1.0, "mb_per_sec": 1.0}
    written = []
    for metric, scale in scales.items():
        for load, cells in doc["stream"].items():
            path = out_dir / f"{metric}.{load}.tsv"
            lines = []
            for server in doc["servers"]:
                cell = cells[server]
                values = [cell[k][metric] for k in ("median", "min", "max")]
                if values[0] is None:
                    continue
                values = [v * scale for v in values]
                lines.append(f"{server}\t{values[0]:.6g}\t{values[1]:.6g}\t{values[2]:.6g}\t{int(cell['generator_busy'])}")
            path.write_text("\n".join(lines) + "\n")
            written.append(path.name)
    if doc["idle"]:
        lines = []
        for server in doc["servers"]:
            cell = doc["idle"][server]
            values = [cell[k]["bytes_per_connection"] for k in ("median", "min", "max")]
            if values[0] is None:
                continue
            lines.append(f"{server}\t{values[0]:.6g}\t{values[1]:.6g}\t{values[2]:.6g}\t0")
        (out_dir / "bytes_per_connection.W5.tsv").write_text("\n".join(lines) + "\n")
        written.append("bytes_per_connection.W5.tsv")
    labels = {load: label for load, label in doc["loads"].items()}
    (out_dir / "labels.tsv").write_text("".join(f"{k}\t{v}\n" for k, v in labels.items()))
    meta = doc.get("meta", {})
    (out_dir / "title.txt").write_text(
        f"{meta.get('cpu_model', '?')}, {meta.get('nproc', '?')} CPUs, kernel {meta.get('kernel', '?')}, "
        f"commit {str(meta.get('commit', '?'))[:10]}, {str(meta.get('date', '?'))[:10]}, "
        f"medians of {meta.get('rounds', '?')} round(s), whiskers: lowest to highest round\n"
    )
    print("\n".join(written))
    return 0


def main():
    parser = argparse.ArgumentParser(description="Aggregates a bench/echo/run.sh run.")
    commands = parser.add_subparsers(dest="what", required=True)
    meta = commands.add_parser("meta", help="record the machine, kernel, commit and date")
    meta.add_argument("run_dir")
    meta.add_argument("--rounds", type=int, required=True)
    meta.add_argument("--duration", type=int, required=True)
    meta.add_argument("--warmup", type=float, default=0.0)
    meta.add_argument("--command", default="")
    meta.add_argument("--loads", default="")
    meta.add_argument("--servers", default="")
    meta.add_argument("--server-cpus", default="0")
    meta.add_argument("--generator-cpus", default="1")
    meta.add_argument("--generator-threads", type=int, default=1)
    meta.add_argument("--idle-connections", type=int, default=10000)
    table = commands.add_parser("report", help="print the markdown tables")
    table.add_argument("run_dir")
    table.add_argument("--baseline", default="epoll-echo")
    table.add_argument("--json", help="also write the aggregated results here")
    plot = commands.add_parser("plotdata", help="write the files plot.sh draws")
    plot.add_argument("run_dir")
    plot.add_argument("out_dir")
    args = parser.parse_args()
    return {"meta": record_meta, "report": report, "plotdata": plotdata}[args.what](args)


if __name__ == "__main__":
    sys.exit(main())
