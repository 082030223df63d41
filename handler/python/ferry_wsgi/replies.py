"""Messages a handler sends, built directly in canonical field order (protocol/schema.ts).

Every message about a request joins one queue, in the order its sender made it; whoever holds
the socket lock sends everything queued, so the messages about a request keep their order (a
claim never overtakes the reply it announces) and the socket is used by one thread at a time.
Replies that pile up while another thread is sending (threads answering at once) leave together
as one `[topic, payload, payload, ...]` message per frontend: nothing waits to fill a batch, a
batch is what is ready when the socket is free.
"""

import os
import threading

from .fields import MAX_PAYLOADS
from .protocol import PROTOCOL_VERSION, pack

AGENT = "ferry-wsgi/0.1"
STAR = b"*"


class ReplyChannel:
    def __init__(self, hid, publish, lock=None, secret=None, publish_many=None):
        self.hid = hid
        self.publish = publish  # (topic: bytes, payload: bytes) -> None, called under the lock
        #: (topic, [payload, ...]) -> None: one message of several payloads, under the lock.
        #: Without it, each payload goes alone through `publish`.
        self.publish_many = publish_many
        self.lock = lock or threading.Lock()
        #: (topic, payload) made and not yet sent, oldest first; guarded by `_queue_lock`, which
        #: is only ever held for a list operation (never while sending).
        self._queue = []
        self._queue_lock = threading.Lock()
        #: Proves to the frontends that a hello, heartbeat or goodbye for `hid` comes from this
        #: process: random per process, sent only to frontends (never where a handler reads).
        self.secret = secret if secret is not None else os.urandom(32)

    def _send(self, ex, msg):
        payload = pack(msg)
        with self._queue_lock:
            self._queue.append((ex.topic, payload))
            ex.sent = True
        self._flush()

    def _flush(self):
        """Send everything queued. A sender that finds its payload already gone (taken by the
        thread that held the lock meanwhile) has nothing left to do."""
        with self.lock:
            with self._queue_lock:
                queue, self._queue = self._queue, []
            if not queue:
                return
            if len(queue) == 1 or self.publish_many is None:
                publish = self.publish
                for topic, payload in queue:
                    publish(topic, payload)
                return
            by_topic = {}  # a frontend's payloads in order; frontends are independent
            for topic, payload in queue:
                by_topic.setdefault(topic, []).append(payload)
            for topic, payloads in by_topic.items():
                for i in range(0, len(payloads), MAX_PAYLOADS):
                    chunk = payloads[i : i + MAX_PAYLOADS]
                    if len(chunk) == 1:
                        self.publish(topic, chunk[0])
                    else:
                        self.publish_many(topic, chunk)

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
        with self._queue_lock:
            self._queue.append((topic, payload))
        self._flush()

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
        with self._queue_lock:
            if ex.sent or ex.done:
                return False
            self._queue.append((ex.topic, payload))
            ex.sent = True
        self._flush()
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
        with self._queue_lock:
            self._queue.append((ex.topic, payload))
            ex.sent = True
        self._flush()

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
