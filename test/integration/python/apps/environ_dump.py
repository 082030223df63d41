"""The one WSGI app of the differential test, served by gunicorn and by Ferry alike.

Any path answers with the environ (its JSON-safe values) and what the app read from
`wsgi.input` (`?read=STYLE` picks how it reads). Paths under `/x/` answer with a response shape
instead: a short or long body against Content-Length, a header start_response must refuse, an
error after the head, a reason phrase, write(), close(), 204/304, two Set-Cookie headers,
wsgi.file_wrapper.
"""

import hashlib
import io
import json
import sys

JSON = [("Content-Type", "application/json")]
TEXT = [("Content-Type", "text/plain")]
_closed = {"count": 0}


def _read(stream, style, length):
    if style == "read":
        return stream.read()
    if style == "read-none":
        return stream.read(None)
    if style == "read-length":
        return stream.read(length)
    if style == "read-more":
        return stream.read(length + 4096)
    if style == "read-8192":
        return b"".join(iter(lambda: stream.read(8192), b""))
    if style == "readline":
        return b"".join(iter(stream.readline, b""))
    if style == "readline-100":
        return b"".join(iter(lambda: stream.readline(100), b""))
    if style == "readlines":
        return b"".join(stream.readlines())
    if style == "iter":
        return b"".join(stream)
    raise ValueError(f"unknown read style {style!r}")


def _query(environ):
    out = {}
    for pair in environ.get("QUERY_STRING", "").split("&"):
        name, _, value = pair.partition("=")
        out[name] = value
    return out


def dump(environ, start_response):
    length = int(environ.get("CONTENT_LENGTH") or 0)
    style = _query(environ).get("read") or ("read-length" if length else "read")
    data = _read(environ["wsgi.input"], style, length)
    env = {}
    for key, value in environ.items():
        if type(value) in (str, bool, int):
            env[key] = value
    env["wsgi.version"] = list(environ["wsgi.version"])
    out = {"environ": env, "body": {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}}
    body = json.dumps(out, sort_keys=True).encode()
    start_response("200 OK", JSON + [("Content-Length", str(len(body)))])
    return [body]


def content_length_short(environ, start_response):
    start_response("200 OK", TEXT + [("Content-Length", "10")])
    return [b"hello"]


def content_length_long(environ, start_response):
    start_response("200 OK", TEXT + [("Content-Length", "3")])
    return iter([b"abcdef", b"ghi"])


BAD_HEADERS = {
    "latin1": ("X-Snow", "snow \u2603"),
    "crlf": ("X-Split", "a\r\nX-Injected: 1"),
    "name": ("X Space", "1"),
}


def bad_header(environ, start_response):
    header = BAD_HEADERS[_query(environ)["kind"]]
    try:
        start_response("200 OK", TEXT + [header])
    except Exception:
        start_response("200 OK", TEXT, sys.exc_info())
        return [b"refused at start_response"]
    return [b"accepted"]


def late_error(environ, start_response):
    write = start_response("200 OK", TEXT)
    write(b"partial ")
    try:
        raise RuntimeError("fails after the head on purpose")
    except RuntimeError:
        start_response("500 Internal Server Error", TEXT, sys.exc_info())
    return [b"never sent"]


def reason(environ, start_response):
    start_response("299 Custom Phrase", TEXT)
    return [b"custom reason"]


def write_then_return(environ, start_response):
    write = start_response("200 OK", TEXT)
    write(b"written ")
    write(b"twice ")
    return [b"then returned"]


class Closeable:
    def __iter__(self):
        yield b"closeable"

    def close(self):
        _closed["count"] += 1


def closeable(environ, start_response):
    start_response("200 OK", TEXT)
    return Closeable()


def close_count(environ, start_response):
    start_response("200 OK", TEXT)
    return [b"closed %d" % _closed["count"]]


def status(environ, start_response):
    code = _query(environ)["code"]
    phrase = {"204": "No Content", "304": "Not Modified"}[code]
    start_response(f"{code} {phrase}", [("ETag", '"v1"')])
    return []


def cookies(environ, start_response):
    start_response("200 OK", TEXT + [("Set-Cookie", "a=1; Path=/"), ("Set-Cookie", "b=2; HttpOnly")])
    return [b"two cookies"]


def file_wrapper(environ, start_response):
    data = b"".join(b"line %d\n" % i for i in range(2000))
    start_response("200 OK", TEXT + [("Content-Length", str(len(data)))])
    return environ["wsgi.file_wrapper"](io.BytesIO(data), 4096)


def stream(environ, start_response):
    start_response("200 OK", TEXT)
    return (b"part %d\n" % i for i in range(5))


ROUTES = {
    "/x/cl-short": content_length_short,
    "/x/cl-long": content_length_long,
    "/x/bad-header": bad_header,
    "/x/late-error": late_error,
    "/x/reason": reason,
    "/x/write": write_then_return,
    "/x/closeable": closeable,
    "/x/close-count": close_count,
    "/x/status": status,
    "/x/cookies": cookies,
    "/x/stream": stream,
    "/x/file": file_wrapper,
}


def app(environ, start_response):
    return ROUTES.get(environ["PATH_INFO"], dump)(environ, start_response)
