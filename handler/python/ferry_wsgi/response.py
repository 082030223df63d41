"""Runs a WSGI app for one request and sends its response (PEP 3333 server side).

Headers go out with the first non-empty body chunk (or at the end); a response whose whole body
is known at once (a list, or Content-Length reached) is ONE `head` message with body and end.
Other bodies stream chunk by chunk as the app yields them; empty chunks are skipped. close() on
the app's iterable is always called.
"""

import sys
import traceback

from .exchange import Cancelled

#: Largest body piece per message (the protocol allows 64 MiB; smaller keeps memory flat).
MAX_PIECE = 8 * 1024 * 1024
#: Seconds a response may wait for flow-control credit before it is abandoned.
CREDIT_TIMEOUT = 60.0

#: Headers that describe the connection, not the response: the frontend owns the framing.
HOP_BY_HOP = frozenset(
    ["connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"]
)

BYTES_LIKE = (bytes, bytearray, memoryview)


class AppError(Exception):
    """The app broke a PEP 3333 rule (bad status, headers, body type, call order)."""


def parse_status(status):
    if type(status) is not str:
        raise AppError(f"status must be a str, not {type(status).__name__}")
    code = status[:3]
    if len(code) != 3 or not code.isdigit() or not code.isascii() or (len(status) > 3 and status[3] != " "):
        raise AppError(f"status must look like '200 OK', got {status!r}")
    n = int(code)
    if n < 100:
        raise AppError(f"status code below 100: {status!r}")
    return n


def check_headers(headers):
    """-> (wire header pairs, Content-Length or None)."""
    if type(headers) is not list:
        raise AppError(f"headers must be a list, not {type(headers).__name__}")
    pairs = []
    length = None
    for item in headers:
        if type(item) is not tuple or len(item) != 2:
            raise AppError(f"each header must be a (name, value) tuple, got {item!r}")
        name, value = item
        if type(name) is not str or type(value) is not str:
            raise AppError(f"header name and value must be str: {item!r}")
        if not name or ":" in name or "\n" in name or "\r" in name or " " in name:
            raise AppError(f"invalid header name {name!r}")
        if "\n" in value or "\r" in value:
            raise AppError(f"header {name} has a line break in its value")
        lower = name.lower()
        if lower in HOP_BY_HOP:
            continue
        if lower == "content-length":
            value = value.strip()
            if not value.isdigit() or not value.isascii():
                raise AppError(f"invalid Content-Length {value!r}")
            length = int(value)
        pairs.append([name, value])
    return pairs, length


class Response:
    """The server side of one WSGI call: start_response, write and the body iteration."""

    __slots__ = ("channel", "ex", "status", "headers", "length", "headers_sent", "sent", "ended")

    def __init__(self, channel, ex):
        self.channel = channel
        self.ex = ex
        self.status = None
        self.headers = None
        self.length = None  # Content-Length set by the app
        self.headers_sent = False
        self.sent = 0  # body bytes sent
        self.ended = False

    def start_response(self, status, headers, exc_info=None):
        if exc_info is not None:
            try:
                if self.headers_sent:
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None  # no reference cycle through the traceback
        elif self.status is not None:
            raise AppError("start_response called a second time without exc_info")
        code = parse_status(status)
        pairs, length = check_headers(headers)
        self.status, self.headers, self.length = code, pairs, length
        return self.write

    def write(self, data):
        if self.status is None:
            raise AppError("write() before start_response()")
        if type(data) is not bytes:
            if not isinstance(data, BYTES_LIKE):
                raise AppError(f"body data must be bytes, not {type(data).__name__}")
            data = bytes(data)
        if data:
            self.emit(data)

    # ------------------------------------------------------------ sending

    def emit(self, data, final=False):
        """Send body bytes; the first ones carry the headers. `final`, or reaching the app's
        Content-Length, makes the last piece end the response."""
        if self.ended:
            return  # past Content-Length: a server must not send more
        ex = self.ex
        if ex.cancelled is not None:
            raise Cancelled(ex.cancelled)
        if self.length is not None and len(data) >= self.length - self.sent:
            data = data[: self.length - self.sent]
            self.ended = True
            if not data:
                self._send_end()
                return
        elif final:
            self.ended = True
        while data:
            piece = data[:MAX_PIECE] if len(data) > MAX_PIECE else data
            if ex.window is not None:
                n = ex.take_credit(len(piece), CREDIT_TIMEOUT)
                if n < len(piece):
                    piece = piece[:n]
            data = data[len(piece) :]
            last = self.ended and not data
            self.sent += len(piece)
            if self.headers_sent:
                self.channel.data(ex, piece, last)
            else:
                self.headers_sent = True
                self.channel.head(ex, self.status, self.headers, piece, last)

    def _send_end(self):
        if self.headers_sent:
            self.channel.end(self.ex)
        else:
            self.headers_sent = True
            self.channel.head(self.ex, self.status, self.headers, None, True)

    def finish(self):
        """The body is complete."""
        if self.ended:
            return
        if self.status is None:
            raise AppError("the app returned without calling start_response()")
        self.ended = True
        if self.ex.cancelled is not None:
            raise Cancelled(self.ex.cancelled)
        self._send_end()

    def send_whole(self, body):
        """The whole body at once (a list or tuple result): one message when it fits."""
        if self.status is None:
            raise AppError("the app returned without calling start_response()")
        if body:
            self.emit(body, True)
        else:
            self.finish()


def _join(result):
    if len(result) == 1:
        chunk = result[0]
        if type(chunk) is bytes:
            return chunk
        result = [chunk]
    for chunk in result:
        if not isinstance(chunk, BYTES_LIKE):
            raise AppError(f"body chunks must be bytes, not {type(chunk).__name__}")
    return b"".join(result)


def run_app(app, environ, channel, ex, log_error):
    """Call `app` for one request and send its response. Never raises."""
    response = Response(channel, ex)
    result = None
    try:
        result = app(environ, response.start_response)
        rtype = type(result)
        if (rtype is list or rtype is tuple) and response.status is not None:
            response.send_whole(_join(result))
        else:
            emit = response.emit
            for chunk in result:
                if type(chunk) is not bytes:
                    if not isinstance(chunk, BYTES_LIKE):
                        raise AppError(f"body chunks must be bytes, not {type(chunk).__name__}")
                    chunk = bytes(chunk)
                if not chunk:
                    if ex.cancelled is not None:
                        raise Cancelled(ex.cancelled)
                    continue
                if response.status is None:
                    raise AppError("the app yielded body data before calling start_response()")
                if response.ended:
                    break  # past Content-Length: stop pulling more from the app
                emit(chunk)
            response.finish()
    except Cancelled:
        pass  # nothing more may be sent for this request
    except Exception:
        _fail(response, channel, ex, log_error, environ)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            try:
                close()
            except Exception:
                log_error(f"error in close() of the response to {_describe(environ)}", sys.exc_info())
                if not response.ended:
                    _fail(response, channel, ex, log_error, environ, logged=True)
    return response


def _describe(environ):
    return f"{environ.get('REQUEST_METHOD')} {environ.get('RAW_URI')}"


def _fail(response, channel, ex, log_error, environ, logged=False):
    if not logged:
        log_error(f"error while answering {_describe(environ)}", sys.exc_info())
    response.ended = True
    if ex.cancelled is not None:
        return
    try:
        # Nothing sent yet: the frontend answers 500. Headers sent: it closes the connection,
        # so the client sees a truncated response, never a complete-looking wrong one.
        channel.error(ex, "APP_ERROR", "the application raised an exception")
    except Exception:
        log_error("could not send the error reply", sys.exc_info())


def print_error(text, exc_info, stream=None):
    """Default error log: the message and the traceback to stderr (wsgi.errors)."""
    stream = stream or sys.stderr
    try:
        stream.write(f"ferry-wsgi: {text}\n")
        if exc_info and exc_info[0] is not None:
            stream.write("".join(traceback.format_exception(*exc_info)))
        stream.flush()
    except Exception:
        pass
