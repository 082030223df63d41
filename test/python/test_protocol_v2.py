"""What protocol v2 asks of a handler, against a frontend played with real ZeroMQ sockets: a
secret in every hello, heartbeat and goodbye; `batch` declared; batches of requests and events
in one message; replies, claims and credits quoting the request's token; the reason phrase;
older frontends named in a rate-limited warning; the sockets' size limits."""

import io
import threading
import time
import unittest

import zmq

from ferry_wsgi.config import UsageError, parse_args
from ferry_wsgi.exchange import Exchange
from ferry_wsgi.fields import MAX_MESSAGE_BYTES, MAX_PAYLOADS
from ferry_wsgi.protocol import (
    ProtocolError,
    decode_to_frontend,
    decode_to_handler,
    encode_to_handler,
    pack,
    payloads,
)
from ferry_wsgi.replies import ReplyChannel
from ferry_wsgi.transport import REPLY_HWM
from ferry_wsgi.version_warnings import VersionWarnings, version_warning
from ferry_wsgi.worker import Worker

from fake_frontend import FakeFrontend
from support import FID, HID, request, target


def echo_app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [environ["PATH_INFO"].encode("latin-1")]


def slow_app(environ, start_response):
    time.sleep(0.2)
    return echo_app(environ, start_response)


def upload_app(environ, start_response):
    data = environ["wsgi.input"].read()
    start_response("200 OK", [])
    return [b"%d" % len(data)]


class Running:
    """A worker serving `app` against a fake frontend, stopped by close()."""

    def __init__(self, app, threads=1, frontend=None):
        self.frontend = frontend or FakeFrontend()
        self.errors = io.StringIO()
        self.worker = Worker(app, [self.frontend.endpoints], threads=threads, heartbeat_ms=150, stderr=self.errors)
        self.thread = threading.Thread(target=self.worker.run, daemon=True)
        self.thread.start()
        self.hello = self.frontend.wait_hello()

    def close(self):
        self.worker.drain()
        self.thread.join(10)
        self.frontend.close()
        assert not self.thread.is_alive()


class Identity(unittest.TestCase):
    def test_every_hello_heartbeat_and_goodbye_carries_the_same_secret(self):
        run = Running(echo_app)
        try:
            secret = run.hello["secret"]
            self.assertEqual(type(secret), bytes)
            self.assertTrue(16 <= len(secret) <= 64)
            beat = run.frontend.receive(3, kinds=("heartbeat",))
            self.assertIsNotNone(beat)
            self.assertEqual(beat[1]["secret"], secret)
            run.worker.drain()
            run.thread.join(10)
            bye = run.frontend.receive(5, kinds=("goodbye",))
            self.assertIsNotNone(bye)
            self.assertEqual((bye[0], bye[1]["secret"]), ("*", secret))
        finally:
            run.close()

    def test_each_worker_has_its_own_secret(self):
        a, b = ReplyChannel("a", None), ReplyChannel("b", None)
        self.assertEqual(len(a.secret), 32)
        self.assertNotEqual(a.secret, b.secret)

    def test_secret_never_goes_to_a_frontend_topic(self):
        # Replies go under the frontend's id (the one topic other handlers could also read if
        # they subscribed to it); the secret only ever goes under "*" in hello/heartbeat/goodbye.
        run = Running(echo_app)
        try:
            to = run.frontend.send(path="/a")
            run.frontend.response(to)
            for topic, msg in run.frontend.received:
                if "secret" in msg:
                    self.assertEqual(topic, "*")
                    self.assertIn(msg["kind"], ("hello", "heartbeat", "goodbye"))
        finally:
            run.close()

    def test_batch_is_one_per_thread(self):
        for threads in (1, 3):
            run = Running(echo_app, threads=threads)
            try:
                self.assertEqual((run.hello["capacity"], run.hello["batch"]), (threads, threads))
            finally:
                run.close()


    def test_a_draining_worker_greets_a_new_frontend_with_a_heartbeat_not_a_hello(self):
        injected = threading.Event()

        def busy_app(environ, start_response):  # keeps the worker draining until the greeting
            injected.wait(5)
            return echo_app(environ, start_response)

        run = Running(busy_app)
        try:
            transport = run.worker.transport
            real = transport.take_fresh

            def take_fresh():  # a frontend (re)subscribes while the worker drains
                fresh = real()
                if run.worker.draining and not injected.is_set():
                    fresh.append(b"another-frontend")
                    injected.set()
                return fresh

            transport.take_fresh = take_fresh
            to = run.frontend.send(path="/busy")
            run.frontend.receive(5, kinds=("claim",))
            run.worker.drain()
            run.thread.join(10)
            self.assertTrue(injected.is_set())
            kinds = [m["kind"] for _, m in run.frontend.received]
            while (got := run.frontend.receive(0.5)) is not None:
                kinds.append(got[1]["kind"])
            self.assertEqual(run.frontend.response(to)[2], b"/busy")
            self.assertIn("goodbye", kinds)
            self.assertEqual(kinds.count("hello"), 1, kinds)  # the first, before the drain
        finally:
            run.close()

    def test_batch_is_at_most_what_the_protocol_carries(self):
        frontend = FakeFrontend()
        worker = Worker(echo_app, [frontend.endpoints], threads=2000, stderr=io.StringIO())
        try:
            self.assertEqual((worker.capacity, worker.batch), (2000, MAX_PAYLOADS))
        finally:
            worker.control.close()
            worker.transport.close(0)
            frontend.close()


class RequestBatches(unittest.TestCase):
    def test_every_request_of_one_message_is_answered_with_its_token(self):
        run = Running(echo_app)
        try:
            targets = run.frontend.send_batch(*({"path": f"/b{i}"} for i in range(20)))
            self.assertEqual(len({t[2] for t in targets}), 20)
            for i, to in enumerate(targets):
                _, _, body, kinds = run.frontend.response(to)
                self.assertEqual((body, kinds), (f"/b{i}".encode(), ["head"]))
            # In order: the replies came back as the requests stood in the message.
            heads = [m["to"][0] for _, m in run.frontend.received if m["kind"] == "head"]
            self.assertEqual(heads, targets)
        finally:
            run.close()

    def test_threaded_worker_runs_a_batch_side_by_side(self):
        run = Running(slow_app, threads=4)
        try:
            start = time.monotonic()
            targets = run.frontend.send_batch(*({"path": f"/s{i}"} for i in range(4)))
            for i, to in enumerate(targets):
                self.assertEqual(run.frontend.response(to)[2], f"/s{i}".encode())
            self.assertLess(time.monotonic() - start, 0.75)
        finally:
            run.close()

    def test_threaded_worker_takes_a_batch_larger_than_its_threads(self):
        run = Running(echo_app, threads=2)
        try:
            targets = run.frontend.send_batch(*({"path": f"/t{i}"} for i in range(9)))
            for i, to in enumerate(targets):
                self.assertEqual(run.frontend.response(to)[2], f"/t{i}".encode())
        finally:
            run.close()

    def test_an_invalid_request_is_dropped_alone(self):
        run = Running(echo_app)
        try:
            good = [request(fid=run.frontend.fid, conn=c, req=c, path=f"/g{c}") for c in (101, 102)]
            frames = [encode_to_handler(good[0]), pack({"v": 2, "kind": "request"}), encode_to_handler(good[1])]
            run.frontend.send_raw(*frames)
            for msg in good:
                self.assertEqual(run.frontend.response(target(msg))[2], msg["path"].encode())
            self.assertEqual(run.worker.malformed_count, 1)
            self.assertIn("ERR_MISSING_FIELD", run.errors.getvalue())
        finally:
            run.close()

    def test_a_message_with_too_many_requests_is_dropped_whole(self):
        run = Running(echo_app)
        try:
            payload = encode_to_handler(request(fid=run.frontend.fid, conn=7, req=7, path="/x"))
            run.frontend.send_raw(*([payload] * (MAX_PAYLOADS + 1)))
            to = run.frontend.send(path="/after")
            self.assertEqual(run.frontend.response(to)[2], b"/after")
            about = [m for _, m in run.frontend.received if m.get("conn") == 7 or m.get("to", [[0]])[0][0] == 7]
            self.assertEqual(about, [])
            self.assertEqual(run.worker.malformed_count, 1)
            self.assertIn("ERR_FRAMES", run.errors.getvalue())
        finally:
            run.close()


class EventBatches(unittest.TestCase):
    def test_body_chunks_in_one_message_arrive_in_order(self):
        run = Running(upload_app)
        try:
            to = run.frontend.send(path="/up", method="POST", stream=True, length=6, body=None)
            claim = run.frontend.receive(5, kinds=("claim",))
            self.assertEqual([claim[1]["conn"], claim[1]["req"], claim[1]["token"]], to)
            credit = run.frontend.receive(5, kinds=("credit",))
            self.assertEqual([credit[1]["conn"], credit[1]["req"], credit[1]["token"]], to)
            chunk = {"kind": "body", "conn": to[0], "req": to[1]}
            run.frontend.events(
                run.worker.hid,
                dict(chunk, data=b"ab"),
                pack({"v": 2, "kind": "cancel", "fid": run.frontend.fid, "conn": to[0]}),  # no req: dropped alone
                dict(chunk, data=b"cd"),
                dict(chunk, data=b"ef", end=True),
            )
            self.assertEqual(run.frontend.response(to)[2], b"6")
            self.assertEqual(run.worker.malformed_count, 1)
        finally:
            run.close()

    def test_a_topic_alone_is_malformed(self):
        run = Running(echo_app)
        try:
            run.frontend.pub.send(run.worker.hid.encode())
            deadline = time.monotonic() + 5
            while run.worker.malformed_count == 0 and time.monotonic() < deadline:
                time.sleep(0.02)
            self.assertEqual(run.worker.malformed_count, 1)
            self.assertIn("ERR_FRAMES", run.errors.getvalue())
        finally:
            run.close()


class OlderFrontends(unittest.TestCase):
    def test_a_v1_request_is_dropped_with_a_warning_naming_the_frontend(self):
        run = Running(echo_app)
        try:
            v1 = request(fid="old-frontend-1", v=1)
            del v1["token"], v1["port"]
            run.frontend.send_raw(pack(v1))
            run.frontend.send_raw(pack(v1))
            to = run.frontend.send(path="/after")
            self.assertEqual(run.frontend.response(to)[2], b"/after")
            log = run.errors.getvalue()
            self.assertEqual(log.count("speaks Ferry protocol v1"), 1, log)
            self.assertIn(
                "frontend old-frontend-1 speaks Ferry protocol v1; this handler speaks v2 "
                "(needs token, port, v:2): upgrade the frontend",
                log,
            )
            self.assertEqual(run.worker.malformed_count, 2)
        finally:
            run.close()

    def test_warnings_are_rate_limited_per_frontend_with_a_count(self):
        now = [0.0]
        lines = []
        warnings = VersionWarnings(lines.append, every=60, clock=lambda: now[0])
        warnings.saw("f-1", 1)
        warnings.saw("f-1", 1)
        warnings.saw("f-2", 1)
        warnings.saw("f-1", 1)
        self.assertEqual(lines, [version_warning("f-1", 1), version_warning("f-2", 1)])
        now[0] = 61
        warnings.saw("f-1", 1)
        self.assertEqual(lines[-1], version_warning("f-1", 1, 2))
        self.assertTrue(lines[-1].endswith("(2 more such messages since the last warning)"))

    def test_decoder_reports_the_version_and_sender(self):
        with self.assertRaises(ProtocolError) as caught:
            decode_to_handler(pack({"v": 1, "kind": "request", "fid": "web-1"}))
        self.assertEqual((caught.exception.code, caught.exception.version, caught.exception.peer), ("ERR_VERSION", 1, "web-1"))
        with self.assertRaises(ProtocolError) as caught:
            decode_to_handler(pack({"kind": "request"}))
        self.assertEqual((caught.exception.code, caught.exception.version), ("ERR_VERSION", None))


class Messages(unittest.TestCase):
    def setUp(self):
        self.sent = []
        self.channel = ReplyChannel(HID, lambda topic, payload: self.sent.append((topic, payload)))
        self.ex = Exchange(FID, 5, 9, None, 2**40 + 3)

    def decoded(self):
        return [decode_to_frontend(p) for _, p in self.sent]

    def test_every_reply_quotes_the_token(self):
        ch, ex = self.channel, self.ex
        ch.claim(ex)
        ch.credit(ex, 100)
        ch.head(ex, 200, [], b"x")
        ch.data(ex, b"y")
        ch.end(ex)
        ch.close(ex)
        ch.error(ex, "APP_ERROR", "boom")
        claim, credit, *replies = self.decoded()
        self.assertEqual((claim["conn"], claim["req"], claim["token"]), (5, 9, 2**40 + 3))
        self.assertEqual((credit["token"], credit["bytes"]), (2**40 + 3, 100))
        for msg in replies:
            self.assertEqual(msg["to"], [[5, 9, 2**40 + 3]])

    def test_head_carries_the_reason_phrase_after_the_status(self):
        self.channel.head(self.ex, 299, [["x", "1"]], reason="Quite Fine")
        self.channel.head(self.ex, 200, [])
        with_reason, without = self.decoded()
        self.assertEqual(list(with_reason)[:6], ["v", "kind", "hid", "to", "status", "reason"])
        self.assertEqual(with_reason["reason"], "Quite Fine")
        self.assertNotIn("reason", without)

    def test_hello_fields_in_canonical_order(self):
        self.channel.hello("hello", 4, 0, 1000, 4)
        self.channel.goodbye(0)
        hello, goodbye = self.decoded()
        self.assertEqual(
            list(hello), ["v", "kind", "hid", "secret", "capacity", "inflight", "interval", "batch", "agent"]
        )
        self.assertEqual(list(goodbye), ["v", "kind", "hid", "secret", "inflight"])

    def test_request_keeps_port_and_token(self):
        msg = decode_to_handler(encode_to_handler(request(port=8443, token=2**53 - 1)))
        self.assertEqual((msg["port"], msg["token"]), (8443, 2**53 - 1))

    def test_targets_must_be_triples(self):
        for to, code in (([[1, 2]], "ERR_FIELD_TYPE"), ([[1, 2, -1]], "ERR_FIELD_TYPE"), ([], "ERR_FIELD_TYPE")):
            with self.assertRaises(ProtocolError) as caught:
                decode_to_frontend(pack({"v": 2, "kind": "end", "hid": HID, "to": to}))
            self.assertEqual(caught.exception.code, code, to)

    def test_payloads_of_a_message(self):
        self.assertEqual(payloads([b"a", b"b"], topic=False), [b"a", b"b"])
        self.assertEqual(payloads([b"t", b"a"], topic=True), [b"a"])
        for frames, topic in (([b"t"], True), ([b"p"] * (MAX_PAYLOADS + 1), False)):
            with self.assertRaises(ProtocolError) as caught:
                payloads(frames, topic)
            self.assertEqual(caught.exception.code, "ERR_FRAMES")


class Sockets(unittest.TestCase):
    def test_size_limits_and_high_water_marks(self):
        run = Running(echo_app)
        try:
            t = run.worker.transport
            self.assertEqual(t.pull.getsockopt(zmq.MAXMSGSIZE), MAX_MESSAGE_BYTES)
            self.assertEqual(t.sub.getsockopt(zmq.MAXMSGSIZE), MAX_MESSAGE_BYTES)
            self.assertEqual(MAX_MESSAGE_BYTES, 65 * 1024 * 1024)
            self.assertEqual(t.pub.getsockopt(zmq.SNDHWM), REPLY_HWM)
            self.assertGreaterEqual(REPLY_HWM, 1_000_000)
        finally:
            run.close()

    def test_config_keeps_heartbeat_and_threads_within_the_protocol(self):
        for args in (["--heartbeat", "50"], ["--heartbeat", "60001"], ["--threads", "65537"]):
            with self.assertRaises(UsageError, msg=args):
                parse_args(["app:app", *args], env={})
        cfg = parse_args(["app:app", "--heartbeat", "100", "--threads", "8"], env={})
        self.assertEqual((cfg.heartbeat_ms, cfg.threads), (100, 8))


if __name__ == "__main__":
    unittest.main()
