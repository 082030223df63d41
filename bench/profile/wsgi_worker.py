"""Cost per request of one ferry_wsgi worker, without a Ferry frontend or wrk in the way.

A frontend played with real ZeroMQ sockets (tcp on loopback, as the bench configures Ferry) keeps
`--inflight` requests pushed to one worker process and counts its replies. Per request it reports
the worker's CPU split by thread (the app's main thread, ZeroMQ's I/O thread, the control thread)
and its context switches, read from /proc: on a shared machine these move far less than req/s.

    /usr/bin/python3 bench/profile/wsgi_worker.py [--requests N] [--inflight K] [--rounds R]
        [--app MODULE:APP] [--cprofile FILE] [TREE ...]

Each TREE is a checkout whose handler/python is measured (default: this one); several trees are
measured in interleaved rounds, so a change and its parent can be compared in one run. The app is
imported from TREE/bench/apps (default flask_hello:app). --cprofile runs the worker under cProfile
and dumps the stats to FILE (one tree; read with `python3 -m pstats FILE`).
"""

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time

import msgpack
import zmq

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
FID = "bench-1-abcdef"
TICK = os.sysconf("SC_CLK_TCK")

WORKER = """
import os, sys
tree, app_spec, ends, profile = sys.argv[1], sys.argv[2], sys.argv[3].split(","), sys.argv[4]
sys.path[:0] = [os.path.join(tree, "handler", "python"), os.path.join(tree, "bench", "apps")]
from ferry_wsgi.loader import load_app
from ferry_wsgi.transport import Endpoints
from ferry_wsgi.worker import Worker
worker = Worker(load_app(app_spec), [Endpoints(*ends)], multiprocess=True)
worker.install_signals()
if profile:
    import cProfile
    prof = cProfile.Profile()
    prof.runcall(worker.run)
    prof.dump_stats(profile)
else:
    worker.run()
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(i):
    return msgpack.packb(
        {
            "v": 2,
            "kind": "request",
            "fid": FID,
            "conn": i,
            "req": i,
            "token": 2**52 + i,
            "method": "GET",
            "target": "/",
            "path": "/",
            "query": "",
            "version": "HTTP/1.1",
            "headers": [["host", "127.0.0.1:8080"], ["user-agent", "wrk"]],
            "remote": "127.0.0.1",
            "rport": 40000 + i % 20000,
            "port": 8080,
            "scheme": "http",
            "host": "127.0.0.1:8080",
            "route": "",
            "group": "app",
            "body": b"",
            "timeout": 30000,
        },
        use_bin_type=True,
    )


def thread_times(pid):
    """{tid: (role, cpu seconds, context switches)} for every thread of `pid`."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                stat = f.read()
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                status = f.read()
        except FileNotFoundError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat.rsplit(")", 1)[1].split()
        cpu = (int(fields[11]) + int(fields[12])) / TICK
        switches = sum(int(line.split()[1]) for line in status.splitlines() if "ctxt_switches" in line)
        role = "main" if tid == str(pid) else "io" if name.startswith("ZMQbg/IO") else name
        role = "control" if role == "python3" else role
        out[tid] = (role, cpu, switches)
    return out


class Frontend:
    def __init__(self):
        self.ends = [f"tcp://127.0.0.1:{free_port()}" for _ in range(3)]
        self.ctx = zmq.Context()
        self.push = self.ctx.socket(zmq.PUSH)
        self.push.setsockopt(zmq.SNDHWM, 64)  # as the frontend's default sendHighWaterMark
        self.push.bind(self.ends[0])
        self.sub = self.ctx.socket(zmq.SUB)
        self.sub.setsockopt(zmq.SUBSCRIBE, FID.encode())
        self.sub.setsockopt(zmq.SUBSCRIBE, b"*")
        self.sub.bind(self.ends[1])
        self.pub = self.ctx.socket(zmq.PUB)
        self.pub.bind(self.ends[2])
        self.payloads = [request(i) for i in range(1, 2001)]

    def wait_hello(self, proc, timeout=20.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and proc.poll() is None:
            if self.sub.poll(200):
                payload = self.sub.recv_multipart()[1]
                if msgpack.unpackb(payload)["kind"] == "hello":
                    return
        raise SystemExit("the worker sent no hello")

    def run(self, n, inflight, timeout=120.0):
        """Push n requests keeping `inflight` outstanding; returns when every one is answered."""
        sent = answered = 0
        deadline = time.monotonic() + timeout
        while sent < min(inflight, n):
            self.push.send(self.payloads[sent % 2000])
            sent += 1
        while answered < n:
            if not self.sub.poll(1000):
                if time.monotonic() > deadline:
                    raise SystemExit(f"only {answered} of {n} answered")
                continue
            topic, *payloads = self.sub.recv_multipart()
            for payload in payloads:  # [topic, payload, ...]: a batch of replies
                if msgpack.unpackb(payload)["kind"] in ("head", "error"):
                    answered += 1
                    if sent < n:
                        self.push.send(self.payloads[sent % 2000])
                        sent += 1

    def close(self):
        self.ctx.destroy(0)


def measure(tree, args):
    frontend = Frontend()
    proc = subprocess.Popen(
        [sys.executable, "-c", WORKER, tree, args.app, ",".join(frontend.ends), args.cprofile or ""],
        stderr=subprocess.DEVNULL,
    )
    try:
        frontend.wait_hello(proc)
        frontend.run(min(2000, args.requests), args.inflight)  # warm-up
        before = thread_times(proc.pid)
        start = time.perf_counter()
        frontend.run(args.requests, args.inflight)
        elapsed = time.perf_counter() - start
        after = thread_times(proc.pid)
    finally:
        proc.terminate()
        proc.wait(30)
        frontend.close()
    n = args.requests
    row = {"req/s": n / elapsed, "cpu us": 0.0, "switches": 0.0}
    for tid, (role, cpu, switches) in after.items():
        _, cpu0, switches0 = before.get(tid, (role, 0.0, 0))
        row[f"{role} us"] = row.get(f"{role} us", 0.0) + (cpu - cpu0) / n * 1e6
        row[f"{role} cs"] = row.get(f"{role} cs", 0.0) + (switches - switches0) / n
        row["cpu us"] += (cpu - cpu0) / n * 1e6
        row["switches"] += (switches - switches0) / n
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("trees", nargs="*", default=[ROOT])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--inflight", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--app", default="flask_hello:app")
    parser.add_argument("--cprofile", help="dump cProfile stats of the worker here (one tree, one round)")
    args = parser.parse_args()
    if args.cprofile:
        args.trees, args.rounds = args.trees[:1], 1
    rows = {tree: [] for tree in args.trees}
    for _ in range(args.rounds):
        for tree in args.trees:
            rows[tree].append(measure(os.path.abspath(tree), args))
    keys = ["req/s", "cpu us", "main us", "io us", "control us", "switches", "main cs", "io cs", "control cs"]
    print(f"{args.requests} requests, {args.inflight} in flight, {args.rounds} round(s); medians per request")
    for tree, samples in rows.items():
        cells = []
        for key in keys:
            value = statistics.median(s.get(key, 0.0) for s in samples)
            places = 2 if key.endswith("cs") or key == "switches" else 0
            cells.append(f"{key} {value:.{places}f}")
        print(f"{tree}: " + ", ".join(cells))


if __name__ == "__main__":
    main()
