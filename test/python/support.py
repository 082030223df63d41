"""Shared pieces of the Python tests: request messages, a recording reply channel."""

import io

from ferry_wsgi.environ import EnvironBuilder
from ferry_wsgi.exchange import Exchange
from ferry_wsgi.protocol import decode_to_frontend
from ferry_wsgi.replies import ReplyChannel
from ferry_wsgi.response import run_app

FID = "test-1-abcdef"
HID = "py-test-1"


def token_for(req):
    """The token the test frontends give request `req`: past 2^32, so it needs a uint64."""
    return (0x1F_2345_6789_0000 + req * 7919) % 2**53


def target(msg):
    """The reply address of a request message: [conn, req, token]."""
    return [msg["conn"], msg["req"], msg["token"]]


def request(**fields):
    """A decoded `request` message with sensible defaults."""
    msg = {
        "v": 2,
        "kind": "request",
        "fid": FID,
        "conn": 1,
        "req": 1,
        "token": None,
        "method": "GET",
        "target": "/",
        "path": "/",
        "query": "",
        "version": "HTTP/1.1",
        "headers": [["host", "example.com"]],
        "remote": "127.0.0.1",
        "rport": 51234,
        "port": 6767,
        "scheme": "http",
        "host": "example.com",
        "route": "",
        "group": "app",
        "body": b"",
    }
    msg.update(fields)
    if msg["token"] is None:
        msg["token"] = token_for(msg["req"])
    if "target" not in fields:
        msg["target"] = msg["path"] + ("?" + msg["query"] if msg["query"] else "")
    return msg


class Recorder:
    """A ReplyChannel whose socket is a list: every message is decoded (so validated) as the
    frontend would decode it."""

    def __init__(self):
        self.sent = []  # (topic, decoded message)
        self.channel = ReplyChannel(HID, self._publish)

    def _publish(self, topic, payload):
        self.sent.append((topic, decode_to_frontend(payload)))

    @property
    def messages(self):
        return [m for _, m in self.sent]

    @property
    def kinds(self):
        return [m["kind"] for m in self.messages]

    def body(self):
        out = b""
        for m in self.messages:
            out += m.get("body", b"") if m["kind"] == "head" else m.get("data", b"") if m["kind"] == "data" else b""
        return out


class ErrorLog:
    def __init__(self):
        self.entries = []

    def __call__(self, text, exc_info=None):
        self.entries.append((text, exc_info))


def call(app, msg=None, multithread=False, multiprocess=False, window=None, ex=None):
    """Run `app` for one request; returns (recorder, response, exchange, error log)."""
    msg = msg or request()
    rec = Recorder()
    ex = ex or Exchange(msg["fid"], msg["conn"], msg["req"], window, msg["token"])
    env = EnvironBuilder(multithread, multiprocess, io.StringIO()).build(msg)
    log = ErrorLog()
    response = run_app(app, env, rec.channel, ex, log)
    return rec, response, ex, log
