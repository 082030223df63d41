"""Replies that are ready at the same time leave as one `[topic, payload, ...]` message per
frontend (protocol v2 batches), in the order they were made, and a lone reply leaves at once as
a plain two-frame message; `--prefetch` raises the capacity and batch a worker declares."""

import io
import threading
import time
import unittest

from ferry_wsgi.config import UsageError, parse_args
from ferry_wsgi.exchange import Exchange
from ferry_wsgi.fields import MAX_CAPACITY, MAX_PAYLOADS
from ferry_wsgi.protocol import decode_to_frontend
from ferry_wsgi.replies import ReplyChannel
from ferry_wsgi.worker import Worker

from fake_frontend import FakeFrontend
from test_protocol_v2 import Running, echo_app


class Socket:
    """What the channel publishes: one entry per ZeroMQ message, (topic, [decoded payloads])."""

    def __init__(self):
        self.messages = []

    def publish(self, topic, payload):
        self.messages.append((topic, [decode_to_frontend(payload)]))

    def publish_many(self, topic, payloads):
        self.messages.append((topic, [decode_to_frontend(p) for p in payloads]))


def exchange(fid, n):
    return Exchange(fid, n, n, None, 1000 + n)


class Combining(unittest.TestCase):
    def setUp(self):
        self.socket = Socket()
        self.channel = ReplyChannel("py-1", self.socket.publish, publish_many=self.socket.publish_many)

    def send_while_busy(self, *sends):
        """Run each send on its own thread while another sender holds the socket; returns once
        all of them are queued, after the socket was let go."""
        self.channel.lock.acquire()
        threads = [threading.Thread(target=send) for send in sends]
        for i, thread in enumerate(threads):
            thread.start()
            deadline = time.monotonic() + 5
            while len(self.channel._queue) <= i and time.monotonic() < deadline:
                time.sleep(0.001)  # in order: each sender queued before the next starts
        self.assertEqual(len(self.channel._queue), len(sends))
        self.channel.lock.release()
        for thread in threads:
            thread.join(5)

    def test_a_lone_reply_is_one_message_of_one_payload(self):
        ex = exchange("web-1", 1)
        self.channel.head(ex, 200, [], b"hi", True)
        self.assertEqual(len(self.socket.messages), 1)
        topic, payloads = self.socket.messages[0]
        self.assertEqual((topic, [p["kind"] for p in payloads]), (b"web-1", ["head"]))
        self.assertTrue(ex.sent)

    def test_replies_ready_together_leave_in_one_message_in_order(self):
        exs = [exchange("web-1", n) for n in (1, 2, 3)]
        self.send_while_busy(*(lambda ex=ex: self.channel.head(ex, 200, [], b"x", True) for ex in exs))
        self.assertEqual(len(self.socket.messages), 1)
        topic, payloads = self.socket.messages[0]
        self.assertEqual(topic, b"web-1")
        self.assertEqual([p["to"] for p in payloads], [ex.to for ex in exs])

    def test_each_frontend_gets_its_own_message(self):
        a1, b1, a2 = exchange("web-a", 1), exchange("web-b", 2), exchange("web-a", 3)
        self.send_while_busy(*(lambda ex=ex: self.channel.end(ex) for ex in (a1, b1, a2)))
        got = {topic: [p["to"][0][0] for p in payloads] for topic, payloads in self.socket.messages}
        self.assertEqual(got, {b"web-a": [1, 3], b"web-b": [2]})
        self.assertEqual(len(self.socket.messages), 2)

    def test_a_claim_never_follows_the_reply_it_would_announce(self):
        ex = exchange("web-1", 1)
        self.send_while_busy(lambda: self.channel.head(ex, 200, [], b"x", True))
        self.assertFalse(self.channel.claim(ex))  # the reply claimed it
        ex2 = exchange("web-1", 2)
        self.send_while_busy(lambda: self.channel.claim(ex2), lambda: self.channel.head(ex2, 200, [], None, True))
        kinds = [p["kind"] for _, payloads in self.socket.messages for p in payloads]
        self.assertEqual(kinds, ["head", "claim", "head"])

    def test_no_message_holds_more_than_the_protocol_allows(self):
        sizes = []
        channel = ReplyChannel(
            "py-1", lambda topic, payload: sizes.append(1), publish_many=lambda topic, ps: sizes.append(len(ps))
        )
        exs = [exchange("web-1", n) for n in range(MAX_PAYLOADS + 5)]
        with channel._queue_lock:  # queued while another thread was sending
            for ex in exs[1:]:
                channel._queue.append((ex.topic, b"\x80"))
        channel.end(exs[0])
        self.assertEqual(sizes, [MAX_PAYLOADS, 5])

    def test_without_publish_many_each_payload_goes_alone(self):
        sent = []
        channel = ReplyChannel("py-1", lambda topic, payload: sent.append(topic))
        channel.lock.acquire()
        ex1, ex2 = exchange("web-1", 1), exchange("web-1", 2)
        threads = [threading.Thread(target=channel.end, args=(ex,)) for ex in (ex1, ex2)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 5
        while len(channel._queue) < 2 and time.monotonic() < deadline:
            time.sleep(0.001)
        channel.lock.release()
        for thread in threads:
            thread.join(5)
        self.assertEqual(sent, [b"web-1", b"web-1"])


class ThreadedWorkerReplies(unittest.TestCase):
    def test_replies_made_while_the_socket_is_busy_leave_as_one_message(self):
        run = Running(echo_app, threads=4)
        channel = run.worker.channel
        try:
            channel.lock.acquire()  # as if a long send were under way
            try:
                targets = run.frontend.send_batch(*({"path": f"/t{i}"} for i in range(4)))
                deadline = time.monotonic() + 5
                while len(channel._queue) < 4 and time.monotonic() < deadline:
                    time.sleep(0.005)
                self.assertEqual(len(channel._queue), 4)
            finally:
                channel.lock.release()
            first = run.frontend.receive(5, kinds=("head",))
            together = [first] + [run.frontend.pending.pop(0) for _ in range(len(run.frontend.pending))]
            self.assertEqual(sorted(m["to"][0][0] for _, m in together), sorted(t[0] for t in targets))
            self.assertEqual({m["kind"] for _, m in together}, {"head"})
        finally:
            run.close()


class Prefetch(unittest.TestCase):
    def test_capacity_and_batch_are_threads_plus_prefetch(self):
        for threads, prefetch in ((1, 0), (1, 2), (3, 1)):
            frontend = FakeFrontend()
            worker = Worker(echo_app, [frontend.endpoints], threads=threads, prefetch=prefetch, stderr=io.StringIO())
            try:
                self.assertEqual((worker.capacity, worker.batch), (threads + prefetch, threads + prefetch))
            finally:
                worker.control.close()
                worker.transport.close(0)
                frontend.close()

    def test_hello_declares_it(self):
        frontend = FakeFrontend()
        worker = Worker(echo_app, [frontend.endpoints], prefetch=2, heartbeat_ms=150, stderr=io.StringIO())
        thread = threading.Thread(target=worker.run, daemon=True)
        thread.start()
        try:
            hello = frontend.wait_hello()
            self.assertEqual((hello["capacity"], hello["batch"]), (3, 3))
            targets = [frontend.send(path=f"/p{i}") for i in range(3)]  # one runs, two wait
            targets += frontend.send_batch(*({"path": f"/p{i}"} for i in range(3, 6)))  # one message
            for i, to in enumerate(targets):
                self.assertEqual(frontend.response(to)[2], f"/p{i}".encode())
            heads = [m["to"][0] for _, m in frontend.received if m["kind"] == "head"]
            self.assertEqual(heads, targets)  # one thread: in the order they came
        finally:
            worker.drain()
            thread.join(10)
            frontend.close()
        self.assertFalse(thread.is_alive())

    def test_a_draining_worker_serves_the_requests_it_prefetched(self):
        import ferry_wsgi.worker as worker_module

        started = threading.Event()

        def slow(environ, start_response):
            started.set()
            time.sleep(0.2)
            return echo_app(environ, start_response)

        frontend = FakeFrontend()
        worker = Worker(slow, [frontend.endpoints], prefetch=2, heartbeat_ms=150, stderr=io.StringIO())
        thread = threading.Thread(target=worker.run, daemon=True)
        window = worker_module.LATE_REQUESTS_WINDOW
        worker_module.LATE_REQUESTS_WINDOW = 0.05  # shorter than one request: only the rule keeps them
        try:
            thread.start()
            frontend.wait_hello()
            targets = [frontend.send(path=f"/d{i}") for i in range(3)]
            self.assertTrue(started.wait(5))
            time.sleep(0.05)  # the other two reached the worker's queue
            worker.drain()
            for i, to in enumerate(targets):
                self.assertEqual(frontend.response(to)[2], f"/d{i}".encode())
            thread.join(10)
        finally:
            worker_module.LATE_REQUESTS_WINDOW = window
            worker.drain()
            thread.join(10)
            frontend.close()
        self.assertFalse(thread.is_alive())

    def test_option_and_environment(self):
        self.assertEqual(parse_args(["app:app"], env={}).prefetch, 0)
        self.assertEqual(parse_args(["app:app", "--prefetch", "2"], env={}).prefetch, 2)
        self.assertEqual(parse_args(["app:app"], env={"FERRY_PREFETCH": "3"}).prefetch, 3)
        self.assertEqual(parse_args(["app:app", "--prefetch", "0"], env={"FERRY_PREFETCH": "3"}).prefetch, 0)
        for bad in ("-1", "x", "", str(MAX_CAPACITY)):
            with self.assertRaises(UsageError, msg=bad):
                parse_args(["app:app", "--prefetch", bad], env={})
        # threads + prefetch is hello's capacity: at most what the protocol carries.
        cfg = parse_args(["app:app", "--threads", "4", "--prefetch", str(MAX_CAPACITY - 4)], env={})
        self.assertEqual(cfg.threads + cfg.prefetch, MAX_CAPACITY)


if __name__ == "__main__":
    unittest.main()
