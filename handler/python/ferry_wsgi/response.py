"""Runs a WSGI app for one request and sends its response (PEP 3333 server side).

Headers go out with the first non-empty body chunk (or at the end); a response whose whole body
is known at once (a list, or Content-Length reached) is ONE `head` message with body and end.
Other bodies stream chunk by chunk as the app yields them; empty chunks are skipped. close() on
the app's iterable is always called.

A body shorter than the app's Content-Length ends with `error` after what was sent, so the
frontend closes the connection (PEP 3333, "Handling the Content-Length Header"); bytes past it
are never sent. Both are logged with the app's name.
"""

import inspect
import os
import re
import sys
import traceback

from .exchange import Cancelled
from .replies import ReplyChannel

#: Largest body piece per message (the protocol allows 64 MiB; smaller keeps memory flat).
MAX_PIECE = 8 * 1024 * 1024
#: Seconds a response may wait for flow-control credit before it is abandoned.
CREDIT_TIMEOUT = 60.0

#: Headers that describe the connection, not the response: the frontend owns the framing.
HOP_BY_HOP = frozenset(
    ["connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"]
)

BYTES_LIKE = (bytes, bytearray, memoryview)

#: RFC 9110 `token`: the characters a header name may hold.
TOKEN_CHARS = frozenset("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
#: What a header value or reason phrase may not hold: control characters other than HTAB, and
#: anything past latin-1 (PEP 3333: values are latin-1 native strings; RFC 9110 field-value).
BAD_VALUE = re.compile(r"[^\t\x20-\x7e\x80-\xff]")
#: Statuses whose responses have no body whatever their Content-Length says (RFC 9110 §6.4.1).
NO_BODY_STATUSES = frozenset([204, 304])

#: Longest reason phrase `head.reason` carries, in UTF-8 bytes; a longer one is left out (the
#: client then gets the standard phrase) rather than make the frontend drop the whole head.
MAX_REASON = 512

#: True once the reply channel's `head` takes the reason phrase (protocol v2 `head.reason`).
HEAD_TAKES_REASON = "reason" in inspect.signature(ReplyChannel.head).parameters


class AppError(ValueError):
    """The app broke a PEP 3333 rule (bad status, headers, body type, call order)."""


def _fits(reason):
    return 0 < len(reason.encode("utf-8")) <= MAX_REASON


def parse_status(status):
    """-> (code, reason phrase)."""
    if type(status) is not str:
        raise AppError(f"status must be a str, not {type(status).__name__}")
    code = status[:3]
    if len(code) != 3 or not code.isdigit() or not code.isascii() or (len(status) > 3 and status[3] != " "):
        raise AppError(f"status must look like '200 OK', got {status!r}")
    n = int(code)
    if n < 100:
        raise AppError(f"status code below 100: {status!r}")
    reason = status[4:]
    if reason and BAD_VALUE.search(reason) is not None:
        raise AppError(f"the reason phrase must be latin-1 text without control characters: {status!r}")
    return n, reason


#: Header names already found to be tokens (bounded: an app may make up names).
_GOOD_NAMES = set()
_GOOD_NAMES_MAX = 1024


def check_field(name, value):
    """Raises AppError unless `name` is a token and `value` latin-1 text a client can be sent."""
    if name not in _GOOD_NAMES:
        if not name or not TOKEN_CHARS.issuperset(name):
            raise AppError(f"invalid header name {name!r}: only RFC 9110 token characters")
        if len(_GOOD_NAMES) < _GOOD_NAMES_MAX:
            _GOOD_NAMES.add(name)
    # Printable ASCII, the usual case, is two C-level checks; anything else goes to the regex.
    if not (value.isascii() and value.isprintable()) and BAD_VALUE.search(value) is not None:
        if "\n" in value or "\r" in value:
            raise AppError(f"header {name} has a line break in its value")
        raise AppError(
            f"header {name} has a value that is not latin-1 text (control characters or code "
            f"points past U+00FF): {value!r}"
        )


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
        check_field(name, value)
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

    __slots__ = (
        "channel",
        "ex",
        "environ",
        "app_name",
        "log_error",
        "head_only",
        "status",
        "reason",
        "headers",
        "length",
        "headers_sent",
        "sent",
        "ended",
        "complete",
        "failed",
        "excess",
    )

    def __init__(self, channel, ex, app_name="the app", log_error=None, head_only=False, environ=None):
        self.channel = channel
        self.ex = ex
        self.environ = environ or {}  # for logs
        self.app_name = app_name
        self.log_error = log_error
        self.head_only = head_only  # a HEAD request: no body is owed whatever Content-Length says
        self.status = None
        self.reason = ""
        self.headers = None
        self.length = None  # Content-Length set by the app
        self.headers_sent = False
        self.sent = 0  # body bytes sent
        self.ended = False  # nothing more will be sent
        self.complete = False  # the response's last message went out (end, or error)
        self.failed = False  # start_response re-raised the app's error after the head went out
        self.excess = 0  # body bytes the app gave past its Content-Length (never sent)

    def start_response(self, status, headers, exc_info=None):
        if exc_info is not None:
            try:
                if self.headers_sent:
                    # PEP 3333: too late to change the status; the app's error goes back to it,
                    # and the response is cut (`error`), whatever the app does next.
                    self.failed = True
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None  # no reference cycle through the traceback
        elif self.status is not None:
            raise AppError("start_response called a second time without exc_info")
        code, reason = parse_status(status)
        pairs, length = check_headers(headers)
        self.status, self.reason, self.headers, self.length = code, reason, pairs, length
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

    def owes_body(self):
        """Whether the app's Content-Length promises body bytes to the client."""
        return not self.head_only and self.status >= 200 and self.status not in NO_BODY_STATUSES

    def emit(self, data, final=False):
        """Send body bytes; the first ones carry the headers. `final`, or reaching the app's
        Content-Length, makes the last piece end the response."""
        if self.ended:
            self.excess += len(data)  # past Content-Length: a server must not send more
            return
        ex = self.ex
        if ex.cancelled is not None:
            raise Cancelled(ex.cancelled)
        short = False
        if self.length is not None and len(data) >= self.length - self.sent:
            left = self.length - self.sent
            self.excess += len(data) - left
            data = data[:left]
            self.ended = True
            if not data:
                self._send_end()
                return
        elif final:
            self.ended = True
            short = self.length is not None and self.owes_body()
        while data:
            piece = data[:MAX_PIECE] if len(data) > MAX_PIECE else data
            if ex.window is not None:
                n = ex.take_credit(len(piece), CREDIT_TIMEOUT)
                if n < len(piece):
                    piece = piece[:n]
            data = data[len(piece) :]
            last = self.ended and not data and not short
            self.sent += len(piece)
            if self.headers_sent:
                self.channel.data(ex, piece, last)
            else:
                self._head(piece, last)
            if last:
                self.complete = True
        if short:
            self._cut_short()

    def _head(self, body, end):
        self.headers_sent = True
        if HEAD_TAKES_REASON:
            reason = self.reason if 0 < len(self.reason) <= MAX_REASON // 2 or _fits(self.reason) else None
            self.channel.head(self.ex, self.status, self.headers, body, end, reason=reason)
        else:
            self.channel.head(self.ex, self.status, self.headers, body, end)

    def _send_end(self):
        if self.headers_sent:
            self.channel.end(self.ex)
        else:
            self._head(None, True)
        self.complete = True

    def _cut_short(self):
        """The body ended before the app's Content-Length: what was sent stays, and `error` makes
        the frontend close the connection rather than complete a response the client would
        read the next response's bytes into."""
        self.ended = True
        self.complete = True
        text = (
            f"{self.app_name} declared Content-Length {self.length} but its body was {self.sent} "
            f"bytes for {_describe(self.environ)}: the connection is closed"
        )
        if self.log_error is not None:
            self.log_error(text)
        if not self.headers_sent:
            self._head(None, False)
        self.channel.error(self.ex, "APP_ERROR", text)

    def finish(self):
        """The body is complete."""
        if self.ended:
            return
        if self.status is None:
            raise AppError("the app returned without calling start_response()")
        if self.failed:
            raise AppError("the app went on after start_response re-raised its error")
        self.ended = True
        if self.ex.cancelled is not None:
            raise Cancelled(self.ex.cancelled)
        if self.length is not None and self.sent < self.length and self.owes_body():
            self._cut_short()
        else:
            self._send_end()

    def send_whole(self, body):
        """The whole body at once (a list or tuple result): one message when it fits."""
        if self.status is None:
            raise AppError("the app returned without calling start_response()")
        if body and not self.failed:
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


def app_name(app):
    """How logs name an app: `module:qualified.name` of the function or of an instance's class,
    with what says which project it is when the class is a framework's (Flask's import name,
    Django's settings module)."""
    obj = app if hasattr(app, "__qualname__") else type(app)
    module = getattr(obj, "__module__", None) or "?"
    name = f"{module}:{getattr(obj, '__qualname__', '?')}"
    project = getattr(app, "import_name", None)
    if project is None and module.startswith("django."):
        project = os.environ.get("DJANGO_SETTINGS_MODULE")
    return f"{name} ({project})" if isinstance(project, str) else name


def run_app(app, environ, channel, ex, log_error, name=None):
    """Call `app` for one request and send its response. Never raises."""
    method = environ.get("REQUEST_METHOD")
    response = Response(channel, ex, name or app_name(app), log_error, method == "HEAD", environ)
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
                    response.excess += len(chunk)
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
                if not response.complete:
                    _fail(response, channel, ex, log_error, environ, logged=True)
    if response.excess:
        log_error(
            f"{response.app_name} gave more body than its Content-Length {response.length} "
            f"for {_describe(environ)}: the rest was not sent"
        )
    return response


def _describe(environ):
    return f"{environ.get('REQUEST_METHOD')} {environ.get('RAW_URI')}"


def _fail(response, channel, ex, log_error, environ, logged=False):
    if not logged:
        log_error(f"error while answering {_describe(environ)}", sys.exc_info())
    response.ended = True
    if ex.cancelled is not None or response.complete:
        return  # the client has its whole response already, or is gone
    response.complete = True
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
