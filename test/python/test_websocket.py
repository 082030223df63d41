"""WebSocket callbacks (ferry_wsgi.websocket) in a worker against a frontend played with real
ZeroMQ sockets: upgrade accepted (101, subprotocol) or refused, messages both ways, broadcast as
one message, closes both ways, errors, drain, and events reaching only the accepting worker."""

import io
import json
import os
import queue
import threading
import time
import unittest

from ferry_wsgi import broadcast
from ferry_wsgi.protocol import decode_to_frontend, decode_to_handler, encode_to_frontend
from ferry_wsgi.replies import ReplyChannel
from ferry_wsgi.worker import Worker

from fake_frontend import FakeFrontend

WS_HEADERS = [
    ["host", "example.com"],
    ["upgrade", "websocket"],
    ["connection", "Upgrade"],
    ["sec-websocket-version", "13"],
    ["sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="],
]


class Chat:
    """The callbacks under test; every call is recorded as (name, thread name, args)."""

    def __init__(self):
        self.clients = set()
        self.calls = queue.SimpleQueue()

    def on_open(self, ws):
        self.calls.put(("open", threading.current_thread().name, ws.path))
        if ws.path == "/forbidden":
            ws.refuse(403, "no entry", [("content-type", "text/plain")])
            return
        if ws.path == "/boom":
            raise RuntimeError("on_open failed on purpose")
        if ws.path == "/greet":
            ws.accept()
            ws.send("welcome")
        elif "chat" in ws.protocols:
            ws.accept(protocol="chat", headers=[("set-cookie", "seen=1")])
        self.clients.add(ws)

    def on_message(self, ws, data):
        self.calls.put(("message", threading.current_thread().name, data))
        if data == "bye":
            ws.close(4000, "bye now")
        elif data == "raise":
            raise ValueError("on_message failed on purpose")
        elif isinstance(data, str) and data.startswith("all:"):
            broadcast(self.clients, data[4:])
        else:
            ws.send(data)

    def on_close(self, ws, code, reason):
        self.clients.discard(ws)
        self.calls.put(("close", threading.current_thread().name, (ws.path, code, reason)))

    def next_call(self, name, timeout=5.0):
        deadline = time.monotonic() + timeout
        while True:
            try:
                call = self.calls.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no {name} callback") from None
            if call[0] == name:
                return call


def wsgi_app(environ, start_response):
    """Plain HTTP next to the sockets; /notify broadcasts from a WSGI request thread."""
    if environ["PATH_INFO"] == "/notify":
        n = broadcast(environ["chat"].clients, b"\x00note")
        start_response("200 OK", [])
        return [b"notified %d" % n]
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"plain http"]


def wait_until(check, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.005)


class Frontend(FakeFrontend):
    def upgrade(self, path="/chat", protocols=None, **fields):
        headers = list(WS_HEADERS)
        if protocols:
            headers.append(["sec-websocket-protocol", protocols])
        return self.send(path=path, headers=headers, upgrade="websocket", **fields)

    def reply_to(self, to, kinds, timeout=5.0):
        """The first reply of `kinds` addressed to `to` (alone or among others) not returned
        before, also among the ones received earlier."""
        taken = self.__dict__.setdefault("taken", set())
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            while seen < len(self.received):
                msg = self.received[seen][1]
                seen += 1
                if msg["kind"] in kinds and to in msg.get("to", []) and id(msg) not in taken:
                    taken.add(id(msg))
                    return msg
            if self.receive(max(0.0, deadline - time.monotonic())) is None:
                raise AssertionError(f"no {kinds} for {to}")

    def client_says(self, hid, to, data, binary=None):
        if binary is None:
            binary = isinstance(data, bytes)
        payload = data if binary else data.encode()
        self.event(hid, kind="ws", conn=to[0], req=to[1], data=payload, binary=binary)

    def client_leaves(self, hid, to, code=None, reason=None):
        fields = {"kind": "disconnect", "conn": to[0], "req": to[1]}
        if code is not None:
            fields["code"] = code
        if reason is not None:
            fields["reason"] = reason
        self.event(hid, **fields)


class WebSocketWorker(unittest.TestCase):
    threads = 1

    def setUp(self):
        self.frontend = Frontend()
        self.chat = Chat()
        self.errors = io.StringIO()
        chat = self.chat

        def app(environ, start_response):
            environ["chat"] = chat
            return wsgi_app(environ, start_response)

        self.worker = Worker(
            app,
            [self.frontend.endpoints],
            threads=self.threads,
            heartbeat_ms=200,
            stderr=self.errors,
            websocket=self.chat,
        )
        self.hid = self.worker.hid
        self.worker.websockets.grace = 0.3  # the played frontend does not answer close frames
        self.thread = threading.Thread(target=self.worker.run, daemon=True)
        self.thread.start()
        self.frontend.wait_hello()

    def tearDown(self):
        self.worker.drain()
        self.thread.join(15)
        self.frontend.close()
        self.assertFalse(self.thread.is_alive())

    def open(self, path="/chat", protocols=None):
        to = self.frontend.upgrade(path, protocols)
        head = self.frontend.reply_to(to, ("head", "error"))
        self.assertEqual((head["kind"], head["status"]), ("head", 101), head)
        return to, head

    def test_accept_is_a_101_head_with_the_chosen_subprotocol(self):
        to, head = self.open(protocols="superchat, chat")
        self.assertEqual(head["hid"], self.hid)
        self.assertEqual(head["to"], [to])
        self.assertEqual(
            head["headers"], [["set-cookie", "seen=1"], ["sec-websocket-protocol", "chat"]]
        )
        self.assertNotIn("end", head)
        self.assertEqual(self.chat.next_call("open")[1:], ("ferry-websocket", "/chat"))

    def test_returning_from_on_open_accepts_without_a_subprotocol(self):
        to, head = self.open(protocols="other")
        self.assertEqual(head["headers"], [])

    def test_refusal_is_an_http_response(self):
        to = self.frontend.upgrade("/forbidden")
        head = self.frontend.reply_to(to, ("head",))
        self.assertEqual((head["status"], head["body"], head["end"]), (403, b"no entry", True))
        self.assertEqual(head["headers"], [["content-type", "text/plain"]])

    def test_on_open_raising_is_an_app_error(self):
        to = self.frontend.upgrade("/boom")
        err = self.frontend.reply_to(to, ("error", "head"))
        self.assertEqual((err["kind"], err["code"]), ("error", "APP_ERROR"))
        self.assertIn("on_open failed on purpose", self.errors.getvalue())

    def test_text_and_binary_messages_are_echoed_as_such(self):
        to, _ = self.open()
        self.frontend.client_says(self.hid, to, "héllo")
        reply = self.frontend.reply_to(to, ("ws",))
        self.assertEqual((reply["data"], reply["binary"], reply["to"]), ("héllo".encode(), False, [to]))
        self.frontend.client_says(self.hid, to, b"\x00\xffbin")
        reply = self.frontend.reply_to(to, ("ws",))
        self.assertEqual((reply["data"], reply["binary"]), (b"\x00\xffbin", True))
        # on_message got str for text and bytes for binary, on the websocket thread.
        calls = [self.chat.next_call("message") for _ in range(2)]
        self.assertEqual([c[2] for c in calls], ["héllo", b"\x00\xffbin"])
        self.assertEqual({c[1] for c in calls}, {"ferry-websocket"})

    def test_on_open_may_send_once_accepted(self):
        to, _ = self.open("/greet")
        reply = self.frontend.reply_to(to, ("ws",))
        self.assertEqual(reply["data"], b"welcome")

    def test_broadcast_is_one_message_to_every_socket(self):
        sockets = [self.open()[0] for _ in range(3)]
        self.frontend.client_says(self.hid, sockets[1], "all:hi everyone")
        reply = self.frontend.reply_to(sockets[0], ("ws",))
        self.assertEqual(sorted(reply["to"]), sorted(sockets))
        self.assertEqual((reply["data"], reply["binary"]), (b"hi everyone", False))
        others = [m for _, m in self.frontend.received if m["kind"] == "ws" and m is not reply]
        self.assertEqual(others, [])

    def test_broadcast_from_a_wsgi_request_thread(self):
        sockets = [self.open()[0] for _ in range(2)]
        to = self.frontend.send(path="/notify")
        _, _, body, _ = self.frontend.response(to)
        self.assertEqual(body, b"notified 2")
        reply = self.frontend.reply_to(sockets[0], ("ws",))
        got = (sorted(reply["to"]), reply["data"], reply["binary"])
        self.assertEqual(got, (sorted(sockets), b"\x00note", True))

    def test_client_close_calls_on_close_with_its_code_and_later_messages_are_ignored(self):
        to, _ = self.open()
        self.frontend.client_leaves(self.hid, to, 4001, "gone fishing")
        self.assertEqual(self.chat.next_call("close")[2], ("/chat", 4001, "gone fishing"))
        self.frontend.client_says(self.hid, to, "too late")
        # A socket opened after it still works: the late message produced nothing.
        to2, _ = self.open()
        self.frontend.client_says(self.hid, to2, "ping")
        reply = self.frontend.reply_to(to2, ("ws",))
        self.assertEqual(reply["to"], [to2])
        late = [m for _, m in self.frontend.received if m["kind"] == "ws" and to in m["to"]]
        self.assertEqual(late, [])

    def test_close_without_code_is_1005(self):
        to, _ = self.open()
        self.frontend.client_leaves(self.hid, to)
        self.assertEqual(self.chat.next_call("close")[2], ("/chat", 1005, ""))

    def test_handler_close_sends_code_and_reason_then_waits_for_the_client(self):
        to, _ = self.open()
        self.frontend.client_says(self.hid, to, "bye")
        close = self.frontend.reply_to(to, ("close",))
        self.assertEqual((close["code"], close["reason"], close["to"]), (4000, "bye now", [to]))
        self.assertEqual(len(self.chat.clients), 1)  # on_close comes with the client's answer
        self.frontend.client_leaves(self.hid, to, 4000, "bye now")
        self.assertEqual(self.chat.next_call("close")[2], ("/chat", 4000, "bye now"))

    def test_on_message_raising_closes_1011(self):
        to, _ = self.open()
        self.frontend.client_says(self.hid, to, "raise")
        close = self.frontend.reply_to(to, ("close",))
        self.assertEqual(close["code"], 1011)
        self.assertIn("on_message failed on purpose", self.errors.getvalue())

    def test_disconnect_before_the_decision_sends_no_101(self):
        # Hold the websocket thread so the upgrade waits for its on_open.
        gate = threading.Event()
        self.worker.websockets.events.put((lambda _: gate.wait(5), None))
        try:
            to = self.frontend.upgrade("/chat")
            key = (self.frontend.fid, to[0], to[1])
            wait_until(lambda: key in self.worker.inflight)
            self.frontend.client_leaves(self.hid, to)
            wait_until(lambda: self.worker.inflight[key].cancelled is not None)
        finally:
            gate.set()
        self.open()  # handled after the cancelled one, on the same thread
        heads = [m for _, m in self.frontend.received if m["kind"] == "head" and m["to"] == [to]]
        self.assertEqual(heads, [])
        self.assertNotIn(key, self.worker.inflight)

    def test_plain_http_still_reaches_the_wsgi_app(self):
        to = self.frontend.send(path="/page")
        _, _, body, _ = self.frontend.response(to)
        self.assertEqual(body, b"plain http")

    def test_drain_closes_open_sockets_with_1001(self):
        to, _ = self.open()
        self.worker.drain()
        close = self.frontend.reply_to(to, ("close",))
        self.assertEqual((close["code"], close["reason"]), (1001, "handler stopping"))
        self.frontend.client_leaves(self.hid, to, 1001, "handler stopping")
        self.assertEqual(self.chat.next_call("close")[2], ("/chat", 1001, "handler stopping"))
        self.thread.join(10)
        self.assertFalse(self.thread.is_alive())


class ThreadedWebSocketWorker(WebSocketWorker):
    threads = 4


class WithoutCallbacks(unittest.TestCase):
    def test_upgrades_reach_the_wsgi_app(self):
        frontend = Frontend()
        worker = Worker(wsgi_app, [frontend.endpoints], heartbeat_ms=200, stderr=io.StringIO())
        thread = threading.Thread(target=worker.run, daemon=True)
        thread.start()
        try:
            frontend.wait_hello()
            to = frontend.upgrade("/chat")
            status, _, body, _ = frontend.response(to)
            self.assertEqual((status, body), (200, b"plain http"))  # a refusal, for the frontend
        finally:
            worker.drain()
            thread.join(10)
            frontend.close()


class TwoWorkers(unittest.TestCase):
    def test_events_go_to_the_worker_that_accepted(self):
        frontend = Frontend()
        chats = [Chat(), Chat()]
        workers = [
            Worker(wsgi_app, [frontend.endpoints], heartbeat_ms=200, stderr=io.StringIO(), websocket=c)
            for c in chats
        ]
        for w in workers:
            w.websockets.grace = 0.3
        threads = [threading.Thread(target=w.run, daemon=True) for w in workers]
        for t in threads:
            t.start()
        try:
            hids = set()
            while len(hids) < 2:
                hids.add(frontend.wait_hello()["hid"])
            self.assertEqual(hids, {w.hid for w in workers})
            opened = {}  # hid -> [conn, req]
            for _ in range(20):  # PUSH spreads requests; open until each worker holds one
                to = frontend.upgrade("/chat")
                head = frontend.reply_to(to, ("head",))
                opened.setdefault(head["hid"], to)
                if len(opened) == 2:
                    break
            self.assertEqual(set(opened), hids)
            for hid, to in opened.items():
                other = next(h for h in hids if h != hid)
                frontend.client_says(other, to, "misrouted")  # not the claimer: no such socket
                frontend.client_says(hid, to, f"for {hid}")
                reply = frontend.reply_to(to, ("ws",))
                self.assertEqual((reply["hid"], reply["data"]), (hid, f"for {hid}".encode()))
            echoed = [m["data"] for _, m in frontend.received if m["kind"] == "ws"]
            self.assertNotIn(b"misrouted", echoed)
        finally:
            for w in workers:
                w.drain()
            for t in threads:
                t.join(15)
            frontend.close()


class Codec(unittest.TestCase):
    """The `ws` kinds both ways and `close`/`disconnect` with code and reason."""

    def test_vectors_cover_websocket_messages(self):
        path = os.path.join(os.path.dirname(__file__), "..", "..", "protocol", "vectors", "ferry-valid.json")
        with open(path, encoding="utf-8") as f:
            vectors = json.load(f)
        seen = set()
        for v in vectors:
            decode = decode_to_handler if v["direction"] == "to-handler" else decode_to_frontend
            msg = decode(bytes.fromhex(v["hex"]))
            seen.add((v["direction"], msg["kind"], "code" in msg))
        for wanted in [
            ("to-handler", "ws", False),
            ("to-frontend", "ws", False),
            ("to-frontend", "close", True),
            ("to-handler", "disconnect", True),
        ]:
            self.assertIn(wanted, seen)

    def test_reply_channel_ws_and_close_are_canonical(self):
        sent = []
        channel = ReplyChannel("py-1", lambda topic, payload: sent.append((topic, payload)))

        class Ex:
            topic, to, sent = b"f-1", [[3, 4, 77]], False

        channel.ws(b"f-1", [[3, 4, 77], [5, 6, 2**40]], b"hi", False)
        channel.close(Ex, 4000, "bye")
        channel.close(Ex)
        expected = [
            {"kind": "ws", "hid": "py-1", "to": [[3, 4, 77], [5, 6, 2**40]], "data": b"hi", "binary": False},
            {"kind": "close", "hid": "py-1", "to": [[3, 4, 77]], "code": 4000, "reason": "bye"},
            {"kind": "close", "hid": "py-1", "to": [[3, 4, 77]]},
        ]
        for (topic, payload), msg in zip(sent, expected):
            self.assertEqual(topic, b"f-1")
            self.assertEqual(payload, encode_to_frontend(msg))
            self.assertEqual(decode_to_frontend(payload), {"v": 2, **msg})


class DocsExample(unittest.TestCase):
    def test_docs_show_the_example_as_it_is(self):
        root = os.path.join(os.path.dirname(__file__), "..", "..")
        with open(os.path.join(root, "docs", "python.md"), encoding="utf-8") as f:
            docs = f.read()
        section = docs[docs.index("## WebSockets") :]
        block = section[section.index("```python\n") + 10 : section.index("```\n", section.index("```python"))]
        with open(os.path.join(root, "examples", "python-websocket", "chat.py"), encoding="utf-8") as f:
            source = [line for line in f.read().splitlines() if line.strip()]
        shown = [line for line in block.splitlines() if line.strip()]
        start = source.index(shown[0])
        self.assertEqual(source[start : start + len(shown)], shown)


if __name__ == "__main__":
    unittest.main()
