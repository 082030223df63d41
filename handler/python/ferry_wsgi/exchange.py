"""One request this worker holds, from the moment it is received until its response is done.

Shared between the thread running the app and the control thread (claims, cancel, disconnect,
credit and streamed-body events), so everything either side changes is a plain attribute write
or happens under `cond`.
"""

import threading
import time


class Cancelled(Exception):
    """The client is gone or the frontend answered otherwise: stop sending for this request."""


class Exchange:
    __slots__ = (
        "key",
        "fid",
        "topic",
        "conn",
        "req",
        "token",
        "to",
        "started",
        "sent",
        "done",
        "cancelled",
        "window",
        "cond",
        "body",
    )

    def __init__(self, fid, conn, req, window=None, token=0):
        self.key = (fid, conn, req)
        self.fid = fid
        self.topic = fid.encode("utf-8")
        self.conn = conn
        self.req = req
        #: The request's token: every message about it quotes it (the frontend drops the rest).
        self.token = token
        #: The reply address, [[conn, req, token]]: one target.
        self.to = [[conn, req, token]]
        self.started = time.monotonic()
        #: A message about this request went out (explicit claim or first reply): it is claimed.
        self.sent = False
        self.done = False
        self.cancelled = None  # the reason, once cancelled
        #: Response body bytes we may still send before waiting for credit; None = no limit.
        self.window = window
        self.cond = None if window is None else threading.Condition()
        self.body = None  # a StreamedInput when the request body is streamed

    def cancel(self, reason):
        if self.cancelled is None:
            self.cancelled = reason or "cancelled"
        cond = self.cond
        if cond is not None:
            with cond:
                cond.notify_all()
        if self.body is not None:
            self.body.abort(self.cancelled)

    def add_credit(self, nbytes):
        cond = self.cond
        if cond is None:
            return
        with cond:
            self.window += nbytes
            cond.notify_all()

    def take_credit(self, wanted, timeout):
        """Wait until some window is open; returns how many of `wanted` bytes may go now."""
        cond = self.cond
        with cond:
            deadline = None
            while self.window <= 0 and self.cancelled is None:
                if deadline is None:
                    deadline = time.monotonic() + timeout
                left = deadline - time.monotonic()
                if left <= 0:
                    raise Cancelled("no credit from the frontend")
                cond.wait(left)
            if self.cancelled is not None:
                raise Cancelled(self.cancelled)
            n = min(wanted, self.window)
            self.window -= n
            return n
