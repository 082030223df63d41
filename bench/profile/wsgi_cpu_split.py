"""Where the CPU of a Flask-hello request goes, process by process, in the bench's Flask stacks.

Starts one stack (Ferry frontend + `python3 -m ferry_wsgi --workers W`, or gunicorn with W sync or
gthread workers), warms it up, then runs `wrk -t2 -c64 -dD` against it and reads every process's
CPU time from /proc before and after. The result is CPU microseconds per request for the frontend
(by thread), each worker and wrk, and how much of the machine the stack used: on a machine with C
cores, no stack can serve more than C / (its CPU per request) requests per second, so the sum says
what throughput ratio between two stacks is reachable at all.

    /usr/bin/python3 bench/profile/wsgi_cpu_split.py ferry|sync|gthread [--workers W]
        [--duration D] [--rounds R] [--tree TREE] [--prefetch P] [--rate N]

--rate paces wrk to N requests/s (bench/lua/paced.lua): every stack then does the same work per
second, so CPU per request compares stacks without the batching that saturation brings.

Needs `npm run build` (dist/), wrk and, for sync/gthread, gunicorn. TREE's handler/python serves
the ferry stack (default: this checkout), so two versions of the handler can be compared.
"""

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
APPS = os.path.join(ROOT, "bench", "apps")
TICK = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def threads_cpu(pid):
    """{thread name: cpu seconds} of one process (threads of the same name summed)."""
    out = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return out
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                stat = f.read()
        except FileNotFoundError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat.rsplit(")", 1)[1].split()
        out[name] = out.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / TICK
    return out


def sleeps(pid):
    """Voluntary context switches of every thread of one process: how often it went to sleep
    waiting for something (each one is later a wake-up, a cross-thread hand-off)."""
    total = 0
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return 0
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                for line in f:
                    if line.startswith("voluntary_ctxt_switches"):
                        total += int(line.split()[1])
        except FileNotFoundError:
            pass
    return total


def children(pid):
    found = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                found += [int(x) for x in f.read().split()]
        except FileNotFoundError:
            pass
    return found


def machine_busy():
    with open("/proc/stat") as f:
        ticks = [int(x) for x in f.readline().split()[1:]]
    return (sum(ticks) - ticks[3] - ticks[4]) / TICK, sum(ticks) / TICK


def wait_http(url, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                r.read()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not answer within {timeout:.0f}s")


def wrk(url, seconds, rate=None):
    paced = [] if rate is None else ["-s", os.path.join(ROOT, "bench", "lua", "paced.lua")]
    args = ["wrk", "-t2", "-c64", f"-d{seconds}s", *paced, url]
    if rate is not None:
        args += ["--", str(rate), "2"]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    return int(re.search(r"(\d+) requests in", out).group(1))


def start_ferry(port, workers, tree, tmp, prefetch=None):
    ends = [f"tcp://127.0.0.1:{free_port()}" for _ in range(3)]
    config = {
        "name": "cpu-split",
        "listeners": [{"host": "127.0.0.1", "port": port}],
        "hosts": [
            {
                "names": ["*"],
                "default": True,
                "routes": [{"path": "/", "target": {"kind": "handler", "group": "app"}}],
            }
        ],
        "groups": {
            "app": {"protocol": "ferry", "requests": ends[0], "replies": ends[1], "events": ends[2]}
        },
    }
    path = os.path.join(tmp, "ferry.json")
    with open(path, "w") as f:
        json.dump(config, f)
    env = dict(os.environ, FERRY_LOG_LEVEL="warn", LOG_LEVEL="warn")
    frontend = subprocess.Popen(
        ["node", os.path.join(ROOT, "bin", "ferry.js"), "frontend", "--config", path], env=env
    )
    env["PYTHONPATH"] = os.path.join(tree, "handler", "python")
    handler = subprocess.Popen(
        ["/usr/bin/python3", "-m", "ferry_wsgi", "flask_hello:app", "--connect", ",".join(ends)]
        + ["--workers", str(workers), "--chdir", APPS]
        + ([] if prefetch is None else ["--prefetch", str(prefetch)]),
        env=env,
        stderr=subprocess.DEVNULL,
    )
    return [("frontend", frontend), ("ferry_wsgi", handler)]


def start_gunicorn(port, workers, threaded):
    args = ["gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}", "--chdir", APPS]
    args += ["--log-level", "warning"]
    if threaded:
        args += ["--worker-class", "gthread", "--threads", "4"]
    return [("gunicorn", subprocess.Popen(args + ["flask_hello:app"], stderr=subprocess.DEVNULL))]


def one_round(args):
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="ferry-cpu-split-") as tmp:
        if args.stack == "ferry":
            procs = start_ferry(port, args.workers, os.path.abspath(args.tree), tmp, args.prefetch)
        else:
            procs = start_gunicorn(port, args.workers, args.stack == "gthread")
        try:
            url = f"http://127.0.0.1:{port}/"
            wait_http(url)
            wrk(url, 1)  # warm-up
            watched = []
            for name, proc in procs:
                watched.append((name, proc.pid))
                watched += [(f"worker{i}", pid) for i, pid in enumerate(children(proc.pid))]
            before = {name: threads_cpu(pid) for name, pid in watched}
            slept0 = {name: sleeps(pid) for name, pid in watched}
            busy0, all0 = machine_busy()
            wrk0 = os.times()
            n = wrk(url, args.duration, args.rate)
            wrk1 = os.times()
            busy1, all1 = machine_busy()
            after = {name: threads_cpu(pid) for name, pid in watched}
            slept1 = {name: sleeps(pid) for name, pid in watched}
        finally:
            for _, proc in reversed(procs):
                proc.terminate()
            for _, proc in reversed(procs):
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    proc.kill()
    row = {"req/s": n / args.duration}
    for name, _ in watched:
        for thread, cpu in after[name].items():
            spent = cpu - before[name].get(thread, 0.0)
            if name == "frontend":
                row[f"frontend {thread}"] = spent / n * 1e6
            elif name.startswith("worker"):  # summed over workers: app thread, ZeroMQ I/O, ...
                row[f"workers {thread}"] = row.get(f"workers {thread}", 0.0) + spent / n * 1e6
            row[name] = row.get(name, 0.0) + spent / n * 1e6
    wrk_cpu = (wrk1.children_user - wrk0.children_user) + (wrk1.children_system - wrk0.children_system)
    row["wrk"] = wrk_cpu / n * 1e6
    row["total"] = sum(v for k, v in row.items() if k in dict(watched) or k == "wrk")
    row["workers"] = sum(v for k, v in row.items() if k.startswith("worker") and k[6:7].isdigit())
    row["stack share of machine"] = row["total"] * n / 1e6 / (all1 - all0)
    row["machine busy"] = (busy1 - busy0) / (all1 - all0)
    row["stack sleeps (wake-ups)"] = sum(slept1.values()) - sum(slept0.values())
    row["stack sleeps (wake-ups)"] /= n
    row["frontend sleeps"] = (slept1.get("frontend", 0) - slept0.get("frontend", 0)) / n
    row["workers sleeps"] = sum(slept1[k] - slept0[k] for k in slept1 if k.startswith("worker")) / n
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("stack", choices=["ferry", "sync", "gthread"])
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--tree", default=ROOT)
    parser.add_argument("--prefetch", type=int, help="ferry_wsgi --prefetch (ferry stack)")
    parser.add_argument("--rate", type=int, help="pace wrk to this many requests/s")
    args = parser.parse_args()
    rows = [one_round(args) for _ in range(args.rounds)]
    paced = "" if args.rate is None else f" at {args.rate} req/s"
    print(f"{args.stack}, {args.workers} workers, wrk -t2 -c64 -d{args.duration}s{paced}, ", end="")
    print(f"{args.rounds} round(s), medians")
    for key in rows[0]:
        value = statistics.median(r.get(key, 0.0) for r in rows)
        if key == "req/s":
            print(f"  {key:28s} {value:8.0f}")
        elif key in ("frontend sleeps", "workers sleeps"):
            print(f"  {key:28s} {value:8.1f} per request")
        elif key == "stack sleeps (wake-ups)":
            print(f"  {key:28s} {value:8.1f} per request (every thread of the stack, wrk excluded)")
        elif key in ("stack share of machine", "machine busy"):
            print(f"  {key:28s} {value * 100:7.0f}%")
        else:
            print(f"  {key:28s} {value:8.1f} us/request")


if __name__ == "__main__":
    sys.exit(main())
