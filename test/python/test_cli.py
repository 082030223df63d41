"""`python3 -m ferry_wsgi` as users run it: options, app loading, N workers, respawn, SIGHUP
reload and SIGTERM drain, against a frontend played with ZeroMQ sockets."""

import os
import re
import signal
import subprocess
import sys
import threading
import time
import unittest

from ferry_wsgi.config import UsageError, default_endpoints, parse_args, parse_frontends
from ferry_wsgi.loader import AppLoadError, load_app, load_websocket

from fake_frontend import FakeFrontend

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE = os.path.abspath(os.path.join(HERE, "..", "..", "handler", "python"))
APPS = os.path.join(HERE, "apps")
READY = re.compile(r"ferry-wsgi\[(\d+)\]: ready")


class Options(unittest.TestCase):
    def test_defaults_match_the_frontend_builtin_config(self):
        cfg = parse_args(["m:app"], env={})
        self.assertEqual(cfg.frontends, (default_endpoints(),))
        self.assertEqual(
            repr(cfg.frontends[0]), "tcp://127.0.0.1:9997,tcp://127.0.0.1:9996,tcp://127.0.0.1:9998"
        )
        self.assertEqual((cfg.workers, cfg.threads, cfg.heartbeat_ms, cfg.claim_after_ms), (1, 1, 1000, 10))

    def test_connect_forms(self):
        fs = parse_frontends("tcp://a:1,tcp://a:2,tcp://a:3; 10.0.0.5 tcp://[::1]")
        self.assertEqual(repr(fs[0]), "tcp://a:1,tcp://a:2,tcp://a:3")
        self.assertEqual(repr(fs[1]), "tcp://10.0.0.5:9997,tcp://10.0.0.5:9996,tcp://10.0.0.5:9998")
        self.assertEqual(repr(fs[2]), "tcp://[::1]:9997,tcp://[::1]:9996,tcp://[::1]:9998")
        cfg = parse_args(["m:app", "--connect", "h1", "--connect", "h2", "-w", "3", "-t", "2"], env={})
        self.assertEqual(len(cfg.frontends), 2)
        self.assertEqual((cfg.workers, cfg.threads), (3, 2))

    def test_environment(self):
        cfg = parse_args(["m:app"], env={"FERRY_CONNECT": "h", "FERRY_WORKERS": "2", "FERRY_THREADS": "8"})
        self.assertEqual(repr(cfg.frontends[0]), "tcp://h:9997,tcp://h:9996,tcp://h:9998")
        self.assertEqual((cfg.workers, cfg.threads), (2, 8))

    def test_bad_values(self):
        for argv in (["m:app", "--workers", "0"], ["m:app", "--threads", "x"], ["m:app", "--connect", "a,b"], []):
            with self.subTest(argv), self.assertRaises(UsageError):
                parse_args(argv, env={})


class Loading(unittest.TestCase):
    def setUp(self):
        sys.path.insert(0, APPS)

    def tearDown(self):
        sys.path.remove(APPS)

    def test_forms(self):
        import plain

        self.assertIs(load_app("plain:app"), plain.app)
        self.assertIs(load_app("plain"), plain.app)
        self.assertIs(load_app("plain:create_app()"), plain.app)

    def test_websocket_forms(self):
        import sockets

        self.assertIs(load_websocket("sockets"), sockets)
        self.assertIs(load_websocket("sockets:echo"), sockets.echo)
        self.assertIsInstance(load_websocket("sockets:Echo()"), sockets.Echo)
        for spec in ("sockets:no_callbacks", "sockets:missing", "no_such_module_here", ":echo"):
            with self.subTest(spec), self.assertRaises(AppLoadError):
                load_websocket(spec)

    def test_websocket_alone_needs_no_app(self):
        cfg = parse_args(["--websocket", "sockets:echo"], env={})
        self.assertEqual((cfg.app, cfg.websocket), (None, "sockets:echo"))
        self.assertEqual(parse_args(["m:app", "--websocket", "m"], env={}).websocket, "m")

    def test_django_settings_alone_serves_djangos_wsgi_app(self):
        django_dir = os.path.join(HERE, "..", "..", "examples", "django")
        sys.path.insert(0, django_dir)
        old = os.environ.get("DJANGO_SETTINGS_MODULE")
        try:
            app = load_app(None, "ferrysite.settings")
            self.assertEqual(type(app).__name__, "WSGIHandler")
            self.assertEqual(os.environ["DJANGO_SETTINGS_MODULE"], "ferrysite.settings")
        finally:
            sys.path.remove(django_dir)
            if old is None:
                os.environ.pop("DJANGO_SETTINGS_MODULE", None)
            else:
                os.environ["DJANGO_SETTINGS_MODULE"] = old

    def test_errors(self):
        for spec in ("plain:missing", "plain:not_callable", "no_such_module_here:app", ":app"):
            with self.subTest(spec), self.assertRaises(AppLoadError):
                load_app(spec)
        with self.assertRaises(RuntimeError):
            load_app("broken:app")


class Cli:
    """`python3 -m ferry_wsgi ...` with its stderr collected line by line."""

    def __init__(self, *args, pump=None):
        self.pump = pump  # called while waiting: a fake frontend must keep using its sockets
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([PACKAGE, APPS]))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ferry_wsgi", *args],
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            env=env,
            text=True,
        )
        self.lines = []
        self.cond = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.reader.join(5)
        self.proc.stderr.close()

    def _read(self):
        for line in self.proc.stderr:
            with self.cond:
                self.lines.append(line)
                self.cond.notify_all()

    def wait_for(self, pattern, count=1, timeout=15):
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        ok = False
        while not ok and time.monotonic() < deadline:
            with self.cond:
                ok = self.cond.wait_for(lambda: len([l for l in self.lines if regex.search(l)]) >= count, 0.05)
            if self.pump:
                self.pump()
        if not ok:
            raise AssertionError(f"no {count} x {pattern!r} in:\n{''.join(self.lines)}")
        return [regex.search(l) for l in self.lines if regex.search(l)]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(20)


class Processes(unittest.TestCase):
    def setUp(self):
        self.frontend = FakeFrontend()
        self.cli = None

    def tearDown(self):
        if self.cli:
            self.cli.close()
        self.frontend.close()

    def start(self, *args):
        pump = lambda: self.frontend.receive(0.01)
        self.cli = Cli("plain:app", "--connect", self.frontend.connect, "--heartbeat", "200", *args, pump=pump)
        return self.cli

    def serve_one(self, path="/x"):
        to = self.frontend.send(path=path)
        status, _, body, _ = self.frontend.response(to, timeout=10)
        self.assertEqual(status, 200)
        return body.decode()

    def test_usage_error_exits_2(self):
        proc = subprocess.run(
            [sys.executable, "-m", "ferry_wsgi", "--workers", "0", "x:y"],
            env=dict(os.environ, PYTHONPATH=PACKAGE),
            capture_output=True,
            text=True,
            timeout=20,
        )
        self.assertEqual(proc.returncode, 2)
        self.assertIn("--workers must be a positive integer", proc.stderr)

    def test_app_that_cannot_load_stops_the_master_with_1(self):
        cli = self.cli = Cli("broken:app", "--connect", self.frontend.connect)
        self.assertEqual(cli.proc.wait(20), 1)
        cli.wait_for("broken on purpose")

    def test_two_workers_serve_then_drain_on_sigterm(self):
        cli = self.start("--workers", "2")
        pids = {m.group(1) for m in cli.wait_for(READY.pattern, 2)}
        self.assertEqual(len(pids), 2)
        served = {self.serve_one(f"/{i}").split("pid=")[1].split()[0] for i in range(40)}
        self.assertTrue(served <= pids)
        self.assertEqual(cli.stop(), 0)
        goodbyes = {m["hid"] for _, m in self.frontend.received if m["kind"] == "goodbye"}
        while self.frontend.receive(0.5, kinds=("goodbye",)):
            pass
        goodbyes = {m["hid"] for _, m in self.frontend.received if m["kind"] == "goodbye"}
        self.assertEqual(len(goodbyes), 2)

    def test_claimed_request_finishes_during_drain(self):
        cli = self.start()
        cli.wait_for(READY.pattern)
        to = self.frontend.send(path="/sleep", query="0.5")
        got = self.frontend.receive(5, kinds=("claim",))
        self.assertIsNotNone(got)
        cli.proc.send_signal(signal.SIGTERM)
        status, _, body, kinds = self.frontend.response(to, timeout=10)
        self.assertEqual(status, 200)
        self.assertIn("/sleep", body.decode())
        self.assertEqual(cli.proc.wait(20), 0)

    def test_dead_worker_is_respawned(self):
        cli = self.start()
        pid = int(cli.wait_for(READY.pattern)[0].group(1))
        os.kill(pid, signal.SIGKILL)
        matches = cli.wait_for(READY.pattern, 2)
        self.assertNotEqual(int(matches[1].group(1)), pid)
        cli.wait_for("respawning")
        self.assertIn("pid=", self.serve_one())
        self.assertEqual(cli.stop(), 0)

    def test_sighup_replaces_workers(self):
        cli = self.start("--workers", "2")
        old = {m.group(1) for m in cli.wait_for(READY.pattern, 2)}
        cli.proc.send_signal(signal.SIGHUP)
        cli.wait_for("reload complete")
        new = {m.group(1) for m in cli.wait_for(READY.pattern, 4)} - old
        self.assertEqual(len(new), 2)
        stopped = {m.group(1) for m in cli.wait_for(r"worker (\d+) stopped \(0\)", 2)}
        self.assertEqual(stopped, old)
        served = {self.serve_one(f"/{i}").split("pid=")[1].split()[0] for i in range(20)}
        self.assertTrue(served <= new)
        self.assertEqual(cli.stop(), 0)


if __name__ == "__main__":
    unittest.main()
