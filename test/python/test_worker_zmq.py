"""A worker against a frontend played with real ZeroMQ sockets (ipc://): hello and heartbeats,
requests and replies, claims for slow apps, events, malformed input, drain."""

import io
import threading
import time
import unittest

from ferry_wsgi.worker import Worker

from fake_frontend import FakeFrontend


def hello_app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello " + environ["PATH_INFO"].encode("latin-1")]


def slow_app(environ, start_response):
    time.sleep(float(environ["QUERY_STRING"] or "0.1"))
    start_response("200 OK", [])
    return [b"slow"]


def streaming_app(environ, start_response):
    start_response("200 OK", [])

    def body():
        for i in range(1000):
            yield b"chunk %d\n" % i
            time.sleep(0.01)

    return body()


def upload_app(environ, start_response):
    stream = environ["wsgi.input"]
    first = stream.readline()
    rest = stream.read()
    start_response("200 OK", [])
    return [b"%d %d %s" % (len(first), len(rest), environ.get("CONTENT_LENGTH", "-").encode())]


def router(environ, start_response):
    path = environ["PATH_INFO"]
    if path.startswith("/upload"):
        return upload_app(environ, start_response)
    if path.startswith("/slow"):
        return slow_app(environ, start_response)
    if path.startswith("/stream"):
        return streaming_app(environ, start_response)
    return hello_app(environ, start_response)


class WorkerCase(unittest.TestCase):
    threads = 1

    def setUp(self):
        self.frontend = FakeFrontend()
        self.errors = io.StringIO()
        self.worker = Worker(
            router,
            [self.frontend.endpoints],
            threads=self.threads,
            heartbeat_ms=200,
            stderr=self.errors,
        )
        self.thread = threading.Thread(target=self.worker.run, daemon=True)
        self.thread.start()
        self.hello = self.frontend.wait_hello()

    def tearDown(self):
        self.worker.drain()
        self.thread.join(10)
        self.frontend.close()
        self.assertFalse(self.thread.is_alive())


class InlineWorker(WorkerCase):
    def test_hello_names_the_handler(self):
        self.assertEqual(self.hello["hid"], self.worker.hid)
        self.assertEqual(self.hello["capacity"], self.threads)
        self.assertEqual(self.hello["interval"], 200)
        self.assertTrue(self.hello["agent"].startswith("ferry-wsgi/"))

    def test_fast_reply_is_one_message(self):
        to = self.frontend.send(path="/x")
        status, headers, body, kinds = self.frontend.response(to)
        self.assertEqual((status, body, kinds), (200, b"hello /x", ["head"]))

    def test_many_requests(self):
        targets = [self.frontend.send(path=f"/{i}") for i in range(200)]
        for i, to in enumerate(targets):
            _, _, body, _ = self.frontend.response(to)
            self.assertEqual(body, f"hello /{i}".encode())

    def test_slow_app_gets_an_explicit_claim_first(self):
        to = self.frontend.send(path="/slow", query="0.15")
        _, _, body, kinds = self.frontend.response(to)
        self.assertEqual(kinds, ["claim", "head"])
        self.assertEqual(body, b"slow")

    def test_slow_request_among_fast_ones_gets_its_claim(self):
        # Requests keep arriving: the control thread is ticking, not sleeping until kicked.
        fast = [self.frontend.send(path=f"/{i}") for i in range(50)]
        slow = self.frontend.send(path="/slow", query="0.15")
        for to in fast:
            self.assertEqual(self.frontend.response(to)[3], ["head"])
        _, _, body, kinds = self.frontend.response(slow)
        self.assertEqual(kinds, ["claim", "head"])
        self.assertEqual(body, b"slow")

    def test_heartbeats_continue_while_the_app_blocks(self):
        to = self.frontend.send(path="/slow", query="0.6")
        beats = 0
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            got = self.frontend.receive(1.0)
            if got and got[1]["kind"] == "heartbeat":
                beats += 1
            if got and got[1].get("to") == [to]:
                break
        self.assertGreaterEqual(beats, 2)

    def test_disconnect_stops_a_streamed_response(self):
        to = self.frontend.send(path="/stream")
        got = self.frontend.receive(5, kinds=("head",))
        self.assertIsNotNone(got)
        self.frontend.event(self.worker.hid, kind="disconnect", conn=to[0], req=to[1])
        # The stream stops well before its 1000 chunks: the worker is free again.
        to2 = self.frontend.send(path="/after")
        _, _, body, _ = self.frontend.response(to2, timeout=5)
        self.assertEqual(body, b"hello /after")
        chunks = [m for _, m in self.frontend.received if m["kind"] == "data" and m["to"] == [to]]
        self.assertLess(len(chunks), 900)

    def test_streamed_request_body(self):
        total = 600 * 1024
        to = self.frontend.send(path="/upload", method="POST", stream=True, length=total, body=None)
        # The handler claims at once and grants credit; the body follows as `body` events.
        got = self.frontend.receive(5, kinds=("claim",))
        self.assertIsNotNone(got)
        granted = 0
        sent = 0
        chunk = b"line\n" + b"x" * (64 * 1024 - 5)
        deadline = time.monotonic() + 10
        while sent < total and time.monotonic() < deadline:
            while granted <= sent:
                credit = self.frontend.receive(5, kinds=("credit",))
                self.assertIsNotNone(credit, f"no credit after {sent} bytes")
                self.assertEqual([credit[1]["conn"], credit[1]["req"], credit[1]["token"]], to)
                granted += credit[1]["bytes"]
            piece = chunk[: min(len(chunk), total - sent, granted - sent)]
            sent += len(piece)
            self.frontend.event(self.worker.hid, kind="body", conn=to[0], req=to[1], data=piece, end=sent == total)
        _, _, body, _ = self.frontend.response(to)
        self.assertEqual(body, b"5 %d %d" % (total - 5, total))

    def test_malformed_requests_are_dropped_and_logged_once(self):
        self.frontend.send_raw(b"\xc1")
        self.frontend.send_raw(b"not msgpack at all")
        self.frontend.send_raw(b"a", b"b")
        to = self.frontend.send(path="/still-alive")
        _, _, body, _ = self.frontend.response(to)
        self.assertEqual(body, b"hello /still-alive")
        self.assertEqual(self.errors.getvalue().count("malformed"), 1)

    def test_drain_sends_goodbye(self):
        self.worker.drain()
        self.thread.join(10)
        got = self.frontend.receive(5, kinds=("goodbye",))
        self.assertIsNotNone(got)
        self.assertEqual(got[1]["hid"], self.worker.hid)


class TwoFrontends(unittest.TestCase):
    def test_each_frontend_gets_its_own_replies(self):
        a, b = FakeFrontend("front-a-1"), FakeFrontend("front-b-2")
        worker = Worker(router, [a.endpoints, b.endpoints], heartbeat_ms=200, stderr=io.StringIO())
        thread = threading.Thread(target=worker.run, daemon=True)
        thread.start()
        try:
            a.wait_hello()
            b.wait_hello()
            to_a = a.send(path="/from-a")
            to_b = b.send(path="/from-b")
            self.assertEqual(a.response(to_a)[2], b"hello /from-a")
            self.assertEqual(b.response(to_b)[2], b"hello /from-b")
            # Nothing addressed to one frontend reached the other.
            self.assertFalse([m for t, m in a.received if t == b.fid])
            self.assertFalse([m for t, m in b.received if t == a.fid])
        finally:
            worker.drain()
            thread.join(10)
            a.close()
            b.close()


class ThreadedWorker(WorkerCase):
    threads = 4

    def test_slow_requests_run_side_by_side(self):
        start = time.monotonic()
        targets = [self.frontend.send(path="/slow", query="0.3") for _ in range(4)]
        for to in targets:
            _, _, body, _ = self.frontend.response(to)
            self.assertEqual(body, b"slow")
        self.assertLess(time.monotonic() - start, 1.1)

    def test_hello_capacity_is_the_thread_count(self):
        self.assertEqual(self.hello["capacity"], 4)

    def test_environ_says_multithread(self):
        seen = {}

        def app(environ, start_response):
            seen["mt"] = environ["wsgi.multithread"]
            return hello_app(environ, start_response)

        self.worker.app = app
        to = self.frontend.send(path="/mt")
        self.frontend.response(to)
        self.assertIs(seen["mt"], True)


if __name__ == "__main__":
    unittest.main()
