"""Command-line and environment configuration of `python3 -m ferry_wsgi`."""

import argparse
import os
import re
from dataclasses import dataclass

from .fields import MAX_CAPACITY, MAX_INTERVAL, MIN_INTERVAL
from .transport import Endpoints

#: The frontend's built-in config (frontend/config/defaults.ts): one group on these endpoints.
DEFAULT_PORTS = {"requests": 9997, "replies": 9996, "events": 9998}
DEFAULT_HOST = "127.0.0.1"

_ENDPOINT = re.compile(r"^(tcp|ipc|inproc)://\S+$")
_HOST = re.compile(r"^[\w.-]+$|^\[[0-9a-fA-F:]+\]$")


class UsageError(Exception):
    """A bad command line or environment variable (exit status 2)."""


def default_endpoints(host=DEFAULT_HOST):
    return Endpoints(
        f"tcp://{host}:{DEFAULT_PORTS['requests']}",
        f"tcp://{host}:{DEFAULT_PORTS['replies']}",
        f"tcp://{host}:{DEFAULT_PORTS['events']}",
    )


def _endpoint(text):
    if not _ENDPOINT.match(text):
        raise UsageError(f"not a ZeroMQ endpoint: {text!r}")
    return text


def parse_frontends(spec):
    """Frontends separated by `;` or whitespace; each `REQUESTS,REPLIES,EVENTS` or a host (its
    default ports), exactly as `ferry handler --connect` reads them."""
    items = [item for item in re.split(r"[;\s]+", spec) if item]
    if not items:
        raise UsageError("no frontend given")
    out = []
    for item in items:
        parts = item.split(",")
        if len(parts) == 3:
            out.append(Endpoints(*(_endpoint(p) for p in parts)))
            continue
        if len(parts) != 1:
            raise UsageError(f"expected REQUESTS,REPLIES,EVENTS or a host: {item!r}")
        host = item[len("tcp://") :] if item.startswith("tcp://") else item
        if not _HOST.match(host):
            raise UsageError(f"not a host name: {item!r}")
        out.append(default_endpoints(host))
    return out


@dataclass(frozen=True)
class Config:
    app: str
    frontends: tuple
    workers: int = 1
    threads: int = 1
    prefetch: int = 0
    heartbeat_ms: int = 1000
    claim_after_ms: int = 10
    graceful_timeout: float = 30.0
    django_settings: str = None
    chdir: str = None
    websocket: str = None


USAGE = """python3 -m ferry_wsgi MODULE:APP [options]

Run a WSGI app (Flask, Django, ...) as a Ferry handler: N worker processes x M threads, each
connected to one or more Ferry frontends."""

EPILOG = f"""
APP forms: module:app, module:create_app(), module (its `application` or `app`), or nothing with
--django-settings (Django's get_wsgi_application()) or with --websocket (then plain HTTP requests
get 404).

--websocket MODULE[:OBJ]: WebSocket upgrades go to OBJ's callbacks (on_open, on_message,
on_close; OBJ may be Factory() or left out for the module's own functions); see docs/python.md.

--connect FRONTENDS: "REQUESTS,REPLIES,EVENTS" (three ZeroMQ endpoints) or a host (the default
ports {DEFAULT_PORTS['requests']}, {DEFAULT_PORTS['replies']}, {DEFAULT_PORTS['events']} on it); several frontends separated by ";" or
given as repeated --connect. Default: the frontend's built-in config,
{default_endpoints()!r}.

--prefetch P: each worker takes up to P requests more than it has threads (its `capacity` and
`batch` are threads + P), so the next request is already there when a thread frees up; one
waits behind the one running even if another worker is idle. Default 0: a worker is given a
request only when a thread is free.

Environment: FERRY_CONNECT, FERRY_WORKERS, FERRY_THREADS, FERRY_PREFETCH, FERRY_HEARTBEAT (used
when the option is not given). Signals: SIGTERM/SIGINT drain gracefully and exit 0; SIGHUP starts fresh workers
(re-importing the app) and then drains the old ones.
"""


def _positive(name, text):
    try:
        n = int(text)
    except (TypeError, ValueError):
        n = 0
    if n < 1:
        raise UsageError(f"{name} must be a positive integer, got {text!r}")
    return n


def _in_range(name, text, low, high):
    """A positive integer the protocol can carry (hello's `capacity`, `interval`)."""
    n = _positive(name, text)
    if n < low or n > high:
        raise UsageError(f"{name} must be {low}..{high}, got {text!r}")
    return n


def _count(name, text, high):
    """A whole number 0..high."""
    try:
        n = int(text)
    except (TypeError, ValueError):
        n = -1
    if n < 0 or n > high:
        raise UsageError(f"{name} must be 0..{high}, got {text!r}")
    return n


def build_parser():
    p = argparse.ArgumentParser(
        prog="python3 -m ferry_wsgi",
        usage=USAGE,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("app", nargs="?", help="the WSGI app, MODULE:APP")
    p.add_argument("--connect", action="append", metavar="FRONTENDS", help="frontends to serve")
    p.add_argument("--workers", "-w", metavar="N", help="worker processes (default 1)")
    p.add_argument("--threads", "-t", metavar="M", help="threads per worker (default 1)")
    p.add_argument(
        "--prefetch",
        metavar="P",
        help="requests a worker holds beyond its threads, waiting for a free one (default 0)",
    )
    p.add_argument("--django-settings", metavar="MODULE", help="sets DJANGO_SETTINGS_MODULE")
    p.add_argument("--chdir", metavar="DIR", help="change to DIR (and import from it) first")
    p.add_argument(
        "--websocket",
        metavar="MODULE[:OBJ]",
        help="object (or module) with the WebSocket callbacks on_open, on_message, on_close",
    )
    p.add_argument("--heartbeat", metavar="MS", help="heartbeat interval in ms (default 1000)")
    p.add_argument(
        "--claim-after", metavar="MS", help="claim requests not answered within MS (default 10)"
    )
    p.add_argument(
        "--graceful-timeout",
        metavar="S",
        help="seconds workers get to finish claimed requests when stopping (default 30)",
    )
    return p


def parse_args(argv, env=None):
    env = os.environ if env is None else env
    args = build_parser().parse_args(argv)
    if not args.app and not args.django_settings and not args.websocket:
        raise UsageError("expected MODULE:APP (or --django-settings, or --websocket)")
    connect = ";".join(args.connect) if args.connect else env.get("FERRY_CONNECT")
    frontends = parse_frontends(connect) if connect else [default_endpoints()]
    timeout = args.graceful_timeout or "30"
    try:
        graceful = float(timeout)
    except ValueError:
        graceful = -1
    if graceful <= 0:
        raise UsageError(f"--graceful-timeout must be a positive number, got {timeout!r}")
    threads = _in_range("--threads", args.threads or env.get("FERRY_THREADS") or "1", 1, MAX_CAPACITY)
    prefetch = args.prefetch if args.prefetch is not None else env.get("FERRY_PREFETCH") or "0"
    return Config(
        app=args.app,
        frontends=tuple(frontends),
        workers=_positive("--workers", args.workers or env.get("FERRY_WORKERS") or "1"),
        threads=threads,
        # hello's `capacity` is threads + prefetch: it may not pass what the protocol carries.
        prefetch=_count("--prefetch", prefetch, MAX_CAPACITY - threads),
        heartbeat_ms=_in_range(
            "--heartbeat", args.heartbeat or env.get("FERRY_HEARTBEAT") or "1000", MIN_INTERVAL, MAX_INTERVAL
        ),
        claim_after_ms=_positive("--claim-after", args.claim_after or "10"),
        graceful_timeout=graceful,
        django_settings=args.django_settings,
        chdir=args.chdir,
        websocket=args.websocket,
    )
