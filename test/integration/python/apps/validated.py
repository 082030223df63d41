"""WSGI apps wrapped in wsgiref.validate.validator, which checks both sides of every call: the
environ and the server's use of start_response, write, wsgi.input and the response iterable
(close() called, nothing read after it). Warnings are errors here, so any violation fails the
request and leaves a traceback in the handler's output."""

import io
import sys
import warnings
from wsgiref.validate import WSGIWarning, validator

warnings.simplefilter("error", WSGIWarning)

TEXT = [("Content-Type", "text/plain")]


def hello(environ, start_response):
    body = b"hello"
    start_response("200 OK", TEXT + [("Content-Length", str(len(body)))])
    return [body]


def echo(environ, start_response):
    stream = environ["wsgi.input"]
    length = int(environ.get("CONTENT_LENGTH") or 0)
    first = stream.readline()
    rest = stream.read(length - len(first))
    start_response("200 OK", TEXT)
    return [b"first=%d rest=%d " % (len(first), len(rest)), first + rest]


def lines(environ, start_response):
    stream = environ["wsgi.input"]
    got = list(stream)
    start_response("200 OK", TEXT)
    return [b"%d lines" % len(got)]


def stream(environ, start_response):
    start_response("200 OK", TEXT)

    def body():
        yield b""
        for i in range(5):
            yield b"part %d\n" % i
            yield b""

    return body()


def write_then_iterable(environ, start_response):
    write = start_response("200 OK", TEXT)
    write(b"written ")
    return [b"returned"]


def file_wrapper(environ, start_response):
    start_response("200 OK", TEXT + [("Content-Length", "8")])
    return environ["wsgi.file_wrapper"](io.BytesIO(b"file-ish"), 3)


def error_page(environ, start_response):
    try:
        raise ValueError("handled by the app")
    except ValueError:
        start_response("200 OK", TEXT)
        start_response("500 Internal Server Error", TEXT, sys.exc_info())
    return [b"error page"]


def no_content(environ, start_response):
    start_response("204 No Content", [])
    return []


def environ_report(environ, start_response):
    keys = ["SCRIPT_NAME", "PATH_INFO", "QUERY_STRING", "SERVER_NAME", "SERVER_PORT", "wsgi.url_scheme"]
    body = "\n".join(f"{k}={environ.get(k)}" for k in keys).encode("latin-1")
    start_response("200 OK", TEXT)
    return [body]


ROUTES = {
    "/hello": hello,
    "/echo": echo,
    "/lines": lines,
    "/stream": stream,
    "/write": write_then_iterable,
    "/file": file_wrapper,
    "/error-page": error_page,
    "/no-content": no_content,
    "/environ": environ_report,
}


def dispatch(environ, start_response):
    route = ROUTES.get(environ["PATH_INFO"])
    if route is None:
        start_response("404 Not Found", TEXT)
        return [b"not found"]
    return route(environ, start_response)


app = validator(dispatch)
