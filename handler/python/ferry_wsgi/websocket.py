"""WebSockets for a worker: a callback API next to the WSGI app (WSGI has none).

The app names an object (a module, a class instance) with any of three callbacks:

    on_open(ws)                  an upgrade request: accept (the default), or ws.refuse(status)
    on_message(ws, data)         str for a text message, bytes for a binary one
    on_close(ws, code, reason)   the socket is closed (by the client, or after ws.close())

All callbacks of a worker run one at a time, in order, on its own "ferry-websocket" thread, so
state shared between sockets needs no lock as long as only callbacks touch it. `ws.send`,
`ws.close` and `broadcast` may be called from any thread (a WSGI view, a timer): they only
publish a message under the reply lock.

Sockets live in the worker that accepted them: the frontend sends their events to that worker's
handler id, which is why everything here is per worker.
"""

import queue
import sys
import threading
import time

#: States of a WebSocket (`ws.state`).
CONNECTING = "connecting"
OPEN = "open"
CLOSING = "closing"
CLOSED = "closed"

#: `on_close` code when the close carried none (RFC 6455 7.1.5) and when there was no close at all.
NO_STATUS = 1005
ABNORMAL = 1006
#: Seconds a stopping worker waits for the clients to answer its 1001 close frames.
STOP_GRACE = 5.0

_CALLBACKS = ("on_open", "on_message", "on_close")


def _header_dict(pairs):
    """Request headers by lower-case name; repeated ones joined as HTTP allows (cookies by `; `)."""
    out = {}
    for name, value in pairs:
        name = name.lower()
        if name in out:
            out[name] += ("; " if name == "cookie" else ", ") + value
        else:
            out[name] = value
    return out


def not_found_app(environ, start_response):
    """The WSGI app of a handler that serves only WebSockets."""
    start_response("404 Not Found", [("Content-Type", "text/plain")])
    return [b"Not Found\n"]


def has_callbacks(obj):
    return any(callable(getattr(obj, name, None)) for name in _CALLBACKS)


class WebSocket:
    """One WebSocket connection of this worker, from its upgrade request to its close.

    Attributes: `environ` (the upgrade request as a WSGI environ), `path` and `query` (as the
    client sent them), `headers` (dict, lower-case names), `protocols` (subprotocols the client
    offered), `protocol` (the one chosen, or None), `state`. Apps may set their own attributes
    (`ws.user = ...`).
    """

    def __init__(self, hub, ex, msg, environ):
        self._hub = hub
        self._ex = ex
        self.environ = environ
        self.path = msg["path"]
        self.query = msg["query"]
        self.headers = _header_dict(msg["headers"])
        offered = self.headers.get("sec-websocket-protocol", "")
        self.protocols = [p.strip() for p in offered.split(",") if p.strip()]
        self.protocol = None
        self.state = CONNECTING

    @property
    def key(self):
        """(frontend id, connection id, request id): unique for the socket's life."""
        return self._ex.key

    def __repr__(self):
        return f"<WebSocket {self.path} conn={self._ex.conn} req={self._ex.req} {self.state}>"

    # ------------------------------------------------------------ before the 101 (in on_open)

    def accept(self, protocol=None, headers=()):
        """Answer the upgrade with 101, choosing `protocol` (one of `ws.protocols`) if given;
        `headers` are extra (name, value) pairs (e.g. Set-Cookie). Returning from on_open
        without accept or refuse accepts with no subprotocol; accepting early lets on_open send."""
        self._decide()
        if protocol is not None and protocol not in self.protocols:
            raise ValueError(f"subprotocol {protocol!r} was not offered: {self.protocols}")
        ex = self._ex
        if ex.cancelled is not None:  # the client left, or the frontend gave up, meanwhile
            self.state = CLOSED
            return
        pairs = [[str(name), str(value)] for name, value in headers]
        if protocol is not None:
            pairs.append(["sec-websocket-protocol", protocol])
        self.protocol = protocol
        self.state = OPEN
        self._hub.sockets[ex.key] = self  # before the 101: the client's first message may follow it
        self._hub.channel.head(ex, 101, pairs)

    def refuse(self, status=403, body=b"", headers=()):
        """Answer the upgrade with an HTTP response instead (any status but 101); the frontend
        then closes the connection."""
        self._decide()
        if status == 101 or not 100 <= int(status) <= 999:
            raise ValueError(f"a refusal needs an HTTP status other than 101, got {status!r}")
        if isinstance(body, str):
            body = body.encode("utf-8")
        pairs = [[str(name), str(value)] for name, value in headers]
        self.state = CLOSED
        if self._ex.cancelled is None:
            self._hub.channel.head(self._ex, int(status), pairs, bytes(body), end=True)

    def _decide(self):
        if self.state != CONNECTING:
            raise RuntimeError(f"the upgrade was already answered ({self.state})")

    # ------------------------------------------------------------ an open socket (any thread)

    def send(self, data):
        """Send one message: str as text, bytes-like as binary. Dropped once the socket closes."""
        if self.state == CONNECTING:
            raise RuntimeError("accept the WebSocket before sending on it")
        if self.state != OPEN:
            return
        text, binary = _payload(data)
        ex = self._ex
        self._hub.channel.ws(ex.topic, ex.to, text, binary)

    def close(self, code=1000, reason=""):
        """Send a close frame; on_close follows once the client answered (or left)."""
        if self.state == CONNECTING:
            raise RuntimeError("refuse the upgrade instead of closing it")
        if self.state != OPEN:
            return
        if type(code) is not int or not 1000 <= code <= 4999:
            raise ValueError(f"close code must be an int in 1000..4999, got {code!r}")
        self.state = CLOSING
        self._hub.channel.close(self._ex, code, str(reason))


def _payload(data):
    if isinstance(data, str):
        return data.encode("utf-8"), False
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data), True
    raise TypeError(f"a WebSocket message is str or bytes, not {type(data).__name__}")


def broadcast(sockets, data):
    """Send `data` to every open socket in `sockets` as ONE message per frontend (the frontend
    copies it to each client). Sockets of other workers are not reachable from here."""
    payload, binary = _payload(data)
    groups = {}  # (hub, frontend topic) -> targets
    for ws in list(sockets):  # a copy: callbacks on another thread may change the set
        if ws.state == OPEN:
            ex = ws._ex
            groups.setdefault((ws._hub, ex.topic), []).append(ex.to[0])
    for (hub, topic), to in groups.items():
        hub.channel.ws(topic, to, payload, binary)
    return sum(len(to) for to in groups.values())


class WebSocketHub:
    """A worker's WebSockets: the callbacks, the open sockets, and the thread that runs them."""

    def __init__(self, callbacks, channel, inflight, log_error):
        self.on_open = getattr(callbacks, "on_open", None)
        self.on_message = getattr(callbacks, "on_message", None)
        self.on_close = getattr(callbacks, "on_close", None)
        self.channel = channel
        self.inflight = inflight
        self.log_error = log_error
        self.sockets = {}  # (fid, conn, req) -> open or closing WebSocket; the hub thread's own
        self.events = queue.SimpleQueue()
        self.stopping = False
        self.grace = STOP_GRACE
        self.thread = threading.Thread(target=self._run, name="ferry-websocket", daemon=True)
        self.thread.start()

    # ------------------------------------------------------------ from other threads

    def upgrade(self, ex, msg, environ):
        """An upgrade request (request thread): the hub answers it and drops it from `inflight`."""
        self.events.put((self._open, WebSocket(self, ex, msg, environ)))

    def message(self, msg):
        """A `ws` event (control thread)."""
        self.events.put((self._message, msg))

    def disconnect(self, msg):
        """A `disconnect` event (control thread)."""
        self.events.put((self._disconnect, msg))

    def stop(self):
        """Close every open socket with 1001 and wait (bounded) for the clients' answers."""
        self.events.put((self._stop, time.monotonic() + self.grace))
        self.thread.join(self.grace + 1.0)

    # ------------------------------------------------------------ the hub thread

    def _run(self):
        get = self.events.get
        while True:
            handler, arg = get()
            try:
                if handler(arg) is False:
                    return
            except Exception:
                self.log_error("WebSocket event failed", sys.exc_info())

    def _open(self, ws):
        ex = ws._ex
        try:
            if ex.cancelled is not None:
                ws.state = CLOSED
                return
            if self.stopping:
                ws.refuse(503, b"handler stopping\n", [("content-type", "text/plain")])
                return
            try:
                if self.on_open is not None:
                    self.on_open(ws)
            except Exception:
                self.log_error(f"on_open failed for {ws.path}", sys.exc_info())
                if ws.state == CONNECTING:
                    ws.state = CLOSED
                    self.channel.error(ex, "APP_ERROR", "on_open raised an exception")
                elif ws.state == OPEN:
                    ws.close(1011, "on_open failed")
                return
            if ws.state == CONNECTING:
                ws.accept()
        finally:
            ex.done = True
            self.inflight.pop(ex.key, None)

    def _message(self, msg):
        ws = self.sockets.get((msg["fid"], msg["conn"], msg["req"]))
        if ws is None or ws.state != OPEN or self.on_message is None:
            return
        data = msg["data"] if msg["binary"] else msg["data"].decode("utf-8", "replace")
        try:
            self.on_message(ws, data)
        except Exception:
            self.log_error(f"on_message failed for {ws.path}", sys.exc_info())
            ws.close(1011, "on_message failed")

    def _disconnect(self, msg):
        fid, conn, req = msg["fid"], msg["conn"], msg.get("req")
        if req is not None:
            gone = [self.sockets.get((fid, conn, req))]
        else:
            gone = [ws for key, ws in self.sockets.items() if key[0] == fid and key[1] == conn]
        for ws in gone:
            if ws is not None:
                self._closed(ws, msg.get("code", NO_STATUS), msg.get("reason", ""))

    def _closed(self, ws, code, reason):
        self.sockets.pop(ws.key, None)
        ws.state = CLOSED
        if self.on_close is None:
            return
        try:
            self.on_close(ws, code, reason)
        except Exception:
            self.log_error(f"on_close failed for {ws.path}", sys.exc_info())

    def _stop(self, deadline):
        self.stopping = True
        for ws in list(self.sockets.values()):
            ws.close(1001, "handler stopping")
        while self.sockets:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                handler, arg = self.events.get(timeout=left)
            except queue.Empty:
                break
            if handler == self._stop:
                continue
            try:
                handler(arg)
            except Exception:
                self.log_error("WebSocket event failed", sys.exc_info())
        for ws in list(self.sockets.values()):  # no answer in time: the frontend cuts them off
            self._closed(ws, ABNORMAL, "")
        return False
