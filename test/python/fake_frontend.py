"""A frontend played with plain ZeroMQ sockets: binds PUSH (requests), SUB (replies) and PUB
(events) on ipc:// endpoints in a temp dir, as a real frontend does."""

import os
import tempfile
import time

import zmq

from ferry_wsgi.protocol import decode_to_frontend, encode_to_handler
from ferry_wsgi.transport import Endpoints

from support import request, target


class FakeFrontend:
    def __init__(self, fid="fake-1-abcdef"):
        self.fid = fid
        self.dir = tempfile.TemporaryDirectory(prefix="ferry-py-")
        base = self.dir.name
        self.endpoints = Endpoints(
            f"ipc://{os.path.join(base, 'req')}",
            f"ipc://{os.path.join(base, 'rep')}",
            f"ipc://{os.path.join(base, 'evt')}",
        )
        self.ctx = zmq.Context()
        self.push = self.ctx.socket(zmq.PUSH)
        self.push.setsockopt(zmq.LINGER, 0)
        self.push.setsockopt(zmq.SNDHWM, 64)
        self.push.bind(self.endpoints.requests)
        self.sub = self.ctx.socket(zmq.SUB)
        self.sub.setsockopt(zmq.LINGER, 0)
        self.sub.setsockopt(zmq.SUBSCRIBE, fid.encode())
        self.sub.setsockopt(zmq.SUBSCRIBE, b"*")
        self.sub.bind(self.endpoints.replies)
        self.pub = self.ctx.socket(zmq.PUB)
        self.pub.setsockopt(zmq.LINGER, 0)
        self.pub.bind(self.endpoints.events)
        self.received = []  # (topic, message), everything seen so far, one per payload
        self.pending = []  # payloads of a multi-payload message not returned by receive() yet
        self.messages = 0  # ZeroMQ messages received on SUB (a batch counts once)
        self.next_req = 1

    @property
    def connect(self):
        return repr(self.endpoints)

    def close(self):
        for sock in (self.push, self.sub, self.pub):
            sock.close()
        self.ctx.term()
        self.dir.cleanup()

    def receive(self, timeout=5.0, kinds=None):
        """The next reply (topic, message) of one of `kinds`, or None after `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            if not self.pending:
                left = deadline - time.monotonic()
                if left <= 0 or not self.sub.poll(int(left * 1000) + 1):
                    return None
                topic, *payloads = self.sub.recv_multipart()
                self.messages += 1
                assert payloads, "a message with no payload"
                self.pending = [(topic.decode(), decode_to_frontend(p)) for p in payloads]
            got = self.pending.pop(0)
            self.received.append(got)
            if kinds is None or got[1]["kind"] in kinds:
                return got

    def wait_hello(self, timeout=10.0):
        got = self.receive(timeout, kinds=("hello", "heartbeat"))
        if got is None:
            raise AssertionError("no hello from the handler")
        return got[1]

    def _request(self, fields):
        fields.setdefault("fid", self.fid)
        if "req" not in fields:
            fields["req"] = self.next_req
            self.next_req += 1
        fields.setdefault("conn", fields["req"])
        return request(**fields)

    def send(self, **fields):
        """Push a request; returns its reply address [conn, req, token]."""
        msg = self._request(fields)
        self.push.send(encode_to_handler(msg))
        return target(msg)

    def send_batch(self, *requests):
        """Push several requests (dicts of fields) in ONE message; returns their addresses."""
        msgs = [self._request(dict(fields)) for fields in requests]
        self.push.send_multipart([encode_to_handler(m) for m in msgs])
        return [target(m) for m in msgs]

    def send_raw(self, *frames):
        self.push.send_multipart(list(frames))

    def event(self, topic, **fields):
        fields.setdefault("fid", self.fid)
        self.pub.send_multipart([topic.encode(), encode_to_handler(fields)])

    def events(self, topic, *events):
        """Publish several events (dicts of fields, or raw payload bytes) in ONE message."""
        payloads = [e if isinstance(e, bytes) else encode_to_handler({"fid": self.fid, **e}) for e in events]
        self.pub.send_multipart([topic.encode(), *payloads])

    def response(self, to, timeout=5.0):
        """Collect the messages answering `to` (also ones received earlier) until the response
        ends: (status, headers, body, kinds)."""
        status, headers, body, kinds = None, None, b"", []
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            while seen < len(self.received):
                topic, msg = self.received[seen]
                seen += 1
                about = msg.get("to") == [to] or (
                    msg["kind"] == "claim" and [msg["conn"], msg["req"], msg["token"]] == to
                )
                if not about:
                    continue
                assert topic == self.fid, topic
                kinds.append(msg["kind"])
                if msg["kind"] == "head":
                    status, headers, body = msg["status"], msg["headers"], msg.get("body", b"")
                elif msg["kind"] == "data":
                    body += msg["data"]
                if msg["kind"] in ("end", "error", "close") or msg.get("end"):
                    return status, headers, body, kinds
            if self.receive(max(0.0, deadline - time.monotonic())) is None:
                raise AssertionError(f"response to {to} incomplete: {kinds}")
