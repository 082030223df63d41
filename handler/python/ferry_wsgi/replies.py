"""Messages a handler sends, built directly in canonical field order (protocol/schema.ts).

All of them leave through one `publish(topic, payload)` under one lock, so the messages about a
request keep their order (a claim never overtakes the reply it announces) and the socket is used
by one thread at a time.
"""

import os
import threading

from .protocol import PROTOCOL_VERSION, pack

AGENT = "ferry-wsgi/0.1"
STAR = b"*"


class ReplyChannel:
    def __init__(self, hid, publish, lock=None, secret=None):
        self.hid = hid
        self.publish = publish  # (topic: bytes, payload: bytes) -> None, called under the lock
        self.lock = lock or threading.Lock()
        #: Proves to the frontends that a hello, heartbeat or goodbye for `hid` comes from this
        #: process: random per process, sent only to frontends (never where a handler reads).
        self.secret = secret if secret is not None else os.urandom(32)

    def _send(self, ex, msg):
        payload = pack(msg)
        with self.lock:
            self.publish(ex.topic, payload)
            ex.sent = True

    def head(self, ex, status, headers, body=None, end=False, reason=None):
        """Status and headers; `reason`: the app's reason phrase (the frontend uses it when it is
        a valid one, else the standard phrase for `status`)."""
        msg = {"v": PROTOCOL_VERSION, "kind": "head", "hid": self.hid, "to": ex.to, "status": status}
        if reason:
            msg["reason"] = reason
        msg["headers"] = headers
        if body:
            msg["body"] = body
        if end:
            msg["end"] = True
        self._send(ex, msg)

    def data(self, ex, data, end=False):
        msg = {"v": PROTOCOL_VERSION, "kind": "data", "hid": self.hid, "to": ex.to, "data": data}
        if end:
            msg["end"] = True
        self._send(ex, msg)

    def end(self, ex):
        self._send(ex, {"v": PROTOCOL_VERSION, "kind": "end", "hid": self.hid, "to": ex.to})

    def close(self, ex, code=None, reason=None):
        """Close the connection (for a WebSocket: a close frame, 1000 unless `code` says)."""
        msg = {"v": PROTOCOL_VERSION, "kind": "close", "hid": self.hid, "to": ex.to}
        if code is not None:
            msg["code"] = code
        if reason:
            msg["reason"] = reason
        self._send(ex, msg)

    def ws(self, topic, to, data, binary):
        """One WebSocket message to every open socket `to` names (all on the frontend `topic`)."""
        payload = pack(
            {"v": PROTOCOL_VERSION, "kind": "ws", "hid": self.hid, "to": to, "data": data, "binary": binary}
        )
        with self.lock:
            self.publish(topic, payload)

    def error(self, ex, code, message, status=None):
        msg = {
            "v": PROTOCOL_VERSION,
            "kind": "error",
            "hid": self.hid,
            "to": ex.to,
            "code": code,
            "message": message,
        }
        if status is not None:
            msg["status"] = status
        self._send(ex, msg)

    def claim(self, ex):
        """Claim `ex` unless a message about it already went out (which claimed it)."""
        if ex.sent or ex.done:
            return False
        payload = pack(
            {
                "v": PROTOCOL_VERSION,
                "kind": "claim",
                "hid": self.hid,
                "conn": ex.conn,
                "req": ex.req,
                "token": ex.token,
            }
        )
        with self.lock:
            if ex.sent or ex.done:
                return False
            self.publish(ex.topic, payload)
            ex.sent = True
        return True

    def credit(self, ex, nbytes):
        """Grant the frontend `nbytes` more of a streamed request body."""
        payload = pack(
            {
                "v": PROTOCOL_VERSION,
                "kind": "credit",
                "hid": self.hid,
                "conn": ex.conn,
                "req": ex.req,
                "token": ex.token,
                "bytes": nbytes,
            }
        )
        with self.lock:
            self.publish(ex.topic, payload)
            ex.sent = True

    def hello(self, kind, capacity, inflight, interval, batch=1):
        """`hello` or `heartbeat`. `batch`: the most requests this worker takes from one PUSH
        message (what it can work on at once)."""
        payload = pack(
            {
                "v": PROTOCOL_VERSION,
                "kind": kind,
                "hid": self.hid,
                "secret": self.secret,
                "capacity": capacity,
                "inflight": inflight,
                "interval": interval,
                "batch": batch,
                "agent": AGENT,
            }
        )
        with self.lock:
            self.publish(STAR, payload)

    def goodbye(self, inflight):
        payload = pack(
            {"v": PROTOCOL_VERSION, "kind": "goodbye", "hid": self.hid, "secret": self.secret, "inflight": inflight}
        )
        with self.lock:
            self.publish(STAR, payload)
